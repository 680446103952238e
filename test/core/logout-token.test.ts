import { createLocalJWKSet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { CLOCK_LEEWAY_SECONDS } from '../../lambdas/core/token/id-token.js';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  LogoutTokenError,
  MAX_LOGOUT_TOKEN_AGE_SECONDS,
  verifyLogoutToken,
  type LogoutTokenExpectations,
  type LogoutTokenProblem,
  type VerifiedLogoutToken,
} from '../../lambdas/core/token/logout-token.js';
import { base64UrlJson, keyPair, signJwt, type KeyPair } from '../support/signing-keys.js';

const ISSUER = 'https://tenant.example.test/';
const CLIENT_ID = 'client-123';
const NOW = 1_700_000_000;

let current: KeyPair;
let rs384: KeyPair;
/** A different key published under `current`'s kid: what a forger without the private key can do. */
let impostor: KeyPair;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  [current, rs384, impostor] = await Promise.all([keyPair('key-1', 'RS256'), keyPair('key-384', 'RS384'), keyPair('key-1', 'RS256')]);
  // The RS384 key is published so that only the allow-list stands between its tokens and acceptance.
  keys = createLocalJWKSet({ keys: [current.jwk, rs384.jwk] });
});

function claims(overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: CLIENT_ID,
    sub: 'auth0|user-1',
    sid: 'sid-1',
    iat: NOW,
    exp: NOW + 120,
    jti: 'jti-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...overrides,
  };
}

function sign(payload: JWTPayload, key: KeyPair = current): Promise<string> {
  return signJwt(payload, key, 'logout+jwt');
}

const expectations: LogoutTokenExpectations = { issuer: ISSUER, clientId: CLIENT_ID, algorithms: ['RS256'], nowSeconds: NOW };

