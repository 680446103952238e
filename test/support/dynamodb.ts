import { randomUUID } from 'node:crypto';
import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_PARTITION_KEY } from '../../lambdas/core/contract.js';
import { createFlowTable, localClient, scanItems } from '../../local/dynamodb-local.js';

export function testEndpoint(): string {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (endpoint === undefined) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run the suites through jest (global setup starts DynamoDB Local)');
  return endpoint;
}

export async function createTestTable(endpoint: string = testEndpoint()): Promise<string> {
  const tableName = `transactions-${randomUUID()}`;
  await createFlowTable(endpoint, tableName);
  return tableName;
}

export type StoredItem = Record<string, AttributeValue>;

export async function getItem(client: DynamoDBClient, tableName: string, id: string): Promise<StoredItem | undefined> {
  const result = await client.send(new GetItemCommand({ TableName: tableName, Key: { [TABLE_PARTITION_KEY]: { S: id } }, ConsistentRead: true }));
  return result.Item;
}

export { localClient, scanItems as scanAll };
