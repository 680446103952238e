import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { MAX_CODE_LENGTH, MAX_RECORDED_CODE_LENGTH } from '../../lambdas/core/authorization-response.js';
import { randomToken, sha256Base64Url } from '../../lambdas/core/encoding.js';
import { METRICS_NAMESPACE } from '../../lambdas/core/metrics.js';
import { callbackQuery, createTestFlow, TEST_BASE_URL, TEST_ISSUER, type LoginResult, type TestFlow } from '../support/flow.js';
import { expectRejection } from '../support/handler-expectations.js';
import { lastLog } from '../support/logs.js';
import { expectRedirect, expectSecurePage } from '../support/responses.js';
import { expectNothingWritten, snapshotTable } from '../support/table-snapshot.js';

const SIGNED_IN_URL = `${TEST_BASE_URL}/signed-in`;
const RETENTION_SECONDS = 7 * 86_400;

let flow: TestFlow;

beforeEach(async () => {
  flow = await createTestFlow();
});

afterEach(() => flow.close());

/** The rightful browser finishes its own login: the proof that an earlier refusal consumed nothing. */
async function expectRightfulUserCanFinish(login: LoginResult): Promise<void> {
  const response = await flow.callback(callbackQuery({ code: 'rightful-code', state: login.state, iss: TEST_ISSUER }), login.bindingSecret);
  expect(response.statusCode).toBe(303);
  expect((await flow.item(login.transactionId))?.code).toEqual({ S: 'rightful-code' });
}

describe('GET /callback: success', () => {
  test('records the code, the issuer and the completion time in the one write, and keeps the record for the retention', async () => {
    const login = await flow.login();
    const pending = await flow.item(login.transactionId);
    flow.clock.nowMs += 5_000;
    const response = await flow.callback(callbackQuery({ code: 'code-abc', state: login.state, iss: TEST_ISSUER }), login.bindingSecret);
    expectRedirect(response, 303, SIGNED_IN_URL);
    expect(await flow.item(login.transactionId)).toEqual({
      ...pending,
      status: { S: 'code_received' },
      code: { S: 'code-abc' },
      issuer: { S: TEST_ISSUER },
      completedAt: { N: String(flow.clock.nowMs) },
      expiresAt: { N: String(Math.floor(flow.clock.nowMs / 1000) + RETENTION_SECONDS) },
    });
    expect(lastLog(flow.logs)).toMatchObject({ route: 'GET /callback', status: 303, outcome: 'completed', CallbacksCompleted: 1 });
  });

  test('lands on the stored returnTo, never on one supplied at callback time', async () => {
    const login = await flow.login('returnTo=%2Fdashboard%3Fview%3Dall');
    const response = await flow.callback(
      callbackQuery({ code: 'code-abc', state: login.state, returnTo: '//evil.example/' }),
      login.bindingSecret,
    );
    expectRedirect(response, 303, `${TEST_BASE_URL}/dashboard?view=all`);
  });

  test.each(['https://evil.example/x', '//evil.example/x', '/\\evil.example', '/login?prompt=none', '/%252525252F%252525252Fevil.com'])(
    'a stored returnTo tampered with in the table (%s) is checked again: the user lands on /signed-in',
    async (tampered) => {
      const login = await flow.login('returnTo=%2Fdashboard');
      await flow.client.send(
        new UpdateItemCommand({
          TableName: flow.tableName,
          Key: { id: { S: login.transactionId } },
          UpdateExpression: 'SET returnTo = :tampered',
          ExpressionAttributeValues: { ':tampered': { S: tampered } },
        }),
      );
      const response = await flow.callback(callbackQuery({ code: 'code-abc', state: login.state }), login.bindingSecret);
      expectRedirect(response, 303, SIGNED_IN_URL);
    },
  );

  test('without a returnTo lands on the built-in signed-in page, which shows no code', async () => {
    const login = await flow.login();
    const response = await flow.callback(callbackQuery({ code: 'code-abc', state: login.state }), login.bindingSecret);
    expectRedirect(response, 303, SIGNED_IN_URL);
    const page = await flow.signedIn();
    expectSecurePage(page, 200);
    // Without a client secret the flow stops at the recorded code: there is no session to show.
    expect(page.body).toContain('<h1>Not signed in</h1>');
    expect(page.body).not.toContain('code-abc');
    expect(lastLog(flow.logs)).toMatchObject({ route: 'GET /signed-in', status: 200, outcome: 'unauthenticated' });
  });

  test('a code of exactly 2048 visible characters is accepted and recorded as its hash; one of 256 as sent', async () => {
    const long = await flow.login();
    const longCode = `${'x'.repeat(MAX_CODE_LENGTH - 2)} ~`;
    expect((await flow.callback(callbackQuery({ code: longCode, state: long.state }), long.bindingSecret)).statusCode).toBe(303);
    const longRecord = await flow.item(long.transactionId);
    expect(longRecord?.code).toBeUndefined();
    expect(longRecord?.codeHash?.S).toBe(sha256Base64Url(`code:${longCode}`));

    const short = await flow.login();
    const shortCode = `${'y'.repeat(MAX_RECORDED_CODE_LENGTH - 2)} ~`;
    expect((await flow.callback(callbackQuery({ code: shortCode, state: short.state }), short.bindingSecret)).statusCode).toBe(303);
    expect((await flow.item(short.transactionId))?.code).toEqual({ S: shortCode });
  });

  test('no log line carries the code, state, verifier, nonce, binding secret or its hash', async () => {
    const login = await flow.login('returnTo=%2Fprivate-path');
    const item = await flow.item(login.transactionId);
    await flow.callback(callbackQuery({ code: 'SECRET-CODE-123', state: login.state, iss: TEST_ISSUER }), login.bindingSecret);
    await flow.callback(callbackQuery({ code: 'SECRET-CODE-456', state: login.state }), login.bindingSecret);
    await flow.callback(callbackQuery({ code: 'SECRET-CODE-789', state: login.state }), randomToken());
    const logged = flow.logs.join('\n');
    expect(flow.logs).toHaveLength(4);
    for (const secret of [
      'SECRET-CODE',
      login.state,
      login.transactionId,
      login.bindingSecret,
      item?.codeVerifier?.S,
      item?.nonce?.S,
      item?.bindingHash?.S,
      '/private-path',
    ]) {
      expect(logged).not.toContain(secret);
    }
  });
});

