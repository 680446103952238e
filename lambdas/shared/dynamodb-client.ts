import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_CONNECTION_TIMEOUT_MS, DYNAMODB_MAX_ATTEMPTS, DYNAMODB_REQUEST_TIMEOUT_MS } from '../core/contract.js';

/**
 * The function role's credentials, which Lambda puts in the environment of every function. Given
 * explicitly, so the SDK never falls back to its default chain (profiles, SSO, process, token file,
 * instance metadata) and the build can leave that chain out (lib/bundling.ts). The local stack sets
 * the same variables for DynamoDB Local.
 */
export function environmentCredentials(env: NodeJS.ProcessEnv): DynamoDBClientConfig['credentials'] {
  const sessionToken = env.AWS_SESSION_TOKEN;
  return {
    accessKeyId: requireEnv(env, 'AWS_ACCESS_KEY_ID'),
    secretAccessKey: requireEnv(env, 'AWS_SECRET_ACCESS_KEY'),
    ...(sessionToken === undefined || sessionToken === '' ? {} : { sessionToken }),
  };
}

/** Created once per cold start. `DYNAMODB_ENDPOINT` points the local stack and tests at DynamoDB Local. */
export function createDynamoDbClient(env: NodeJS.ProcessEnv): DynamoDBClient {
  const endpoint = env.DYNAMODB_ENDPOINT;
  return new DynamoDBClient({
    // Set by Lambda in every function; read here rather than by the SDK's config-file loader.
    region: requireEnv(env, 'AWS_REGION'),
    credentials: environmentCredentials(env),
    maxAttempts: DYNAMODB_MAX_ATTEMPTS,
    // Resolve each command's middleware chain once, not on every send: nothing here adds
    // per-request middleware, and it is a measurable part of a warm invocation (npm run bench).
    cacheMiddleware: true,
    requestHandler: {
      connectionTimeout: DYNAMODB_CONNECTION_TIMEOUT_MS,
      requestTimeout: DYNAMODB_REQUEST_TIMEOUT_MS,
      // Without this the handler only warns when requestTimeout passes, and a store that accepts
      // the connection but never answers would hold the function until Lambda kills it.
      throwOnRequestTimeout: true,
    },
    ...(endpoint === undefined || endpoint === '' ? {} : { endpoint }),
  });
}

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new Error(`${name} environment variable is not set`);
  return value;
}
