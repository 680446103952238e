import { createLocalJWKSet, exportSPKI, SignJWT, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { createKeySetCache, JWKS_REFETCH_INTERVAL_MS } from '../../lambdas/core/token/jwks-cache.js';
import { CLOCK_LEEWAY_SECONDS, pickProfileClaims, verifyIdToken, type IdTokenExpectations, type VerifiedIdToken } from '../../lambdas/core/token/id-token.js';
import { SignInFailure, type SignInFailureReason } from '../../lambdas/core/token/sign-in-failure.js';
import { base64UrlJson, keyPair, signJwt, type KeyPair } from '../support/signing-keys.js';

const ISSUER = 'https://tenant.example.test/';
const CLIENT_ID = 'client-123';
const NONCE = 'n-0S6_WzA2Mj';
const NOW = 1_700_000_000;
/** The login began ten minutes before the token is checked. */
const LOGIN_STARTED = NOW - 600;

let current: KeyPair;
let rs384: KeyPair;
/** A different key published under `current`'s kid: what a forger without the private key can do. */
let impostor: KeyPair;
let rotated: KeyPair;
let keySet: JSONWebKeySet;
let keys: JWTVerifyGetKey;

beforeAll(async () => {
  [current, rs384, impostor, rotated] = await Promise.all([
    keyPair('key-1', 'RS256'),
    keyPair('key-384', 'RS384'),
    keyPair('key-1', 'RS256'),
    keyPair('key-2', 'RS256'),
  ]);
  // The RS384 key is published so that only the allow-list stands between its tokens and acceptance.
  keySet = { keys: [current.jwk, rs384.jwk] };
  keys = createLocalJWKSet(keySet);
});

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: CLIENT_ID, sub: 'auth0|user-1', sid: 'sid-1', nonce: NONCE, iat: NOW, exp: NOW + 600, ...overrides };
}

function sign(payload: JWTPayload, key: KeyPair = current): Promise<string> {
  return signJwt(payload, key, 'JWT');
}

function expectations(overrides: Partial<IdTokenExpectations> = {}): IdTokenExpectations {
  return { issuer: ISSUER, clientId: CLIENT_ID, algorithms: ['RS256'], nonce: NONCE, organization: undefined, loginStartedSeconds: LOGIN_STARTED, nowSeconds: NOW, ...overrides };
}

