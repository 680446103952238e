// Jest loads global setup outside its transform, so the TypeScript launcher is loaded through tsx.
import { tsImport } from 'tsx/esm/api';

/**
 * One DynamoDB Local for the handler suites (each suite makes its own table). Suites that stop
 * the store on purpose start their own instance.
 */
export default async function globalSetup() {
  const { startDynamoDbLocal, LOCAL_AWS_ENV } = await tsImport('../../local/dynamodb-local.ts', import.meta.url);
  Object.assign(process.env, LOCAL_AWS_ENV, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const dynamoDb = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = dynamoDb.endpoint;
  globalThis.__dynamoDbLocal = dynamoDb;
}
