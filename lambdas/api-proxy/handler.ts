import { loadApiProxyConfigFromEnv } from '../core/config.js';
import { originSecretFromEnv } from '../core/origin-verify.js';
import { MAX_UPSTREAM_RESPONSE_BYTES, UPSTREAM_CONNECT_TIMEOUT_MS, UPSTREAM_TOTAL_TIMEOUT_MS } from '../core/proxy/limits.js';
import { accessTokenSourceFromEnv } from '../shared/access-token-source.js';
import { createHttpClient } from '../shared/http-client.js';
import { writeRequestLog } from '../shared/request-log.js';
import { createApiProxyHandler } from './app.js';

// Validated before anything else, so a missing API_URL is named with every other bad setting.
const config = loadApiProxyConfigFromEnv(process.env);
// Top-level await: keys, client secret and the store's warm-up, once per execution environment.
const tokens = await accessTokenSourceFromEnv(process.env, config);
// Its own client, kept alive across invocations: the API's bounds are not the provider's.
const upstream = createHttpClient({
  connectTimeoutMs: UPSTREAM_CONNECT_TIMEOUT_MS,
  totalTimeoutMs: UPSTREAM_TOTAL_TIMEOUT_MS,
  maxResponseBytes: MAX_UPSTREAM_RESPONSE_BYTES,
});

export const handler = createApiProxyHandler({
  config,
  tokens,
  upstream: upstream.fetch,
  log: writeRequestLog,
  originSecret: originSecretFromEnv(process.env),
});
