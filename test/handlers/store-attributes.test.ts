import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { LOGOUT_TOKEN_ATTRIBUTES, SESSION_ATTRIBUTES, TOKEN_ATTRIBUTES, TRANSACTION_ATTRIBUTES } from '../../lambdas/core/contract.js';
import { createSession } from '../../lambdas/core/session/session.js';
import { createBackchannelStore } from '../../lambdas/shared/logout-token-store.js';
import { createSessionReader, createSessionStore } from '../../lambdas/shared/session-store.js';
import { WARM_UP_KEY, type WarmUp } from '../../lambdas/shared/store-common.js';
import { createCallbackStore, createPendingStore } from '../../lambdas/shared/transaction-store.js';
import { testConfig } from '../support/flow.js';

/**
 * The IAM policies allow each function exactly the attributes listed in lambdas/core/contract.ts
 * (`dynamodb:Attributes`), and no whole items back. This holds the store to the same lists: every
 * request each function's store sends, on every path, names only those attributes, asks for no
 * return values on writes and names what it reads. An attribute added to an expression without
 * its grant fails here, not in production with AccessDenied. Each store's warm-up, which its
 * function sends during init, is one of those requests and is held to the same lists.
 */
type Input = Record<string, unknown> & { TableName?: string };
const sent: { command: string; input: Input }[] = [];
const dynamo = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const config = testConfig();

/** Set to make the next UpdateItem fail its condition, as a replayed callback's does. */
let refuseNextUpdate = false;

function record(command: string, answer: object = {}): (input: Input) => object {
  return (input) => {
    sent.push({ command, input });
    return answer;
  };
}

beforeEach(() => {
  sent.length = 0;
  dynamo.reset();
  dynamo.on(PutItemCommand).callsFake(record('PutItemCommand'));
  dynamo.on(DeleteItemCommand).callsFake(record('DeleteItemCommand'));
  dynamo.on(TransactWriteItemsCommand).callsFake(record('TransactWriteItemsCommand'));
  dynamo.on(QueryCommand).callsFake(record('QueryCommand', { Items: [{ id: { S: 'session-1' } }] }));
  dynamo.on(GetItemCommand).callsFake(
    record('GetItemCommand', { Item: { id: { S: 'x' }, sub: { S: 's' }, sid: { S: 'sid' }, lastSeenAt: { N: '1' }, absoluteExpiresAt: { N: '9' } } }),
  );
  dynamo.on(UpdateItemCommand).callsFake((input: Input) => {
    sent.push({ command: 'UpdateItemCommand', input });
    if (refuseNextUpdate) {
      refuseNextUpdate = false;
      throw new ConditionalCheckFailedException({ message: 'refused', $metadata: {} });
    }
    return {};
  });
});

afterAll(() => client.destroy());

/** Every attribute name a request carries: items, keys, and every name its expressions use. */
function attributesOf(input: Input): string[] {
  const names = new Set<string>();
  for (const field of ['Item', 'Key'] as const) for (const name of Object.keys((input[field] as object | undefined) ?? {})) names.add(name);
  for (const name of Object.values((input.ExpressionAttributeNames as Record<string, string> | undefined) ?? {})) names.add(name);
  return [...names];
}

/** A transaction's parts, each as the request it stands for. */
function requests(): { command: string; input: Input }[] {
  return sent.flatMap(({ command, input }) =>
    command === 'TransactWriteItemsCommand'
      ? (input.TransactItems as Record<string, Input>[]).flatMap((item) => Object.entries(item).map(([kind, part]) => ({ command: `${kind}ItemCommand`, input: part })))
      : [{ command, input }],
  );
}

/** The store's warm-up, as its handler awaits it during init: its one request is recorded like any other. */
async function warmUp(store: WarmUp): Promise<void> {
  expect(store.warmUp).toEqual(expect.any(Function));
  await store.warmUp?.();
}

function expectWithin(table: string, command: string, allowed: readonly string[]): void {
  const matching = requests().filter((request) => request.input.TableName === table && request.command === command);
  expect(matching.length).toBeGreaterThan(0);
  for (const { input } of matching) {
    expect(attributesOf(input).filter((name) => !allowed.includes(name))).toEqual([]);
    if (command === 'GetItemCommand' || command === 'QueryCommand') expect(input.ProjectionExpression).toEqual(expect.any(String));
    else expect(input.ReturnValues ?? 'NONE').toBe('NONE');
  }
}

test('login: one PutItem naming only a pending login\'s attributes, asking nothing back', async () => {
  const store = createPendingStore(client, 'transactions');
  await warmUp(store);
  await store.savePending({
    id: 'id',
    codeVerifier: 'v',
    nonce: 'n',
    bindingHash: 'b',
    returnTo: '/r',
    organization: 'org_1',
    createdAt: 1,
    expiresAt: 2,
  });
  expectWithin('transactions', 'PutItemCommand', TRANSACTION_ATTRIBUTES.loginWrites);
});