describe('GET /callback: single use and expiry', () => {
  test('a replay is refused with 409 and changes nothing', async () => {
    const login = await flow.login();
    await flow.callback(callbackQuery({ code: 'first', state: login.state }), login.bindingSecret);
    const replay = await expectNothingWritten(flow, () => flow.callback(callbackQuery({ code: 'second', state: login.state }), login.bindingSecret));
    expectRejection(replay, flow.logs, 409, 'already_used');
    expect(replay.body).not.toContain('second');
    expect((await flow.item(login.transactionId))?.code).toEqual({ S: 'first' });
  });

  test('the same browser retrying the recorded code (a 503 whose write landed) is told it already finished', async () => {
    const login = await flow.login();
    const query = callbackQuery({ code: 'landed', state: login.state });
    await flow.callback(query, login.bindingSecret);
    const retry = await expectNothingWritten(flow, () => flow.callback(query, login.bindingSecret));
    expectRejection(retry, flow.logs, 409, 'already_completed');
    expect(retry.body).toContain('already finished');
  });

  test('a transaction past its expiry but still in the table (TTL deletes lazily) is refused with 410 and left pending', async () => {
    const login = await flow.login();
    flow.clock.nowMs += 601_000;
    const response = await expectNothingWritten(flow, () => flow.callback(callbackQuery({ code: 'late', state: login.state }), login.bindingSecret));
    expectRejection(response, flow.logs, 410, 'expired');
    expect((await flow.item(login.transactionId))?.status).toEqual({ S: 'pending' });
  });

  test('expiry is exact: usable in the last second before expiresAt, refused at expiresAt', async () => {
    const early = await flow.login();
    const late = await flow.login('', early.bindingSecret);
    const expiresAtMs = Number((await flow.item(early.transactionId))?.expiresAt?.N) * 1000;

    flow.clock.nowMs = expiresAtMs;
    expectRejection(await flow.callback(callbackQuery({ code: 'c', state: early.state }), early.bindingSecret), flow.logs, 410, 'expired');

    flow.clock.nowMs = expiresAtMs - 1;
    expect((await flow.callback(callbackQuery({ code: 'c', state: late.state }), late.bindingSecret)).statusCode).toBe(303);
  });

  test('a well-formed state that was never issued is refused with 400 and creates no item', async () => {
    const login = await flow.login();
    const response = await expectNothingWritten(flow, () => flow.callback(callbackQuery({ code: 'c', state: randomToken() }), login.bindingSecret));
    expectRejection(response, flow.logs, 400, 'unknown_state');
  });
});

