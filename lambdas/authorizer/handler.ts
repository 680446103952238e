import { authorizerDependenciesFromEnv } from '../shared/dependencies.js';
import { createAuthorizer } from './app.js';

export const handler = createAuthorizer(authorizerDependenciesFromEnv(process.env));
