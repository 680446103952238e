import { constantTimeEqual, isRandomToken, randomToken, sha256Base64Url } from './encoding.js';

/**
 * RFC 6749 §10.12 / RFC 9700 §2.1: the flow is bound to the browser that started it. The browser
 * keeps a random secret in an HttpOnly cookie; only its hash is stored with each transaction.
 * `__Host-` pins the cookie to this host (Secure, Path=/, no Domain): a host, not an origin, so
 * every port and path of the host can read and overwrite it. The API therefore needs a host of its
 * own, which is why a base URL with a path is refused (config.ts).
 */
export const BINDING_COOKIE_NAME = '__Host-login-binding';

export interface BrowserBinding {
  readonly secret: string;
  readonly hash: string;
}

/** Reuses the browser's secret when it has a well-formed one, so several logins can run at once. */
export function bindBrowser(existingSecret: string | undefined): BrowserBinding {
  if (existingSecret !== undefined && isRandomToken(existingSecret)) {
    return { secret: existingSecret, hash: hashBindingSecret(existingSecret) };
  }
  const secret = randomToken();
  return { secret, hash: hashBindingSecret(secret) };
}

export function hashBindingSecret(secret: string): string {
  return sha256Base64Url(`binding:${secret}`);
}

export function bindingMatches(secret: string, storedHash: string): boolean {
  return constantTimeEqual(hashBindingSecret(secret), storedHash);
}

/**
 * SameSite=Lax, not Strict: the callback is a cross-site top-level navigation from the provider,
 * and Strict would withhold the cookie exactly there.
 */
export function bindingCookie(secret: string, maxAgeSeconds: number): string {
  return `${BINDING_COOKIE_NAME}=${secret}; Max-Age=${maxAgeSeconds}; Path=/; Secure; HttpOnly; SameSite=Lax`;
}

/** Reads one cookie from API Gateway's `cookies` array; a name sent twice is ambiguous and yields nothing. */
export function readCookie(cookies: readonly string[] | undefined, name: string): string | undefined {
  let found: string | undefined;
  let count = 0;
  for (const header of cookies ?? []) {
    for (const pair of header.split(';')) {
      const separator = pair.indexOf('=');
      if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
      count += 1;
      found = pair.slice(separator + 1).trim();
    }
  }
  return count === 1 ? found : undefined;
}
