import {
  LoginRequestError,
  PASS_THROUGH_PARAMETERS,
  createAuthorizationRequest,
  parseLoginQuery,
  transactionIdForState,
  type LoginRequest,
} from '../../lambdas/core/authorization-request.js';
import { hashBindingSecret } from '../../lambdas/core/binding.js';
import { isRandomToken, randomToken, sha256Base64Url } from '../../lambdas/core/encoding.js';
import { calculateCodeChallenge } from '../../lambdas/core/pkce.js';
import { testConfig } from '../support/flow.js';

const NOW_MS = 1_750_000_000_123;
const NO_EXTRAS: LoginRequest = { returnTo: undefined, extras: new Map() };

function rejectionOf(rawQueryString: string): { reason: string; parameter: string | undefined } {
  try {
    parseLoginQuery(rawQueryString, testConfig());
  } catch (error) {
    if (error instanceof LoginRequestError) return { reason: error.reason, parameter: error.parameter };
    throw error;
  }
  throw new Error(`accepted: ${rawQueryString}`);
}

describe('parseLoginQuery', () => {
  test('an empty login query: no returnTo, no extras', () => {
    expect(parseLoginQuery('', testConfig())).toEqual(NO_EXTRAS);
  });

  test('keeps a same-origin returnTo and drops any other', () => {
    expect(parseLoginQuery('returnTo=%2Faccount%3Ftab%3D1', testConfig()).returnTo).toBe('/account?tab=1');
    expect(parseLoginQuery('returnTo=https%3A%2F%2Fevil.test%2F', testConfig()).returnTo).toBeUndefined();
  });

  test('passes through each allow-listed Auth0 extra, in allow-list order', () => {
    const query = 'ui_locales=fr-CA+en&invitation=inv_1&organization=org_1&connection=github&login_hint=a%40b.test&screen_hint=signup&prompt=login';
    expect([...parseLoginQuery(query, testConfig()).extras]).toEqual([
      ['prompt', 'login'],
      ['screen_hint', 'signup'],
      ['login_hint', 'a@b.test'],
      ['connection', 'github'],
      ['organization', 'org_1'],
      ['invitation', 'inv_1'],
      ['ui_locales', 'fr-CA en'],
    ]);
    expect(PASS_THROUGH_PARAMETERS).toEqual(['prompt', 'screen_hint', 'login_hint', 'connection', 'organization', 'invitation', 'ui_locales']);
  });

  test('ignores everything outside the allow-list, including the parameters the flow itself sets', () => {
    const query =
      'client_id=evil&redirect_uri=https%3A%2F%2Fevil.test%2Fcb&state=chosen&nonce=chosen&scope=admin&audience=other' +
      '&response_type=token&code_challenge=x&code_challenge_method=plain&response_mode=form_post&max_age=0';
    expect(parseLoginQuery(query, testConfig())).toEqual(NO_EXTRAS);
  });

  test.each(['none', 'login', 'consent', 'select_account', 'login consent'])('accepts prompt=%j', (prompt) => {
    expect(parseLoginQuery(`prompt=${encodeURIComponent(prompt)}`, testConfig()).extras.get('prompt')).toBe(prompt);
  });

  test.each([
    ['an unknown prompt value', 'prompt=bogus', 'prompt'],
    ['a prompt with a doubled space', 'prompt=login%20%20consent', 'prompt'],
    ['an empty prompt', 'prompt=', 'prompt'],
    ['an empty extra', 'connection=', 'connection'],
    ['an extra over 256 characters', `login_hint=${'a'.repeat(257)}`, 'login_hint'],
    ['an extra with a control character', 'organization=org%0A1', 'organization'],
    ['an extra with DEL', 'screen_hint=sign%7Fup', 'screen_hint'],
  ])('rejects %s', (_label, query, parameter) => {
    expect(rejectionOf(query)).toEqual({ reason: 'invalid_parameter', parameter });
  });

  test('accepts an extra of exactly 256 characters', () => {
    expect(parseLoginQuery(`login_hint=${'a'.repeat(256)}`, testConfig()).extras.get('login_hint')).toHaveLength(256);
  });

  test.each([
    ['malformed percent-encoding', 'returnTo=%E0%A4%A', undefined],
    ['a duplicated parameter', 'prompt=login&prompt=none', 'prompt'],
    ['a duplicated returnTo', 'returnTo=%2Fa&returnTo=%2Fb', 'returnTo'],
  ])('rejects %s as a malformed query', (_label, query, parameter) => {
    expect(rejectionOf(query)).toEqual({ reason: 'malformed_query', parameter });
  });
});

