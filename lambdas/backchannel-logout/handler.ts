import { backchannelDependenciesFromEnv } from '../shared/dependencies.js';
import { createHttpClient } from '../shared/http-client.js';
import { providerKeys } from '../shared/provider-keys.js';
import { createBackchannelLogoutHandler } from './app.js';

const dependencies = backchannelDependenciesFromEnv(process.env);
const keys = providerKeys(createHttpClient().fetch, dependencies.config.jwksUri);
// During init, not on the first logout's request: what the SDK defers to a client's first send
// (see WarmUp), and the provider's keys.
await Promise.all([dependencies.store.warmUp(), keys.prefetch()]);

export const handler = createBackchannelLogoutHandler({ ...dependencies, keys: keys.getKey });
