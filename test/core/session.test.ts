import { createHash } from 'node:crypto';
import {
  clearedSessionCookie,
  createSession,
  displayName,
  endSessionUrl,
  evaluateSession,
  SESSION_COOKIE_NAME,
  SESSION_TOUCH_INTERVAL_SECONDS,
  sessionCookie,
  sessionIdForSecret,
  sessionIdFromCookie,
  type SessionLifetimes,
} from '../../lambdas/core/session/session.js';

const LIFETIMES: SessionLifetimes = { sessionIdleSeconds: 86_400, sessionAbsoluteSeconds: 604_800 };
const IDENTITY = { sub: 'auth0|user-1', sid: 'sid-1', claims: { name: 'Ada' } };
/** Epoch seconds of the session's last touch in the evaluateSession tests. */
const T = 1_700_000_000;

const atSeconds = (seconds: number): number => seconds * 1000;

function parseCookie(cookie: string): { name: string; value: string; attributes: string[] } {
  const [pair = '', ...rest] = cookie.split('; ');
  const separator = pair.indexOf('=');
  return { name: pair.slice(0, separator), value: pair.slice(separator + 1), attributes: rest };
}

describe('session secret and id', () => {
  test('the secret is 256 random bits as 43 base64url characters, a new one each time', () => {
    const secrets = new Set(Array.from({ length: 20 }, () => createSession(IDENTITY, LIFETIMES, Date.now()).secret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('the stored id is the SHA-256 of the secret, never the secret itself', () => {
    const { secret, record } = createSession(IDENTITY, LIFETIMES, Date.now());
    expect(record.id).toBe(createHash('sha256').update(`session:${secret}`).digest('base64url'));
    expect(record.id).not.toBe(secret);
    expect(sessionIdForSecret(secret)).toBe(record.id);
  });

  test('a cookie value maps to the session id only when it has the secret shape', () => {
    const { secret, record } = createSession(IDENTITY, LIFETIMES, Date.now());
    expect(sessionIdFromCookie(secret)).toBe(record.id);
    expect(sessionIdFromCookie(undefined)).toBeUndefined();
    expect(sessionIdFromCookie('')).toBeUndefined();
    expect(sessionIdFromCookie(`${secret}x`)).toBeUndefined();
    expect(sessionIdFromCookie(`${secret.slice(1)}=`)).toBeUndefined();
  });
});

describe('createSession', () => {
  test('records the identity and both deadlines from the current second', () => {
    const nowMs = atSeconds(T) + 750;
    const { record } = createSession(IDENTITY, LIFETIMES, nowMs);
    expect(record).toEqual({
      id: record.id,
      sub: 'auth0|user-1',
      sid: 'sid-1',
      claims: { name: 'Ada' },
      createdAt: nowMs,
      lastSeenAt: T,
      absoluteExpiresAt: T + 604_800,
      expiresAt: T + 86_400,
    });
  });

  test('the idle deadline never passes the absolute one', () => {
    const { record } = createSession(IDENTITY, { sessionIdleSeconds: 3_600, sessionAbsoluteSeconds: 1_800 }, atSeconds(T));
    expect(record.absoluteExpiresAt).toBe(T + 1_800);
    expect(record.expiresAt).toBe(T + 1_800);
  });
});

describe('evaluateSession', () => {
  const record = { lastSeenAt: T, absoluteExpiresAt: T + 604_800 };

  test('active, without a write, within the touch interval', () => {
    expect(evaluateSession(record, LIFETIMES, atSeconds(T + SESSION_TOUCH_INTERVAL_SECONDS - 1) + 999)).toEqual({
      status: 'active',
      expiresAt: T + 86_400,
      touch: undefined,
    });
  });

  test('active, with a touch that moves the idle deadline, once the touch interval has passed', () => {
    const now = T + SESSION_TOUCH_INTERVAL_SECONDS;
    expect(evaluateSession(record, LIFETIMES, atSeconds(now))).toEqual({
      status: 'active',
      expiresAt: now + 86_400,
      touch: { lastSeenAt: now, expiresAt: now + 86_400 },
    });
  });

  test('a touch near the end is capped at the absolute deadline', () => {
    const nearEnd = { lastSeenAt: T, absoluteExpiresAt: T + 1_000 };
    const now = T + SESSION_TOUCH_INTERVAL_SECONDS;
    expect(evaluateSession(nearEnd, LIFETIMES, atSeconds(now))).toEqual({
      status: 'active',
      expiresAt: T + 1_000,
      touch: { lastSeenAt: now, expiresAt: T + 1_000 },
    });
  });

  test('active until the last millisecond before the idle deadline', () => {
    expect(evaluateSession(record, LIFETIMES, atSeconds(T + 86_400) - 1).status).toBe('active');
  });

  test('idle_expired exactly at the idle deadline', () => {
    expect(evaluateSession(record, LIFETIMES, atSeconds(T + 86_400))).toEqual({ status: 'idle_expired' });
  });

  test('absolute_expired at the absolute deadline even when used a moment ago', () => {
    const recentlyUsed = { lastSeenAt: T + 604_790, absoluteExpiresAt: T + 604_800 };
    expect(evaluateSession(recentlyUsed, LIFETIMES, atSeconds(T + 604_800))).toEqual({ status: 'absolute_expired' });
  });

  test('absolute expiry is reported over idle expiry when both have passed', () => {
    expect(evaluateSession({ lastSeenAt: T, absoluteExpiresAt: T + 100_000 }, LIFETIMES, atSeconds(T + 200_000))).toEqual({
      status: 'absolute_expired',
    });
  });
});

describe('session cookies', () => {
  test('the session cookie is host-only, HttpOnly, Secure, Lax and lives as long as the absolute lifetime', () => {
    const { secret } = createSession(IDENTITY, LIFETIMES, Date.now());
    const cookie = parseCookie(sessionCookie(secret, LIFETIMES));
    expect(cookie.name).toBe('__Host-session');
    expect(SESSION_COOKIE_NAME).toBe('__Host-session');
    expect(cookie.value).toBe(secret);
    expect(cookie.attributes.sort()).toEqual(['HttpOnly', 'Max-Age=604800', 'Path=/', 'SameSite=Lax', 'Secure']);
  });

  test('the cleared cookie has the same name and attributes with an empty value and Max-Age=0', () => {
    const cookie = parseCookie(clearedSessionCookie());
    expect(cookie.name).toBe('__Host-session');
    expect(cookie.value).toBe('');
    expect(cookie.attributes.sort()).toEqual(['HttpOnly', 'Max-Age=0', 'Path=/', 'SameSite=Lax', 'Secure']);
  });
});

describe('endSessionUrl', () => {
  const config = { endSessionEndpoint: 'https://tenant.example.test/oidc/logout', clientId: 'client-123', baseUrl: 'https://auth.example.test' };

  test('names our client, where to come back and the provider session to end', () => {
    const url = new URL(endSessionUrl(config, { sid: 'sid-1', idToken: 'id.token.sig' }));
    expect(url.origin + url.pathname).toBe('https://tenant.example.test/oidc/logout');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'client-123',
      post_logout_redirect_uri: 'https://auth.example.test/signed-out',
      logout_hint: 'sid-1',
      id_token_hint: 'id.token.sig',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  test('a fresh state every time', () => {
    const state = () => new URL(endSessionUrl(config, { sid: undefined, idToken: undefined })).searchParams.get('state');
    expect(state()).not.toBe(state());
  });

  test('without a sid or an ID token there is no logout_hint or id_token_hint', () => {
    const url = new URL(endSessionUrl(config, { sid: undefined, idToken: undefined }));
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'post_logout_redirect_uri', 'state']);
  });

  test('values are percent-encoded', () => {
    const url = endSessionUrl({ ...config, clientId: 'a&b=c' }, { sid: 'x y', idToken: undefined });
    expect(url).toContain('client_id=a%26b%3Dc');
    expect(new URL(url).searchParams.get('logout_hint')).toBe('x y');
  });
});

describe('displayName', () => {
  test.each([
    ['name and email', { name: 'Ada Lovelace', email: 'ada@example.test' }, 'Ada Lovelace (ada@example.test)'],
    ['a name that is the email', { name: 'ada@example.test', email: 'ada@example.test' }, 'ada@example.test'],
    ['only a name', { name: 'Ada Lovelace' }, 'Ada Lovelace'],
    ['only an email', { email: 'ada@example.test' }, 'ada@example.test'],
    ['an empty name', { name: '', email: 'ada@example.test' }, 'ada@example.test'],
    ['non-string name and email', { name: 42, email: true }, 'auth0|user-1'],
    ['no claims', {}, 'auth0|user-1'],
  ])('%s', (_label, claims, expected) => {
    expect(displayName(claims, 'auth0|user-1')).toBe(expected);
  });
});
