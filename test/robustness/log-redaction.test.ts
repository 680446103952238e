import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { transactionIdForState } from '../../lambdas/core/authorization-request.js';
import { BINDING_COOKIE_NAME } from '../../lambdas/core/binding.js';
import { randomToken } from '../../lambdas/core/encoding.js';
import { writeRequestLog } from '../../lambdas/shared/request-log.js';
import type { TransactionStore } from '../../lambdas/shared/transaction-store.js';
import { createTestTable, getItem, localClient, testEndpoint } from '../support/dynamodb.js';
import { TEST_ISSUER, callbackQuery } from '../support/flow.js';
import { reportFigures } from './support/figures.js';
import { Browser, startHttpStack, uncappedAgent, type HttpAnswer, type HttpStack } from './support/http-stack.js';
import { captureOutput, type OutputCapture } from './support/output-capture.js';

/**
 * RFC 6749 §4.1.2 / RFC 9700 §4.2.4: the code is a credential, and so are the state, the PKCE
 * verifier, the nonce and the binding cookie. Flows of every outcome run over HTTP with the
 * production logger (stdout), while everything written to stdout, stderr and the console is
 * recorded; none of those values may appear in any form.
 */
let client: DynamoDBClient;
let tableName: string;
let stack: HttpStack;
let capture: OutputCapture;
const agent = uncappedAgent();
const clock = { offsetMs: 0 };
/** Set by a scenario to make the store throw something unexpected (a 500), with a secret in its message. */
let unexpectedFault: Error | undefined;
const secrets = new Set<string>();

const faultyStore = (store: TransactionStore): TransactionStore => ({
  ...store,
  savePending: (transaction) => store.savePending(transaction),
  consume: (request) => (unexpectedFault === undefined ? store.consume(request) : Promise.reject(unexpectedFault)),
});

beforeAll(async () => {
  client = localClient(testEndpoint());
  tableName = await createTestTable();
  stack = await startHttpStack({ client, tableName, log: writeRequestLog, now: () => Date.now() + clock.offsetMs, wrapStore: faultyStore });
  capture = captureOutput();
});

afterAll(async () => {
  capture.restore();
  agent.destroy();
  await stack.close();
  client.destroy();
});

/** Logs in from `browser` and records every secret the login created. */
async function login(browser: Browser): Promise<{ state: string }> {
  const answer = await browser.get('/login?returnTo=%2Faccount');
  expect(answer.status).toBe(302);
  const authorize = new URL(answer.headers.location ?? '');
  const state = authorize.searchParams.get('state') ?? '';
  const item = await getItem(client, tableName, transactionIdForState(state));
  for (const secret of [state, authorize.searchParams.get('nonce'), item?.codeVerifier?.S, item?.nonce?.S, browser.cookie(BINDING_COOKIE_NAME)]) {
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    secrets.add(secret as string);
  }
  return { state };
}

/** A code unique to this call, with characters that URL encoding changes, so encoded leaks are caught too. */
function newCode(): string {
  const code = `c0de/${randomToken()}+=`;
  secrets.add(code);
  return code;
}

const callback = (browser: Browser, parameters: Record<string, string>): Promise<HttpAnswer> => browser.get(`/callback?${callbackQuery(parameters)}`);

/** Name, the statuses its requests must get, and the requests. */
const scenarios: [string, number[], (browser: Browser) => Promise<number[]>][] = [
  [
    'success, then the signed-in page',
    [303, 200],
    async (browser) => {
      const { state } = await login(browser);
      return [(await callback(browser, { code: newCode(), state, iss: TEST_ISSUER })).status, (await browser.get('/signed-in')).status];
    },
  ],
  [
    'replay of a used callback',
    [303, 409],
    async (browser) => {
      const { state } = await login(browser);
      const code = newCode();
      return [(await callback(browser, { code, state })).status, (await callback(browser, { code, state })).status];
    },
  ],
  [
    'provider error',
    [200],
    async (browser) => {
      const { state } = await login(browser);
      return [(await callback(browser, { error: 'access_denied', error_description: 'The user said no', state })).status];
    },
  ],
  [
    'malformed callbacks: duplicate, bad escape, control character, wrong issuer, missing cookie',
    [400, 400, 400, 400, 400, 303],
    async (browser) => {
      const { state } = await login(browser);
      const code = newCode();
      const statuses = [
        (await browser.get(`/callback?${callbackQuery({ code, state })}&code=${encodeURIComponent(newCode())}`)).status,
        (await browser.get(`/callback?${callbackQuery({ code: newCode(), state })}%E0%A4%A`)).status,
        (await callback(browser, { code: `${newCode()}\u0001`, state })).status,
        (await callback(browser, { code: newCode(), state, iss: 'https://evil.example/' })).status,
        (await new Browser(stack.origin, agent).get(`/callback?${callbackQuery({ code: newCode(), state })}`)).status,
      ];
      return [...statuses, (await callback(browser, { code, state })).status];
    },
  ],
  [
    'a state used from another browser, and an expired one',
    [403, 410],
    async (browser) => {
      const { state } = await login(browser);
      const attacker = new Browser(stack.origin, agent);
      await login(attacker);
      const foreign = (await callback(attacker, { code: newCode(), state })).status;
      clock.offsetMs = 3_600_000;
      const expired = (await callback(browser, { code: newCode(), state })).status;
      clock.offsetMs = 0;
      return [foreign, expired];
    },
  ],
  [
    'store faults: throttled, failing with the code in its message, and an unexpected error',
    [503, 503, 500, 303],
    async (browser) => {
      const { state } = await login(browser);
      const code = newCode();
      const stub = mockClient(client);
      stub.on(PutItemCommand).rejects(Object.assign(new Error(`Throttled while writing ${state}`), { name: 'ThrottlingException' }));
      stub.on(UpdateItemCommand).rejects(Object.assign(new Error(`One or more parameter values were invalid: ${code}`), { name: 'ValidationException' }));
      const faulted = [(await browser.get('/login')).status, (await callback(browser, { code, state })).status];
      stub.restore();
      unexpectedFault = new TypeError(`cannot read code ${code} of state ${state}`);
      const unexpected = (await callback(browser, { code, state })).status;
      unexpectedFault = undefined;
      return [...faulted, unexpected, (await callback(browser, { code, state })).status];
    },
  ],
];

test.each(scenarios)('%s', async (_, statuses, run) => {
  expect(await run(new Browser(stack.origin, agent))).toEqual(statuses);
});

test('no secret appears in any log line or any output, in any encoding', () => {
  capture.restore();
  const output = `${capture.text()}\n${stack.logs.join('\n')}`;
  // The capture saw the production logger's lines, so an absent secret is absent, not missed.
  expect(stack.logs.length).toBeGreaterThan(20);
  for (const line of stack.logs) expect(capture.text()).toContain(line.slice(0, line.indexOf('"latencyMs"')));

  const forms = (secret: string): string[] => [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
  const leaked = [...secrets].filter((secret) => forms(secret).some((form) => output.includes(form)));
  expect(leaked).toEqual([]);
  reportFigures('log-redaction', {
    scenarios: scenarios.length,
    logLines: stack.logs.length,
    capturedOutputChars: output.length,
    secretsChecked: secrets.size,
    leaked: leaked.length,
  });
});
