import { decodeJwt, decodeProtectedHeader } from 'jose';
import { sessionIdForSecret, SESSION_COOKIE_NAME } from '../../lambdas/core/session/session.js';
import type { AccessTokenOutcome } from '../../lambdas/core/token/access-token-outcome.js';
import { openSessionTokens } from '../../lambdas/core/token/token-sealing.js';
import { createAccessTokenSource, type AccessTokenSourceDependencies } from '../../lambdas/shared/access-token-source.js';
import { createHttpClient, type HttpClient } from '../../lambdas/shared/http-client.js';
import { createTokenSessionStore } from '../../lambdas/shared/session-store.js';
import { createTokenRefresher, createTokenRevoker, type TokenRefresher, type TokenRevoker } from '../../lambdas/shared/token-refresher.js';
import { LOCAL_AUDIENCE, LOCAL_SCOPE } from '../../local/oidc-provider.js';
import { localClient, testEndpoint } from '../support/dynamodb.js';
import { createTestFlow, FROM_OWN_PAGE, type TestFlow } from '../support/flow.js';
import { signInAtProvider } from '../support/provider-sign-in.js';
import { sessionSecretFrom, startTestProvider, testRedeemer, type TestProvider } from '../support/sign-in-flow.js';
import { seedTokenSession, testKeyRing } from '../support/token-sessions.js';

/**
 * The session's tokens end to end against DynamoDB Local and the embedded provider's real token
 * and revocation endpoints: kept sealed at sign-in, refreshed under the lease with rotation,
 * `invalid_grant` ending the session, a provider that is down, and many instances at once.
 */
let provider: TestProvider;
let flow: TestFlow;
let revoker: TokenRevoker;
const keyRing = testKeyRing();
const httpClients: HttpClient[] = [];
const HOUR_MS = 3_600_000;

function http(): HttpClient {
  const client = createHttpClient();
  httpClients.push(client);
  return client;
}

beforeAll(async () => {
  provider = await startTestProvider();
  const partial = provider.configFor({ audience: LOCAL_AUDIENCE, scope: LOCAL_SCOPE });
  let config: TestFlow['config'] | undefined;
  flow = await createTestFlow({
    config: partial,
    keyRing,
    revoker: {
      revoke: (token) => {
        if (config === undefined) throw new Error('flow not ready');
        return revoker.revoke(token);
      },
    },
    redeemer: {
      redeem: (request) => {
        if (config === undefined) throw new Error('flow not ready');
        const { redeemer, http: client } = testRedeemer(config, provider.clientSecret);
        httpClients.push(client);
        return redeemer.redeem(request);
      },
    },
  });
  config = flow.config;
  revoker = createTokenRevoker(flow.config, provider.clientSecret, http().fetch);
});

afterAll(async () => {
  flow.close();
  for (const client of httpClients) client.close();
  await provider.provider.stop();
});

async function signIn(user: string): Promise<{ cookies: string[]; sessionId: string }> {
  const login = await flow.login();
  const redirect = await signInAtProvider(login.authorizeUrl.href, { login: user });
  const callback = await flow.callback(redirect.search.slice(1), login.bindingSecret);
  const secret = sessionSecretFrom(callback);
  if (secret === undefined) throw new Error(`no session: ${callback.statusCode}`);
  return { cookies: [`${SESSION_COOKIE_NAME}=${secret}`], sessionId: sessionIdForSecret(secret) };
}

const realRefresher = (): TokenRefresher => createTokenRefresher(flow.config, provider.clientSecret, http().fetch);

/** A source as one execution environment builds it: its own DynamoDB client and HTTP client. */
function source(overrides: Partial<AccessTokenSourceDependencies> = {}) {
  const client = localClient(testEndpoint());
  return createAccessTokenSource({
    config: flow.config,
    sessions: createTokenSessionStore(client, flow.sessionTableName),
    keyRing,
    refresher: realRefresher(),
    now: Date.now,
    ...overrides,
  });
}

const later = (offsetMs: number) => () => Date.now() + offsetMs;

function accessToken(outcome: AccessTokenOutcome): string {
  if (outcome.kind !== 'token') throw new Error(`no token: ${outcome.kind}`);
  return outcome.accessToken;
}

async function storedTokens(sessionId: string) {
  const item = await flow.sessionItem(sessionId);
  const sealed = item?.tokens?.S;
  if (sealed === undefined) return undefined;
  return { item, tokens: openSessionTokens(keyRing, sessionId, sealed) };
}

