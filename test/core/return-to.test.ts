import { parseLoginQuery } from '../../lambdas/core/authorization-request.js';
import { landingUrl, MAX_RETURN_TO_LENGTH, sanitizeReturnTo } from '../../lambdas/core/return-to.js';
import { testConfig, TEST_BASE_URL } from '../support/flow.js';
import { OPEN_REDIRECT_COUNT, decodedOnce, loadOpenRedirects } from '../support/open-redirects.js';

const corpus = loadOpenRedirects();

describe('sanitizeReturnTo over the open-redirect corpus (test/data/openredirects.txt)', () => {
  test('the corpus is complete', () => {
    expect(corpus).toHaveLength(OPEN_REDIRECT_COUNT);
  });

  test('drops every payload as the value arrives when the link encoded it', () => {
    expect(corpus.filter((payload) => sanitizeReturnTo(payload, TEST_BASE_URL) !== undefined)).toEqual([]);
  });

  test('drops every payload as it arrives when the link did not encode it (decoded once)', () => {
    const kept = corpus.filter((payload) => {
      const decoded = decodedOnce(payload);
      return decoded !== undefined && sanitizeReturnTo(decoded, TEST_BASE_URL) !== undefined;
    });
    expect(kept).toEqual([]);
  });

  test('drops every payload pasted unencoded into the login query (rejected or no returnTo)', () => {
    const config = testConfig();
    const kept = corpus.filter((payload) => {
      try {
        return parseLoginQuery(`returnTo=${payload}`, config).returnTo !== undefined;
      } catch {
        return false;
      }
    });
    expect(kept).toEqual([]);
  });

  test('drops every payload under a base URL on a non-default port too', () => {
    const base = 'https://example.test:8443';
    expect(corpus.filter((payload) => sanitizeReturnTo(payload, base) !== undefined)).toEqual([]);
  });
});

describe('sanitizeReturnTo', () => {
  test.each([
    '/',
    '/dashboard',
    '/account?tab=1',
    '/a/b/c',
    '/search?q=hello%20world&page=2',
    '/docs#section-2',
    '/~user/file.txt',
    '/path;matrix=1',
    "/it's-(fine)!*,$",
    '/caf%C3%A9',
    '/a:b@c',
    '/.well-known/thing',
  ])('keeps the same-origin path %j exactly', (path) => {
    expect(sanitizeReturnTo(path, TEST_BASE_URL)).toBe(path);
  });

  test('keeps a path of exactly the maximum length and drops one character more', () => {
    const atLimit = `/${'a'.repeat(MAX_RETURN_TO_LENGTH - 1)}`;
    expect(sanitizeReturnTo(atLimit, TEST_BASE_URL)).toBe(atLimit);
    expect(sanitizeReturnTo(`${atLimit}a`, TEST_BASE_URL)).toBeUndefined();
  });

  test.each([
    ['absent', undefined],
    ['empty', ''],
    ['relative', 'dashboard'],
    ['absolute, even to our own origin', `${TEST_BASE_URL}/dashboard`],
    ['protocol-relative', '//evil.test/'],
    ['backslash network path', '/\\evil.test'],
    ['backslash anywhere', '/a\\b'],
    ['encoded slashes', '/%2F%2Fevil.test'],
    ['double-encoded slashes', '/%252F%252Fevil.test'],
    ['encoded backslash', '/%5Cevil.test'],
    ['tab between slashes (browsers strip it)', '/\t/evil.test'],
    ['encoded tab between slashes', '/%09/evil.test'],
    ['encoded newline', '/%0A/evil.test'],
    ['raw space', '/a b'],
    ['an embedded absolute URL', '/https://evil.test/'],
    ['an empty path segment', '/a//b'],
    ['a dot segment', '/a/../b'],
    ['a single-dot segment', '/a/./b'],
    ['an encoded dot segment', '/a/%2E%2E/b'],
    ['malformed escape', '/%'],
    ['invalid UTF-8 escape', '/%E0%A4%A'],
    ['javascript URL', 'javascript:alert(1)'],
    ['a non-ASCII character', '/café'],
    ['a NUL byte', '/a%00b'],
  ])('drops %s', (_label, candidate) => {
    expect(sanitizeReturnTo(candidate, TEST_BASE_URL)).toBeUndefined();
  });
});

describe('returnTo edge cases', () => {
  test('a value whose decoding has not settled within the round limit is refused (// appears only after the fifth decoding)', () => {
    expect(sanitizeReturnTo('/%252525252F%252525252Fevil.com', TEST_BASE_URL)).toBeUndefined();
    expect(sanitizeReturnTo('/%25252525252Fx', TEST_BASE_URL)).toBeUndefined();
    // Settling within the limit is fine when nothing dangerous appears on the way.
    expect(sanitizeReturnTo('/report%252Fq1', TEST_BASE_URL)).toBe('/report%252Fq1');
  });

  test.each(['/login', '/login?prompt=none', '/callback?state=abc&code=x', '/logout', '/signed-out', '/backchannel-logout', '/LOGIN', '/logout/', '/%6Cogin', '/callback#x'])(
    'the flow\'s own route %s is never a landing place',
    (value) => {
      expect(sanitizeReturnTo(value, TEST_BASE_URL)).toBeUndefined();
    },
  );

  test.each(['/signed-in', '/hello/page', '/login-help', '/callbacks/list', '/account/logout-history'])('an app page that merely resembles a flow route is kept: %s', (value) => {
    expect(sanitizeReturnTo(value, TEST_BASE_URL)).toBe(value);
  });
});

describe('landingUrl: the origin check applied again at the callback', () => {
  test.each(['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)'])('%s does not stay on the origin', (value) => {
    expect(landingUrl(value, TEST_BASE_URL)).toBeUndefined();
  });

  test('a same-origin path resolves against the base URL', () => {
    expect(landingUrl('/dashboard?tab=2', TEST_BASE_URL)).toBe(`${TEST_BASE_URL}/dashboard?tab=2`);
  });
});
