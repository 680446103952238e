import { ConfigError } from './config.js';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_SECRET_ENV } from './contract.js';
import { constantTimeEqual } from './encoding.js';

/**
 * The edge's secret, read once at cold start; undefined when no edge is in front. A value that is
 * set but short would make the check guessable, so it stops the function instead.
 */
export function originSecretFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const secret = env[ORIGIN_VERIFY_SECRET_ENV];
  if (secret === undefined) return undefined;
  if (!/^[\x21-\x7e]{32,}$/.test(secret)) throw new ConfigError(`${ORIGIN_VERIFY_SECRET_ENV} must be at least 32 visible ASCII characters`);
  return secret;
}

/** True when no secret is configured, or the request came through the edge (it carries the secret). */
export function fromVerifiedOrigin(headers: Readonly<Record<string, string | undefined>> | undefined, secret: string | undefined): boolean {
  if (secret === undefined) return true;
  const presented = headers?.[ORIGIN_VERIFY_HEADER];
  return presented !== undefined && constantTimeEqual(presented, secret);
}
