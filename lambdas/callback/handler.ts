import { callbackDependenciesFromEnv } from '../shared/dependencies.js';
import { createHttpClient } from '../shared/http-client.js';
import { redeemerFromEnv } from '../shared/redemption.js';
import { loadTokenKeyRing } from '../shared/token-keys.js';
import { createCallbackHandler } from './app.js';

const dependencies = callbackDependenciesFromEnv(process.env);
const httpClient = createHttpClient();
// Top-level await: the client secret and the token keys are read once, during init, not on a
// user's request. The store's warm-up runs alongside: what the SDK defers to a client's first send (see WarmUp).
const [redeemer, keyRing] = await Promise.all([
  redeemerFromEnv(process.env, dependencies.config, httpClient),
  loadTokenKeyRing(process.env, dependencies.config, httpClient),
  dependencies.store.warmUp(),
]);

export const handler = createCallbackHandler({
  ...dependencies,
  ...(redeemer === undefined ? {} : { redeemer }),
  ...(keyRing === undefined ? {} : { keyRing }),
});
