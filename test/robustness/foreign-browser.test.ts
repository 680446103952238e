import { callbackQuery, createTestFlow, TEST_ISSUER, type LoginResult, type TestFlow } from '../support/flow.js';
import { randomToken } from '../../lambdas/core/encoding.js';
import { reportFigures } from './support/figures.js';

/**
 * RFC 6749 §10.12 / RFC 9700 §2.1 (login CSRF) and reference item 14: a state presented by another
 * browser is refused without consuming the rightful user's login, who then completes it.
 */
let flow: TestFlow;

beforeEach(async () => {
  flow = await createTestFlow();
});

afterEach(() => flow.close());

/** The rightful user's login and an attacker who started one of their own, so holds a valid binding cookie. */
async function victimAndAttacker(): Promise<{ victim: LoginResult; attackerSecret: string }> {
  const victim = await flow.login('returnTo=%2Finbox');
  const attacker = await flow.login();
  return { victim, attackerSecret: attacker.bindingSecret };
}

async function expectVictimCompletes(victim: LoginResult, code: string): Promise<void> {
  const item = await flow.item(victim.transactionId);
  expect(item?.status?.S).toBe('pending');
  expect(item?.code).toBeUndefined();
  const response = await flow.callback(callbackQuery({ code, state: victim.state, iss: TEST_ISSUER }), victim.bindingSecret);
  expect(response.statusCode).toBe(303);
  expect(response.headers.location).toBe('https://login.example.test/inbox');
  expect((await flow.item(victim.transactionId))?.code?.S).toBe(code);
}

test("the victim's state with the attacker's code, from the attacker's browser: 403, nothing consumed, the victim completes", async () => {
  const { victim, attackerSecret } = await victimAndAttacker();
  const forged = await flow.callback(callbackQuery({ code: 'attacker-code', state: victim.state, iss: TEST_ISSUER }), attackerSecret);
  expect(forged.statusCode).toBe(403);
  await expectVictimCompletes(victim, 'victim-code');
});

test('a forged provider error from another browser cannot end the victim\'s login either', async () => {
  const { victim, attackerSecret } = await victimAndAttacker();
  const forged = await flow.callback(callbackQuery({ error: 'access_denied', state: victim.state }), attackerSecret);
  expect(forged.statusCode).toBe(403);
  await expectVictimCompletes(victim, 'victim-code');
});

test('no cookie, a malformed cookie or an ambiguous pair of cookies: 400, nothing consumed', async () => {
  const { victim, attackerSecret } = await victimAndAttacker();
  const query = callbackQuery({ code: 'attacker-code', state: victim.state });
  expect((await flow.callback(query)).statusCode).toBe(400);
  expect((await flow.callback(query, 'not-a-binding-secret')).statusCode).toBe(400);
  // Two binding cookies (one planted): readCookie refuses to choose.
  expect((await flow.callback(query, `${attackerSecret}; __Host-login-binding=${victim.bindingSecret}`)).statusCode).toBe(400);
  await expectVictimCompletes(victim, 'victim-code');
});

test('after the victim finished, another browser still gets 403, not 409: it learns nothing', async () => {
  const { victim, attackerSecret } = await victimAndAttacker();
  await expectVictimCompletes(victim, 'victim-code');
  expect((await flow.callback(callbackQuery({ code: 'late', state: victim.state }), attackerSecret)).statusCode).toBe(403);
  expect((await flow.callback(callbackQuery({ code: 'late', state: victim.state }), randomToken())).statusCode).toBe(403);
});

test('50 forged callbacks racing the victim\'s one, 5 times: the victim always wins, every forgery gets 403', async () => {
  const ROUNDS = 5;
  const FORGERIES = 50;
  for (let round = 0; round < ROUNDS; round += 1) {
    const { victim, attackerSecret } = await victimAndAttacker();
    const forgeries = Array.from({ length: FORGERIES }, (_, index) =>
      flow.callback(callbackQuery({ code: `forged-${index}`, state: victim.state }), attackerSecret),
    );
    const rightful = flow.callback(callbackQuery({ code: `victim-${round}`, state: victim.state }), victim.bindingSecret);
    const [victimResponse, ...forgedResponses] = await Promise.all([rightful, ...forgeries]);
    expect(victimResponse?.statusCode).toBe(303);
    expect(forgedResponses.map((response) => response.statusCode)).toEqual(forgedResponses.map(() => 403));
    expect((await flow.item(victim.transactionId))?.code?.S).toBe(`victim-${round}`);
  }
  reportFigures('foreign-browser', { rounds: ROUNDS, forgeriesPerRound: FORGERIES, forgeriesAccepted: 0, victimWins: ROUNDS });
});