describe('GET /callback: binding to the browser that started the login', () => {
  test('another browser is refused with 403, and the rightful user can still finish', async () => {
    const login = await flow.login();
    const attacker = await flow.login();
    const response = await expectNothingWritten(flow, () =>
      flow.callback(callbackQuery({ code: 'attacker-code', state: login.state, iss: TEST_ISSUER }), attacker.bindingSecret),
    );
    expectRejection(response, flow.logs, 403, 'binding_mismatch');
    await expectRightfulUserCanFinish(login);
  });

  test('login CSRF: a victim browser cannot complete a login the attacker started', async () => {
    const attackerLogin = await flow.login();
    const victimSecret = (await flow.login()).bindingSecret;
    const response = await expectNothingWritten(flow, () =>
      flow.callback(callbackQuery({ code: 'attacker-code', state: attackerLogin.state }), victimSecret),
    );
    expectRejection(response, flow.logs, 403, 'binding_mismatch');
  });

  test('a request without the binding cookie is refused with 400 and consumes nothing', async () => {
    const login = await flow.login();
    const response = await expectNothingWritten(flow, () => flow.callback(callbackQuery({ code: 'c', state: login.state })));
    expectRejection(response, flow.logs, 400, 'missing_binding');
    expect(response.body).toContain('Cookies must be enabled');
    await expectRightfulUserCanFinish(login);
  });

  test('a malformed binding cookie is treated as missing', async () => {
    const login = await flow.login();
    const response = await expectNothingWritten(flow, () => flow.callback(callbackQuery({ code: 'c', state: login.state }), 'x'.repeat(42)));
    expectRejection(response, flow.logs, 400, 'missing_binding');
  });
});

describe('GET /callback: issuer (RFC 9207)', () => {
  test('a wrong iss is refused with 400 and consumes nothing', async () => {
    const login = await flow.login();
    const response = await expectNothingWritten(flow, () =>
      flow.callback(callbackQuery({ code: 'c', state: login.state, iss: 'https://evil.example.test/' }), login.bindingSecret),
    );
    expectRejection(response, flow.logs, 400, 'issuer_mismatch');
    await expectRightfulUserCanFinish(login);
  });

  test('when the provider always sends iss, a response without it is refused and consumes nothing', async () => {
    flow.close();
    flow = await createTestFlow({ config: { requireIss: true } });
    const login = await flow.login();
    const response = await expectNothingWritten(flow, () => flow.callback(callbackQuery({ code: 'c', state: login.state }), login.bindingSecret));
    expectRejection(response, flow.logs, 400, 'missing_issuer');
    await expectRightfulUserCanFinish(login);
  });
});

