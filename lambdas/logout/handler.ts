import { sessionDependenciesFromEnv } from '../shared/dependencies.js';
import { createLogoutHandler } from './app.js';

const dependencies = sessionDependenciesFromEnv(process.env);
// During init, not on the first user's request: what the SDK defers to a client's first send (see WarmUp).
await dependencies.sessions.warmUp();

export const handler = createLogoutHandler(dependencies);
