import { sessionDependenciesFromEnv } from '../shared/dependencies.js';
import { createSessionHandler } from './app.js';

export const handler = createSessionHandler(sessionDependenciesFromEnv(process.env));
