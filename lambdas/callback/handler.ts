import { callbackDependenciesFromEnv } from '../shared/dependencies.js';
import { redeemerFromEnv } from '../shared/redemption.js';
import { createCallbackHandler } from './app.js';

const dependencies = callbackDependenciesFromEnv(process.env);
// Top-level await: the client secret is read once, during init, not on a user's request.
const redeemer = await redeemerFromEnv(process.env, dependencies.config);

export const handler = createCallbackHandler(redeemer === undefined ? dependencies : { ...dependencies, redeemer });
