import { ConfigError, SETTINGS, type FlowConfig } from '../core/config.js';
import { TOKEN_KEYS_ENV } from '../core/contract.js';
import { parseTokenKeyRing, type TokenKeyRing } from '../core/token/token-sealing.js';
import type { HttpClient } from './http-client.js';
import { readSecretThroughExtension } from './redemption.js';

/** Set by the Lambda runtime in every deployed function, never by the local stack. */
const DEPLOYED_FUNCTION_MARKER = 'AWS_LAMBDA_FUNCTION_NAME';

/**
 * The key ring that seals the session's tokens, read once per execution environment: from the
 * Secrets Manager secret TOKEN_KEY_SECRET_ARN names, through the secrets extension, for a deployed
 * function (so no key is ever in a template or a function's environment), or from TOKEN_KEYS in the
 * local stack. A deployed function refuses TOKEN_KEYS outright. Undefined when neither is set:
 * the sign-in then keeps no tokens.
 */
export async function loadTokenKeyRing(env: NodeJS.ProcessEnv, config: FlowConfig, httpClient: HttpClient): Promise<TokenKeyRing | undefined> {
  const local = env[TOKEN_KEYS_ENV];
  const hasLocal = local !== undefined && local !== '';
  if (hasLocal && env[DEPLOYED_FUNCTION_MARKER] !== undefined) {
    throw new ConfigError(`${TOKEN_KEYS_ENV} is for the local stack only: a deployed function reads its keys from ${SETTINGS.tokenKeySecretArn.envVar}`);
  }
  if (hasLocal && config.tokenKeySecretArn !== undefined) {
    throw new ConfigError(`set either ${TOKEN_KEYS_ENV} or ${SETTINGS.tokenKeySecretArn.envVar}, not both`);
  }
  if (hasLocal) return parseTokenKeyRing(local, TOKEN_KEYS_ENV);
  if (config.tokenKeySecretArn === undefined) return undefined;
  const secret = await readSecretThroughExtension(env, config.tokenKeySecretArn, httpClient, SETTINGS.tokenKeySecretArn.envVar);
  if (secret === undefined) throw new ConfigError(`the secret ${SETTINGS.tokenKeySecretArn.envVar} names holds no string`);
  return parseTokenKeyRing(secret, `the secret ${SETTINGS.tokenKeySecretArn.envVar} names`);
}
