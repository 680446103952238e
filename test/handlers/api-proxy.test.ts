import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { API_PROXY_ROUTE, createApiProxyHandler, type ApiProxyDependencies } from '../../lambdas/api-proxy/app.js';
import { MAX_REQUEST_BODY_BYTES, MAX_UPSTREAM_RESPONSE_BYTES } from '../../lambdas/core/proxy/limits.js';
import { PROXIED_CONTENT_SECURITY_POLICY } from '../../lambdas/core/http.js';
import { SESSION_COOKIE_NAME } from '../../lambdas/core/session/session.js';
import type { AccessTokenOutcome, AccessTokenSource } from '../../lambdas/core/token/access-token-outcome.js';
import { createHttpClient, type HttpClient } from '../../lambdas/shared/http-client.js';
import { formatRequestLog } from '../../lambdas/shared/request-log.js';
import { toApiGatewayEvent } from '../../local/api-gateway-adapter.js';
import { startLoopbackUpstream, type LoopbackUpstream } from '../support/loopback-upstream.js';
import { lastLog } from '../support/logs.js';

/**
 * The proxy against a real HTTP server standing in for the API, through the functions' own bounded
 * client: what arrives upstream (path, query, headers, body, the access token) and what the
 * browser gets back. The session's token source is injected: it is tested on its own against
 * DynamoDB Local and the embedded provider.
 */
const BASE_URL = 'https://login.example.test';
const ACCESS_TOKEN = 'eyJ.access-token-of-the-session.sig';
const COOKIE = `${SESSION_COOKIE_NAME}=browser-session-secret`;
const TOKEN: AccessTokenOutcome = { kind: 'token', accessToken: ACCESS_TOKEN, expiresAt: 0, scope: 'openid read:orders', sub: 'user-1' };

let upstream: LoopbackUpstream;
let client: HttpClient;
const logs: string[] = [];
let outcome: AccessTokenOutcome = TOKEN;
const cookiesSeen: (readonly string[] | undefined)[] = [];
const tokens: AccessTokenSource = {
  forRequest: async (cookies) => {
    cookiesSeen.push(cookies);
    return outcome;
  },
};

function handlerWith(overrides: Partial<ApiProxyDependencies> = {}) {
  return createApiProxyHandler({
    config: { baseUrl: BASE_URL, apiUrl: `${upstream.origin}/svc/v1` },
    tokens,
    upstream: client.fetch,
    log: (entry) => logs.push(formatRequestLog(entry, Date.now())),
    ...overrides,
  });
}

interface Call {
  readonly method?: string;
  readonly url: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: Buffer;
}

function eventFor({ method = 'GET', url, headers = {}, body }: Call): APIGatewayProxyEventV2 {
  return toApiGatewayEvent({ method, url, headers: { cookie: COOKIE, ...headers }, sourceIp: '127.0.0.1', routeKey: API_PROXY_ROUTE, domainName: 'login.example.test', ...(body === undefined ? {} : { body }) });
}

const STATE_CHANGING = { origin: BASE_URL, 'x-csrf': '1' };

beforeAll(async () => {
  upstream = await startLoopbackUpstream();
  client = createHttpClient({ connectTimeoutMs: 1_000, totalTimeoutMs: 1_000, maxResponseBytes: MAX_UPSTREAM_RESPONSE_BYTES });
  upstream.route('/svc/v1/orders/42', (request, response) => {
    response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/json', etag: '"v1"' });
    response.end(request.body.length > 0 ? request.body : '{"order":42}');
  });
  upstream.route('/svc/v1/cookies', (_request, response) => {
    response.writeHead(200, {
      'content-type': 'text/html',
      'set-cookie': ['__Host-session=attacker; Path=/; Secure', 'tracker=1'],
      'access-control-allow-origin': 'https://evil.example',
      'access-control-allow-credentials': 'true',
      'cache-control': 'public, max-age=86400',
      'content-security-policy': "script-src 'unsafe-inline'",
      connection: 'keep-alive, x-hop',
      'x-hop': 'hop',
      'keep-alive': 'timeout=5',
    });
    response.end('<script>alert(1)</script>');
  });
  upstream.route('/svc/v1/redirect', (_request, response) => {
    response.writeHead(302, { location: `${upstream.origin}/svc/v1/orders/42` });
    response.end();
  });
  upstream.route('/svc/v1/slow', () => undefined);
  upstream.route('/svc/v1/big', (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    response.end(Buffer.alloc(MAX_UPSTREAM_RESPONSE_BYTES + 1));
  });
  upstream.route('/svc/v1/largest', (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    response.end(Buffer.alloc(MAX_UPSTREAM_RESPONSE_BYTES, 7));
  });
});

