import {
  BINDING_COOKIE_NAME,
  bindBrowser,
  bindingCookie,
  bindingMatches,
  hashBindingSecret,
  readCookie,
} from '../../lambdas/core/binding.js';
import { isRandomToken, randomToken, sha256Base64Url } from '../../lambdas/core/encoding.js';

describe('bindBrowser', () => {
  test('gives a browser without a secret a fresh random one and its hash', () => {
    const binding = bindBrowser(undefined);
    expect(isRandomToken(binding.secret)).toBe(true);
    expect(binding.hash).toBe(hashBindingSecret(binding.secret));
  });

  test('reuses a well-formed secret, so parallel logins in several tabs share one binding', () => {
    const secret = randomToken();
    expect(bindBrowser(secret)).toEqual({ secret, hash: hashBindingSecret(secret) });
  });

  test.each([
    ['empty', ''],
    ['too short', 'abc'],
    ['one character too long', `${randomToken()}A`],
    ['padded', `${randomToken().slice(0, 42)}=`],
    ['with a cookie separator', `${randomToken().slice(0, 42)};`],
  ])('replaces a malformed secret (%s) with a fresh one', (_label, secret) => {
    const binding = bindBrowser(secret);
    expect(binding.secret).not.toBe(secret);
    expect(isRandomToken(binding.secret)).toBe(true);
  });

  test('fresh secrets never repeat', () => {
    const secrets = new Set(Array.from({ length: 500 }, () => bindBrowser(undefined).secret));
    expect(secrets.size).toBe(500);
  });
});

describe('hashBindingSecret and bindingMatches', () => {
  test('the stored hash is domain-separated: it is not the plain SHA-256 of the secret', () => {
    const secret = randomToken();
    expect(hashBindingSecret(secret)).toBe(sha256Base64Url(`binding:${secret}`));
    expect(hashBindingSecret(secret)).not.toBe(sha256Base64Url(secret));
    expect(hashBindingSecret(secret)).not.toContain(secret);
  });

  test('matches only the secret the hash was made from', () => {
    const secret = randomToken();
    const hash = hashBindingSecret(secret);
    expect(bindingMatches(secret, hash)).toBe(true);
    expect(bindingMatches(randomToken(), hash)).toBe(false);
    expect(bindingMatches(secret, hash.slice(0, -1))).toBe(false);
    expect(bindingMatches(secret, '')).toBe(false);
    expect(bindingMatches(secret, secret)).toBe(false);
  });
});

describe('bindingCookie', () => {
  test('is a __Host- cookie: HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, with the given lifetime', () => {
    const secret = randomToken();
    const cookie = bindingCookie(secret, 600);
    expect(cookie).toBe(`__Host-login-binding=${secret}; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax`);
    const [pair, ...attributes] = cookie.split('; ');
    expect(pair).toBe(`${BINDING_COOKIE_NAME}=${secret}`);
    expect(BINDING_COOKIE_NAME.startsWith('__Host-')).toBe(true);
    expect(new Set(attributes)).toEqual(new Set(['Max-Age=600', 'Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax']));
    expect(cookie.toLowerCase()).not.toContain('domain=');
    // Strict would withhold the cookie on the provider's cross-site redirect back to /callback.
    expect(cookie).not.toContain('SameSite=Strict');
  });
});

describe('readCookie', () => {
  const secret = randomToken();

  test.each([
    ['the only cookie', [`${BINDING_COOKIE_NAME}=${secret}`]],
    ['among others', ['theme=dark', `${BINDING_COOKIE_NAME}=${secret}`, 'lang=en']],
    ['inside one header with separators and spaces', [`theme=dark;  ${BINDING_COOKIE_NAME}=${secret} ; lang=en`]],
  ])('finds the value when it is %s', (_label, cookies) => {
    expect(readCookie(cookies, BINDING_COOKIE_NAME)).toBe(secret);
  });

  test('keeps everything after the first "=" as the value', () => {
    expect(readCookie(['name=a=b'], 'name')).toBe('a=b');
  });

  test.each([
    ['no cookies at all', undefined],
    ['an empty list', []],
    ['only other cookies', ['theme=dark']],
    ['a cookie whose name merely ends with ours', [`x${BINDING_COOKIE_NAME}=${secret}`]],
    ['our name without a value separator', [BINDING_COOKIE_NAME]],
    ['our name twice in separate entries (ambiguous)', [`${BINDING_COOKIE_NAME}=${secret}`, `${BINDING_COOKIE_NAME}=${randomToken()}`]],
    ['our name twice in one header (ambiguous)', [`${BINDING_COOKIE_NAME}=${secret}; ${BINDING_COOKIE_NAME}=${secret}`]],
  ])('yields nothing for %s', (_label, cookies) => {
    expect(readCookie(cookies, BINDING_COOKIE_NAME)).toBeUndefined();
  });
});
