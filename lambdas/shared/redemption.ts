import { CLIENT_SECRET_ENV, SESSION_TABLE_NAME_ENV } from '../core/contract.js';
import { ConfigError, SETTINGS, type FlowConfig } from '../core/config.js';
import { createCodeRedeemer, type CodeRedeemer } from './code-redeemer.js';
import { requireEnv } from './dynamodb-client.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { providerKeys } from './provider-keys.js';

/**
 * AWS's Parameters and Secrets Lambda Extension (a layer the stack adds to the callback) serves
 * Secrets Manager on this local port with the function's own credentials. Reading through it
 * rather than the Secrets Manager SDK client keeps about 15 KB of SDK out of the bundle.
 */
export const SECRETS_EXTENSION_PORT_ENV = 'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT';
const DEFAULT_SECRETS_EXTENSION_PORT = '2773';

/** One read per execution environment: the extension caches it too, so even a cold start seldom reaches Secrets Manager. */
export async function readSecretThroughExtension(env: NodeJS.ProcessEnv, secretArn: string, httpClient: HttpClient, setting: string): Promise<string | undefined> {
  const port = env[SECRETS_EXTENSION_PORT_ENV] ?? DEFAULT_SECRETS_EXTENSION_PORT;
  const url = `http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretArn)}`;
  // The extension only answers requests that carry the execution environment's session token.
  const response = await httpClient.fetch(url, { headers: { 'x-aws-parameters-secrets-token': requireEnv(env, 'AWS_SESSION_TOKEN') } });
  if (response.status !== 200) throw new Error(`reading ${setting} failed: the secrets extension answered ${response.status}`);
  const body: unknown = await response.json();
  return typeof body === 'object' && body !== null && 'SecretString' in body && typeof body.SecretString === 'string' ? body.SecretString : undefined;
}

/**
 * The client secret, read once per execution environment: from Secrets Manager for a deployed
 * function (so it is never in the template or the function's environment), or from CLIENT_SECRET
 * in the local stack. Undefined when neither is configured: the flow then stops at the recorded code.
 */
export async function loadClientSecret(env: NodeJS.ProcessEnv, config: FlowConfig, httpClient: HttpClient): Promise<string | undefined> {
  const local = env[CLIENT_SECRET_ENV];
  const hasLocal = local !== undefined && local !== '';
  if (hasLocal && config.clientSecretArn !== undefined) {
    throw new ConfigError(`set either ${CLIENT_SECRET_ENV} or ${SETTINGS.clientSecretArn.envVar}, not both`);
  }
  if (hasLocal) return local;
  if (config.clientSecretArn === undefined) return undefined;
  const secret = await readSecretThroughExtension(env, config.clientSecretArn, httpClient, SETTINGS.clientSecretArn.envVar);
  if (secret === undefined || secret.trim() === '') {
    throw new ConfigError(`the secret ${SETTINGS.clientSecretArn.envVar} names is empty: put the client secret in it`);
  }
  return secret.trim();
}

/** The redeemer when a client secret is configured, with its own HTTP client and JWKS cache for the life of the environment. */
export async function redeemerFromEnv(
  env: NodeJS.ProcessEnv,
  config: FlowConfig,
  httpClient: HttpClient = createHttpClient(),
): Promise<CodeRedeemer | undefined> {
  const clientSecret = await loadClientSecret(env, config, httpClient);
  if (clientSecret === undefined) return undefined;
  if (!config.scope.split(' ').includes('openid')) {
    throw new ConfigError(`${SETTINGS.scope.envVar} must include openid to sign users in with an ID token`);
  }
  requireEnv(env, SESSION_TABLE_NAME_ENV);
  const keys = providerKeys(httpClient.fetch, config.jwksUri);
  // The keys now, during init: the first sign-in of this environment need not wait for them.
  await keys.prefetch();
  return createCodeRedeemer({
    config,
    clientSecret,
    fetch: httpClient.fetch,
    keys,
    now: Date.now,
  });
}
