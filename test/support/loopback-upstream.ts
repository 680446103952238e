import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { closeServer } from '../../local/close-server.js';

/** What reached the stand-in API: the request line's target, the headers and the body, as received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type UpstreamRoute = (request: ReceivedRequest, response: ServerResponse) => void;

export interface LoopbackUpstream {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly received: ReceivedRequest[];
  /** Answers requests whose path (without query) is `path`; anything else gets 404. */
  route(path: string, answer: UpstreamRoute): void;
  stop(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 and a port picked at run time, standing in for the API behind the proxy. */
export async function startLoopbackUpstream(): Promise<LoopbackUpstream> {
  const routes = new Map<string, UpstreamRoute>();
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      const answer = routes.get(entry.url.split('?', 1)[0] ?? '');
      if (answer === undefined) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end('{"error":"not_found"}');
        return;
      }
      answer(entry, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    received,
    route: (path, answer) => routes.set(path, answer),
    stop: () => closeServer(server),
  };
}
