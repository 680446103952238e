import { jest } from '@jest/globals';
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  RequestLimitExceeded,
  ThrottlingException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { CALLBACK_ROUTE } from '../../lambdas/callback/app.js';
import { DYNAMODB_MAX_ATTEMPTS, DYNAMODB_REQUEST_TIMEOUT_MS } from '../../lambdas/core/contract.js';
import { randomToken } from '../../lambdas/core/encoding.js';
import type { HttpResponse } from '../../lambdas/core/http.js';
import { LOGIN_ROUTE } from '../../lambdas/login/app.js';
import { RETRY_AFTER_SECONDS } from '../../lambdas/shared/request-runner.js';
import { localClient, scanAll, testEndpoint } from '../support/dynamodb.js';
import { apiEvent, bindingCookieHeader, callbackQuery, createTestFlow, testConfig } from '../support/flow.js';
import { FUNCTION_TIMEOUT_MS, withinFunctionTimeout } from './support/deadline.js';
import { answerThrottled, startFakeDynamoDb, type FakeDynamoDb } from './support/fake-dynamodb.js';
import { reportFigures, round } from './support/figures.js';
import { productionClient, wireHandlers, type WiredHandlers } from '../support/handlers.js';

/**
 * A store that cannot answer (throttled, timed out, unreachable) must cost the user a retry, not
 * their login: 503 with Retry-After, nothing consumed, and always before the function's timeout.
 */
const figures: Record<string, number> = {};
afterAll(() => reportFigures('store-faults', figures));

function expectRetryLater(response: HttpResponse): void {
  expect(response.statusCode).toBe(503);
  expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
}

// Only faults DynamoDB Local cannot produce; a refused connection is real in test/handlers/store-faults.test.ts.
describe('faults injected into the SDK client with aws-sdk-client-mock', () => {
  const sdkError = (name: string, message: string): Error => Object.assign(new Error(message), { name });
  const faults: [string, Error][] = [
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} })],
    ['ThrottlingException', new ThrottlingException({ message: 'Throughput exceeds the current capacity', $metadata: {} })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'Account limit exceeded', $metadata: {} })],
    ['InternalServerError', new InternalServerError({ message: 'Internal server error', $metadata: {} })],
    ['TimeoutError', sdkError('TimeoutError', 'the request socket timed out')],
  ];

  test.each(faults)('%s: login and callback answer 503 with Retry-After, nothing is written, the same callback then completes', async (_, fault) => {
    const client = localClient(testEndpoint());
    const flow = await createTestFlow({ client });
    try {
      const login = await flow.login();
      const stub = mockClient(client);
      stub.on(PutItemCommand).rejects(fault).on(UpdateItemCommand).rejects(fault);
      const query = callbackQuery({ code: 'after-the-fault', state: login.state });
      expectRetryLater((await flow.login()).response);
      expectRetryLater(await flow.callback(query, login.bindingSecret));
      stub.restore();

      // The failed login left no item and the failed callback consumed nothing: the user's retry works.
      expect(await scanAll(client, flow.tableName)).toHaveLength(1);
      expect((await flow.item(login.transactionId))?.status?.S).toBe('pending');
      expect((await flow.callback(query, login.bindingSecret)).statusCode).toBe(303);
      expect((await flow.item(login.transactionId))?.code?.S).toBe('after-the-fault');
      expect(flow.logs.filter((line) => line.includes('"outcome":"store_fault"'))).toHaveLength(2);
      figures.mockedFaultKinds = (figures.mockedFaultKinds ?? 0) + 1;
    } finally {
      flow.close();
    }
  });
});

describe("the production client's retries and timeouts end before the function timeout", () => {
  let fake: FakeDynamoDb | undefined;

  afterEach(async () => {
    jest.restoreAllMocks();
    await fake?.close();
    fake = undefined;
  });

  /** Both functions on the production SDK client (lambdas/shared/dynamodb-client.ts) pointed at the fake. */
  function handlersFor(endpoint: string): WiredHandlers {
    return wireHandlers({ client: productionClient(endpoint), tableName: 'transactions', config: testConfig() });
  }

  async function timed(what: string, work: Promise<HttpResponse>): Promise<{ response: HttpResponse; elapsedMs: number }> {
    const started = performance.now();
    const response = await withinFunctionTimeout(work, what);
    return { response, elapsedMs: performance.now() - started };
  }

  const wellFormedCallback = () =>
    apiEvent(CALLBACK_ROUTE, callbackQuery({ code: 'c', state: randomToken() }), bindingCookieHeader(randomToken()));

  test('a store that accepts connections and never answers: every attempt is cut by the request timeout, then 503', async () => {
    fake = await startFakeDynamoDb(() => {
      // Never answers: the request timeout alone must end each attempt.
    });
    const handlers = handlersFor(fake.endpoint);
    const [login, callback] = await Promise.all([
      timed('login against a silent store', handlers.login(apiEvent(LOGIN_ROUTE))),
      timed('callback against a silent store', handlers.callback(wellFormedCallback())),
    ]);
    for (const { response, elapsedMs } of [login, callback]) {
      expectRetryLater(response);
      // All attempts were made and each ran to the request timeout, so the timeout is what ended them.
      expect(elapsedMs).toBeGreaterThanOrEqual(DYNAMODB_MAX_ATTEMPTS * DYNAMODB_REQUEST_TIMEOUT_MS * 0.95);
      expect(elapsedMs).toBeLessThan(FUNCTION_TIMEOUT_MS);
    }
    expect(fake.requests()).toBe(2 * DYNAMODB_MAX_ATTEMPTS);
    expect(handlers.logs.every((line) => line.includes('"reason":"TimeoutError"'))).toBe(true);
    figures.silentStoreAttempts = fake.requests() / 2;
    figures.silentStoreLoginMs = Math.round(login.elapsedMs);
    figures.silentStoreCallbackMs = Math.round(callback.elapsedMs);
  }, 30_000);

  test('worst case: throttled just before each timeout, maximum back-off, then silence: still 503 before the function timeout', async () => {
    // Back-off is `random x base x 2^attempt`; pinning random near 1 makes every wait its longest.
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    const answerDelayMs = DYNAMODB_REQUEST_TIMEOUT_MS - 150;
    fake = await startFakeDynamoDb((requestNumber, response) => {
      if (requestNumber < DYNAMODB_MAX_ATTEMPTS) setTimeout(() => answerThrottled(response), answerDelayMs);
    });
    const handlers = handlersFor(fake.endpoint);
    const { response, elapsedMs } = await timed('login against a throttling store', handlers.login(apiEvent(LOGIN_ROUTE)));
    expectRetryLater(response);
    expect(fake.requests()).toBe(DYNAMODB_MAX_ATTEMPTS);
    expect(elapsedMs).toBeLessThan(FUNCTION_TIMEOUT_MS);
    figures.worstCaseMs = Math.round(elapsedMs);
    figures.worstCaseShareOfFunctionTimeout = round(elapsedMs / FUNCTION_TIMEOUT_MS, 2);
  }, 30_000);
});
