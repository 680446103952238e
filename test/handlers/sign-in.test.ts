import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { sessionIdForSecret } from '../../lambdas/core/session/session.js';
import type { HttpClient } from '../../lambdas/shared/http-client.js';
import { StoreUnavailableError } from '../../lambdas/shared/store-common.js';
import { closeServer } from '../../local/close-server.js';
import { ProviderCookies, signInAtProvider } from '../support/provider-sign-in.js';
import { callbackQuery, createTestFlow, FROM_OWN_PAGE, TEST_BASE_URL, type LoginResult, type TestFlow } from '../support/flow.js';
import { lastLog } from '../support/logs.js';
import { expectSecurePage, expectSecurityHeaders } from '../support/responses.js';
import { sessionSecretFrom, startTestProvider, testRedeemer, type TestProvider } from '../support/sign-in-flow.js';
import { scanAll } from '../support/dynamodb.js';
import { expectNothingWritten } from '../support/table-snapshot.js';

/**
 * The whole sign-in against DynamoDB Local and the embedded provider's real token endpoint and
 * JWKS: the code is consumed once, redeemed, its ID token verified, and the sign-in recorded
 * together with a session; then /me, /signed-in, expiry and sign-out.
 */
let provider: TestProvider;
const httpClients: HttpClient[] = [];
const flows: TestFlow[] = [];

beforeAll(async () => {
  provider = await startTestProvider();
});

afterAll(async () => {
  for (const flow of flows) flow.close();
  for (const http of httpClients) http.close();
  await provider.provider.stop();
});

async function signInFlow(overrides: Parameters<TestProvider['configFor']>[0] = {}, clientSecret?: string, wrap: Parameters<typeof createTestFlow>[0] = {}): Promise<TestFlow> {
  const partial = provider.configFor(overrides);
  // The config the handlers get is the one the redeemer gets: built once, by the test flow.
  let redeemerConfig: Parameters<typeof testRedeemer>[0] | undefined;
  const flow = await createTestFlow({
    ...wrap,
    config: partial,
    redeemer: {
      redeem: (request) => {
        if (redeemerConfig === undefined) throw new Error('flow not ready');
        const { redeemer, http } = testRedeemer(redeemerConfig, clientSecret ?? provider.clientSecret);
        httpClients.push(http);
        return redeemer.redeem(request);
      },
    },
  });
  redeemerConfig = flow.config;
  flows.push(flow);
  return flow;
}

/** Login, sign in as `user` at the provider, and hand its redirect to our callback. */
async function completeSignIn(flow: TestFlow, user: string, loginQuery = ''): Promise<{ login: LoginResult; callback: Awaited<ReturnType<TestFlow['callback']>> }> {
  const login = await flow.login(loginQuery);
  const redirect = await signInAtProvider(login.authorizeUrl.href, { login: user });
  expect(redirect.origin + redirect.pathname).toBe(`${TEST_BASE_URL}/callback`);
  const callback = await flow.callback(redirect.search.slice(1), login.bindingSecret);
  return { login, callback };
}

function json(body: string | undefined): Record<string, unknown> {
  return JSON.parse(body ?? '') as Record<string, unknown>;
}

