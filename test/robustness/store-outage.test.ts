import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RETRY_AFTER_SECONDS } from '../../lambdas/shared/request-runner.js';
import { createFlowTable, localClient, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local.js';
import { scanAll, type StoredItem } from '../support/dynamodb.js';
import { TEST_ISSUER, callbackQuery } from '../support/flow.js';
import { mapConcurrent } from './support/concurrency.js';
import { FUNCTION_TIMEOUT_MS } from './support/deadline.js';
import { reportFigures } from './support/figures.js';
import { productionClient } from '../support/handlers.js';
import { Browser, runHttpFlow, startHttpStack, uncappedAgent, type HttpAnswer, type HttpFlow, type HttpStack } from './support/http-stack.js';
import { isHalfWritten, itemsByCode } from './support/items.js';

/**
 * A dedicated DynamoDB Local, taken away in the middle of a run of flows over HTTP, with the
 * functions on their production SDK client: frozen (SIGSTOP, data kept, so the table can be
 * inspected afterwards) and stopped (process gone, then restarted on the same port).
 */
const TABLE_NAME = 'transactions';
const figures: Record<string, number> = {};

let dynamoDb: DynamoDbLocal;
let client: DynamoDBClient;
let stack: HttpStack;
const agent = uncappedAgent();
const browser = (): Browser => new Browser(stack.origin, agent, FUNCTION_TIMEOUT_MS);

beforeAll(async () => {
  dynamoDb = await startDynamoDbLocal();
  await createFlowTable(dynamoDb.endpoint, TABLE_NAME);
  client = productionClient(dynamoDb.endpoint);
  stack = await startHttpStack({ client, tableName: TABLE_NAME });
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await stack.close();
  client.destroy();
  await dynamoDb.stop();
  reportFigures('store-outage', figures);
});

/** A login that reached the provider, waiting for its callback. */
interface PendingLogin {
  readonly browser: Browser;
  readonly state: string;
  readonly code: string;
}

async function pendingLogins(count: number, prefix: string): Promise<PendingLogin[]> {
  return mapConcurrent(Array.from({ length: count }, (_, index) => index), 10, async (index) => {
    const user = browser();
    const login = await user.get('/login');
    expect(login.status).toBe(302);
    return { browser: user, state: new URL(login.headers.location ?? '').searchParams.get('state') ?? '', code: `${prefix}-${index}` };
  });
}

const callbackFor = (login: PendingLogin): Promise<HttpAnswer> =>
  login.browser.get(`/callback?${callbackQuery({ code: login.code, state: login.state, iss: TEST_ISSUER })}`);

/** Every answer is a success, or a 503 that tells the browser when to retry; never another 5xx. */
function expectSuccessOrRetryLater(answers: readonly HttpAnswer[]): void {
  for (const answer of answers) {
    expect([302, 303, 503]).toContain(answer.status);
    if (answer.status === 503) expect(answer.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
    expect(answer.elapsedMs).toBeLessThan(FUNCTION_TIMEOUT_MS);
  }
}

/** Scans until two scans a moment apart agree: requests buffered during a freeze land late. */
async function settledItems(): Promise<StoredItem[]> {
  const reader = localClient(dynamoDb.endpoint);
  try {
    let previous = JSON.stringify(await scanAll(reader, TABLE_NAME));
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const items = await scanAll(reader, TABLE_NAME);
      if (JSON.stringify(items) === previous) return items;
      previous = JSON.stringify(items);
    }
  } finally {
    reader.destroy();
  }
}

test('frozen mid-run: in-flight requests answer 503 with Retry-After in time, nothing is half-written, retries finish', async () => {
  const waiting = await pendingLogins(60, 'freeze-pending');
  const FREEZE_AFTER = 20;
  let finished = 0;
  let frozenAt = 0;
  const freezeOnce = (): void => {
    finished += 1;
    if (finished !== FREEZE_AFTER) return;
    // SIGSTOP keeps the process and its in-memory table: connections are accepted but nothing answers.
    process.kill(dynamoDb.pid, 'SIGSTOP');
    frozenAt = performance.now();
  };
  let callbacks: HttpAnswer[];
  let flows: HttpFlow[];
  try {
    [callbacks, flows] = await Promise.all([
      Promise.all(waiting.map((login) => callbackFor(login).finally(freezeOnce))),
      Promise.all(Array.from({ length: 60 }, (_, index) => runHttpFlow(browser(), `freeze-flow-${index}`).finally(freezeOnce))),
    ]);
  } finally {
    process.kill(dynamoDb.pid, 'SIGCONT');
  }
  const frozenForMs = performance.now() - frozenAt;
  const answers = [...callbacks, ...flows.flatMap((flow) => (flow.callback === undefined ? [flow.login] : [flow.login, flow.callback]))];
  expectSuccessOrRetryLater(answers);
  const refused = answers.filter((answer) => answer.status === 503).length;
  expect(refused).toBeGreaterThan(0);
  expect(answers.filter((answer) => answer.status === 303).length).toBeGreaterThan(0);

  const items = await settledItems();
  expect(items.filter(isHalfWritten)).toEqual([]);
  const byCode = itemsByCode(items);
  const completedCodes = [
    ...waiting.filter((_, index) => callbacks[index]?.status === 303).map((login) => login.code),
    ...flows.flatMap((flow, index) => (flow.callback?.status === 303 ? [`freeze-flow-${index}`] : [])),
  ];
  for (const code of completedCodes) expect(byCode.get(code)).toHaveLength(1);

  // The user retries a callback that got 503: it completes, or its write had landed after all and
  // the page says so (409, "already finished", not "already used"); either way the code recorded is
  // that user's.
  const retried = waiting.filter((_, index) => callbacks[index]?.status === 503);
  const retries = await Promise.all(retried.map(callbackFor));
  for (const retry of retries) expect([303, 409]).toContain(retry.status);
  for (const retry of retries.filter((answer) => answer.status === 409)) expect(retry.body).toContain('already finished');
  const recorded = itemsByCode(await settledItems());
  for (const login of retried) expect(recorded.get(login.code)).toHaveLength(1);

  Object.assign(figures, {
    freezeRequests: answers.length,
    freezeAnswered503: refused,
    freezeMaxAnswerMs: Math.round(Math.max(...answers.map((answer) => answer.elapsedMs))),
    freezeDurationMs: Math.round(frozenForMs),
    freezeItemsChecked: items.length,
    freezeHalfWritten: 0,
    freezeRetriedCallbacks: retries.length,
    freezeRetriesCompleted: retries.filter((retry) => retry.status === 303).length,
    freezeRetriesAlreadyRecorded: retries.filter((retry) => retry.status === 409).length,
  });
}, 120_000);

test('stopped mid-run: requests answer 503 with Retry-After; restarted on the same port, new flows complete', async () => {
  const waiting = await pendingLogins(20, 'outage-pending');
  const STOP_AFTER_FLOWS = 30;
  const ANSWERS_AFTER_STOP = 40;
  const answers: HttpAnswer[] = [];
  const afterStop: HttpAnswer[] = [];
  let completedFlows = 0;
  let stopping: Promise<void> | undefined;
  let stopped = false;
  const worker = async (workerNumber: number): Promise<void> => {
    for (let flowNumber = 0; afterStop.length < ANSWERS_AFTER_STOP; flowNumber += 1) {
      const startedAfterStop = stopped;
      const flow = await runHttpFlow(browser(), `outage-${workerNumber}-${flowNumber}`);
      const flowAnswers = flow.callback === undefined ? [flow.login] : [flow.login, flow.callback];
      answers.push(...flowAnswers);
      if (startedAfterStop) afterStop.push(...flowAnswers);
      completedFlows += 1;
      if (completedFlows === STOP_AFTER_FLOWS) {
        stopping = dynamoDb.stop().then(() => {
          stopped = true;
        });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, workerNumber) => worker(workerNumber)));
  await stopping;
  const waitingCallbacks = await Promise.all(waiting.map(callbackFor));

  expectSuccessOrRetryLater([...answers, ...waitingCallbacks]);
  // Once the store is gone, every request gets the retry page, and logins go no further.
  for (const answer of [...afterStop, ...waitingCallbacks]) expect(answer.status).toBe(503);
  expect(answers.filter((answer) => answer.status === 303).length).toBeGreaterThanOrEqual(STOP_AFTER_FLOWS);

  const restartStarted = performance.now();
  dynamoDb = await startDynamoDbLocal({ port: dynamoDb.port });
  // In-memory, so the table is gone with the process; a real table would still hold the pending logins.
  await createFlowTable(dynamoDb.endpoint, TABLE_NAME);
  const recovered = await mapConcurrent(Array.from({ length: 40 }, (_, index) => index), 10, (index) =>
    runHttpFlow(browser(), `recovered-${index}`),
  );
  const recoveryMs = performance.now() - restartStarted;
  expect(recovered.map((flow) => flow.callback?.status)).toEqual(recovered.map(() => 303));
  const items = await settledItems();
  expect(items.filter(isHalfWritten)).toEqual([]);
  expect([...itemsByCode(items).keys()].sort()).toEqual(recovered.map((_, index) => `recovered-${index}`).sort());
  // A callback whose transaction the restart lost is refused as unknown, never a 5xx.
  expect((await callbackFor(waiting[0] as PendingLogin)).status).toBe(400);

  Object.assign(figures, {
    outageRequests: answers.length + waitingCallbacks.length,
    outageAnswered503: [...answers, ...waitingCallbacks].filter((answer) => answer.status === 503).length,
    outageAnsweredAfterStop: afterStop.length + waitingCallbacks.length,
    outageMaxAnswerMs: Math.round(Math.max(...[...answers, ...waitingCallbacks].map((answer) => answer.elapsedMs))),
    restartToFortyFlowsMs: Math.round(recoveryMs),
    recoveredFlows: recovered.length,
  });
}, 120_000);
