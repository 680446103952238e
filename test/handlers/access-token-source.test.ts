import { createAccessTokenSource, type AccessTokenSourceDependencies } from '../../lambdas/shared/access-token-source.js';
import { createTokenSessionStore } from '../../lambdas/shared/session-store.js';
import type { TokenRefresher } from '../../lambdas/shared/token-refresher.js';
import type { RefreshAnswer } from '../../lambdas/core/token/session-tokens.js';
import { createTestTable, getItem, localClient, testEndpoint } from '../support/dynamodb.js';
import { seedTokenSession, testKeyRing } from '../support/token-sessions.js';

/**
 * The access-token source against DynamoDB Local, with a stand-in token endpoint for the answers a
 * provider cannot be made to give on cue (the real provider's refresh is in access-token-refresh.test.ts).
 */
const client = localClient(testEndpoint());
const keyRing = testKeyRing();
const config = { sessionIdleSeconds: 3600, sessionAbsoluteSeconds: 7200, tokenRefreshLeewaySeconds: 60 };
let table: string;

beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => client.destroy());

function answering(answer: RefreshAnswer): TokenRefresher & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    refresh: (refreshToken) => {
      calls.push(refreshToken);
      return Promise.resolve(answer);
    },
  };
}

function source(overrides: Partial<AccessTokenSourceDependencies> = {}) {
  return createAccessTokenSource({ config, sessions: createTokenSessionStore(client, table), keyRing, refresher: undefined, now: Date.now, ...overrides });
}

const TOKENS = { accessToken: 'access-1', refreshToken: 'refresh-1', idToken: 'id-1' };

describe('access tokens kept in the session', () => {
  test('a fresh access token is handed out as stored, with its expiry, scope and user', async () => {
    const session = await seedTokenSession(client, table, keyRing, TOKENS, { expiresInSeconds: 600 });
    const refresher = answering({ kind: 'grant_ended' });
    const outcome = await source({ refresher }).forRequest(session.cookies);
    expect(outcome).toEqual({ kind: 'token', accessToken: 'access-1', expiresAt: session.record.tokens?.facts.accessTokenExpiresAt, scope: 'openid offline_access read:whoami', sub: 'user-1' });
    expect(refresher.calls).toEqual([]);
  });

  test('no cookie, a malformed one and an unknown session are all unauthenticated', async () => {
    await expect(source().forRequest(undefined)).resolves.toEqual({ kind: 'unauthenticated' });
    await expect(source().forRequest(['__Host-session=short'])).resolves.toEqual({ kind: 'unauthenticated' });
    await expect(source().forRequest([`__Host-session=${'a'.repeat(43)}`])).resolves.toEqual({ kind: 'unauthenticated' });
  });

  test('an expired session is unauthenticated even with a fresh token', async () => {
    const session = await seedTokenSession(client, table, keyRing, TOKENS, { expiresInSeconds: 600 });
    const later = Date.now() + 7201 * 1000;
    await expect(source({ now: () => later }).forRequest(session.cookies)).resolves.toEqual({ kind: 'unauthenticated' });
  });

  test('an expired access token without a refresh token asks to sign in again, keeping the session', async () => {
    const session = await seedTokenSession(client, table, keyRing, { ...TOKENS, refreshToken: undefined }, { expiresInSeconds: -1 });
    await expect(source({ refresher: answering({ kind: 'grant_ended' }) }).forRequest(session.cookies)).resolves.toEqual({ kind: 'reauthenticate', sessionEnded: false });
    expect(await getItem(client, table, session.record.id)).toBeDefined();
  });

  test('inside the leeway without a refresh token, the still-valid token is used until it expires', async () => {
    const session = await seedTokenSession(client, table, keyRing, { ...TOKENS, refreshToken: undefined }, { expiresInSeconds: 30 });
    await expect(source().forRequest(session.cookies)).resolves.toMatchObject({ kind: 'token', accessToken: 'access-1' });
  });

  test('tokens sealed under a key this source does not hold are not opened: sign in again', async () => {
    const session = await seedTokenSession(client, table, testKeyRing(), TOKENS, { expiresInSeconds: 600 });
    await expect(source().forRequest(session.cookies)).resolves.toEqual({ kind: 'reauthenticate', sessionEnded: false });
  });
});