describe('GET /callback: provider errors', () => {
  test('an unknown provider error is recorded as sent but logged as "other"', async () => {
    const login = await flow.login();
    const response = await flow.callback(callbackQuery({ error: 'attacker_chosen_text', state: login.state }), login.bindingSecret);
    expect(response.statusCode).toBe(200);
    expect((await flow.item(login.transactionId))?.error).toEqual({ S: 'attacker_chosen_text' });
    expect(lastLog(flow.logs)).toMatchObject({ outcome: 'provider_error', reason: 'other', Reason: 'other', ProviderErrors: 1 });
    expect(flow.logs.join('\n')).not.toContain('attacker_chosen_text');
  });

  test('a provider error ends the transaction: recorded with its description, shown escaped, then refused as used', async () => {
    const login = await flow.login();
    const description = 'User <script>alert(1)</script> & cancelled';
    const response = await flow.callback(
      callbackQuery({ error: 'invalid_scope', error_description: description, state: login.state, iss: TEST_ISSUER }),
      login.bindingSecret,
    );
    expectSecurePage(response, 200);
    expect(response.body).toContain('<p>The identity provider ended the sign-in with &#34;invalid_scope&#34;.</p>');
    expect(response.body).toContain('<p>User &#60;script&#62;alert(1)&#60;/script&#62; &#38; cancelled</p>');
    expect(response.body).not.toContain('<script>');
    expect(await flow.item(login.transactionId)).toMatchObject({
      status: { S: 'provider_error' },
      error: { S: 'invalid_scope' },
      errorDescription: { S: description },
      issuer: { S: TEST_ISSUER },
      completedAt: { N: String(flow.clock.nowMs) },
    });
    expect((await flow.item(login.transactionId))?.code).toBeUndefined();
    expect(lastLog(flow.logs)).toMatchObject({ status: 200, outcome: 'provider_error', reason: 'invalid_scope', ProviderErrors: 1 });

    const late = await expectNothingWritten(flow, () => flow.callback(callbackQuery({ code: 'c', state: login.state }), login.bindingSecret));
    expectRejection(late, flow.logs, 409, 'already_used');
  });

  test('access_denied (a cancelled consent) gets a friendly page offering to sign in again, the raw error only in the record', async () => {
    const login = await flow.login();
    const response = await flow.callback(
      callbackQuery({ error: 'access_denied', error_description: 'End-User aborted interaction', state: login.state, iss: TEST_ISSUER }),
      login.bindingSecret,
    );
    expectSecurePage(response, 200);
    expect(response.body).toContain('<title>Sign-in cancelled</title>');
    expect(response.body).toContain('You cancelled the sign-in');
    expect(response.body).toContain(`<a href="${TEST_BASE_URL}/login">Sign in again</a>`);
    expect(response.body).not.toMatch(/access_denied|aborted/);
    expect(await flow.item(login.transactionId)).toMatchObject({ error: { S: 'access_denied' }, errorDescription: { S: 'End-User aborted interaction' } });
    expect(lastLog(flow.logs)).toMatchObject({ outcome: 'provider_error', reason: 'access_denied' });
  });

  test('an error_description that is not NQSCHAR is left out, the error still recorded', async () => {
    const login = await flow.login();
    await flow.callback(callbackQuery({ error: 'login_required', error_description: 'say "hi"', state: login.state }), login.bindingSecret);
    const item = await flow.item(login.transactionId);
    expect(item?.error).toEqual({ S: 'login_required' });
    expect(item?.errorDescription).toBeUndefined();
  });

  test.each([
    ['a malformed state', (state: string) => `${state.slice(1)}!`, 'invalid_state'],
    ['no state', () => undefined, 'missing_state'],
    ['a state that was never issued', () => randomToken(), 'unknown_state'],
  ])('a provider error with %s writes nothing', async (_label, stateFor, reason) => {
    const login = await flow.login();
    const state = stateFor(login.state);
    const query = callbackQuery({ error: 'access_denied', ...(state === undefined ? {} : { state }) });
    const response = await expectNothingWritten(flow, () => flow.callback(query, login.bindingSecret));
    expectRejection(response, flow.logs, 400, reason);
  });

  test('a provider error from another browser is refused and does not end the rightful login', async () => {
    const login = await flow.login();
    const response = await expectNothingWritten(flow, () =>
      flow.callback(callbackQuery({ error: 'access_denied', state: login.state }), randomToken()),
    );
    expectRejection(response, flow.logs, 403, 'binding_mismatch');
    await expectRightfulUserCanFinish(login);
  });
});

