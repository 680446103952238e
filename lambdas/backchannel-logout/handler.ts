import { backchannelDependenciesFromEnv } from '../shared/dependencies.js';
import { createHttpClient } from '../shared/http-client.js';
import { providerKeys } from '../shared/provider-keys.js';
import { createBackchannelLogoutHandler } from './app.js';

const dependencies = backchannelDependenciesFromEnv(process.env);
const keys = providerKeys(createHttpClient().fetch, dependencies.config.jwksUri);

export const handler = createBackchannelLogoutHandler({ ...dependencies, keys: keys.getKey });
