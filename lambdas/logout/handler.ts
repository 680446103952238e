import { sessionDependenciesFromEnv } from '../shared/dependencies.js';
import { createHttpClient, PROVIDER_HTTP_OPTIONS } from '../shared/http-client.js';
import { loadClientSecret } from '../shared/redemption.js';
import { loadTokenKeyRing } from '../shared/token-keys.js';
import { createTokenRevoker } from '../shared/token-refresher.js';
import { createLogoutHandler } from './app.js';

/** Revocation is best effort: a slow provider delays a sign-out by at most this much. */
const REVOCATION_HTTP_OPTIONS = { ...PROVIDER_HTTP_OPTIONS, connectTimeoutMs: 500, totalTimeoutMs: 1_500 };

const dependencies = sessionDependenciesFromEnv(process.env);
const httpClient = createHttpClient(REVOCATION_HTTP_OPTIONS);
// Once, during init: the token keys and the client secret, and the store's warm-up (see WarmUp).
const [keyRing, clientSecret] = await Promise.all([
  loadTokenKeyRing(process.env, dependencies.config, httpClient),
  loadClientSecret(process.env, dependencies.config, httpClient),
  dependencies.sessions.warmUp(),
]);

export const handler = createLogoutHandler({
  ...dependencies,
  ...(keyRing === undefined ? {} : { keyRing }),
  ...(clientSecret === undefined ? {} : { revoker: createTokenRevoker(dependencies.config, clientSecret, httpClient.fetch) }),
});
