import { callbackQuery, createTestFlow, TEST_ISSUER, type TestFlow } from '../support/flow.js';
import { reportFigures } from './support/figures.js';

/**
 * RFC 9700 §4.2.4 / RFC 6749 §4.1.2: a state (and its code) is used at most once. One conditional
 * write decides, so any number of simultaneous callbacks on one state produce exactly one winner.
 */
const STATES = 20;
const RACERS = 50;

let flow: TestFlow;

beforeEach(async () => {
  flow = await createTestFlow();
});

afterEach(() => flow.close());

interface Race {
  readonly statuses: number[];
  readonly winners: number[];
  readonly recordedCode: string | undefined;
  readonly recordedStatus: string | undefined;
}

/** One login, then `queries` fired at once from the rightful browser. */
async function race(queries: (state: string) => string[]): Promise<Race> {
  const login = await flow.login();
  const responses = await Promise.all(queries(login.state).map((query) => flow.callback(query, login.bindingSecret)));
  const statuses = responses.map((response) => response.statusCode);
  const item = await flow.item(login.transactionId);
  return {
    statuses,
    winners: statuses.flatMap((status, index) => (status < 400 ? [index] : [])),
    recordedCode: item?.code?.S,
    recordedStatus: item?.status?.S,
  };
}

const racerCode = (state: number, racer: number): string => `race-${state}-${racer}`;

test(`${RACERS} simultaneous callbacks on one state, ${STATES} times: one 303 each, the rest 409, the winner's code recorded`, async () => {
  const started = performance.now();
  const statusCounts = new Map<number, number>();
  for (let stateNumber = 0; stateNumber < STATES; stateNumber += 1) {
    const result = await race((state) =>
      Array.from({ length: RACERS }, (_, racer) => callbackQuery({ code: racerCode(stateNumber, racer), state, iss: TEST_ISSUER })),
    );
    for (const status of result.statuses) statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
    expect(result.winners).toHaveLength(1);
    const winner = result.winners[0] as number;
    expect(result.statuses[winner]).toBe(303);
    expect(result.statuses.filter((status) => status === 409)).toHaveLength(RACERS - 1);
    expect(result.recordedStatus).toBe('code_received');
    expect(result.recordedCode).toBe(racerCode(stateNumber, winner));
  }
  const completed = flow.logs.filter((line) => line.includes('"outcome":"completed"'));
  const alreadyUsed = flow.logs.filter((line) => line.includes('"reason":"already_used"'));
  expect(completed).toHaveLength(STATES);
  expect(alreadyUsed).toHaveLength(STATES * (RACERS - 1));
  reportFigures('replay-race', {
    states: STATES,
    racersPerState: RACERS,
    callbacks: STATES * RACERS,
    winners: statusCounts.get(303) ?? 0,
    rejected409: statusCounts.get(409) ?? 0,
    serverErrors: [...statusCounts].filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0),
    durationMs: Math.round(performance.now() - started),
  });
});

test('a provider error racing codes on one state: one outcome wins and is the one recorded', async () => {
  for (let stateNumber = 0; stateNumber < 5; stateNumber += 1) {
    const result = await race((state) =>
      Array.from({ length: RACERS }, (_, racer) =>
        racer % 2 === 0
          ? callbackQuery({ code: racerCode(stateNumber, racer), state })
          : callbackQuery({ error: 'access_denied', state }),
      ),
    );
    expect(result.winners).toHaveLength(1);
    const winner = result.winners[0] as number;
    if (winner % 2 === 0) {
      expect(result.statuses[winner]).toBe(303);
      expect(result.recordedCode).toBe(racerCode(stateNumber, winner));
    } else {
      // A provider error ends the transaction with a page, not a redirect (RFC 6749 §4.1.2.1).
      expect(result.statuses[winner]).toBe(200);
      expect(result.recordedStatus).toBe('provider_error');
      expect(result.recordedCode).toBeUndefined();
    }
    expect(result.statuses.filter((status) => status === 409)).toHaveLength(RACERS - 1);
  }
});

test('callbacks racing after expiry all lose with 410, and nothing is recorded', async () => {
  const result = await race((state) => {
    // Past the 600 s lifetime but long before DynamoDB's TTL sweep would delete the item.
    flow.clock.nowMs += (flow.config.stateTtlSeconds + 1) * 1000;
    return Array.from({ length: RACERS }, (_, racer) => callbackQuery({ code: racerCode(0, racer), state }));
  });
  expect(result.statuses).toEqual(Array.from({ length: RACERS }, () => 410));
  expect(result.recordedStatus).toBe('pending');
  expect(result.recordedCode).toBeUndefined();
});
