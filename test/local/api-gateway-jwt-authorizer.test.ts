import { createServer, type Server } from 'node:http';
import { generateKeyPair, SignJWT } from 'jose';
import { WHOAMI_ROUTE, whoami } from '../../lambdas/demo-api/app.js';
import { createApiGatewayListener, type LambdaHttpHandler, type RouteTarget } from '../../local/api-gateway-adapter.js';
import { closeServer } from '../../local/close-server.js';
import { keyPair, signJwt, base64UrlJson, type KeyPair } from '../support/signing-keys.js';

/**
 * The local adapter runs API Gateway's JWT authorizer in front of the demo API: the signature
 * against the issuer's JWKS (served here on loopback), `iss`, `aud`, `exp`, `nbf`, the route's
 * scopes; 401 (403 for a missing scope, as API Gateway answers) with API Gateway's bodies, and the
 * route never runs. Tokens are real, signed by jose with a test key.
 */
const ISSUER = 'https://issuer.example.test/';
const AUDIENCE = 'https://api.example.test';
let jwksServer: Server;
let apiServer: Server;
let apiUrl = '';
let key: KeyPair;
let strangerKey: KeyPair;
let routeCalls = 0;

function listenOnLoopback(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`);
    }),
  );
}

beforeAll(async () => {
  [key, strangerKey] = await Promise.all([keyPair('test-key', 'RS256'), keyPair('test-key', 'RS256')]);
  jwksServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [key.jwk] }));
  });
  const jwksOrigin = await listenOnLoopback(jwksServer);
  const counted: LambdaHttpHandler = async (event) => {
    routeCalls += 1;
    return whoami(event as Parameters<typeof whoami>[0]);
  };
  const jwtAuthorizer = { issuer: ISSUER, audience: [AUDIENCE], jwksUri: `${jwksOrigin}/.well-known/jwks.json` };
  const routes = new Map<string, RouteTarget>([
    [WHOAMI_ROUTE, { handler: counted, jwtAuthorizer }],
    ['GET /api-demo/orders', { handler: counted, jwtAuthorizer: { ...jwtAuthorizer, scopes: ['read:orders'] } }],
  ]);
  apiServer = createServer(createApiGatewayListener({ routes, domainName: 'localhost' }));
  apiUrl = await listenOnLoopback(apiServer);
});

afterAll(async () => {
  await Promise.all([closeServer(apiServer), closeServer(jwksServer)]);
});

beforeEach(() => {
  routeCalls = 0;
});

const now = (): number => Math.floor(Date.now() / 1000);

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', scope: 'openid read:orders', iat: now(), exp: now() + 300, ...overrides };
}

async function call(path: string, token: string | undefined, scheme = 'Bearer'): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${apiUrl}${path}`, { headers: token === undefined ? {} : { authorization: `${scheme} ${token}` } });
  return { status: response.status, body: await response.json() };
}

test('a valid access token reaches the demo API, which answers its sub and scopes', async () => {
  expect(await call('/api-demo/whoami', await signJwt(claims(), key, 'at+jwt'))).toEqual({ status: 200, body: { sub: 'user-1', scopes: ['openid', 'read:orders'] } });
  expect(await call('/api-demo/whoami', await signJwt(claims({ aud: ['other', AUDIENCE] }), key, 'at+jwt'))).toMatchObject({ status: 200 });
});

const UNAUTHORIZED = { status: 401, body: { message: 'Unauthorized' } };

test.each<[string, () => Promise<string | undefined>]>([
  ['no Authorization header', async () => undefined],
  ['another issuer', () => signJwt(claims({ iss: 'https://other.example.test/' }), key, 'at+jwt')],
  ['another audience', () => signJwt(claims({ aud: 'https://other-api.example.test' }), key, 'at+jwt')],
  ['no audience', () => signJwt(claims({ aud: undefined }), key, 'at+jwt')],
  ['expired', () => signJwt(claims({ exp: now() - 1 }), key, 'at+jwt')],
  ['no expiry', () => signJwt(claims({ exp: undefined }), key, 'at+jwt')],
  ['not yet valid', () => signJwt(claims({ nbf: now() + 300 }), key, 'at+jwt')],
  ['signed by another key with the same kid', () => signJwt(claims(), strangerKey, 'at+jwt')],
  ['a tampered payload', async () => {
    const [header, , signature] = (await signJwt(claims(), key, 'at+jwt')).split('.');
    return `${header}.${base64UrlJson(claims({ sub: 'admin' }))}.${signature}`;
  }],
  ['alg none', async () => `${base64UrlJson({ alg: 'none', typ: 'at+jwt' })}.${base64UrlJson(claims())}.`],
  ['an HMAC token', async () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: 'test-key' }).sign(new TextEncoder().encode('a shared secret of thirty-two bytes!'))],
  ['an ES256 token (API Gateway verifies RSA only)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    return new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: 'test-key' }).sign(privateKey);
  }],
  ['garbage', async () => 'not.a.jwt'],
])('%s: 401 from the gateway, the route never runs', async (_case, token) => {
  expect(await call('/api-demo/whoami', await token())).toEqual(UNAUTHORIZED);
  expect(routeCalls).toBe(0);
});

test('a token sent without the Bearer scheme: 401', async () => {
  expect(await call('/api-demo/whoami', await signJwt(claims(), key, 'at+jwt'), 'Basic')).toEqual(UNAUTHORIZED);
});

test('a route with authorization scopes needs one of them in the token\'s scope: 403 without', async () => {
  expect(await call('/api-demo/orders', await signJwt(claims({ scope: 'openid profile' }), key, 'at+jwt'))).toEqual({ status: 403, body: { message: 'Forbidden' } });
  expect(await call('/api-demo/orders', await signJwt(claims({ scope: undefined }), key, 'at+jwt'))).toEqual({ status: 403, body: { message: 'Forbidden' } });
  expect(routeCalls).toBe(0);
  expect((await call('/api-demo/orders', await signJwt(claims(), key, 'at+jwt'))).status).toBe(200);
});
