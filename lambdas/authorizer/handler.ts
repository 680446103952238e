import { authorizerDependenciesFromEnv } from '../shared/dependencies.js';
import { createAuthorizer } from './app.js';

const dependencies = authorizerDependenciesFromEnv(process.env);
// During init, not on the first user's request: what the SDK defers to a client's first send (see WarmUp).
await dependencies.sessions.warmUp();

export const handler = createAuthorizer(dependencies);
