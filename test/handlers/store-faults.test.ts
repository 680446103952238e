import { DynamoDBClient, PutItemCommand, ThrottlingException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createDynamoDbClient } from '../../lambdas/shared/dynamodb-client.js';
import { createTransactionStore, type TransactionStore } from '../../lambdas/shared/transaction-store.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';
import { findFreePort } from '../../local/free-port.js';
import { callbackQuery, createTestFlow, TEST_BASE_URL, type TestFlow } from '../support/flow.js';
import { lastLog } from '../support/logs.js';
import { expectSecurePage } from '../support/responses.js';
import { expectNothingWritten, snapshotTable } from '../support/table-snapshot.js';

const unusedSignInOperations = {
  warmUp: () => Promise.resolve(),
  completeSignIn: () => Promise.reject(new Error('no sign-in in this suite')),
  recordSignInFailure: () => Promise.reject(new Error('no sign-in in this suite')),
};

/** The store the handlers use: the real one on DynamoDB Local until a test swaps in a failing one. */
function switchableStore(): { wrapStore: (real: TransactionStore) => TransactionStore; failWith: (store: TransactionStore | undefined) => void } {
  let failing: TransactionStore | undefined;
  return {
    wrapStore: (real) => ({
      ...real,
      savePending: (transaction) => (failing ?? real).savePending(transaction),
      consume: (request) => (failing ?? real).consume(request),
    }),
    failWith: (store) => {
      failing = store;
    },
  };
}

// aws-sdk-client-mock only for what DynamoDB Local cannot produce: throttling and timeouts.
const mockedClient = new DynamoDBClient({ region: 'local' });
const faults = mockClient(mockedClient);

const throttled = (): ThrottlingException =>
  new ThrottlingException({ message: 'Rate of requests exceeds the allowed throughput.', $metadata: { httpStatusCode: 400 } });
const timedOut = (): Error => Object.assign(new Error('Connection timed out after 2000 ms'), { name: 'TimeoutError' });

let flow: TestFlow;
let store: ReturnType<typeof switchableStore>;

beforeEach(async () => {
  faults.reset();
  store = switchableStore();
  flow = await createTestFlow({ wrapStore: store.wrapStore });
});

afterEach(() => flow.close());

afterAll(() => {
  faults.restore();
  mockedClient.destroy();
});

function expectUnavailable(response: Awaited<ReturnType<TestFlow['callback']>>, route: string, cause: string): void {
  expectSecurePage(response, 503);
  expect(response.headers['retry-after']).toBe('2');
  expect(response.body).toContain('Nothing was lost: please try again in a moment.');
  expect(response.body).toContain(`<a href="${TEST_BASE_URL}/login">Try again</a>`);
  expect(response).not.toHaveProperty('cookies');
  expect(lastLog(flow.logs)).toMatchObject({ level: 'error', route, status: 503, outcome: 'store_fault', reason: cause, StoreFaults: 1 });
}

describe('a DynamoDB fault answers 503 with Retry-After, never a half-done transaction', () => {
  test.each([
    ['throttled', throttled, 'ThrottlingException'],
    ['timed out', timedOut, 'TimeoutError'],
  ])('a %s consume consumes nothing, and the retry completes', async (_label, fault, cause) => {
    const login = await flow.login();
    faults.on(UpdateItemCommand).rejects(fault());
    store.failWith(createTransactionStore(mockedClient, flow.tableName));

    const query = callbackQuery({ code: 'c', state: login.state });
    const response = await expectNothingWritten(flow, () => flow.callback(query, login.bindingSecret));
    expectUnavailable(response, 'GET /callback', cause);
    expect(faults.commandCalls(UpdateItemCommand).map((call) => call.args[0].input.Key)).toEqual([{ id: { S: login.transactionId } }]);

    store.failWith(undefined);
    expect((await flow.callback(query, login.bindingSecret)).statusCode).toBe(303);
  });

  test('a throttled login answers 503, writes nothing and sets no cookie', async () => {
    faults.on(PutItemCommand).rejects(throttled());
    store.failWith(createTransactionStore(mockedClient, flow.tableName));
    const login = await flow.login();
    expectUnavailable(login.response, 'GET /login', 'ThrottlingException');
    expect(faults.commandCalls(PutItemCommand)).toHaveLength(1);
    expect(await snapshotTable(flow)).toEqual([]);
  });

  test('an unreachable DynamoDB (no mock: nothing listens on the port) answers 503 after bounded retries', async () => {
    const login = await flow.login();
    const unreachable = createDynamoDbClient({ ...LOCAL_AWS_ENV, DYNAMODB_ENDPOINT: `http://127.0.0.1:${await findFreePort()}` });
    try {
      store.failWith(createTransactionStore(unreachable, flow.tableName));
      const refusedLogin = await expectNothingWritten(flow, async () => (await flow.login()).response);
      expect(refusedLogin.statusCode).toBe(503);
      expect(refusedLogin.headers['retry-after']).toBe('2');
      const response = await expectNothingWritten(flow, () => flow.callback(callbackQuery({ code: 'c', state: login.state }), login.bindingSecret));
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('2');
      expect(lastLog(flow.logs)).toMatchObject({ status: 503, outcome: 'store_fault', StoreFaults: 1 });
    } finally {
      unreachable.destroy();
    }
    store.failWith(undefined);
    expect((await flow.callback(callbackQuery({ code: 'c', state: login.state }), login.bindingSecret)).statusCode).toBe(303);
  });
});

describe('an unexpected error', () => {
  test('answers a generic 500 page that reveals nothing, and is logged by its name only', async () => {
    const login = await flow.login();
    store.failWith({
      ...unusedSignInOperations,
      savePending: () => Promise.reject(new TypeError('unused')),
      consume: () => Promise.reject(new TypeError('internal detail at /var/task/index.mjs:1:2')),
    });
    const response = await flow.callback(callbackQuery({ code: 'c', state: login.state }), login.bindingSecret);
    expectSecurePage(response, 500);
    expect(response.body).toContain('The request could not be completed.');
    expect(response.body).not.toMatch(/internal detail|TypeError|index\.mjs/);
    expect(lastLog(flow.logs)).toMatchObject({ level: 'error', status: 500, outcome: 'internal_error', reason: 'TypeError', InternalErrors: 1 });
  });
});
