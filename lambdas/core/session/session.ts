import type { FlowConfig } from '../config.js';
import { isRandomToken, randomToken, sha256Base64Url } from '../encoding.js';
import type { ClaimValue } from '../token/id-token.js';
import type { TokenFacts } from '../token/session-tokens.js';

/**
 * The session cookie holds only a 256-bit random secret; the store keeps its SHA-256, so a leaked
 * table yields no usable cookie. A fixed 57-byte cookie: no chunking, no 431s, no size-driven loops.
 * `__Host-` pins it to this host (Secure, Path=/, no Domain); SameSite=Lax so that the landing
 * after the provider's cross-site redirect is signed in.
 */
export const SESSION_COOKIE_NAME = '__Host-session';

/** A use of the session extends its idle timeout with a write at most this often. */
export const SESSION_TOUCH_INTERVAL_SECONDS = 300;

export interface SessionRecord {
  /** SHA-256 of the cookie's secret. */
  readonly id: string;
  readonly sub: string;
  readonly sid: string | undefined;
  readonly claims: Readonly<Record<string, ClaimValue>>;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch seconds of the last use that extended the idle timeout. */
  readonly lastSeenAt: number;
  /** Epoch seconds after which the session ends whatever its use. */
  readonly absoluteExpiresAt: number;
  /** Epoch seconds; the TTL attribute (housekeeping only: expiry is decided in code). */
  readonly expiresAt: number;
  /** The provider's tokens, sealed to this session (token-sealing.ts), when the sign-in kept them. */
  readonly tokens?: SealedTokens | undefined;
}

export interface SealedTokens {
  readonly sealed: string;
  readonly facts: TokenFacts;
}

export interface NewSession {
  readonly secret: string;
  readonly record: SessionRecord;
}

export interface SessionLifetimes {
  readonly sessionIdleSeconds: number;
  readonly sessionAbsoluteSeconds: number;
}

export function sessionIdForSecret(secret: string): string {
  return sha256Base64Url(`session:${secret}`);
}

/** The session id for a cookie value, or undefined when the value cannot be one of ours. */
export function sessionIdFromCookie(value: string | undefined): string | undefined {
  return value !== undefined && isRandomToken(value) ? sessionIdForSecret(value) : undefined;
}

function idleDeadline(lastSeenAt: number, absoluteExpiresAt: number, lifetimes: SessionLifetimes): number {
  return Math.min(lastSeenAt + lifetimes.sessionIdleSeconds, absoluteExpiresAt);
}

export function createSession(
  identity: { readonly sub: string; readonly sid: string | undefined; readonly claims: Readonly<Record<string, ClaimValue>> },
  lifetimes: SessionLifetimes,
  nowMs: number,
): NewSession {
  const secret = randomToken();
  const nowSeconds = Math.floor(nowMs / 1000);
  const absoluteExpiresAt = nowSeconds + lifetimes.sessionAbsoluteSeconds;
  return {
    secret,
    record: {
      id: sessionIdForSecret(secret),
      sub: identity.sub,
      sid: identity.sid,
      claims: identity.claims,
      createdAt: nowMs,
      lastSeenAt: nowSeconds,
      absoluteExpiresAt,
      expiresAt: idleDeadline(nowSeconds, absoluteExpiresAt, lifetimes),
    },
  };
}

export type SessionVerdict =
  | { readonly status: 'active'; readonly expiresAt: number; readonly touch: { readonly lastSeenAt: number; readonly expiresAt: number } | undefined }
  | { readonly status: 'idle_expired' | 'absolute_expired' };

/**
 * Idle and absolute expiry, decided here rather than by the TTL, which only sweeps (DynamoDB serves
 * expired items until it gets round to deleting them). An active session is touched (its idle
 * deadline moved) only when its last touch is older than the touch interval, to bound writes.
 */
export function evaluateSession(
  record: Pick<SessionRecord, 'lastSeenAt' | 'absoluteExpiresAt'>,
  lifetimes: SessionLifetimes,
  nowMs: number,
): SessionVerdict {
  const nowSeconds = Math.floor(nowMs / 1000);
  if (nowSeconds >= record.absoluteExpiresAt) return { status: 'absolute_expired' };
  const deadline = idleDeadline(record.lastSeenAt, record.absoluteExpiresAt, lifetimes);
  if (nowSeconds >= deadline) return { status: 'idle_expired' };
  if (nowSeconds - record.lastSeenAt < SESSION_TOUCH_INTERVAL_SECONDS) return { status: 'active', expiresAt: deadline, touch: undefined };
  const extended = idleDeadline(nowSeconds, record.absoluteExpiresAt, lifetimes);
  return { status: 'active', expiresAt: extended, touch: { lastSeenAt: nowSeconds, expiresAt: extended } };
}

/** Max-Age is the absolute lifetime: the cookie never outlives the longest the session could last. */
export function sessionCookie(secret: string, lifetimes: SessionLifetimes): string {
  return `${SESSION_COOKIE_NAME}=${secret}; Max-Age=${lifetimes.sessionAbsoluteSeconds}; Path=/; Secure; HttpOnly; SameSite=Lax`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE_NAME}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax`;
}

/**
 * OpenID Connect RP-Initiated Logout 1.0 §2: the browser goes to the provider's end-session
 * endpoint with our client id, where to come back, which session to end (`logout_hint` with the
 * `sid`, which Auth0 accepts), the ID token as `id_token_hint` when the session kept it (Okta and
 * others act on the request only with it), and a fresh `state` (some return to
 * `post_logout_redirect_uri` only with both).
 */
export function endSessionUrl(
  config: Pick<FlowConfig, 'endSessionEndpoint' | 'clientId' | 'baseUrl'>,
  ended: { readonly sid: string | undefined; readonly idToken: string | undefined },
): string {
  const url = new URL(config.endSessionEndpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('post_logout_redirect_uri', `${config.baseUrl}/signed-out`);
  if (ended.sid !== undefined) url.searchParams.set('logout_hint', ended.sid);
  if (ended.idToken !== undefined) url.searchParams.set('id_token_hint', ended.idToken);
  url.searchParams.set('state', randomToken());
  return url.toString();
}

/** How the signed-in user is named on pages: name and email when both are known. */
export function displayName(claims: Readonly<Record<string, ClaimValue>>, sub: string): string {
  const name = typeof claims.name === 'string' && claims.name !== '' ? claims.name : undefined;
  const email = typeof claims.email === 'string' && claims.email !== '' ? claims.email : undefined;
  if (name !== undefined && email !== undefined && name !== email) return `${name} (${email})`;
  return name ?? email ?? sub;
}
