import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { SignInFailure } from './sign-in-failure.js';

/** Rotation is rare: an unknown `kid`, or a set that never loaded, triggers at most one JWKS fetch per this interval. */
export const JWKS_REFETCH_INTERVAL_MS = 60_000;

export interface KeySetCacheOptions {
  /** Fetches and returns the provider's JWKS document (parsed JSON); throws when it cannot. */
  readonly fetchKeySet: () => Promise<unknown>;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  /** @default JWKS_REFETCH_INTERVAL_MS */
  readonly refetchIntervalMs?: number;
}

export interface KeySetCache {
  /** For jose's `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey;
  /** How many times the JWKS was fetched (successfully or not). */
  fetchCount(): number;
  /**
   * Fetches the set now (during init) rather than on the first token's request; a failure is left
   * for that request to retry.
   */
  prefetch(): Promise<void>;
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && 'keys' in value && Array.isArray(value.keys);
}

/**
 * The provider's signing keys, cached per execution environment: fetched on first use, fetched
 * again when a token names a key we do not have (rotation), and a failed fetch keeps the last good
 * set (Auth0's jwks-rsa learned this from outages). One fetch at a time, started at most once per
 * interval, also while no set ever loaded: within it, a lookup without a set fails at once.
 */
export function createKeySetCache(options: KeySetCacheOptions): KeySetCache {
  const interval = options.refetchIntervalMs ?? JWKS_REFETCH_INTERVAL_MS;
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let lastAttemptMs: number | undefined;
  let inFlight: Promise<void> | undefined;
  let fetches = 0;

  const fetchOnce = async (): Promise<void> => {
    lastAttemptMs = options.now();
    fetches += 1;
    const document = await options.fetchKeySet();
    if (!isKeySet(document)) throw new Error('not a JWK set');
    keys = createLocalJWKSet(document);
  };
  // Concurrent lookups share one fetch; cleared once it settles, however it ends.
  const load = (): Promise<void> => (inFlight ??= fetchOnce().finally(() => (inFlight = undefined)));

  // The same limit whether or not a set ever loaded: else every unauthenticated request that needs a
  // key while the provider is down or slow would be one more outbound fetch.
  const mayFetch = (): boolean => inFlight !== undefined || lastAttemptMs === undefined || options.now() - lastAttemptMs >= interval;

  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (keys === undefined) {
      if (!mayFetch()) throw new SignInFailure('jwks_unavailable');
      try {
        await load();
      } catch {
        throw new SignInFailure('jwks_unavailable');
      }
    }
    const current = keys;
    if (current === undefined) throw new SignInFailure('jwks_unavailable');
    try {
      return await current(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !mayFetch()) throw error;
      try {
        await load();
      } catch {
        // The last good set stays; the token still names a key it does not hold.
        throw error;
      }
      const refreshed = keys;
      if (refreshed === undefined) throw error;
      return refreshed(header, token);
    }
  };
  return { getKey, fetchCount: () => fetches, prefetch: () => load().catch(() => undefined) };
}
