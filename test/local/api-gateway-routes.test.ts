import { createServer, type Server } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createApiGatewayListener, type RouteTarget } from '../../local/api-gateway-adapter.js';
import { closeServer } from '../../local/close-server.js';

/** The adapter picks routes as an HTTP API does: exact, then ANY, then the longest greedy `{proxy+}`, then `$default`. */
let server: Server;
let origin = '';
const seen: { name: string; event: APIGatewayProxyEventV2 }[] = [];
const named = (name: string): RouteTarget => async (event) => {
  seen.push({ name, event });
  return { statusCode: 200, body: name };
};

beforeAll(async () => {
  const routes = new Map<string, RouteTarget>([
    ['GET /api/special', named('exact')],
    ['ANY /api/{proxy+}', named('greedy')],
    ['ANY /api/deep/{proxy+}', named('deeper')],
    ['$default', named('default')],
  ]);
  server = createServer(createApiGatewayListener({ routes, domainName: 'localhost' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

afterAll(() => closeServer(server));

beforeEach(() => {
  seen.length = 0;
});

test.each([
  ['GET', '/api/special', 'exact', 'GET /api/special'],
  ['POST', '/api/special', 'greedy', 'ANY /api/{proxy+}'],
  ['DELETE', '/api/orders/42', 'greedy', 'ANY /api/{proxy+}'],
  ['GET', '/api/deep/x', 'deeper', 'ANY /api/deep/{proxy+}'],
  ['GET', '/api/', 'default', '$default'],
  ['GET', '/api', 'default', '$default'],
  ['GET', '/elsewhere', 'default', '$default'],
])('%s %s goes to the %s route, with routeKey %s', async (method, path, name, routeKey) => {
  const response = await fetch(`${origin}${path}`, { method });
  expect(await response.text()).toBe(name);
  expect(seen[0]?.event.routeKey).toBe(routeKey);
});

test('a greedy route gets the rest of the path, decoded, in pathParameters.proxy; rawPath stays as sent', async () => {
  await fetch(`${origin}/api/a%20b/c?x=1`);
  expect(seen[0]?.event.pathParameters).toEqual({ proxy: 'a b/c' });
  expect(seen[0]?.event.rawPath).toBe('/api/a%20b/c');
  expect(seen[0]?.event.rawQueryString).toBe('x=1');
});

test('a body over API Gateway\'s 10 MB: 413 from the gateway, the route never runs', async () => {
  const response = await fetch(`${origin}/api/upload`, { method: 'POST', body: Buffer.alloc(10 * 1024 * 1024 + 1), headers: { 'content-type': 'application/octet-stream' } });
  expect(response.status).toBe(413);
  expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
  expect(seen).toEqual([]);
});