test('callback: every write and read on every path stays within its lists', async () => {
  const store = createCallbackStore(client, 'transactions', 'sessions');
  await warmUp(store);
  const consume = { transactionId: 't', bindingHash: 'b', issuer: config.issuer, nowMs: 1, retainUntil: 2 };
  await store.consume({ ...consume, outcome: { kind: 'code', code: 'c' } });
  await store.consume({ ...consume, outcome: { kind: 'error', error: 'access_denied', errorDescription: 'no' } });
  refuseNextUpdate = true;
  expect(await store.consume({ ...consume, outcome: { kind: 'code', code: 'c' } })).toMatchObject({ consumed: false });
  const session = createSession({ sub: 'alice', sid: 'sid-1', claims: { name: 'Alice' } }, config, 1);
  const signIn = { transactionId: 't', sub: 'alice', claims: { name: 'Alice' }, scope: 'openid', nowMs: 1, session: session.record };
  await store.completeSignIn({ ...signIn, replacesSessionId: undefined });
  await store.completeSignIn({ ...signIn, replacesSessionId: 'the-session-this-browser-had' });
  await store.recordSignInFailure({ transactionId: 't', reason: 'id_token_nonce', nowMs: 1 });
  expectWithin('transactions', 'UpdateItemCommand', TRANSACTION_ATTRIBUTES.callbackWrites);
  expectWithin('transactions', 'GetItemCommand', TRANSACTION_ATTRIBUTES.callbackReads);
  expectWithin('sessions', 'PutItemCommand', SESSION_ATTRIBUTES.create);
  expectWithin('sessions', 'DeleteItemCommand', SESSION_ATTRIBUTES.replace);
});

test('session function: a projected read and a touch naming only the idle deadline', async () => {
  const store = createSessionStore(client, 'sessions');
  await warmUp(store);
  await store.find('x');
  await store.touch('x', 1, 2);
  expectWithin('sessions', 'GetItemCommand', SESSION_ATTRIBUTES.read);
  expectWithin('sessions', 'UpdateItemCommand', SESSION_ATTRIBUTES.touch);
});

test('authorizer: a projected read, nothing else', async () => {
  const reader = createSessionReader(client, 'sessions');
  await warmUp(reader);
  await reader.find('x');
  expectWithin('sessions', 'GetItemCommand', SESSION_ATTRIBUTES.read);
  expect(sent.map(({ command }) => command)).toEqual(['GetItemCommand', 'GetItemCommand']);
});

test('logout: the sid read, and a delete asking nothing back', async () => {
  const store = createSessionStore(client, 'sessions');
  await warmUp(store);
  await store.remove('x');
  expectWithin('sessions', 'GetItemCommand', SESSION_ATTRIBUTES.end);
  expectWithin('sessions', 'DeleteItemCommand', SESSION_ATTRIBUTES.end);
});

test('back-channel logout: index queries projecting the key, deletes, and the replay record', async () => {
  const store = createBackchannelStore(client, 'sessions', 'logout-tokens');
  await warmUp(store);
  await store.recordLogoutToken('token', 9);
  await store.findSessions({ sid: 'sid-1', sub: 'alice' });
  await store.findSessions({ sid: undefined, sub: 'alice' });
  await store.removeSessions(['session-1']);
  await store.forgetLogoutToken('token');
  expectWithin('sessions', 'QueryCommand', SESSION_ATTRIBUTES.findAndEnd);
  expectWithin('sessions', 'DeleteItemCommand', SESSION_ATTRIBUTES.findAndEnd);
  expectWithin('logout-tokens', 'PutItemCommand', LOGOUT_TOKEN_ATTRIBUTES);
  expectWithin('logout-tokens', 'DeleteItemCommand', LOGOUT_TOKEN_ATTRIBUTES);
});

test.each([
  ['login', () => createPendingStore(client, 'transactions'), 'transactions', 'PutItemCommand'],
  ['callback', () => createCallbackStore(client, 'transactions', 'sessions'), 'transactions', 'UpdateItemCommand'],
  ['session and logout', () => createSessionStore(client, 'sessions'), 'sessions', 'GetItemCommand'],
  ['authorizer', () => createSessionReader(client, 'sessions'), 'sessions', 'GetItemCommand'],
  ['back-channel logout', () => createBackchannelStore(client, 'sessions', 'logout-tokens'), 'logout-tokens', 'PutItemCommand'],
] as const)('%s: the warm-up is one request naming only the reserved key, on a command the function already sends', async (_, store, table, command) => {
  await warmUp(store());
  expect(sent.map((request) => request.command)).toEqual([command]);
  const input = sent[0]?.input ?? {};
  expect(input.TableName).toBe(table);
  expect(attributesOf(input)).toEqual(['id']);
  expect(input.Item ?? input.Key).toEqual({ id: { S: WARM_UP_KEY } });
  if (command === 'GetItemCommand') {
    expect(input).toMatchObject({ ProjectionExpression: '#id' });
    expect(input.ConsistentRead ?? false).toBe(false);
  } else {
    expect(input).toMatchObject({ ConditionExpression: 'attribute_exists(#id)', ReturnValues: 'NONE' });
    expect(input.UpdateExpression).toBeUndefined();
  }
});

test('the session authorizer names no token attribute: the sealed tokens, their facts and the lease are out of its reach', () => {
  for (const attribute of [...TOKEN_ATTRIBUTES.stored, ...TOKEN_ATTRIBUTES.lease]) expect(SESSION_ATTRIBUTES.read).not.toContain(attribute);
  for (const attribute of TOKEN_ATTRIBUTES.stored) expect(SESSION_ATTRIBUTES.tokens).toContain(attribute);
});
