import { callbackDependenciesFromEnv } from '../shared/dependencies.js';
import { redeemerFromEnv } from '../shared/redemption.js';
import { createCallbackHandler } from './app.js';

const dependencies = callbackDependenciesFromEnv(process.env);
// Top-level await: the client secret is read once, during init, not on a user's request. The store's
// warm-up runs alongside: what the SDK defers to a client's first send (see WarmUp).
const [redeemer] = await Promise.all([redeemerFromEnv(process.env, dependencies.config), dependencies.store.warmUp()]);

export const handler = createCallbackHandler(redeemer === undefined ? dependencies : { ...dependencies, redeemer });