afterAll(async () => {
  client.close();
  await upstream.stop();
});

beforeEach(() => {
  outcome = TOKEN;
  upstream.received.length = 0;
  cookiesSeen.length = 0;
});

describe('forwarding', () => {
  test('GET /api/orders/42?… reaches <apiUrl>/orders/42?… with the session\'s access token, and the answer comes back', async () => {
    const response = await handlerWith()(eventFor({ url: '/api/orders/42?expand=items&x=%20y', headers: { accept: 'application/json' } }));
    expect(response.statusCode).toBe(200);
    expect(Buffer.from(response.body ?? '', 'base64').toString()).toBe('{"order":42}');
    expect(response.isBase64Encoded).toBe(true);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', etag: '"v1"', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    const [arrived] = upstream.received;
    expect(arrived?.url).toBe('/svc/v1/orders/42?expand=items&x=%20y');
    expect(arrived?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(arrived?.headers.accept).toBe('application/json');
    expect(cookiesSeen).toEqual([[COOKIE]]);
    expect(lastLog(logs)).toMatchObject({ route: API_PROXY_ROUTE, status: 200, outcome: 'forwarded' });
  });

  test('the browser\'s cookie, Authorization, hop-by-hop and edge headers never arrive upstream', async () => {
    await handlerWith()(eventFor({
      method: 'POST',
      url: '/api/orders/42',
      headers: {
        ...STATE_CHANGING,
        'content-type': 'application/json',
        authorization: 'Bearer forged-by-the-page',
        connection: 'x-private',
        'x-private': 'hop',
        'keep-alive': 'timeout=1',
        'proxy-authorization': 'Basic x',
        te: 'trailers',
        upgrade: 'websocket',
        'x-origin-verify': 'the-edge-secret',
        'x-amzn-trace-id': 'Root=1',
        'x-forwarded-for': '203.0.113.1',
      },
      body: Buffer.from('{"qty":1}'),
    }));
    const arrived = upstream.received[0];
    expect(arrived?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    for (const name of ['cookie', 'x-private', 'keep-alive', 'proxy-authorization', 'te', 'upgrade', 'x-origin-verify', 'x-amzn-trace-id', 'x-forwarded-for', 'x-csrf']) {
      expect(arrived?.headers[name]).toBeUndefined();
    }
    expect(arrived?.headers.host).toBe(new URL(upstream.origin).host);
    expect(arrived?.body.toString()).toBe('{"qty":1}');
  });

  test('binary bodies cross both ways byte for byte (base64 in the event and in the answer)', async () => {
    const bytes = randomBytes(64 * 1024);
    const response = await handlerWith()(eventFor({ method: 'PUT', url: '/api/orders/42', headers: { ...STATE_CHANGING, 'content-type': 'application/octet-stream' }, body: bytes }));
    expect(upstream.received[0]?.body.equals(bytes)).toBe(true);
    expect(upstream.received[0]?.headers['content-length']).toBe(String(bytes.length));
    expect(Buffer.from(response.body ?? '', 'base64').equals(bytes)).toBe(true);
  });

  test('the API cannot set a cookie, grant CORS, loosen our headers, or pass hop-by-hop headers; its caching yields to no-store', async () => {
    const response = await handlerWith()(eventFor({ url: '/api/cookies' }));
    expect(response.cookies).toBeUndefined();
    const names = Object.keys(response.headers);
    for (const name of ['set-cookie', 'access-control-allow-origin', 'access-control-allow-credentials', 'connection', 'x-hop', 'keep-alive']) expect(names).not.toContain(name);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-security-policy']).toBe(PROXIED_CONTENT_SECURITY_POLICY);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  test('a redirect from the API is not followed: the browser gets it as it is', async () => {
    const response = await handlerWith()(eventFor({ url: '/api/redirect' }));
    expect(response.statusCode).toBe(302);
    expect(upstream.received.map((request) => request.url)).toEqual(['/svc/v1/redirect']);
  });

  test('the token and the cookie never appear in the log', async () => {
    await handlerWith()(eventFor({ url: '/api/orders/42' }));
    await handlerWith()(eventFor({ url: '/api/../x' }));
    expect(logs.join('\n')).not.toContain(ACCESS_TOKEN);
    expect(logs.join('\n')).not.toContain('browser-session-secret');
  });
});

describe('refusals, before anything reaches the API', () => {
  test.each(['/api/../admin', '/api/%2e%2e/admin', '/api/orders%2f..%2f..%2fadmin', '/api//evil', '/api/..%5cadmin', '/api/%252e%252e/x'])('%s: 400 JSON, no token asked for', async (url) => {
    const response = await handlerWith()(eventFor({ url }));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'bad_path' });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(cookiesSeen).toEqual([]);
    expect(upstream.received).toEqual([]);
  });

  test.each([
    ['no Origin', { 'x-csrf': '1' }],
    ['no x-csrf', { origin: BASE_URL }],
    ['another Origin', { origin: 'https://evil.example', 'x-csrf': '1' }],
  ])('POST with %s: 403 JSON', async (_case, headers) => {
    const response = await handlerWith()(eventFor({ method: 'POST', url: '/api/orders/42', headers, body: Buffer.from('{}') }));
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'csrf_check_failed' });
    expect(upstream.received).toEqual([]);
  });

  test.each(['DELETE', 'PATCH', 'PUT'])('%s without the CSRF headers: 403', async (method) => {
    expect((await handlerWith()(eventFor({ method, url: '/api/orders/42' }))).statusCode).toBe(403);
  });

  test('a body over 10 MB: 413, nothing forwarded', async () => {
    const response = await handlerWith()(eventFor({ method: 'POST', url: '/api/orders/42', headers: { ...STATE_CHANGING, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1) }));
    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'payload_too_large' });
    expect(upstream.received).toEqual([]);
  });
});