describe('a successful sign-in', () => {
  let flow: TestFlow;
  beforeAll(async () => {
    flow = await signInFlow();
  });

  test('consumes the state, redeems the code, and records who signed in together with a session', async () => {
    const { login, callback } = await completeSignIn(flow, 'alice');
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe(`${TEST_BASE_URL}/signed-in`);
    const cookie = callback.cookies?.find((value) => value.startsWith('__Host-session='));
    expect(cookie).toMatch(/^__Host-session=[A-Za-z0-9_-]{43}; Max-Age=604800; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    expect(lastLog(flow.logs)).toMatchObject({ route: 'GET /callback', status: 303, outcome: 'signed_in' });

    const record = await flow.item(login.transactionId);
    expect(record?.status?.S).toBe('signed_in');
    expect(record?.sub?.S).toBe('alice');
    expect(JSON.parse(record?.claims?.S ?? '{}')).toEqual({ name: 'alice', email: 'alice@example.test', email_verified: true });
    expect(record?.codeVerifier).toBeUndefined();
    expect(record?.nonce).toBeUndefined();
    expect(record?.code?.S).toEqual(expect.any(String));

    const secret = sessionSecretFrom(callback) ?? '';
    const session = await flow.sessionItem(sessionIdForSecret(secret));
    expect(session?.sub?.S).toBe('alice');
    expect(session?.sid?.S).toEqual(expect.any(String));
    // Only the hash is stored: the cookie's secret appears nowhere in the table.
    expect(JSON.stringify(await scanAll(flow.client, flow.sessionTableName))).not.toContain(secret);
  });

  test('/me answers the kept claims and the expiry; /signed-in names the user and offers to sign out', async () => {
    const { callback } = await completeSignIn(flow, 'bob');
    const secret = sessionSecretFrom(callback);
    const me = await flow.me(secret);
    expect(me.statusCode).toBe(200);
    expectSecurityHeaders(me);
    expect(me.headers['content-type']).toBe('application/json');
    const body = json(me.body);
    expect(body).toMatchObject({ sub: 'bob', name: 'bob', email: 'bob@example.test', email_verified: true });
    expect(body.expiresAt).toBe(Math.floor(flow.clock.nowMs / 1000) + 86_400);

    const page = await flow.signedIn(secret);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Signed in as bob (bob@example.test).');
    expect(page.body).toContain(`<form method="post" action="${TEST_BASE_URL}/logout">`);
    // Never a dead end: /me always; the app's page only where the stack has one (this one has none).
    expect(page.body).toContain(`<a href="${TEST_BASE_URL}/me">`);
    expect(page.body).not.toContain('Open the app');
    expect(page.headers['content-security-policy']).toContain(`form-action 'self' ${new URL(provider.provider.issuer).origin}`);
  });

  test('without a session, /me is 401 JSON and /signed-in says so and links to /login', async () => {
    for (const secret of [undefined, 'not-a-session', 'A'.repeat(43)]) {
      const me = await flow.me(secret);
      expect(me.statusCode).toBe(401);
      expect(json(me.body)).toEqual({ error: 'unauthenticated' });
      const page = await flow.signedIn(secret);
      expectSecurePage(page, 200);
      expect(page.body).toContain('This browser is not signed in.');
      expect(page.body).toContain(`href="${TEST_BASE_URL}/login"`);
    }
  });

  test('the callback replayed after the sign-in is refused and makes no second session', async () => {
    const login = await flow.login();
    const redirect = await signInAtProvider(login.authorizeUrl.href, { login: 'carol' });
    expect((await flow.callback(redirect.search.slice(1), login.bindingSecret)).statusCode).toBe(303);
    const sessionsBefore = (await scanAll(flow.client, flow.sessionTableName)).length;
    const replay = await flow.callback(redirect.search.slice(1), login.bindingSecret);
    expect(replay.statusCode).toBe(409);
    expect(replay.cookies).toBeUndefined();
    expect(await scanAll(flow.client, flow.sessionTableName)).toHaveLength(sessionsBefore);
  });

  test('signing in again in the same browser ends the session its cookie named, in the same transaction', async () => {
    const first = sessionSecretFrom((await completeSignIn(flow, 'erin')).callback) ?? '';
    const login = await flow.login();
    const redirect = await signInAtProvider(login.authorizeUrl.href, { login: 'frank' });
    const second = sessionSecretFrom(await flow.callback(redirect.search.slice(1), login.bindingSecret, first)) ?? '';
    expect(second).not.toBe(first);
    expect(await flow.sessionItem(sessionIdForSecret(first))).toBeUndefined();
    expect((await flow.me(first)).statusCode).toBe(401);
    expect(json((await flow.me(second)).body)).toMatchObject({ sub: 'frank' });
  });

  test('a session cookie naming no session does not stop the new sign-in', async () => {
    const login = await flow.login();
    const redirect = await signInAtProvider(login.authorizeUrl.href, { login: 'grace' });
    const callback = await flow.callback(redirect.search.slice(1), login.bindingSecret, 'A'.repeat(43));
    expect(callback.statusCode).toBe(303);
    expect(json((await flow.me(sessionSecretFrom(callback))).body)).toMatchObject({ sub: 'grace' });
  });

  test('the callback replayed while signed in sends the browser to /signed-in, consuming and changing nothing', async () => {
    const login = await flow.login();
    const redirect = await signInAtProvider(login.authorizeUrl.href, { login: 'erin' });
    const secret = sessionSecretFrom(await flow.callback(redirect.search.slice(1), login.bindingSecret));
    expect(secret).toBeDefined();
    const sessionsBefore = await scanAll(flow.client, flow.sessionTableName);
    const replay = await expectNothingWritten(flow, () => flow.callback(redirect.search.slice(1), login.bindingSecret, secret));
    expect(replay.statusCode).toBe(303);
    expect(replay.headers.location).toBe(`${TEST_BASE_URL}/signed-in`);
    expect(replay.cookies).toBeUndefined();
    expectSecurityHeaders(replay);
    expect(await scanAll(flow.client, flow.sessionTableName)).toEqual(sessionsBefore);
    expect(lastLog(flow.logs)).toMatchObject({ status: 303, outcome: 'rejected', reason: 'already_completed' });
    // Without a session cookie the same replay still gets the page that says why.
    expect((await flow.callback(redirect.search.slice(1), login.bindingSecret)).statusCode).toBe(409);
  });

  test('returnTo is honoured after the sign-in', async () => {
    const { callback } = await completeSignIn(flow, 'dave', 'returnTo=%2Fdashboard%3Ftab%3D2');
    expect(callback.headers.location).toBe(`${TEST_BASE_URL}/dashboard?tab=2`);
  });
});

describe('the silent SSO check: /login?prompt=none', () => {
  let flow: TestFlow;
  beforeAll(async () => {
    flow = await signInFlow();
  });

  test('without a provider session: login_required sends the browser back to returnTo, unsigned, recorded as the label', async () => {
    const login = await flow.login('prompt=none&returnTo=%2Fhello%2Fpage%3Fsso%3Dchecked');
    expect(login.authorizeUrl.searchParams.get('prompt')).toBe('none');
    // The provider answers at once, showing no page.
    const redirect = await signInAtProvider(login.authorizeUrl.href, { login: 'nobody', onPage: (url) => { throw new Error(`the provider showed ${url.pathname}`); } });
    expect(redirect.searchParams.get('error')).toBe('login_required');
    const callback = await flow.callback(redirect.search.slice(1), login.bindingSecret);
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe(`${TEST_BASE_URL}/hello/page?sso=checked`);
    expect(sessionSecretFrom(callback)).toBeUndefined();
    expectSecurityHeaders(callback);
    expect(await flow.item(login.transactionId)).toMatchObject({ status: { S: 'provider_error' }, error: { S: 'login_required' } });
    expect(lastLog(flow.logs)).toMatchObject({ status: 303, outcome: 'provider_error', reason: 'login_required', ProviderErrors: 1 });
    // Used once, like any response: a second try changes nothing.
    expect((await expectNothingWritten(flow, () => flow.callback(redirect.search.slice(1), login.bindingSecret))).statusCode).toBe(409);
  });

  test('with a provider session: signed in silently, to returnTo, with no page shown', async () => {
    const cookies = new ProviderCookies();
    const first = await flow.login();
    await flow.callback((await signInAtProvider(first.authorizeUrl.href, { login: 'frank', cookies })).search.slice(1), first.bindingSecret);
    const login = await flow.login('prompt=none&returnTo=%2Fhello%2Fpage');
    const redirect = await signInAtProvider(login.authorizeUrl.href, { login: 'frank', cookies, onPage: (url) => { throw new Error(`the provider showed ${url.pathname}`); } });
    const callback = await flow.callback(redirect.search.slice(1), login.bindingSecret);
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe(`${TEST_BASE_URL}/hello/page`);
    expect(json((await flow.me(sessionSecretFrom(callback))).body)).toMatchObject({ sub: 'frank' });
  });

  test.each(['consent_required', 'interaction_required', 'account_selection_required'])('%s also returns the browser to returnTo, unsigned', async (error) => {
    const login = await flow.login('prompt=none&returnTo=%2Fhello%2Fpage');
    const callback = await flow.callback(callbackQuery({ error, state: login.state, iss: provider.provider.issuer }), login.bindingSecret);
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe(`${TEST_BASE_URL}/hello/page`);
    expect(callback.cookies).toBeUndefined();
    expect(lastLog(flow.logs)).toMatchObject({ outcome: 'provider_error', reason: error });
  });

  test.each([
    ['no returnTo', 'prompt=none'],
    ['a refused returnTo (another origin)', 'prompt=none&returnTo=https%3A%2F%2Fevil.example.test%2F'],
  ])('with %s: the default landing, /signed-in', async (_label, query) => {
    const login = await flow.login(query);
    const callback = await flow.callback(callbackQuery({ error: 'login_required', state: login.state, iss: provider.provider.issuer }), login.bindingSecret);
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe(`${TEST_BASE_URL}/signed-in`);
  });

  test('any other provider error still shows a page, returnTo or not', async () => {
    const login = await flow.login('returnTo=%2Fhello%2Fpage');
    const callback = await flow.callback(callbackQuery({ error: 'server_error', state: login.state, iss: provider.provider.issuer }), login.bindingSecret);
    expectSecurePage(callback, 200);
    expect(callback.body).toContain('Sign-in not completed');
  });
});

describe('expiry is enforced in code, with the items still present', () => {
  test('idle: a session unused for longer than the idle lifetime is refused', async () => {
    const flow = await signInFlow({ sessionIdleSeconds: 600, sessionAbsoluteSeconds: 3600 });
    const secret = sessionSecretFrom((await completeSignIn(flow, 'erin')).callback);
    flow.clock.nowMs += 599_000;
    expect((await flow.me(secret)).statusCode).toBe(200);
    flow.clock.nowMs += 600_000;
    const me = await flow.me(secret);
    expect(me.statusCode).toBe(401);
    expect(lastLog(flow.logs)).toMatchObject({ outcome: 'unauthenticated', reason: 'idle_expired' });
    expect(await flow.sessionItem(sessionIdForSecret(secret ?? ''))).toBeDefined();
  });

  test('a use extends the idle deadline with a write at most once per 5 minutes', async () => {
    const flow = await signInFlow({ sessionIdleSeconds: 600, sessionAbsoluteSeconds: 3600 });
    const secret = sessionSecretFrom((await completeSignIn(flow, 'frank')).callback) ?? '';
    const lastSeen = async () => (await flow.sessionItem(sessionIdForSecret(secret)))?.lastSeenAt?.N;
    const created = await lastSeen();
    flow.clock.nowMs += 200_000;
    await flow.me(secret);
    expect(await lastSeen()).toBe(created);
    flow.clock.nowMs += 200_000;
    await flow.me(secret);
    expect(Number(await lastSeen())).toBe(Number(created) + 400);
    // 400 s since the sign-in, 0 since the touch: 550 s more is within the moved idle deadline.
    flow.clock.nowMs += 550_000;
    expect((await flow.me(secret)).statusCode).toBe(200);
  });

  test('absolute: a session in constant use still ends at its absolute lifetime', async () => {
    const flow = await signInFlow({ sessionIdleSeconds: 600, sessionAbsoluteSeconds: 1000 });
    const secret = sessionSecretFrom((await completeSignIn(flow, 'grace')).callback);
    for (let step = 0; step < 3; step += 1) {
      flow.clock.nowMs += 310_000;
      expect((await flow.me(secret)).statusCode).toBe(200);
    }
    flow.clock.nowMs += 70_000;
    expect((await flow.me(secret)).statusCode).toBe(401);
    expect(lastLog(flow.logs)).toMatchObject({ reason: 'absolute_expired' });
    expect(await flow.sessionItem(sessionIdForSecret(secret ?? ''))).toBeDefined();
  });
});

describe('sign-out', () => {
  /** What the browser sends with our /signed-in page's form. */

  test('deletes the session, clears the cookie, and sends the browser to the provider with logout_hint', async () => {
    const flow = await signInFlow();
    const secret = sessionSecretFrom((await completeSignIn(flow, 'heidi')).callback) ?? '';
    const sid = (await flow.sessionItem(sessionIdForSecret(secret)))?.sid?.S;
    const response = await flow.logout(secret, FROM_OWN_PAGE);
    expect(response.statusCode).toBe(302);
    expectSecurityHeaders(response);
    const location = new URL(response.headers.location ?? '');
    expect(location.origin + location.pathname).toBe(provider.provider.endSessionEndpoint);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: 'test-client',
      post_logout_redirect_uri: `${TEST_BASE_URL}/signed-out`,
      logout_hint: sid,
      // RP-Initiated Logout §2: a fresh state, which providers such as Glewlwyd need to return the browser.
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(response.cookies).toEqual(['__Host-session=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax']);
    expect(await flow.sessionItem(sessionIdForSecret(secret))).toBeUndefined();
    expect((await flow.me(secret)).statusCode).toBe(401);

    // Idempotent: the same cookie again goes straight to /signed-out; a request without one clears nothing.
    const again = await flow.logout(secret, FROM_OWN_PAGE);
    expect(again.statusCode).toBe(302);
    expect(again.headers.location).toBe(`${TEST_BASE_URL}/signed-out`);
    expect(again.cookies).toEqual(['__Host-session=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax']);
    const withoutCookie = await flow.logout(undefined, FROM_OWN_PAGE);
    expect(withoutCookie.statusCode).toBe(302);
    expect(withoutCookie.headers.location).toBe(`${TEST_BASE_URL}/signed-out`);
    expect(withoutCookie.cookies).toBeUndefined();
  });

  /** A request our own page did not send: it ends nothing and sets no cookie. */
  async function expectConfirmationOnly(flow: TestFlow, secret: string, response: Awaited<ReturnType<TestFlow['logout']>>): Promise<void> {
    expect(response.statusCode).toBe(200);
    expectSecurityHeaders(response);
    expect(response.body).toContain(`<form method="post" action="${TEST_BASE_URL}/logout">`);
    expect(response.cookies).toBeUndefined();
    expect(lastLog(flow.logs)).toMatchObject({ outcome: 'confirm' });
    expect(await flow.sessionItem(sessionIdForSecret(secret))).toBeDefined();
    expect((await flow.me(secret)).statusCode).toBe(200);
  }

  const NOT_OUR_PAGE: readonly (readonly [string, Record<string, string>])[] = [
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
    ['Sec-Fetch-Site: none (a typed address or a bookmark)', { 'sec-fetch-site': 'none' }],
    ['another Origin and no Fetch Metadata', { origin: 'https://attacker.example.test' }],
    ['Origin: null (a sandboxed or privacy-sensitive context)', { origin: 'null' }],
  ];

  test.each(NOT_OUR_PAGE)('a GET /logout with %s asks for confirmation and ends nothing', async (_label, headers) => {
    const flow = await signInFlow();
    const secret = sessionSecretFrom((await completeSignIn(flow, 'ivan')).callback) ?? '';
    await expectConfirmationOnly(flow, secret, await flow.logout(secret, { headers }));
  });

  test('a GET /logout without Fetch Metadata or Origin asks for confirmation too', async () => {
    const flow = await signInFlow();
    const secret = sessionSecretFrom((await completeSignIn(flow, 'ivan')).callback) ?? '';
    await expectConfirmationOnly(flow, secret, await flow.logout(secret));
  });

  test.each(NOT_OUR_PAGE)('a POST /logout with %s asks for confirmation and ends nothing', async (_label, headers) => {
    const flow = await signInFlow();
    const secret = sessionSecretFrom((await completeSignIn(flow, 'ivan')).callback) ?? '';
    await expectConfirmationOnly(flow, secret, await flow.logout(secret, { method: 'POST', headers }));
  });

  test('a cross-site POST that carries no cookie (SameSite=Lax kept it back) clears none', async () => {
    const flow = await signInFlow();
    const response = await flow.logout(undefined, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(response.statusCode).toBe(200);
    expect(response.cookies).toBeUndefined();
  });

  test('a GET /logout from our own page (same-origin) signs out at once', async () => {
    const flow = await signInFlow();
    const secret = sessionSecretFrom((await completeSignIn(flow, 'ivan')).callback) ?? '';
    const response = await flow.logout(secret, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(response.statusCode).toBe(302);
    expect(await flow.sessionItem(sessionIdForSecret(secret))).toBeUndefined();
  });
});

describe('a failure after the state was consumed leaves no session and no half-written record', () => {
  async function expectFailedSignIn(flow: TestFlow, login: LoginResult, response: Awaited<ReturnType<TestFlow['callback']>>, reason: string): Promise<void> {
    expectSecurePage(response, 502);
    expect(response.body).toContain('Start a new sign-in');
    expect(response.cookies).toBeUndefined();
    expect(lastLog(flow.logs)).toMatchObject({ status: 502, outcome: 'sign_in_failed', reason });
    const record = await flow.item(login.transactionId);
    expect(record?.status?.S).toBe('sign_in_failed');
    expect(record?.failureReason?.S).toBe(reason);
    expect(record?.codeVerifier).toBeUndefined();
    expect(record?.sub).toBeUndefined();
    expect(await scanAll(flow.client, flow.sessionTableName)).toHaveLength(0);
  }

  test('the provider refuses the client (wrong secret): invalid_client recorded as a label', async () => {
    const flow = await signInFlow({}, 'not-the-secret');
    const { login, callback } = await completeSignIn(flow, 'judy');
    await expectFailedSignIn(flow, login, callback, 'token_endpoint_error:invalid_client');
  });

  test('the transaction write fails: 503, the code is spent, and no session exists', async () => {
    const flow = await signInFlow({}, undefined, {
      wrapStore: (store) => ({ ...store, completeSignIn: () => Promise.reject(new StoreUnavailableError('ThrottlingException')) }),
    });
    const { login, callback } = await completeSignIn(flow, 'leo');
    expectSecurePage(callback, 503);
    expect(callback.cookies).toBeUndefined();
    expect((await flow.item(login.transactionId))?.status?.S).toBe('code_received');
    expect(await scanAll(flow.client, flow.sessionTableName)).toHaveLength(0);
  });
});

describe('forged or broken token responses never yield a session', () => {
  /** A token endpoint that answers what a test tells it to, and a JWKS with the key it signs with. */
  let server: Server;
  let origin: string;
  let answer: (nonce: string) => Promise<{ status: number; body: unknown }>;
  let signingKey: PrivateKey;
  let foreignKey: PrivateKey;
  let lastNonce = '';

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    foreignKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((request, response) => {
      if (request.url === '/jwks') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      answer(lastNonce).then(({ status, body }) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(() => closeServer(server));

  async function idToken(claims: Record<string, unknown>, key: PrivateKey = signingKey): Promise<string> {
    return new SignJWT({ sub: 'mallory', nonce: lastNonce, ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(String(claims.iss ?? flowIssuer))
      .setAudience(String(claims.aud ?? 'test-client'))
      .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : undefined)
      .setExpirationTime('5m')
      .sign(key);
  }
  const flowIssuer = 'https://tenant.example.test/';

  /** A login whose stored nonce the stand-in learns, then a callback with a syntactically valid code. */
  async function forgedSignIn(): Promise<{ flow: TestFlow; login: LoginResult; response: Awaited<ReturnType<TestFlow['callback']>> }> {
    const flow = await createTestFlow({
      config: { tokenEndpoint: `${origin}/token`, jwksUri: `${origin}/jwks` },
      redeemer: {
        redeem: (request) => {
          lastNonce = request.nonce;
          const { redeemer, http } = testRedeemer(flow.config, 'secret');
          httpClients.push(http);
          return redeemer.redeem(request);
        },
      },
    });
    flows.push(flow);
    const login = await flow.login();
    const response = await flow.callback(`code=some-code&state=${login.state}`, login.bindingSecret);
    return { flow, login, response };
  }

  const cases: [string, () => Promise<{ status: number; body: unknown }>, string][] = [
    ['a correct token is accepted (the stand-in itself works)', async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a', id_token: await idToken({}) } }), 'signed_in'],
    ['a wrong nonce', async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a', id_token: await idToken({ nonce: 'other' }) } }), 'id_token_nonce'],
    ['a signature by another key', async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a', id_token: await idToken({}, foreignKey) } }), 'id_token_signature'],
    ['another issuer', async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a', id_token: await idToken({ iss: 'https://evil.example/' }) } }), 'id_token_iss'],
    ['another audience', async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a', id_token: await idToken({ aud: 'someone-else' }) } }), 'id_token_aud'],
    [
      'a token issued an hour before this login started',
      async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a', id_token: await idToken({ iat: Math.floor(Date.now() / 1000) - 3600 }) } }),
      'id_token_iat',
    ],
    [
      'a granted scope outside RFC 6749 §3.3',
      async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a', id_token: await idToken({}), scope: 'openid "<script>"' } }),
      'invalid_token_response',
    ],
    ['no ID token', async () => ({ status: 200, body: { token_type: 'Bearer', access_token: 'a' } }), 'invalid_token_response'],
    ['an error answer', async () => ({ status: 400, body: { error: 'invalid_grant', error_description: '<script>' } }), 'token_endpoint_error:invalid_grant'],
  ];

  test.each(cases)('%s', async (_name, respond, expected) => {
    answer = respond;
    const { flow, login, response } = await forgedSignIn();
    if (expected === 'signed_in') {
      expect(response.statusCode).toBe(303);
      expect(sessionSecretFrom(response)).toBeDefined();
      return;
    }
    expect(response.statusCode).toBe(502);
    expect(response.cookies).toBeUndefined();
    expect(response.body).not.toContain('<script>');
    const record = await flow.item(login.transactionId);
    expect(record?.status?.S).toBe('sign_in_failed');
    expect(record?.failureReason?.S).toBe(expected);
    expect(await scanAll(flow.client, flow.sessionTableName)).toHaveLength(0);
  });
});