describe('kept at sign-in', () => {
  test('the session holds the tokens sealed, their expiry and scope in the clear, and no token in the clear', async () => {
    const { cookies, sessionId } = await signIn('keeper');
    const stored = await storedTokens(sessionId);
    expect(stored?.tokens?.refreshToken).toEqual(expect.any(String));
    expect(stored?.tokens?.idToken).toEqual(expect.any(String));
    const accessTokenText = stored?.tokens?.accessToken ?? '';
    const itemText = JSON.stringify(stored?.item);
    for (const secret of [accessTokenText, stored?.tokens?.refreshToken ?? '', stored?.tokens?.idToken ?? '']) expect(itemText).not.toContain(secret);
    expect(Number(stored?.item?.accessTokenExpiresAt?.N)).toBeGreaterThan(Date.now() / 1000 + 3000);
    // The access token's granted scope (RFC 6749 §5.1): the API's permission.
    expect(stored?.item?.scope?.S?.split(' ')).toContain('read:whoami');

    const outcome = await source().forRequest(cookies);
    expect(accessToken(outcome)).toBe(accessTokenText);
    // A JWT for the API (RFC 9068), as the JWT authorizer checks it.
    expect(decodeProtectedHeader(accessTokenText)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(decodeJwt(accessTokenText)).toMatchObject({ iss: provider.provider.issuer, aud: LOCAL_AUDIENCE, sub: 'keeper', scope: expect.stringContaining('read:whoami') });
  });
});

describe('refresh', () => {
  test('a due token is refreshed once: a new access token, a rotated refresh token, the version moved, the lease gone', async () => {
    const { cookies, sessionId } = await signIn('refresher');
    const before = await storedTokens(sessionId);
    const grants = provider.provider.counters().refreshGrants;
    const outcome = await source({ now: later(HOUR_MS) }).forRequest(cookies);
    expect(accessToken(outcome)).not.toBe(before?.tokens?.accessToken);
    expect(provider.provider.counters().refreshGrants).toBe(grants + 1);
    const after = await storedTokens(sessionId);
    expect(after?.tokens?.accessToken).toBe(accessToken(outcome));
    expect(after?.tokens?.refreshToken).not.toBe(before?.tokens?.refreshToken);
    expect(after?.item?.tokenVersion?.N).toBe('2');
    expect(after?.item?.leaseOwner).toBeUndefined();
    // Rotation is real: the rotated-out token is refused, and reuse revokes the family.
    const reuse = await realRefresher().refresh(before?.tokens?.refreshToken ?? '');
    expect(reuse).toEqual({ kind: 'grant_ended' });
    expect(provider.provider.counters().reuseRevocations).toBeGreaterThan(0);
  });

  test('invalid_grant (the grant revoked at the provider) ends the session: reauthenticate, once', async () => {
    const { cookies, sessionId } = await signIn('revoked');
    const refreshToken = (await storedTokens(sessionId))?.tokens?.refreshToken ?? '';
    const revoke = await fetch(provider.provider.revocationEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken, client_id: flow.config.clientId, client_secret: provider.clientSecret }),
    });
    expect(revoke.status).toBe(200);
    await expect(source({ now: later(HOUR_MS) }).forRequest(cookies)).resolves.toEqual({ kind: 'reauthenticate', sessionEnded: true });
    expect(await flow.sessionItem(sessionId)).toBeUndefined();
    await expect(source({ now: later(HOUR_MS) }).forRequest(cookies)).resolves.toEqual({ kind: 'unauthenticated' });
  });

  test('a provider that cannot be reached answers provider_unavailable and keeps the session and its tokens', async () => {
    const { cookies, sessionId } = await signIn('unreachable');
    const before = await flow.sessionItem(sessionId);
    const down = createTokenRefresher({ ...flow.config, tokenEndpoint: 'http://127.0.0.1:9/oauth/token' }, provider.clientSecret, http().fetch);
    await expect(source({ now: later(HOUR_MS), refresher: down }).forRequest(cookies)).resolves.toEqual({ kind: 'provider_unavailable' });
    const after = await flow.sessionItem(sessionId);
    expect(after?.tokens).toEqual(before?.tokens);
    expect(after?.leaseOwner).toBeUndefined();
    // And the next attempt, with the provider back, refreshes.
    await expect(source({ now: later(HOUR_MS) }).forRequest(cookies)).resolves.toMatchObject({ kind: 'token' });
  });
});