describe('the session\'s outcomes', () => {
  test.each<[string, AccessTokenOutcome, number, string]>([
    ['no session (no cookie, or a dead one)', { kind: 'unauthenticated' }, 401, 'unauthenticated'],
    ['an expired token without a refresh token', { kind: 'reauthenticate', sessionEnded: false }, 401, 'reauthenticate'],
    ['a refresh the provider refused', { kind: 'reauthenticate', sessionEnded: true }, 401, 'reauthenticate'],
    ['the provider down during a refresh', { kind: 'provider_unavailable' }, 502, 'provider_unavailable'],
    ['another request still refreshing', { kind: 'refresh_in_progress' }, 503, 'refresh_in_progress'],
  ])('%s: %i {"error":"%s"}, nothing forwarded', async (_case, given, status, error) => {
    outcome = given;
    const response = await handlerWith()(eventFor({ url: '/api/orders/42' }));
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body ?? '')).toEqual({ error });
    expect(response.headers['content-type']).toBe('application/json');
    expect(upstream.received).toEqual([]);
  });

  test('the session cookie is cleared only when the session was ended', async () => {
    outcome = { kind: 'reauthenticate', sessionEnded: true };
    expect((await handlerWith()(eventFor({ url: '/api/orders/42' }))).cookies).toEqual([`${SESSION_COOKIE_NAME}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax`]);
    outcome = { kind: 'reauthenticate', sessionEnded: false };
    expect((await handlerWith()(eventFor({ url: '/api/orders/42' }))).cookies).toBeUndefined();
  });

  test('503 says when to retry', async () => {
    outcome = { kind: 'refresh_in_progress' };
    expect((await handlerWith()(eventFor({ url: '/api/orders/42' }))).headers['retry-after']).toBe('1');
  });

  test('without a cookie the token source is still asked (it decides), and says unauthenticated', async () => {
    outcome = { kind: 'unauthenticated' };
    const response = await handlerWith()(toApiGatewayEvent({ method: 'GET', url: '/api/orders/42', headers: {}, sourceIp: '127.0.0.1', routeKey: API_PROXY_ROUTE, domainName: 'x' }));
    expect(response.statusCode).toBe(401);
    expect(cookiesSeen).toEqual([undefined]);
  });
});

describe('the API\'s limits', () => {
  test('an API slower than the budget: 504 JSON', async () => {
    const response = await handlerWith()(eventFor({ url: '/api/slow' }));
    expect(response.statusCode).toBe(504);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'upstream_timeout' });
  });

  test('an answer larger than a Lambda response can carry: 502 with a clear error; the largest that fits passes', async () => {
    const tooLarge = await handlerWith()(eventFor({ url: '/api/big' }));
    expect(tooLarge.statusCode).toBe(502);
    expect(JSON.parse(tooLarge.body ?? '')).toEqual({ error: 'upstream_response_too_large' });
    const largest = await handlerWith()(eventFor({ url: '/api/largest' }));
    expect(largest.statusCode).toBe(200);
    // Lambda's synchronous response limit is 6 MB, the whole JSON result included.
    expect(JSON.stringify(largest).length).toBeLessThan(6 * 1024 * 1024);
  });

  test('an API that is not listening: 502 JSON', async () => {
    const response = await handlerWith({ config: { baseUrl: BASE_URL, apiUrl: 'http://127.0.0.1:9/svc' } })(eventFor({ url: '/api/orders/42' }));
    expect(response.statusCode).toBe(502);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'upstream_unavailable' });
  });
});