async function refusal(token: string): Promise<LogoutTokenProblem> {
  let verified: VerifiedLogoutToken;
  try {
    verified = await verifyLogoutToken(token, keys, expectations);
  } catch (error) {
    if (error instanceof LogoutTokenError) return error.problem;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(verified)}`);
}

describe('verifyLogoutToken: accepted tokens', () => {
  test('a sid alone names the session', async () => {
    const verified = await verifyLogoutToken(await sign(claims({ sub: undefined })), keys, expectations);
    expect(verified).toMatchObject({ jti: 'jti-1', sid: 'sid-1', sub: undefined });
  });

  test('a sub alone names the user', async () => {
    const verified = await verifyLogoutToken(await sign(claims({ sid: undefined })), keys, expectations);
    expect(verified).toMatchObject({ jti: 'jti-1', sid: undefined, sub: 'auth0|user-1' });
  });

  test('sid and sub together', async () => {
    const verified = await verifyLogoutToken(await sign(claims()), keys, expectations);
    expect(verified).toMatchObject({ jti: 'jti-1', sid: 'sid-1', sub: 'auth0|user-1' });
  });

  test('an aud array that contains our client id', async () => {
    const verified = await verifyLogoutToken(await sign(claims({ aud: ['another-client', CLIENT_ID] })), keys, expectations);
    expect(verified.jti).toBe('jti-1');
  });

  test(`an iat up to the ${CLOCK_LEEWAY_SECONDS} s leeway ahead of our clock`, async () => {
    const iat = NOW + CLOCK_LEEWAY_SECONDS;
    expect((await verifyLogoutToken(await sign(claims({ iat, exp: iat + 120 })), keys, expectations)).jti).toBe('jti-1');
  });

  test(`an iat exactly ${MAX_LOGOUT_TOKEN_AGE_SECONDS} s plus the leeway old`, async () => {
    const iat = NOW - MAX_LOGOUT_TOKEN_AGE_SECONDS - CLOCK_LEEWAY_SECONDS;
    expect((await verifyLogoutToken(await sign(claims({ iat, exp: undefined })), keys, expectations)).jti).toBe('jti-1');
  });

  test('the replay record outlives every moment the token would still be accepted', async () => {
    const verified = await verifyLogoutToken(await sign(claims({ exp: undefined })), keys, expectations);
    expect(verified.replayWindowEndsAt).toBeGreaterThanOrEqual(NOW + MAX_LOGOUT_TOKEN_AGE_SECONDS + CLOCK_LEEWAY_SECONDS);
  });
});

describe('verifyLogoutToken: refused tokens', () => {
  test('another issuer', async () => {
    expect(await refusal(await sign(claims({ iss: 'https://evil.example.test/' })))).toBe('iss');
  });

  test('an audience that is not our client id', async () => {
    expect(await refusal(await sign(claims({ aud: 'another-client' })))).toBe('aud');
  });

  test('a signature by another key under the same kid', async () => {
    expect(await refusal(await sign(claims(), impostor))).toBe('signature');
  });

  test('an algorithm outside the allow-list, even with its key in the JWKS', async () => {
    expect(await refusal(await sign(claims(), rs384))).toBe('alg');
  });

  test('alg none', async () => {
    const unsigned = `${base64UrlJson({ alg: 'none', typ: 'JWT' })}.${base64UrlJson(claims())}.`;
    expect(await refusal(unsigned)).toBe('alg');
  });

  test(`an exp more than the ${CLOCK_LEEWAY_SECONDS} s leeway in the past`, async () => {
    expect(await refusal(await sign(claims({ iat: NOW - 200, exp: NOW - CLOCK_LEEWAY_SECONDS - 1 })))).toBe('expired');
  });

  test(`an iat more than the ${CLOCK_LEEWAY_SECONDS} s leeway in the future`, async () => {
    const iat = NOW + CLOCK_LEEWAY_SECONDS + 1;
    expect(await refusal(await sign(claims({ iat, exp: iat + 120 })))).toBe('iat');
  });

  test(`an iat older than ${MAX_LOGOUT_TOKEN_AGE_SECONDS} s plus the leeway`, async () => {
    // No exp, so only the token's age can refuse it.
    expect(await refusal(await sign(claims({ iat: NOW - MAX_LOGOUT_TOKEN_AGE_SECONDS - CLOCK_LEEWAY_SECONDS - 1, exp: undefined })))).toBe('iat');
  });

  test('no events claim', async () => {
    expect(await refusal(await sign(claims({ events: undefined })))).toBe('events');
  });

  test('events without the back-channel logout member', async () => {
    expect(await refusal(await sign(claims({ events: { 'http://schemas.openid.net/event/other': {} } })))).toBe('events');
  });

  test('a back-channel logout member whose value is not an object', async () => {
    expect(await refusal(await sign(claims({ events: { [BACKCHANNEL_LOGOUT_EVENT]: 'logout' } })))).toBe('events');
  });

  test('a nonce', async () => {
    expect(await refusal(await sign(claims({ nonce: 'n-0S6_WzA2Mj' })))).toBe('nonce');
  });

  test('neither sid nor sub', async () => {
    expect(await refusal(await sign(claims({ sid: undefined, sub: undefined })))).toBe('no_subject');
  });

  test.each<[string, JWTPayload]>([
    ['a sid that is not a string', { sid: 123 }],
    ['an empty sid', { sid: '' }],
    ['a sid longer than 255 characters', { sid: 's'.repeat(256) }],
    // As a provider would send it: JWTPayload's types do not allow a numeric sub.
    ['a sub that is not a string', JSON.parse('{"sub":42,"sid":"s1"}') as JWTPayload],
  ])('%s is refused, never taken as absent (which would widen the logout to every session of the sub)', async (_name, overrides) => {
    expect(await refusal(await sign(claims(overrides)))).toBe('claims');
  });

  test('no jti', async () => {
    expect(await refusal(await sign(claims({ jti: undefined })))).toBe('jti');
  });

  test('an ID token (a nonce, no events) cannot pass as a logout token', async () => {
    expect(await refusal(await sign(claims({ events: undefined, jti: undefined, nonce: 'n-0S6_WzA2Mj', exp: NOW + 600 })))).toBe('events');
  });
});
