import { dependenciesFromEnv } from '../shared/dependencies.js';
import { createCallbackHandler } from './app.js';

export const handler = createCallbackHandler(dependenciesFromEnv(process.env));
