import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FunctionName } from '../lib/bundling.js';
import type { LocalBuild } from './build.js';
import type { FunctionHostData, HostMessage, Invocation } from './function-host.js';

/**
 * A function served as Lambda serves it: a pool of execution environments (worker threads, each
 * with only the function's environment and its own module instance), each handling one request at
 * a time. An environment starts (a cold start) when a request finds none idle, up to a limit;
 * beyond it requests queue until one frees up.
 */
export interface FunctionPoolOptions {
  readonly name: FunctionName;
  readonly build: LocalBuild;
  readonly env: Record<string, string>;
  /** Most environments at once (Lambda's concurrency limit for the function). */
  readonly maxEnvironments: number;
  /** Each line the function writes to stdout (its request log). */
  readonly onLog?: (name: FunctionName, line: string) => void;
  /** Each cold start: which environment, and how long its init took. */
  readonly onColdStart?: (name: FunctionName, environment: number, initMs: number) => void;
}

export interface FunctionPool {
  invoke(event: object): Promise<unknown>;
  /** Environments started so far (cold starts). */
  environments(): number;
  stop(): Promise<void>;
}

export class FunctionFailedError extends Error {
  override readonly name = 'FunctionFailedError';
}

interface Environment {
  readonly worker: Worker;
  busy: boolean;
  dead: boolean;
  current: { readonly id: number; resolve(result: unknown): void; reject(error: Error): void } | undefined;
}

/** Starts the pool with one environment, so a broken bundle or setting fails here, not on a user's request. */
export async function startFunctionPool(options: FunctionPoolOptions): Promise<FunctionPool> {
  const environments: Environment[] = [];
  const queue: { readonly event: object; resolve(result: unknown): void; reject(error: Error): void }[] = [];
  let started = 0;
  let nextId = 0;
  let stopping = false;
  let starting = 0;

  const run = (environment: Environment, job: (typeof queue)[number]): void => {
    environment.busy = true;
    const id = nextId++;
    environment.current = { id, resolve: job.resolve, reject: job.reject };
    environment.worker.postMessage({ id, event: job.event } as Invocation);
  };

  const release = (environment: Environment): void => {
    environment.busy = false;
    environment.current = undefined;
    const job = queue.shift();
    if (job !== undefined) run(environment, job);
  };

  const startEnvironment = async (): Promise<Environment> => {
    const number = ++started;
    const begun = performance.now();
    const worker = new Worker(options.build.host, {
      env: options.env,
      execArgv: [],
      stdout: true,
      workerData: { bundleUrl: pathToFileURL(options.build.bundles[options.name]).href } satisfies FunctionHostData,
    });
    createInterface({ input: worker.stdout }).on('line', (line) => options.onLog?.(options.name, line));
    const environment: Environment = { worker, busy: true, dead: false, current: undefined };
    const fail = (error: Error): void => {
      environment.dead = true;
      environment.current?.reject(error);
      environment.current = undefined;
      const index = environments.indexOf(environment);
      if (index >= 0) environments.splice(index, 1);
    };
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (message: HostMessage) => {
        if (message.kind === 'ready') {
          resolve();
          return;
        }
        const current = environment.current;
        if (current === undefined || current.id !== message.id) return;
        if (message.result === undefined) current.reject(new FunctionFailedError(`the ${options.name} function threw`));
        else current.resolve(message.result);
        release(environment);
      });
      worker.once('error', (error) => {
        const failure = new FunctionFailedError(`the ${options.name} function failed: ${error.message}`);
        reject(failure);
        fail(failure);
      });
      worker.once('exit', (code) => {
        const failure = new FunctionFailedError(`the ${options.name} function stopped (exit code ${code})`);
        reject(failure);
        fail(failure);
      });
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    if (stopping) {
      await worker.terminate();
      throw new FunctionFailedError(`the ${options.name} function is stopping`);
    }
    options.onColdStart?.(options.name, number, performance.now() - begun);
    environments.push(environment);
    return environment;
  };

  const first = await startEnvironment();
  release(first);

  return {
    invoke: (event) =>
      new Promise((resolve, reject) => {
        if (stopping) {
          reject(new FunctionFailedError(`the ${options.name} function is stopping`));
          return;
        }
        const job = { event, resolve, reject };
        const idle = environments.find((environment) => !environment.busy && !environment.dead);
        if (idle !== undefined) {
          run(idle, job);
          return;
        }
        queue.push(job);
        if (environments.length + starting >= options.maxEnvironments) return;
        starting += 1;
        startEnvironment().then(
          (environment) => {
            starting -= 1;
            release(environment);
          },
          (error: unknown) => {
            starting -= 1;
            // A function that cannot start fails what waits for it, rather than leaving it queued forever.
            if (environments.length === 0) for (const waiting of queue.splice(0)) waiting.reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }),
    environments: () => started,
    stop: async () => {
      stopping = true;
      for (const waiting of queue.splice(0)) waiting.reject(new FunctionFailedError(`the ${options.name} function is stopping`));
      await Promise.all(environments.splice(0).map((environment) => environment.worker.terminate()));
    },
  };
}