describe('GET /callback: malformed input writes nothing and consumes nothing', () => {
  const cases: [string, (state: string) => string, string][] = [
    ['a duplicated state', (state) => `state=${state}&state=${state}&code=c`, 'duplicate_parameter'],
    ['a duplicated code', (state) => `state=${state}&code=a&code=b`, 'duplicate_parameter'],
    ['a duplicated iss', (state) => `state=${state}&code=c&iss=${encodeURIComponent(TEST_ISSUER)}&iss=x`, 'duplicate_parameter'],
    ['a duplicated error', (state) => `state=${state}&error=access_denied&error=server_error`, 'duplicate_parameter'],
    ['malformed percent-encoding in the code', (state) => `state=${state}&code=%E0%A4%A`, 'malformed_query'],
    ['a lone percent sign', (state) => `state=${state}&code=%`, 'malformed_query'],
    ['an oversized query', (state) => `state=${state}&code=${'c'.repeat(9000)}`, 'malformed_query'],
    ['too many parameters', (state) => `state=${state}&code=c&${Array.from({ length: 31 }, (_, index) => `p${index}=1`).join('&')}`, 'malformed_query'],
    ['a code over 2048 characters', (state) => `state=${state}&code=${'c'.repeat(2049)}`, 'invalid_code'],
    ['a code with a control character', (state) => `state=${state}&code=a%0Ab`, 'invalid_code'],
    ['an empty code', (state) => `state=${state}&code=`, 'invalid_code'],
    ['a state with a wrong length', (state) => `state=${state}A&code=c`, 'invalid_state'],
    ['no state', () => 'code=c', 'missing_state'],
    ['no code and no error', (state) => `state=${state}`, 'missing_response'],
    ['both a code and an error', (state) => `state=${state}&code=c&error=access_denied`, 'ambiguous_response'],
    ['an empty query', () => '', 'missing_state'],
  ];

  test.each(cases)('%s: 400', async (_label, queryFor, reason) => {
    const login = await flow.login();
    const response = await expectNothingWritten(flow, () => flow.callback(queryFor(login.state), login.bindingSecret));
    expectRejection(response, flow.logs, 400, reason);
    expect(response.body).toContain('The sign-in response was malformed, so it was not used.');
    expect(lastLog(flow.logs)._aws?.CloudWatchMetrics).toEqual([
      { Namespace: METRICS_NAMESPACE, Dimensions: [['Reason'], []], Metrics: [{ Name: 'CallbacksRejected', Unit: 'Count' }] },
    ]);
    await expectRightfulUserCanFinish(login);
  });
});

describe('two logins from one browser at once (several tabs)', () => {
  test('the second login reuses the binding secret, and both complete in either order', async () => {
    const first = await flow.login('returnTo=%2Fone');
    const second = await flow.login('returnTo=%2Ftwo', first.bindingSecret);
    expect(second.bindingSecret).toBe(first.bindingSecret);
    expect(second.state).not.toBe(first.state);
    expect(await snapshotTable(flow)).toHaveLength(2);

    const secondDone = await flow.callback(callbackQuery({ code: 'code-2', state: second.state }), second.bindingSecret);
    const firstDone = await flow.callback(callbackQuery({ code: 'code-1', state: first.state }), first.bindingSecret);
    expectRedirect(secondDone, 303, `${TEST_BASE_URL}/two`);
    expectRedirect(firstDone, 303, `${TEST_BASE_URL}/one`);
    expect((await flow.item(first.transactionId))?.code).toEqual({ S: 'code-1' });
    expect((await flow.item(second.transactionId))?.code).toEqual({ S: 'code-2' });
  });

  test('logins started in parallel without a cookie each get their own binding, and each completes', async () => {
    const logins = await Promise.all([flow.login(), flow.login()]);
    const responses = await Promise.all(
      logins.map((login, index) => flow.callback(callbackQuery({ code: `code-${index}`, state: login.state }), login.bindingSecret)),
    );
    expect(responses.map((response) => response.statusCode)).toEqual([303, 303]);
  });
});
