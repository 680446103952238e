import { Agent, createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../../../local/close-server.js';
import { CALLBACK_ROUTE } from '../../../lambdas/callback/app.js';
import { SIGNED_IN_ROUTE } from '../../../lambdas/session/app.js';
import { BINDING_COOKIE_NAME } from '../../../lambdas/core/binding.js';
import { LOGIN_ROUTE } from '../../../lambdas/login/app.js';
import { createApiGatewayListener, type LambdaHttpHandler } from '../../../local/api-gateway-adapter.js';
import { TEST_ISSUER, callbackQuery, testConfig } from '../../support/flow.js';
import { FunctionTimeoutExceeded } from './deadline.js';
import { wireHandlers, type HandlerOptions } from '../../support/handlers.js';

/**
 * Both functions behind the payload-2.0 adapter on a real loopback HTTP server, wired like
 * createTestFlow, so the suites that need sockets (load, outages, log capture) exercise the same
 * path as the local stack. Options are wireHandlers' except the config: the stack's base URL is its
 * own loopback origin.
 */
export type HttpStackOptions = Omit<HandlerOptions, 'config'>;

export interface HttpStack {
  readonly origin: string;
  /** Every request log line, formatted as the functions write it. */
  readonly logs: string[];
  /** The most requests the handlers were working on at the same moment. */
  peakInFlight(): number;
  close(): Promise<void>;
}

/** Above Node's default of 511, so 1,000 simultaneous connects are not dropped and retried by SYN back-off. */
const LISTEN_BACKLOG = 4096;

export async function startHttpStack(options: HttpStackOptions): Promise<HttpStack> {
  const server = createServer();
  const origin = await listenOnLoopback(server, LISTEN_BACKLOG);
  const handlers = wireHandlers({ ...options, config: testConfig({ baseUrl: origin }) });
  const routes = new Map<string, LambdaHttpHandler>([
    [LOGIN_ROUTE, handlers.login],
    [CALLBACK_ROUTE, handlers.callback],
    [SIGNED_IN_ROUTE, handlers.session],
  ]);
  server.on('request', createApiGatewayListener({ routes, domainName: '127.0.0.1' }));
  return {
    origin,
    logs: handlers.logs,
    peakInFlight: handlers.peakInFlight,
    close: () => closeServer(server),
  };
}

/** Listens on 127.0.0.1 on a port the kernel picks, and returns the server's origin. */
export async function listenOnLoopback(server: Server, backlog?: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, ...(backlog === undefined ? {} : { backlog }) }, () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}


export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly elapsedMs: number;
}

/** No cap on sockets: Node's agent must not queue requests a suite means to have in flight at once. */
export function uncappedAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: Infinity, maxTotalSockets: Infinity });
}

/** `timeoutMs` fails the request with FunctionTimeoutExceeded when no answer came in that long. */
export function httpGet(agent: Agent, url: string, cookieHeader?: string, timeoutMs?: number): Promise<HttpAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent, method: 'GET', headers: cookieHeader === undefined ? {} : { cookie: cookieHeader } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          elapsedMs: performance.now() - started,
        }),
      );
    });
    outgoing.on('error', reject);
    if (timeoutMs !== undefined) {
      outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new FunctionTimeoutExceeded(`GET ${url} did not answer within ${timeoutMs} ms`)));
    }
    outgoing.end();
  });
}

/** One browser: its own cookie jar, so every flow carries its own binding cookie. */
export class Browser {
  private readonly jar = new Map<string, string>();

  constructor(
    private readonly origin: string,
    private readonly agent: Agent,
    /** Give up on any answer slower than this, e.g. the function timeout. */
    private readonly timeoutMs?: number,
  ) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  /** The same browser (its cookies) on other connections. */
  on(agent: Agent): Browser {
    const moved = new Browser(this.origin, agent, this.timeoutMs);
    for (const [name, value] of this.jar) moved.jar.set(name, value);
    return moved;
  }

  async get(pathAndQuery: string): Promise<HttpAnswer> {
    const cookieHeader = this.jar.size === 0 ? undefined : [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const answer = await httpGet(this.agent, `${this.origin}${pathAndQuery}`, cookieHeader, this.timeoutMs);
    for (const line of answer.headers['set-cookie'] ?? []) {
      const pair = line.split(';', 1)[0] ?? '';
      const separator = pair.indexOf('=');
      if (separator > 0) this.jar.set(pair.slice(0, separator), pair.slice(separator + 1));
    }
    return answer;
  }
}

export interface HttpFlow {
  readonly login: HttpAnswer;
  /** Absent when the login did not redirect to the provider. */
  readonly callback?: HttpAnswer;
  readonly state?: string;
  readonly bindingSecret?: string;
}

/** Login, then the provider's redirect back with `code` (and `iss`, as a provider that supports RFC 9207 sends it). */
export async function runHttpFlow(browser: Browser, code: string): Promise<HttpFlow> {
  const login = await browser.get('/login');
  if (login.status !== 302) return { login };
  const state = new URL(login.headers.location ?? '').searchParams.get('state') ?? '';
  const callback = await browser.get(`/callback?${callbackQuery({ code, state, iss: TEST_ISSUER })}`);
  return { login, callback, state, bindingSecret: browser.cookie(BINDING_COOKIE_NAME) };
}
