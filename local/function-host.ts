import { parentPort, workerData } from 'node:worker_threads';

/**
 * Plays the Lambda runtime for one function inside a worker thread: the thread has only the
 * function's environment, imports the bundle once (the cold start, where config is validated),
 * then invokes its `handler` for each event the local API sends.
 */
export interface FunctionHostData {
  readonly bundleUrl: string;
}

export interface Invocation {
  readonly id: number;
  /** A payload 2.0 event, or an authorizer's event: the host passes either through untouched. */
  readonly event: object;
}

/** What the host posts: once `ready` after the cold start, then one `result` per invocation. */
export type HostMessage =
  | { readonly kind: 'ready' }
  /** No `result` means the handler threw, which API Gateway turns into a bare 500. */
  | { readonly kind: 'result'; readonly id: number; readonly result?: unknown };

type Handler = (event: object) => Promise<unknown>;

function isHandlerModule(value: unknown): value is { handler: Handler } {
  return typeof value === 'object' && value !== null && 'handler' in value && typeof value.handler === 'function';
}

const port = parentPort;
if (port === null) throw new Error('function-host runs only as a worker thread');
const { bundleUrl } = workerData as FunctionHostData;
const loaded: unknown = await import(bundleUrl);
if (!isHandlerModule(loaded)) throw new Error(`${bundleUrl} does not export a handler function`);
const { handler } = loaded;

port.on('message', (invocation: Invocation) => {
  handler(invocation.event).then(
    (result) => port.postMessage({ kind: 'result', id: invocation.id, result } satisfies HostMessage),
    (error: unknown) => {
      // Lambda's runtime logs an invocation error the same way, to the function's own log.
      console.error(error);
      port.postMessage({ kind: 'result', id: invocation.id } satisfies HostMessage);
    },
  );
});
port.postMessage({ kind: 'ready' } satisfies HostMessage);
