import { SignInFailure } from '../../lambdas/core/token/sign-in-failure.js';
import { MAX_TOKEN_RESPONSE_BYTES, parseTokenResponse, tokenErrorLabel, type TokenEndpointAnswer } from '../../lambdas/core/token/token-response.js';

const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';

function answer(body: unknown, overrides: Partial<TokenEndpointAnswer> = {}): TokenEndpointAnswer {
  return { status: 200, contentType: 'application/json', body: typeof body === 'string' ? body : JSON.stringify(body), ...overrides };
}

function tokenBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { access_token: 'at', token_type: 'Bearer', expires_in: 86400, id_token: ID_TOKEN, ...overrides };
}

function failureOf(input: TokenEndpointAnswer): { reason: string; providerError: string | undefined } {
  try {
    parseTokenResponse(input);
  } catch (error) {
    if (error instanceof SignInFailure) return { reason: error.reason, providerError: error.providerError };
    throw error;
  }
  throw new Error(`accepted: ${input.body}`);
}

describe('parseTokenResponse: successful answers', () => {
  test('a 200 JSON bearer response with an id_token', () => {
    expect(parseTokenResponse(answer(tokenBody()))).toEqual({ idToken: ID_TOKEN, accessToken: 'at', expiresIn: 86400, refreshToken: undefined, scope: undefined });
  });

  test.each(['Bearer', 'bearer', 'BEARER'])('token_type %s (compared case-insensitively, RFC 6749 §5.1)', (tokenType) => {
    expect(parseTokenResponse(answer(tokenBody({ token_type: tokenType }))).idToken).toBe(ID_TOKEN);
  });

  test.each(['openid email', 'openid', 'read:messages https://api.example.test/write !#[]~'])('a granted scope of RFC 6749 §3.3 characters is passed on: %j', (scope) => {
    expect(parseTokenResponse(answer(tokenBody({ scope }))).scope).toBe(scope);
  });

  test('an empty granted scope (as some providers send) is kept as no scope', () => {
    expect(parseTokenResponse(answer(tokenBody({ scope: '' }))).scope).toBeUndefined();
  });

  test('the access token, its lifetime and a granted refresh token are passed on', () => {
    expect(parseTokenResponse(answer(tokenBody({ refresh_token: 'rt', expires_in: 300 })))).toMatchObject({ accessToken: 'at', expiresIn: 300, refreshToken: 'rt' });
  });

  test.each(['application/json; charset=utf-8', 'Application/JSON', ' application/json ;charset=UTF-8'])('content type %j', (contentType) => {
    expect(parseTokenResponse(answer(tokenBody(), { contentType })).idToken).toBe(ID_TOKEN);
  });
});