describe('one refresh across instances', () => {
  test('50 concurrent requests of one session with an expired token, from 5 instances: 50 tokens, exactly 1 refresh grant, family intact', async () => {
    const { cookies, sessionId } = await signIn('crowd');
    const grants = provider.provider.counters().refreshGrants;
    const reuses = provider.provider.counters().reuseRevocations;
    const refusals = provider.provider.counters().refreshRefusals;
    const instances = Array.from({ length: 5 }, () => source({ now: later(HOUR_MS) }));
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, index) => (instances[index % 5] ?? instances[0])!.forRequest(cookies)));
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(Array(50).fill('token'));
    expect(new Set(outcomes.map(accessToken)).size).toBe(1);
    expect(provider.provider.counters().refreshGrants).toBe(grants + 1);
    expect(provider.provider.counters().refreshRefusals).toBe(refusals);
    expect(provider.provider.counters().reuseRevocations).toBe(reuses);
    // The family is intact: the stored (rotated) refresh token still works.
    expect((await storedTokens(sessionId))?.item?.tokenVersion?.N).toBe('2');
    await expect(source({ now: later(2 * HOUR_MS) }).forRequest(cookies)).resolves.toMatchObject({ kind: 'token' });
    expect(provider.provider.counters().refreshGrants).toBe(grants + 2);
  });

  test('a lease holder that dies mid-refresh: its lease expires at its deadline and the next caller refreshes', async () => {
    const { cookies } = await signIn('abandoned');
    const grants = provider.provider.counters().refreshGrants;
    let holderAsked = false;
    const neverAnswers: TokenRefresher = {
      refresh: () => {
        holderAsked = true;
        return new Promise(() => undefined);
      },
    };
    void source({ now: later(HOUR_MS), refresher: neverAnswers, leaseMs: 400 }).forRequest(cookies);
    while (!holderAsked) await new Promise((resolve) => setTimeout(resolve, 5));
    const startedMs = Date.now();
    const outcome = await source({ now: later(HOUR_MS), leaseMs: 400, waitMs: 3000 }).forRequest(cookies);
    expect(outcome.kind).toBe('token');
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(300);
    expect(provider.provider.counters().refreshGrants).toBe(grants + 1);
  });

  test('a waiter whose bound passes while the holder is alive answers refresh_in_progress', async () => {
    const { cookies } = await signIn('patient');
    let holderAsked = false;
    const slow: TokenRefresher = {
      refresh: () => {
        holderAsked = true;
        return new Promise(() => undefined);
      },
    };
    void source({ now: later(HOUR_MS), refresher: slow, leaseMs: 5000 }).forRequest(cookies);
    while (!holderAsked) await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(source({ now: later(HOUR_MS), waitMs: 200 }).forRequest(cookies)).resolves.toEqual({ kind: 'refresh_in_progress' });
  });
});

describe('logout', () => {
  test('sends the ID token as id_token_hint with a state, and revokes the refresh token at the provider', async () => {
    const { cookies, sessionId } = await signIn('leaver');
    const stored = await storedTokens(sessionId);
    const revocations = provider.provider.counters().revocationRequests;
    const response = await flow.logout(cookies[0]?.split('=')[1], FROM_OWN_PAGE);
    expect(response.statusCode).toBe(302);
    const location = new URL(response.headers.location ?? '');
    expect(location.searchParams.get('id_token_hint')).toBe(stored?.tokens?.idToken);
    expect(location.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('logout_hint')).toEqual(expect.any(String));
    expect(location.searchParams.get('client_id')).toBe(flow.config.clientId);
    expect(provider.provider.counters().revocationRequests).toBe(revocations + 1);
    expect(await flow.sessionItem(sessionId)).toBeUndefined();
    // Revoked indeed: the provider refuses it now.
    await expect(realRefresher().refresh(stored?.tokens?.refreshToken ?? '')).resolves.toEqual({ kind: 'grant_ended' });
  });

  test('a revocation endpoint that does not answer does not hold up the sign-out', async () => {
    const hanging = await createTestFlow({
      config: flow.config,
      keyRing,
      revoker: createTokenRevoker({ ...flow.config, revocationEndpoint: 'http://127.0.0.1:9/oauth/revoke' }, provider.clientSecret, http().fetch),
    });
    const seeded = await seedTokenSession(hanging.client, hanging.sessionTableName, keyRing, { accessToken: 'a', refreshToken: 'r', idToken: 'i' }, { expiresInSeconds: 600 });
    const response = await hanging.logout(seeded.cookies[0]?.split('=')[1], FROM_OWN_PAGE);
    expect(response.statusCode).toBe(302);
    expect(new URL(response.headers.location ?? '').searchParams.get('id_token_hint')).toBe('i');
    expect(await hanging.sessionItem(seeded.record.id)).toBeUndefined();
    hanging.close();
  });
});