describe('createAuthorizationRequest', () => {
  test('builds the /authorize URL with every parameter, in order, and nothing else', () => {
    const config = testConfig();
    const { authorizeUrl, transaction } = createAuthorizationRequest(config, NO_EXTRAS, undefined, NOW_MS);
    const url = new URL(authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe('https://tenant.example.test/authorize');
    expect(url.hash).toBe('');
    const state = url.searchParams.get('state') ?? '';
    expect([...url.searchParams]).toEqual([
      ['response_type', 'code'],
      ['client_id', 'test-client'],
      ['redirect_uri', 'https://login.example.test/callback'],
      ['scope', 'openid profile email'],
      ['audience', 'https://api.example.test'],
      ['state', state],
      ['code_challenge', calculateCodeChallenge(transaction.codeVerifier)],
      ['code_challenge_method', 'S256'],
      ['nonce', transaction.nonce],
    ]);
  });

  test('state, verifier and nonce are fresh 256-bit tokens, distinct from each other', () => {
    const { authorizeUrl, transaction } = createAuthorizationRequest(testConfig(), NO_EXTRAS, undefined, NOW_MS);
    const state = new URL(authorizeUrl).searchParams.get('state') ?? '';
    for (const token of [state, transaction.codeVerifier, transaction.nonce ?? '']) expect(isRandomToken(token)).toBe(true);
    expect(new Set([state, transaction.codeVerifier, transaction.nonce]).size).toBe(3);
  });

  test('every request gets its own state, verifier and nonce', () => {
    const requests = Array.from({ length: 50 }, () => createAuthorizationRequest(testConfig(), NO_EXTRAS, undefined, NOW_MS));
    expect(new Set(requests.map((request) => request.transaction.id)).size).toBe(50);
    expect(new Set(requests.map((request) => request.transaction.codeVerifier)).size).toBe(50);
    expect(new Set(requests.map((request) => request.transaction.nonce)).size).toBe(50);
  });

  test('the stored transaction: keyed by the state hash, never the state; binding hash, returnTo, times', () => {
    const secret = randomToken();
    const request: LoginRequest = { returnTo: '/account', extras: new Map() };
    const { authorizeUrl, transaction, binding } = createAuthorizationRequest(testConfig({ stateTtlSeconds: 300 }), request, secret, NOW_MS);
    const state = new URL(authorizeUrl).searchParams.get('state') ?? '';
    expect(transaction).toEqual({
      id: transactionIdForState(state),
      codeVerifier: transaction.codeVerifier,
      nonce: transaction.nonce,
      bindingHash: hashBindingSecret(secret),
      returnTo: '/account',
      createdAt: NOW_MS,
      expiresAt: Math.floor(NOW_MS / 1000) + 300,
    });
    expect(transaction.id).not.toBe(state);
    expect(binding).toEqual({ secret, hash: hashBindingSecret(secret) });
  });

  test('a browser without a valid secret gets a new binding', () => {
    const { binding, transaction } = createAuthorizationRequest(testConfig(), NO_EXTRAS, 'not-a-secret', NOW_MS);
    expect(binding.secret).not.toBe('not-a-secret');
    expect(transaction.bindingHash).toBe(hashBindingSecret(binding.secret));
  });

  test('audience is omitted when none is configured', () => {
    const { authorizeUrl } = createAuthorizationRequest(testConfig({ audience: undefined }), NO_EXTRAS, undefined, NOW_MS);
    expect(new URL(authorizeUrl).searchParams.has('audience')).toBe(false);
  });

  test.each(['profile email', 'openidx profile', 'email openid_connect'])('no nonce when the scope %j lacks the openid token', (scope) => {
    const { authorizeUrl, transaction } = createAuthorizationRequest(testConfig({ scope }), NO_EXTRAS, undefined, NOW_MS);
    expect(new URL(authorizeUrl).searchParams.has('nonce')).toBe(false);
    expect(transaction.nonce).toBeUndefined();
  });

  test('a nonce whenever openid is one of the scope tokens', () => {
    const { authorizeUrl, transaction } = createAuthorizationRequest(testConfig({ scope: 'email openid' }), NO_EXTRAS, undefined, NOW_MS);
    expect(new URL(authorizeUrl).searchParams.get('nonce')).toBe(transaction.nonce);
  });

  test('extras are appended after the flow parameters, and a login link cannot override client_id, redirect_uri or state', () => {
    const config = testConfig();
    const request = parseLoginQuery(
      'client_id=evil&redirect_uri=https%3A%2F%2Fevil.test%2Fcb&state=chosen&prompt=login&connection=github&code_challenge_method=plain',
      config,
    );
    const url = new URL(createAuthorizationRequest(config, request, undefined, NOW_MS).authorizeUrl);
    expect(url.searchParams.getAll('client_id')).toEqual(['test-client']);
    expect(url.searchParams.getAll('redirect_uri')).toEqual(['https://login.example.test/callback']);
    expect(url.searchParams.getAll('code_challenge_method')).toEqual(['S256']);
    expect(url.searchParams.getAll('state')).toHaveLength(1);
    expect(url.searchParams.get('state')).not.toBe('chosen');
    expect([...url.searchParams.keys()].slice(-2)).toEqual(['prompt', 'connection']);
    expect(url.searchParams.get('prompt')).toBe('login');
  });

  test('the state carries an id, not data: the whole URL stays short (Auth0 answers 414 to long states)', () => {
    const { authorizeUrl } = createAuthorizationRequest(testConfig(), { returnTo: `/${'a'.repeat(1000)}`, extras: new Map() }, undefined, NOW_MS);
    expect(new URL(authorizeUrl).searchParams.get('state')).toHaveLength(43);
    expect(authorizeUrl).not.toContain('aaaa');
  });
});

describe('transactionIdForState', () => {
  test('is the domain-separated SHA-256 of the state', () => {
    const state = randomToken();
    expect(transactionIdForState(state)).toBe(sha256Base64Url(`state:${state}`));
    expect(transactionIdForState(state)).not.toBe(sha256Base64Url(state));
    expect(transactionIdForState(state)).toBe(transactionIdForState(state));
  });
});