describe('parseTokenResponse: malformed 200 answers are invalid_token_response', () => {
  test.each([
    ['token_type DPoP', tokenBody({ token_type: 'DPoP' })],
    ['no token_type', tokenBody({ token_type: undefined })],
    ['a non-string token_type', tokenBody({ token_type: 1 })],
    ['no id_token', tokenBody({ id_token: undefined })],
    ['an empty id_token', tokenBody({ id_token: '' })],
    ['a non-string id_token', tokenBody({ id_token: { jwt: ID_TOKEN } })],
    ['a non-string scope', tokenBody({ scope: ['openid'] })],
    ['a scope with a double quote (outside RFC 6749 §3.3)', tokenBody({ scope: 'openid <script>alert("x")</script>' })],
    ['a scope with a backslash', tokenBody({ scope: 'openid a\\b' })],
    ['a scope with a control character', tokenBody({ scope: 'openid\u001b[2J' })],
    ['a scope with a non-ASCII character', tokenBody({ scope: 'openid émail' })],
    ['a scope with a tab', tokenBody({ scope: 'openid\temail' })],
    ['a scope with two spaces in a row', tokenBody({ scope: 'openid  email' })],
    ['a scope with a leading space', tokenBody({ scope: ' openid' })],
    ['no access_token', tokenBody({ access_token: undefined })],
    ['an empty access_token', tokenBody({ access_token: '' })],
    ['a non-string refresh_token', tokenBody({ refresh_token: 42 })],
    ['an expires_in that is not a positive whole number', tokenBody({ expires_in: '3600' })],
    ['a negative expires_in', tokenBody({ expires_in: -5 })],
    ['a JSON array', [tokenBody()]],
    ['JSON null', 'null'],
    ['not JSON', 'id_token=abc&token_type=Bearer'],
    ['an empty body', ''],
  ])('%s', (_label, body) => {
    expect(failureOf(answer(body))).toEqual({ reason: 'invalid_token_response', providerError: undefined });
  });

  test.each([['text/html'], ['application/x-www-form-urlencoded'], ['application/jsonp'], [undefined]])('content type %j', (contentType) => {
    expect(failureOf(answer(tokenBody(), { contentType }))).toEqual({ reason: 'invalid_token_response', providerError: undefined });
  });

  test('a body over the size limit, valid JSON or not', () => {
    const body = JSON.stringify(tokenBody({ padding: 'x'.repeat(MAX_TOKEN_RESPONSE_BYTES) }));
    expect(failureOf(answer(body))).toEqual({ reason: 'invalid_token_response', providerError: undefined });
  });

  test('a body just under the size limit is read', () => {
    const small = JSON.stringify(tokenBody({ padding: '' }));
    const body = JSON.stringify(tokenBody({ padding: 'x'.repeat(MAX_TOKEN_RESPONSE_BYTES - small.length) }));
    expect(body.length).toBe(MAX_TOKEN_RESPONSE_BYTES);
    expect(parseTokenResponse(answer(body)).idToken).toBe(ID_TOKEN);
  });
});

describe('parseTokenResponse: error answers are token_endpoint_error with a fixed label', () => {
  test('400 invalid_grant yields its code', () => {
    expect(failureOf(answer({ error: 'invalid_grant', error_description: 'Invalid authorization code' }, { status: 400 }))).toEqual({
      reason: 'token_endpoint_error',
      providerError: 'invalid_grant',
    });
  });

  test('401 invalid_client yields its code', () => {
    expect(failureOf(answer({ error: 'invalid_client' }, { status: 401 })).providerError).toBe('invalid_client');
  });

  test('an unknown error code is labelled other, never echoed', () => {
    expect(failureOf(answer({ error: '<script>alert(1)</script>' }, { status: 400 }))).toEqual({ reason: 'token_endpoint_error', providerError: 'other' });
  });

  test.each([
    ['a 400 without JSON', answer('Bad Request', { status: 400, contentType: 'text/plain' }), 'other'],
    ['a 400 whose error is not a string', answer({ error: 400 }, { status: 400 }), 'other'],
    ['a 302', answer('', { status: 302, contentType: undefined }), 'other'],
    ['a 500', answer('Internal Server Error', { status: 500, contentType: 'text/plain' }), 'server_error'],
    ['a 503 with a JSON error', answer({ error: 'temporarily_unavailable' }, { status: 503 }), 'server_error'],
  ])('%s', (_label, input, providerError) => {
    expect(failureOf(input)).toEqual({ reason: 'token_endpoint_error', providerError });
  });

  test('an oversized error body is not parsed', () => {
    const body = JSON.stringify({ error: 'invalid_grant', padding: 'x'.repeat(MAX_TOKEN_RESPONSE_BYTES) });
    expect(failureOf(answer(body, { status: 400 }))).toEqual({ reason: 'token_endpoint_error', providerError: 'other' });
  });
});

describe('tokenErrorLabel', () => {
  test.each([
    'invalid_request',
    'invalid_client',
    'invalid_grant',
    'unauthorized_client',
    'unsupported_grant_type',
    'invalid_scope',
    'access_denied',
    'server_error',
    'temporarily_unavailable',
  ])('%s is known', (code) => {
    expect(tokenErrorLabel(code)).toBe(code);
  });

  test.each([['mfa_required'], ['INVALID_GRANT'], [''], [undefined], [42]])('%j is other', (code) => {
    expect(tokenErrorLabel(code)).toBe('other');
  });
});
