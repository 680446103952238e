import { randomToken } from '../../lambdas/core/encoding.js';
import { callbackQuery, createTestFlow, TEST_ISSUER, type TestFlow } from '../support/flow.js';
import { parseLogLine } from '../support/logs.js';

const RACERS = 25;

let flow: TestFlow;

beforeEach(async () => {
  flow = await createTestFlow();
});

afterEach(() => flow.close());

function countBy(values: readonly (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

describe('one conditional write decides (RFC 9700 §4.2.4: single use, atomically)', () => {
  test(`${RACERS} concurrent callbacks on one state: exactly one wins, the rest get 409, none a 5xx`, async () => {
    const login = await flow.login();
    const responses = await Promise.all(
      Array.from({ length: RACERS }, (_, index) =>
        flow.callback(callbackQuery({ code: `code-${index}`, state: login.state, iss: TEST_ISSUER }), login.bindingSecret),
      ),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(countBy(statuses)).toEqual({ 303: 1, 409: RACERS - 1 });
    const winner = statuses.indexOf(303);
    expect((await flow.item(login.transactionId))?.code).toEqual({ S: `code-${winner}` });
    const outcomes = flow.logs.slice(1).map(parseLogLine).map((log) => `${log.outcome}:${log.reason ?? '-'}`);
    expect(countBy(outcomes)).toEqual({ 'completed:-': 1, 'rejected:already_used': RACERS - 1 });
  });

  test('forged callbacks from other browsers racing the rightful one never burn it', async () => {
    const login = await flow.login();
    const forged = Array.from({ length: RACERS - 1 }, (_, index) =>
      flow.callback(callbackQuery({ code: `forged-${index}`, state: login.state }), randomToken()),
    );
    const rightful = flow.callback(callbackQuery({ code: 'rightful', state: login.state }), login.bindingSecret);
    const [rightfulResponse, ...forgedResponses] = await Promise.all([rightful, ...forged]);
    expect(rightfulResponse?.statusCode).toBe(303);
    expect(forgedResponses.map((response) => response.statusCode)).toEqual(Array.from({ length: RACERS - 1 }, () => 403));
    expect((await flow.item(login.transactionId))?.code).toEqual({ S: 'rightful' });
  });
});
