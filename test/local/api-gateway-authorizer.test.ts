import { createServer, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createApiGatewayListener, type AuthorizerContext, type LocalAuthorizer, type RouteTarget } from '../../local/api-gateway-adapter.js';
import { closeServer } from '../../local/close-server.js';

/**
 * The local adapter runs a route's Lambda authorizer the way API Gateway's HTTP API does: identity
 * source first (401 without it, the authorizer not called), `isAuthorized: false` → 403, a failing
 * authorizer → 500, both with API Gateway's own bodies; the context reaches the route; answers cached
 * per identity only when a TTL is set. It also hands request bodies over as API Gateway does.
 */
let server: Server;
let baseUrl = '';
const routes = new Map<string, RouteTarget>();
const seenByRoute: APIGatewayProxyEventV2[] = [];
const seenByAuthorizer: APIGatewayRequestAuthorizerEventV2[] = [];

const route: RouteTarget = async (event) => {
  seenByRoute.push(event);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true }) };
};

function authorizer(identitySource: string[], cacheTtlSeconds: number): LocalAuthorizer {
  return {
    identitySource,
    cacheTtlSeconds,
    handler: async (event) => {
      seenByAuthorizer.push(event);
      const cookie = event.cookies.find((value) => value.startsWith('session='))?.slice('session='.length);
      if (cookie === 'explode') throw new Error('authorizer failed');
      const context: AuthorizerContext = cookie === 'good' ? { authenticated: true, sub: 'alice' } : {};
      return { isAuthorized: cookie === 'good', context };
    },
  };
}

beforeAll(async () => {
  routes.set('GET /api', { handler: route, authorizer: authorizer(['$request.header.Cookie'], 0) });
  routes.set('GET /cached', { handler: route, authorizer: authorizer(['$request.header.Cookie'], 60) });
  routes.set('GET /page', { handler: route, authorizer: authorizer(['$context.requestId'], 0) });
  routes.set('POST /form', route);
  server = createServer(createApiGatewayListener({ routes, domainName: 'localhost' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

afterAll(() => closeServer(server));

beforeEach(() => {
  seenByRoute.length = 0;
  seenByAuthorizer.length = 0;
});

async function get(path: string, cookie?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, { headers: cookie === undefined ? {} : { cookie } });
  return { status: response.status, body: await response.json() };
}

test('without the identity source: 401 with API Gateway\'s body, and the authorizer is never called', async () => {
  expect(await get('/api')).toEqual({ status: 401, body: { message: 'Unauthorized' } });
  expect(seenByAuthorizer).toHaveLength(0);
  expect(seenByRoute).toHaveLength(0);
});

test('denied: 403 with API Gateway\'s body, and the route is never called', async () => {
  expect(await get('/api', 'session=bad')).toEqual({ status: 403, body: { message: 'Forbidden' } });
  expect(seenByRoute).toHaveLength(0);
});

test('a failing authorizer: 500, the route never called', async () => {
  expect(await get('/api', 'session=explode')).toEqual({ status: 500, body: { message: 'Internal Server Error' } });
  expect(seenByRoute).toHaveLength(0);
});

test('allowed: the authorizer gets a payload 2.0 REQUEST event; the route gets its context, which a request header cannot set', async () => {
  const response = await fetch(`${baseUrl}/api`, { headers: { cookie: 'theme=dark; session=good', 'x-amzn-authorizer': 'forged' } });
  expect(response.status).toBe(200);
  expect(seenByAuthorizer[0]).toMatchObject({
    version: '2.0',
    type: 'REQUEST',
    routeKey: 'GET /api',
    identitySource: ['theme=dark; session=good'],
    cookies: ['theme=dark', 'session=good'],
  });
  expect(seenByRoute[0]?.requestContext).toMatchObject({ authorizer: { lambda: { authenticated: true, sub: 'alice' } } });
});

test('with caching off every request asks the authorizer; with a TTL, one answer per identity', async () => {
  await get('/api', 'session=good');
  await get('/api', 'session=good');
  expect(seenByAuthorizer).toHaveLength(2);
  seenByAuthorizer.length = 0;
  await get('/cached', 'session=good');
  await get('/cached', 'session=good');
  await get('/cached', 'session=bad');
  await get('/cached', 'session=bad');
  expect(seenByAuthorizer.map((event) => event.identitySource[0])).toEqual(['session=good', 'session=bad']);
});

test('a $context.requestId identity source is always present and never shared: a page reaches its authorizer without cookies', async () => {
  expect((await get('/page')).status).toBe(403);
  await get('/page');
  expect(seenByAuthorizer).toHaveLength(2);
  expect(seenByAuthorizer[0]?.identitySource[0]).not.toBe(seenByAuthorizer[1]?.identitySource[0]);
});

test('request bodies: a form post arrives base64-encoded, JSON as text, like an HTTP API hands them over', async () => {
  await fetch(`${baseUrl}/form`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'logout_token=a.b.c' });
  await fetch(`${baseUrl}/form`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  expect(seenByRoute[0]).toMatchObject({ isBase64Encoded: true, body: Buffer.from('logout_token=a.b.c').toString('base64') });
  expect(seenByRoute[1]).toMatchObject({ isBase64Encoded: false, body: '{"a":1}' });
});
