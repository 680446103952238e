import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_REQUEST_TIMEOUT_MS, TABLE_PARTITION_KEY } from '../../lambdas/core/contract.js';
import { createDynamoDbClient } from '../../lambdas/shared/dynamodb-client.js';
import { createBackchannelStore } from '../../lambdas/shared/logout-token-store.js';
import { createSessionReader, createSessionStore } from '../../lambdas/shared/session-store.js';
import { WARM_UP_KEY, type WarmUp } from '../../lambdas/shared/store-common.js';
import { createCallbackStore, createPendingStore } from '../../lambdas/shared/transaction-store.js';
import { LOCAL_AWS_ENV, createFlowTable, createSessionsTable } from '../../local/dynamodb-local.js';
import { scanAll, testEndpoint, type StoredItem } from '../support/dynamodb.js';

/**
 * Each function's handler awaits its store's warm-up during init. Against DynamoDB Local: it
 * completes, DynamoDB gives it the answer it is built for (a failed condition, or no item), it
 * writes nothing to any table, and a store that cannot answer neither fails init nor holds it.
 */

/** The functions' own client, as Lambda's environment builds it: the same timeouts and retries. */
function functionClient(endpoint: string): DynamoDBClient {
  return createDynamoDbClient({ ...LOCAL_AWS_ENV, DYNAMODB_ENDPOINT: endpoint });
}

/** The name of every error the client's sends end with, since the warm-up swallows them. */
function recordErrors(client: DynamoDBClient): string[] {
  const errors: string[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        errors.push(error instanceof Error ? error.name : 'unknown');
        throw error;
      }
    },
    { step: 'initialize', name: 'recordErrors' },
  );
  return errors;
}

const byId = (a: StoredItem, b: StoredItem): number => (a.id?.S ?? '').localeCompare(b.id?.S ?? '');

interface Tables {
  readonly transactions: string;
  readonly sessions: string;
  readonly logoutTokens: string;
}

type StoreOf = (client: DynamoDBClient, tables: Tables) => WarmUp;

/** Each function's store, and the answer its warm-up should get: a write's failed condition, or a read's empty result. */
const STORES: readonly (readonly [string, StoreOf, string | undefined])[] = [
  ['login', (client, tables) => createPendingStore(client, tables.transactions), 'ConditionalCheckFailedException'],
  ['callback', (client, tables) => createCallbackStore(client, tables.transactions, tables.sessions), 'ConditionalCheckFailedException'],
  ['session and logout', (client, tables) => createSessionStore(client, tables.sessions), undefined],
  ['authorizer', (client, tables) => createSessionReader(client, tables.sessions), undefined],
  ['back-channel logout', (client, tables) => createBackchannelStore(client, tables.sessions, tables.logoutTokens), 'ConditionalCheckFailedException'],
];

const tables: Tables = { transactions: `transactions-${randomUUID()}`, sessions: `sessions-${randomUUID()}`, logoutTokens: `logout-tokens-${randomUUID()}` };
let reader: DynamoDBClient;
let client: DynamoDBClient;

async function snapshot(): Promise<StoredItem[][]> {
  return Promise.all(Object.values(tables).map(async (table) => (await scanAll(reader, table)).sort(byId)));
}

beforeAll(async () => {
  const endpoint = testEndpoint();
  await Promise.all([createFlowTable(endpoint, tables.transactions), createSessionsTable(endpoint, tables.sessions), createFlowTable(endpoint, tables.logoutTokens)]);
  reader = functionClient(endpoint);
  // Something in every table, so that "nothing written" compares more than empty tables.
  await Promise.all(
    Object.values(tables).map((table) => reader.send(new PutItemCommand({ TableName: table, Item: { [TABLE_PARTITION_KEY]: { S: 'existing' }, sub: { S: 'alice' } } }))),
  );
});

beforeEach(() => {
  client = functionClient(testEndpoint());
});

afterEach(() => client.destroy());

afterAll(() => reader.destroy());

test.each(STORES)('%s: the warm-up completes with the answer it is built for, and writes nothing', async (_, storeOf, expectedError) => {
  const errors = recordErrors(client);
  const before = await snapshot();
  await expect(storeOf(client, tables).warmUp?.()).resolves.toBeUndefined();
  expect(errors).toEqual(expectedError === undefined ? [] : [expectedError]);
  const after = await snapshot();
  expect(after).toEqual(before);
  expect(after.flat().map((item) => item.id?.S)).not.toContain(WARM_UP_KEY);
});

test.each(STORES)('%s: a missing table does not fail the warm-up', async (_, storeOf) => {
  const errors = recordErrors(client);
  const missing = `missing-${randomUUID()}`;
  await expect(storeOf(client, { transactions: missing, sessions: missing, logoutTokens: missing }).warmUp?.()).resolves.toBeUndefined();
  expect(errors).toEqual(['ResourceNotFoundException']);
});

test.each(STORES)('%s: an unreachable store does not fail the warm-up, nor hold init past one request timeout', async (_, storeOf) => {
  // Nothing listens on the discard port of the loopback interface.
  const unreachable = functionClient('http://127.0.0.1:9');
  const started = performance.now();
  try {
    await expect(storeOf(unreachable, tables).warmUp?.()).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(DYNAMODB_REQUEST_TIMEOUT_MS + 500);
  } finally {
    unreachable.destroy();
  }
});

test('a store that accepts the connection but never answers holds init for one request timeout at most', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const stuck = functionClient(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`);
  const started = performance.now();
  try {
    await Promise.all(STORES.map(([, storeOf]) => expect(storeOf(stuck, tables).warmUp?.()).resolves.toBeUndefined()));
    expect(performance.now() - started).toBeLessThan(DYNAMODB_REQUEST_TIMEOUT_MS + 500);
  } finally {
    stuck.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
