import { sessionDependenciesFromEnv } from '../shared/dependencies.js';
import { createLogoutHandler } from './app.js';

export const handler = createLogoutHandler(sessionDependenciesFromEnv(process.env));
