import { parseJsonObject, tokenErrorLabel, MAX_TOKEN_RESPONSE_BYTES, type TokenEndpointAnswer } from './token-response.js';

/** What the session keeps, sealed as one ciphertext (token-sealing.ts). */
export interface SessionTokens {
  readonly accessToken: string;
  /** Only when the provider granted one (`offline_access`). */
  readonly refreshToken: string | undefined;
  /** For `id_token_hint` at logout. */
  readonly idToken: string | undefined;
}

/** Beside the ciphertext, in the clear: when the access token expires and what it grants, never a token. */
export interface TokenFacts {
  /** Epoch seconds. */
  readonly accessTokenExpiresAt: number;
  readonly scope: string;
}

export function serializeTokens(tokens: SessionTokens): string {
  return JSON.stringify({ a: tokens.accessToken, r: tokens.refreshToken, i: tokens.idToken });
}

export function deserializeTokens(plaintext: string): SessionTokens | undefined {
  const json = parseJsonObject(plaintext);
  if (json === undefined || typeof json.a !== 'string') return undefined;
  return {
    accessToken: json.a,
    refreshToken: typeof json.r === 'string' ? json.r : undefined,
    idToken: typeof json.i === 'string' ? json.i : undefined,
  };
}

/** RFC 6749 §5.1 `expires_in`; a provider that omits it gets this, so the token is refreshed soon rather than never. */
export const DEFAULT_ACCESS_TOKEN_SECONDS = 300;

export function accessTokenExpiry(expiresIn: number | undefined, nowMs: number): number {
  return Math.floor(nowMs / 1000) + (expiresIn ?? DEFAULT_ACCESS_TOKEN_SECONDS);
}

export type TokenDecision =
  /** Use the stored access token as it is. */
  | 'use'
  /** Due for a refresh (inside the leeway, or expired) and there is a refresh token. */
  | 'refresh'
  /** Expired and nothing can renew it. */
  | 'reauthenticate';

/**
 * Within `leewaySeconds` of its expiry an access token is refreshed, so the API never receives
 * one that expires on the way. Without a refresh token it is used until it expires.
 */
export function decideToken(facts: Pick<TokenFacts, 'accessTokenExpiresAt'>, hasRefreshToken: boolean, nowMs: number, leewaySeconds: number): TokenDecision {
  const nowSeconds = nowMs / 1000;
  if (nowSeconds < facts.accessTokenExpiresAt - leewaySeconds) return 'use';
  if (hasRefreshToken) return 'refresh';
  return nowSeconds < facts.accessTokenExpiresAt ? 'use' : 'reauthenticate';
}

/** True while the access token itself is still valid: a caller that finds the lease taken may use it rather than wait. */
export function stillValid(facts: Pick<TokenFacts, 'accessTokenExpiresAt'>, nowMs: number): boolean {
  return nowMs / 1000 < facts.accessTokenExpiresAt;
}

/** The refresh lease on the session item: who holds it, until when (epoch milliseconds). */
export interface RefreshLease {
  readonly owner: string;
  readonly until: number;
}

/** A lease may be taken when there is none or its holder's deadline has passed (a dead holder's included). */
export function leaseFree(lease: RefreshLease | undefined, nowMs: number): boolean {
  return lease === undefined || lease.until <= nowMs;
}

/**
 * After taking the lease, the winner reads the session again: only if the token version it decided
 * on is still the stored one does it present the refresh token. Otherwise another caller has
 * refreshed in between and presenting the old token would be a reuse (the provider revokes the family).
 */
export function mayPresentRefreshToken(decidedOnVersion: number, storedVersion: number): boolean {
  return decidedOnVersion === storedVersion;
}

/** Waiters poll the session with exponential backoff, capped, until their bound passes. */
export function backoffDelays(boundMs: number, firstMs = 20, capMs = 250): number[] {
  const delays: number[] = [];
  let total = 0;
  for (let delay = firstMs; total < boundMs; delay = Math.min(delay * 2, capMs)) {
    const step = Math.min(delay, boundMs - total);
    delays.push(step);
    total += step;
  }
  return delays;
}

export interface RefreshedTokens {
  readonly accessToken: string;
  readonly expiresIn: number | undefined;
  /** Rotated when the provider rotates; absent when it keeps the old one valid (RFC 6749 §6). */
  readonly refreshToken: string | undefined;
  readonly idToken: string | undefined;
  readonly scope: string | undefined;
}

export type RefreshAnswer =
  | { readonly kind: 'tokens'; readonly tokens: RefreshedTokens }
  /** The grant is gone (revoked, expired, reused): the session ends. */
  | { readonly kind: 'grant_ended' }
  /** Anything else: the session is kept and the caller may retry later. `label` is for the log. */
  | { readonly kind: 'unavailable'; readonly label: string };

/**
 * RFC 6749 §5.1/§5.2 for the refresh grant (§6): a 200 JSON object with a Bearer `token_type` and an
 * `access_token`; `invalid_grant` ends the grant; 5xx, other errors and malformed answers do not.
 */
export function parseRefreshResponse(answer: TokenEndpointAnswer): RefreshAnswer {
  const json = Buffer.byteLength(answer.body, 'utf8') > MAX_TOKEN_RESPONSE_BYTES ? undefined : parseJsonObject(answer.body);
  if (answer.status !== 200) {
    if (answer.status >= 400 && answer.status < 500 && json !== undefined && typeof json.error === 'string') {
      const label = tokenErrorLabel(json.error);
      return label === 'invalid_grant' ? { kind: 'grant_ended' } : { kind: 'unavailable', label };
    }
    return { kind: 'unavailable', label: answer.status >= 500 ? 'server_error' : 'other' };
  }
  const mediaType = answer.contentType?.split(';', 1)[0]?.trim().toLowerCase();
  const malformed = { kind: 'unavailable', label: 'invalid_token_response' } as const;
  if (mediaType !== 'application/json' || json === undefined) return malformed;
  if (typeof json.token_type !== 'string' || json.token_type.toLowerCase() !== 'bearer') return malformed;
  if (typeof json.access_token !== 'string' || json.access_token === '') return malformed;
  const optionalString = (value: unknown): value is string | undefined => value === undefined || (typeof value === 'string' && value !== '');
  if (!optionalString(json.refresh_token) || !optionalString(json.id_token) || !optionalString(json.scope)) return malformed;
  const expiresIn = json.expires_in;
  if (expiresIn !== undefined && !(typeof expiresIn === 'number' && Number.isInteger(expiresIn) && expiresIn > 0)) return malformed;
  return {
    kind: 'tokens',
    tokens: { accessToken: json.access_token, expiresIn, refreshToken: json.refresh_token, idToken: json.id_token, scope: json.scope },
  };
}
