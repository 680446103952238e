import {
  backoffDelays,
  decideToken,
  deserializeTokens,
  leaseFree,
  mayPresentRefreshToken,
  parseRefreshResponse,
  serializeTokens,
  stillValid,
} from '../../lambdas/core/token/session-tokens.js';
import type { TokenEndpointAnswer } from '../../lambdas/core/token/token-response.js';

const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;

describe('is a refresh due', () => {
  test.each([
    ['well before expiry', 600, true, 'use'],
    ['just outside the leeway', 61, true, 'use'],
    ['inside the leeway, with a refresh token', 59, true, 'refresh'],
    ['expired, with a refresh token', -10, true, 'refresh'],
    ['inside the leeway, without a refresh token: used until it expires', 30, false, 'use'],
    ['expired, without a refresh token', 0, false, 'reauthenticate'],
  ] as const)('%s', (_label, secondsLeft, hasRefreshToken, decision) => {
    expect(decideToken({ accessTokenExpiresAt: NOW + secondsLeft }, hasRefreshToken, NOW_MS, 60)).toBe(decision);
  });

  test('the leeway is a setting', () => {
    expect(decideToken({ accessTokenExpiresAt: NOW + 100 }, true, NOW_MS, 120)).toBe('refresh');
    expect(decideToken({ accessTokenExpiresAt: NOW + 100 }, true, NOW_MS, 0)).toBe('use');
  });

  test('a still-valid token can serve a caller that finds the lease taken', () => {
    expect(stillValid({ accessTokenExpiresAt: NOW + 1 }, NOW_MS)).toBe(true);
    expect(stillValid({ accessTokenExpiresAt: NOW }, NOW_MS)).toBe(false);
  });
});

describe('the lease', () => {
  test('free when there is none or its deadline has passed; taken until then', () => {
    expect(leaseFree(undefined, NOW_MS)).toBe(true);
    expect(leaseFree({ owner: 'a', until: NOW_MS }, NOW_MS)).toBe(true);
    expect(leaseFree({ owner: 'a', until: NOW_MS + 1 }, NOW_MS)).toBe(false);
  });

  test('the winner presents the refresh token only over the version it decided on', () => {
    expect(mayPresentRefreshToken(3, 3)).toBe(true);
    expect(mayPresentRefreshToken(3, 4)).toBe(false);
  });

  test('waiting backs off exponentially, capped, and never past its bound', () => {
    const delays = backoffDelays(1000);
    expect(delays.slice(0, 4)).toEqual([20, 40, 80, 160]);
    expect(Math.max(...delays)).toBe(250);
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBe(1000);
  });
});

describe('the sealed bundle', () => {
  test('round-trips, optional tokens included', () => {
    const tokens = { accessToken: 'a', refreshToken: undefined, idToken: 'i' };
    expect(deserializeTokens(serializeTokens(tokens))).toEqual(tokens);
    expect(deserializeTokens('{"r":"x"}')).toBeUndefined();
    expect(deserializeTokens('nope')).toBeUndefined();
  });
});

describe('the refresh answer (RFC 6749 §6, §5.1, §5.2)', () => {
  const answer = (body: unknown, overrides: Partial<TokenEndpointAnswer> = {}): TokenEndpointAnswer => ({
    status: 200,
    contentType: 'application/json',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...overrides,
  });
  const good = { access_token: 'at2', token_type: 'Bearer', expires_in: 300, refresh_token: 'rt2', scope: 'read:whoami' };

  test('new tokens, rotated refresh token and scope', () => {
    expect(parseRefreshResponse(answer(good))).toEqual({
      kind: 'tokens',
      tokens: { accessToken: 'at2', expiresIn: 300, refreshToken: 'rt2', idToken: undefined, scope: 'read:whoami' },
    });
  });

  test('no new refresh token: the old one is kept (the answer says none)', () => {
    expect(parseRefreshResponse(answer({ ...good, refresh_token: undefined }))).toMatchObject({ kind: 'tokens', tokens: { refreshToken: undefined } });
  });

  test.each([400, 401])('%i invalid_grant ends the grant', (status) => {
    expect(parseRefreshResponse(answer({ error: 'invalid_grant' }, { status }))).toEqual({ kind: 'grant_ended' });
  });

  test.each([
    ['a 5xx', answer('oops', { status: 503 }), 'server_error'],
    ['invalid_client', answer({ error: 'invalid_client' }, { status: 401 }), 'invalid_client'],
    ['an unknown error, never echoed', answer({ error: '<script>' }, { status: 400 }), 'other'],
    ['a 4xx without JSON', answer('no', { status: 400 }), 'other'],
    ['HTML at 200', answer(good, { contentType: 'text/html' }), 'invalid_token_response'],
    ['no access_token', answer({ ...good, access_token: undefined }), 'invalid_token_response'],
    ['a DPoP token_type', answer({ ...good, token_type: 'DPoP' }), 'invalid_token_response'],
    ['a non-numeric expires_in', answer({ ...good, expires_in: '300' }), 'invalid_token_response'],
    ['an empty refresh_token', answer({ ...good, refresh_token: '' }), 'invalid_token_response'],
    ['an oversized body', answer(JSON.stringify({ ...good, pad: 'x'.repeat(70_000) })), 'invalid_token_response'],
  ])('%s keeps the session (unavailable)', (_label, input, label) => {
    expect(parseRefreshResponse(input)).toEqual({ kind: 'unavailable', label });
  });
});
