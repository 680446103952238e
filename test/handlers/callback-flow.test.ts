import { callbackQuery, createTestFlow, TEST_ISSUER, type TestFlow } from '../support/flow.js';

let flow: TestFlow;

beforeEach(async () => {
  flow = await createTestFlow();
});

afterEach(() => flow.close());

describe('GET /login', () => {
  test('stores a pending transaction keyed by the state hash and redirects to /authorize', async () => {
    const login = await flow.login('returnTo=%2Faccount%3Ftab%3D1');
    expect(login.response.statusCode).toBe(302);
    const params = login.authorizeUrl.searchParams;
    expect(`${login.authorizeUrl.origin}${login.authorizeUrl.pathname}`).toBe(`${TEST_ISSUER}authorize`);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe('test-client');
    expect(params.get('redirect_uri')).toBe('https://login.example.test/callback');
    expect(params.get('code_challenge_method')).toBe('S256');
    const item = await flow.item(login.transactionId);
    expect(item?.status?.S).toBe('pending');
    expect(item?.returnTo?.S).toBe('/account?tab=1');
    expect(item?.nonce?.S).toBe(params.get('nonce'));
    expect(Number(item?.expiresAt?.N)).toBe(Math.floor(flow.clock.nowMs / 1000) + 600);
    expect(JSON.stringify(item)).not.toContain(login.state);
  });
});

describe('GET /callback', () => {
  test('records the code once and redirects with 303 to the stored returnTo', async () => {
    const login = await flow.login('returnTo=%2Fdashboard');
    const response = await flow.callback(callbackQuery({ code: 'code-abc', state: login.state, iss: TEST_ISSUER }), login.bindingSecret);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('https://login.example.test/dashboard');
    const item = await flow.item(login.transactionId);
    expect(item?.status?.S).toBe('code_received');
    expect(item?.code?.S).toBe('code-abc');

    const replay = await flow.callback(callbackQuery({ code: 'code-abc', state: login.state }), login.bindingSecret);
    expect(replay.statusCode).toBe(409);
  });

  test('an expired transaction still in the table is refused and left untouched', async () => {
    const login = await flow.login();
    flow.clock.nowMs += 601_000;
    const response = await flow.callback(callbackQuery({ code: 'late', state: login.state }), login.bindingSecret);
    expect(response.statusCode).toBe(410);
    expect((await flow.item(login.transactionId))?.status?.S).toBe('pending');
  });
});
