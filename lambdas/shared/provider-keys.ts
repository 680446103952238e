import { createKeySetCache, type KeySetCache } from '../core/token/jwks-cache.js';
import type { HttpFetch } from './http-client.js';

/** The provider's JWKS document, fetched with the bounded client. */
function jwksFetcher(fetch: HttpFetch, jwksUri: string): () => Promise<unknown> {
  return async () => {
    const response = await fetch(jwksUri, { method: 'GET', headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`JWKS endpoint answered ${response.status}`);
    return response.json();
  };
}

/** The provider's signing keys for the life of this execution environment (see createKeySetCache). */
export function providerKeys(fetch: HttpFetch, jwksUri: string): KeySetCache {
  return createKeySetCache({ fetchKeySet: jwksFetcher(fetch, jwksUri), now: () => performance.now() });
}