async function refusal(idToken: string, expected: IdTokenExpectations = expectations(), getKey: JWTVerifyGetKey = keys): Promise<SignInFailureReason> {
  let verified: VerifiedIdToken;
  try {
    verified = await verifyIdToken(idToken, getKey, expected);
  } catch (error) {
    if (error instanceof SignInFailure) return error.reason;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(verified.payload)}`);
}

describe('verifyIdToken: accepted tokens', () => {
  test('a valid token yields its sub, sid and payload', async () => {
    const verified = await verifyIdToken(await sign(claims({ name: 'Ada' })), keys, expectations());
    expect(verified.sub).toBe('auth0|user-1');
    expect(verified.sid).toBe('sid-1');
    expect(verified.payload).toMatchObject({ iss: ISSUER, aud: CLIENT_ID, nonce: NONCE, name: 'Ada' });
  });

  test('sid is optional', async () => {
    expect((await verifyIdToken(await sign(claims({ sid: undefined })), keys, expectations())).sid).toBeUndefined();
  });

  test('several audiences are fine when azp names us', async () => {
    const token = await sign(claims({ aud: [CLIENT_ID, 'https://api.example.test'], azp: CLIENT_ID }));
    expect((await verifyIdToken(token, keys, expectations())).sub).toBe('auth0|user-1');
  });

  test(`a token expired less than the ${CLOCK_LEEWAY_SECONDS} s leeway ago is still accepted`, async () => {
    const token = await sign(claims({ iat: NOW - 600, exp: NOW - CLOCK_LEEWAY_SECONDS + 1 }));
    expect((await verifyIdToken(token, keys, expectations())).sub).toBe('auth0|user-1');
  });

  test('an iat slightly ahead of our clock (within the leeway) is accepted', async () => {
    const token = await sign(claims({ iat: NOW + CLOCK_LEEWAY_SECONDS }));
    expect((await verifyIdToken(token, keys, expectations())).sub).toBe('auth0|user-1');
  });

  test(`an iat up to the ${CLOCK_LEEWAY_SECONDS} s leeway before the login started is accepted`, async () => {
    const token = await sign(claims({ iat: LOGIN_STARTED - CLOCK_LEEWAY_SECONDS }));
    expect((await verifyIdToken(token, keys, expectations())).sub).toBe('auth0|user-1');
  });

  test('an organization id sent at /login matches org_id', async () => {
    const token = await sign(claims({ org_id: 'org_abc123' }));
    expect((await verifyIdToken(token, keys, expectations({ organization: 'org_abc123' }))).sub).toBe('auth0|user-1');
  });

  test('an organization name sent at /login matches org_name case-insensitively', async () => {
    const token = await sign(claims({ org_id: 'org_abc123', org_name: 'acme-corp' }));
    expect((await verifyIdToken(token, keys, expectations({ organization: 'Acme-Corp' }))).sub).toBe('auth0|user-1');
  });

  test('without an organization sent, org claims are not checked', async () => {
    expect((await verifyIdToken(await sign(claims({ org_id: 'org_other' })), keys, expectations())).sub).toBe('auth0|user-1');
  });
});

describe('verifyIdToken: refused tokens', () => {
  test.each([
    ['more than the leeway before the login started', LOGIN_STARTED - CLOCK_LEEWAY_SECONDS - 1],
    ['in 1970', 0],
  ])('an iat %s: not a token for this sign-in', async (_label, iat) => {
    expect(await refusal(await sign(claims({ iat, exp: NOW + 600 })))).toBe('id_token_iat');
  });

  test('a nonce other than the one sent at /login', async () => {
    expect(await refusal(await sign(claims({ nonce: 'n-someone-else' })))).toBe('id_token_nonce');
  });

  test('no nonce at all', async () => {
    expect(await refusal(await sign(claims({ nonce: undefined })))).toBe('id_token_nonce');
  });

  test('an audience that is not our client id', async () => {
    expect(await refusal(await sign(claims({ aud: 'another-client' })))).toBe('id_token_aud');
  });

  test('several audiences without azp', async () => {
    expect(await refusal(await sign(claims({ aud: [CLIENT_ID, 'another-client'] })))).toBe('id_token_azp');
  });

  test('an azp that is not our client id', async () => {
    expect(await refusal(await sign(claims({ azp: 'another-client' })))).toBe('id_token_azp');
  });

  test('another issuer', async () => {
    expect(await refusal(await sign(claims({ iss: 'https://evil.example.test/' })))).toBe('id_token_iss');
  });

  test(`expired beyond the ${CLOCK_LEEWAY_SECONDS} s leeway`, async () => {
    expect(await refusal(await sign(claims({ iat: NOW - 600, exp: NOW - CLOCK_LEEWAY_SECONDS - 1 })))).toBe('id_token_expired');
  });

  test('issued in the future beyond the leeway', async () => {
    expect(await refusal(await sign(claims({ iat: NOW + CLOCK_LEEWAY_SECONDS + 1, exp: NOW + 3600 })))).toBe('id_token_iat');
  });

  test('not valid yet (nbf beyond the leeway)', async () => {
    expect(await refusal(await sign(claims({ nbf: NOW + CLOCK_LEEWAY_SECONDS + 1 })))).toBe('id_token_not_yet_valid');
  });

  test('an unsecured token (alg none)', async () => {
    const token = `${base64UrlJson({ alg: 'none' })}.${base64UrlJson(claims())}.`;
    expect(await refusal(token)).toBe('id_token_alg');
  });

  test('HS256 with the RSA public key as the HMAC secret (key confusion)', async () => {
    // What a verifier that lets the token pick its algorithm would use as the HMAC key.
    const secret = new TextEncoder().encode(await exportSPKI(current.publicKey));
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: current.kid, typ: 'JWT' }).sign(secret);
    expect(await refusal(token)).toBe('id_token_alg');
  });

  test('an algorithm outside the allow-list, signed by a key the JWKS does hold', async () => {
    expect(await refusal(await sign(claims(), rs384), expectations({ algorithms: ['RS256'] }))).toBe('id_token_alg');
  });

  test('a signature by another key under a known kid', async () => {
    expect(await refusal(await sign(claims(), impostor))).toBe('id_token_signature');
  });

  test('a tampered payload', async () => {
    const [header, , signature] = (await sign(claims())).split('.');
    const token = `${header}.${base64UrlJson(claims({ sub: 'auth0|admin' }))}.${signature}`;
    expect(await refusal(token)).toBe('id_token_signature');
  });

  test('a kid the JWKS does not hold', async () => {
    expect(await refusal(await sign(claims(), rotated))).toBe('id_token_unknown_key');
  });

  test('not a JWT at all', async () => {
    expect(await refusal('not.a.jwt')).toBe('id_token_malformed');
  });

  test('an org_id other than the organization id sent', async () => {
    expect(await refusal(await sign(claims({ org_id: 'org_other' })), expectations({ organization: 'org_abc123' }))).toBe('id_token_org');
  });

  test('no org_id when an organization id was sent', async () => {
    expect(await refusal(await sign(claims()), expectations({ organization: 'org_abc123' }))).toBe('id_token_org');
  });

  test('an org_name other than the organization name sent', async () => {
    expect(await refusal(await sign(claims({ org_name: 'globex' })), expectations({ organization: 'Acme-Corp' }))).toBe('id_token_org');
  });

  test('an organization name is not matched against org_id', async () => {
    expect(await refusal(await sign(claims({ org_id: 'acme-corp' })), expectations({ organization: 'acme-corp' }))).toBe('id_token_org');
  });

  test('no sub', async () => {
    expect(await refusal(await sign(claims({ sub: undefined })))).toBe('id_token_claims');
  });

  test.each([
    ['an empty sub', { sub: '' }],
    ['a sub longer than 255 characters', { sub: 's'.repeat(256) }],
    ['an empty sid', { sid: '' }],
    ['a non-string sid', { sid: 42 }],
  ])('%s', async (_label, overrides) => {
    expect(await refusal(await sign(claims(overrides)))).toBe('id_token_claims');
  });
});

describe('verifyIdToken with the JWKS cache', () => {
  test('a kid unknown to the cached set is found by a refetch after rotation', async () => {
    const clock = { now: 0 };
    let published: JSONWebKeySet = { keys: [current.jwk] };
    const cache = createKeySetCache({ fetchKeySet: () => Promise.resolve(published), now: () => clock.now });
    await verifyIdToken(await sign(claims()), cache.getKey, expectations());

    published = { keys: [current.jwk, rotated.jwk] };
    clock.now += JWKS_REFETCH_INTERVAL_MS;
    expect((await verifyIdToken(await sign(claims(), rotated), cache.getKey, expectations())).sub).toBe('auth0|user-1');
    expect(cache.fetchCount()).toBe(2);
  });

  test('JWKS unreachable after a good fetch: known keys still verify, unknown ones are refused, one refetch per interval', async () => {
    const clock = { now: 0 };
    let reachable = true;
    const cache = createKeySetCache({
      fetchKeySet: () => (reachable ? Promise.resolve({ keys: [current.jwk] }) : Promise.reject(new Error('connect ECONNREFUSED'))),
      now: () => clock.now,
    });
    const known = await sign(claims());
    const unknown = await sign(claims(), rotated);
    await verifyIdToken(known, cache.getKey, expectations());
    reachable = false;

    clock.now += JWKS_REFETCH_INTERVAL_MS;
    expect(await refusal(unknown, expectations(), cache.getKey)).toBe('id_token_unknown_key');
    expect(cache.fetchCount()).toBe(2);
    expect((await verifyIdToken(known, cache.getKey, expectations())).sub).toBe('auth0|user-1');

    clock.now += JWKS_REFETCH_INTERVAL_MS - 1;
    expect(await refusal(unknown, expectations(), cache.getKey)).toBe('id_token_unknown_key');
    expect(await refusal(unknown, expectations(), cache.getKey)).toBe('id_token_unknown_key');
    expect(cache.fetchCount()).toBe(2);

    clock.now += 1;
    expect(await refusal(unknown, expectations(), cache.getKey)).toBe('id_token_unknown_key');
    expect(cache.fetchCount()).toBe(3);
    expect((await verifyIdToken(known, cache.getKey, expectations())).sub).toBe('auth0|user-1');
  });

  test('JWKS unreachable with no set yet', async () => {
    const cache = createKeySetCache({ fetchKeySet: () => Promise.reject(new Error('connect ECONNREFUSED')), now: () => 0 });
    expect(await refusal(await sign(claims()), expectations(), cache.getKey)).toBe('jwks_unavailable');
  });
});

describe('pickProfileClaims', () => {
  test('keeps the configured plain claims and leaves out the rest', () => {
    const payload: JWTPayload = {
      name: 'Ada',
      email_verified: true,
      logins: 3,
      picture: 'p'.repeat(513),
      roles: ['admin'],
      address: { country: 'UK' },
      ratio: Number.NaN,
      unlisted: 'x',
    };
    expect(pickProfileClaims(payload, ['name', 'email', 'email_verified', 'logins', 'picture', 'roles', 'address', 'ratio'])).toEqual({
      name: 'Ada',
      email_verified: true,
      logins: 3,
    });
  });

  test('a string of exactly 512 characters is kept', () => {
    expect(pickProfileClaims({ picture: 'p'.repeat(512) }, ['picture'])).toEqual({ picture: 'p'.repeat(512) });
  });
});
