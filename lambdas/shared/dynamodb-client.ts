import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_CONNECTION_TIMEOUT_MS, DYNAMODB_MAX_ATTEMPTS, DYNAMODB_REQUEST_TIMEOUT_MS } from '../core/contract.js';

/** Created once per cold start. `DYNAMODB_ENDPOINT` points the local stack and tests at DynamoDB Local. */
export function createDynamoDbClient(env: NodeJS.ProcessEnv): DynamoDBClient {
  const endpoint = env.DYNAMODB_ENDPOINT;
  return new DynamoDBClient({
    maxAttempts: DYNAMODB_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: DYNAMODB_CONNECTION_TIMEOUT_MS,
      requestTimeout: DYNAMODB_REQUEST_TIMEOUT_MS,
    },
    ...(endpoint === undefined || endpoint === '' ? {} : { endpoint }),
  });
}

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new Error(`${name} environment variable is not set`);
  return value;
}
