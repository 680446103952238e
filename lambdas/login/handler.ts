import { loginDependenciesFromEnv } from '../shared/dependencies.js';
import { createLoginHandler } from './app.js';

const dependencies = loginDependenciesFromEnv(process.env);
// During init, not on the first user's request: what the SDK defers to a client's first send (see WarmUp).
await dependencies.store.warmUp();

export const handler = createLoginHandler(dependencies);
