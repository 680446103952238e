import { calculateCodeChallenge } from '../../lambdas/core/pkce.js';
import { hashBindingSecret } from '../../lambdas/core/binding.js';
import { randomToken } from '../../lambdas/core/encoding.js';
import { METRICS_NAMESPACE } from '../../lambdas/core/metrics.js';
import { scanAll } from '../support/dynamodb.js';
import { createTestFlow, TEST_ISSUER, type TestFlow } from '../support/flow.js';
import { expectRejection } from '../support/handler-expectations.js';
import { lastLog } from '../support/logs.js';
import { expectSecurityHeaders } from '../support/responses.js';
import { expectNothingWritten } from '../support/table-snapshot.js';

let flow: TestFlow;

beforeEach(async () => {
  flow = await createTestFlow();
});

afterEach(() => flow.close());

describe('GET /login', () => {
  test('answers 302 to /authorize with every parameter, the binding cookie and the security headers', async () => {
    const login = await flow.login();
    expect(login.response.statusCode).toBe(302);
    expectSecurityHeaders(login.response);
    expect(login.response.body).toBe('');
    expect(`${login.authorizeUrl.origin}${login.authorizeUrl.pathname}`).toBe(`${TEST_ISSUER}authorize`);
    const item = await flow.item(login.transactionId);
    expect([...login.authorizeUrl.searchParams]).toEqual([
      ['response_type', 'code'],
      ['client_id', 'test-client'],
      ['redirect_uri', 'https://login.example.test/callback'],
      ['scope', 'openid profile email'],
      ['audience', 'https://api.example.test'],
      ['state', login.state],
      ['code_challenge', calculateCodeChallenge(item?.codeVerifier?.S ?? '')],
      ['code_challenge_method', 'S256'],
      ['nonce', item?.nonce?.S],
    ]);
    expect(login.response.cookies).toEqual([`__Host-login-binding=${login.bindingSecret}; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax`]);
  });

  test('stores exactly one pending transaction: state hash as key, verifier, nonce, binding hash, times', async () => {
    const login = await flow.login();
    const items = await scanAll(flow.client, flow.tableName);
    expect(items).toHaveLength(1);
    expect(items[0]).toEqual({
      id: { S: login.transactionId },
      status: { S: 'pending' },
      codeVerifier: { S: items[0]?.codeVerifier?.S },
      nonce: { S: login.authorizeUrl.searchParams.get('nonce') },
      bindingHash: { S: hashBindingSecret(login.bindingSecret) },
      createdAt: { N: String(flow.clock.nowMs) },
      expiresAt: { N: String(Math.floor(flow.clock.nowMs / 1000) + 600) },
    });
    // The table never holds a usable state or the browser's secret.
    expect(JSON.stringify(items)).not.toContain(login.state);
    expect(JSON.stringify(items)).not.toContain(login.bindingSecret);
  });

  test('logs one line: route, outcome, latency and the LoginsStarted metric', async () => {
    await flow.login();
    expect(flow.logs).toHaveLength(1);
    const log = lastLog(flow.logs);
    expect(log).toMatchObject({ level: 'info', route: 'GET /login', status: 302, outcome: 'started', LoginsStarted: 1 });
    expect(log._aws?.CloudWatchMetrics).toEqual([{ Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: 'LoginsStarted', Unit: 'Count' }] }]);
    expect(typeof log.latencyMs).toBe('number');
  });

  test('stores a same-origin returnTo with the transaction', async () => {
    const login = await flow.login('returnTo=%2Faccount%3Ftab%3D1');
    expect((await flow.item(login.transactionId))?.returnTo).toEqual({ S: '/account?tab=1' });
  });

  test('drops a foreign returnTo and still starts the login', async () => {
    const login = await flow.login('returnTo=https%3A%2F%2Fevil.example%2F');
    expect(login.response.statusCode).toBe(302);
    expect((await flow.item(login.transactionId))?.returnTo).toBeUndefined();
  });

  test("reuses the browser's valid binding secret and sends the cookie again", async () => {
    const secret = randomToken();
    const login = await flow.login('', secret);
    expect(login.bindingSecret).toBe(secret);
    expect((await flow.item(login.transactionId))?.bindingHash).toEqual({ S: hashBindingSecret(secret) });
  });

  test('replaces a malformed binding cookie with a fresh secret', async () => {
    const login = await flow.login('', 'not-a-valid-secret');
    expect(login.bindingSecret).not.toBe('not-a-valid-secret');
    expect(login.bindingSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('passes the allow-listed extras to /authorize and ignores any other parameter', async () => {
    const login = await flow.login('prompt=login&connection=github&client_id=evil&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=admin');
    const params = login.authorizeUrl.searchParams;
    expect(params.get('prompt')).toBe('login');
    expect(params.get('connection')).toBe('github');
    expect(params.getAll('client_id')).toEqual(['test-client']);
    expect(params.getAll('redirect_uri')).toEqual(['https://login.example.test/callback']);
    expect(params.getAll('scope')).toEqual(['openid profile email']);
  });

  test.each([
    ['an invalid prompt', 'prompt=bogus', 'invalid_parameter', 'The sign-in link has an invalid &#34;prompt&#34; parameter.'],
    ['an oversized login_hint', `login_hint=${'a'.repeat(257)}`, 'invalid_parameter', 'The sign-in link has an invalid &#34;login_hint&#34; parameter.'],
    ['malformed percent-encoding', 'returnTo=%E0%A4%A', 'malformed_query', 'The sign-in link is malformed.'],
    ['a duplicated parameter', 'prompt=login&prompt=none', 'malformed_query', 'The sign-in link is malformed.'],
    ['too many parameters', Array.from({ length: 33 }, (_, index) => `p${index}=1`).join('&'), 'malformed_query', 'The sign-in link is malformed.'],
  ])('rejects %s with 400, writes nothing and sets no cookie', async (_label, query, reason, message) => {
    const login = await expectNothingWritten(flow, () => flow.login(query));
    expectRejection(login.response, flow.logs, 400, reason);
    expect(login.response.body).toContain(`<p>${message}</p>`);
    expect(lastLog(flow.logs)).toMatchObject({ route: 'GET /login', LoginsRejected: 1 });
  });
});
