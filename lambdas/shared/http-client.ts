import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * A `fetch` for the provider's token and JWKS endpoints, and for the API behind the token-handler
 * proxy, with the bounds Lambda needs and global fetch cannot be given without bundling undici: a
 * connect timeout, a timeout for the whole exchange, a cap on the answer's size, and keep-alive
 * connections that outlive an invocation. It never follows redirects and never retries: a code
 * works once, and a proxied request is the browser's to repeat.
 */
export interface HttpClientOptions {
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxResponseBytes: number;
}

export interface HttpRequestInit {
  readonly method?: string;
  readonly headers?: ConstructorParameters<typeof Headers>[0];
  /** Bytes are sent as they are (the proxy's bodies are binary-safe). */
  readonly body?: string | URLSearchParams | Uint8Array | null;
  readonly signal?: AbortSignal | null;
}

export type HttpFetch = (url: string, init?: HttpRequestInit) => Promise<Response>;

export interface HttpClient {
  readonly fetch: HttpFetch;
  /** TCP connections opened so far: one per origin when keep-alive works. */
  connectionsOpened(): number;
  /** Closes the kept-alive connections (tests and the bench; a function keeps them for its lifetime). */
  close(): void;
}

export class HttpTimeoutError extends Error {
  override readonly name = 'HttpTimeoutError';
}

export class HttpResponseTooLargeError extends Error {
  override readonly name = 'HttpResponseTooLargeError';
}

export const PROVIDER_HTTP_OPTIONS: HttpClientOptions = { connectTimeoutMs: 1_000, totalTimeoutMs: 5_000, maxResponseBytes: 256 * 1024 };

export function createHttpClient(options: HttpClientOptions = PROVIDER_HTTP_OPTIONS): HttpClient {
  let opened = 0;
  const agentOptions = { keepAlive: true, maxSockets: 8 };
  const agents = { 'http:': new HttpAgent(agentOptions), 'https:': new HttpsAgent(agentOptions) };

  const fetch: HttpFetch = (url, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        reject(new TypeError(`unsupported protocol ${target.protocol}`));
        return;
      }
      const headers = Object.fromEntries(new Headers(init.headers ?? {}).entries());
      const body = init.body === undefined || init.body === null ? undefined : init.body instanceof Uint8Array ? init.body : init.body.toString();
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      let settled = false;
      let request: ClientRequest | undefined;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(totalTimer);
        request?.destroy();
        reject(error);
      };
      const totalTimer = setTimeout(() => fail(new HttpTimeoutError(`no complete answer within ${options.totalTimeoutMs} ms`)), options.totalTimeoutMs);
      if (init.signal?.aborted === true) {
        fail(new HttpTimeoutError('aborted'));
        return;
      }
      init.signal?.addEventListener('abort', () => fail(new HttpTimeoutError('aborted')), { once: true });

      request = send(target, { method: init.method ?? 'GET', headers, agent: agents[target.protocol] }, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxResponseBytes) fail(new HttpResponseTooLargeError(`answer larger than ${options.maxResponseBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(totalTimer);
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value === undefined) continue;
            for (const single of Array.isArray(value) ? value : [value]) responseHeaders.append(name, single);
          }
          const status = response.statusCode ?? 502;
          const hasBody = status !== 204 && status !== 304 && !(status >= 100 && status < 200);
          resolve(new Response(hasBody ? Buffer.concat(chunks) : null, { status, headers: responseHeaders }));
        });
      });
      request.on('error', fail);
      request.on('socket', (socket) => {
        // A reused keep-alive socket is already connected; a new one gets connectTimeoutMs to connect.
        if (!socket.connecting) return;
        opened += 1;
        const connectTimer = setTimeout(() => fail(new HttpTimeoutError(`no connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('secureConnect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });
      request.end(body);
    });

  return {
    fetch,
    connectionsOpened: () => opened,
    close: () => {
      for (const agent of Object.values(agents)) agent.destroy();
    },
  };
}
