import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createAuthorizer } from '../../lambdas/authorizer/app.js';
import { ConfigError } from '../../lambdas/core/config.js';
import { ORIGIN_VERIFY_HEADER, ORIGIN_VERIFY_SECRET_ENV, type AuthorizerMode } from '../../lambdas/core/contract.js';
import { randomToken } from '../../lambdas/core/encoding.js';
import { originSecretFromEnv } from '../../lambdas/core/origin-verify.js';
import { createSession, sessionCookie } from '../../lambdas/core/session/session.js';
import { createLoginHandler } from '../../lambdas/login/app.js';
import { createSessionHandler } from '../../lambdas/session/app.js';
import { loginDependenciesFromEnv } from '../../lambdas/shared/dependencies.js';
import { formatRequestLog } from '../../lambdas/shared/request-log.js';
import { runRequest } from '../../lambdas/shared/request-runner.js';
import type { EndedSession, SessionReader, SessionStore, StoredSession } from '../../lambdas/shared/session-store.js';
import type { PendingStore } from '../../lambdas/shared/transaction-store.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';
import { TEST_BASE_URL, apiEvent, testConfig } from '../support/flow.js';
import { lastLog } from '../support/logs.js';

/**
 * Behind the rate-limited edge, CloudFront adds a secret header to every request; a request straight
 * to the API's own endpoint lacks it and must be refused before it costs a DynamoDB call.
 */
const SECRET = randomToken();
const config = testConfig();
const clock = { nowMs: Date.now() };

const ABSENT = {};
const WRONG_SAME_LENGTH = { [ORIGIN_VERIFY_HEADER]: `${SECRET.slice(0, -1)}${SECRET.endsWith('A') ? 'B' : 'A'}` };
const WRONG_LENGTH = { [ORIGIN_VERIFY_HEADER]: `${SECRET}x` };
const RIGHT = { [ORIGIN_VERIFY_HEADER]: SECRET };
const WITHOUT_THE_SECRET = [
  ['without the header', ABSENT],
  ['with a wrong value of the same length', WRONG_SAME_LENGTH],
  ['with a wrong value of another length', WRONG_LENGTH],
  ['with an empty value', { [ORIGIN_VERIFY_HEADER]: '' }],
] as const;

/** A store that counts its calls: a refused request must make none. */
class CountingStores implements PendingStore, SessionStore {
  calls: string[] = [];
  constructor(private readonly session?: StoredSession) {}
  async warmUp(): Promise<void> {
    this.calls.push('warmUp');
  }
  async savePending(): Promise<void> {
    this.calls.push('savePending');
  }
  async find(sessionId: string): Promise<StoredSession | undefined> {
    this.calls.push('find');
    return this.session?.id === sessionId ? this.session : undefined;
  }
  async touch(): Promise<boolean> {
    this.calls.push('touch');
    return true;
  }
  async remove(): Promise<EndedSession> {
    this.calls.push('remove');
    return { existed: false, sid: undefined, sealedTokens: undefined };
  }
}

function wired(originSecret: string | undefined, session?: StoredSession) {
  const stores = new CountingStores(session);
  const logs: string[] = [];
  const base = { config, now: () => clock.nowMs, log: (entry: Parameters<typeof formatRequestLog>[0]) => logs.push(formatRequestLog(entry, clock.nowMs)), originSecret };
  return {
    stores,
    logs,
    login: createLoginHandler({ ...base, store: stores }),
    session: createSessionHandler({ ...base, sessions: stores }),
    authorizer: (mode: AuthorizerMode, sessions: SessionReader = stores) => createAuthorizer({ ...base, sessions, mode }),
  };
}

function authorizerEvent(cookies: string[], headers: Record<string, string>): APIGatewayRequestAuthorizerEventV2 {
  const event = apiEvent('GET /hello', '', cookies.join('; '), headers);
  return { ...event, type: 'REQUEST', routeArn: 'arn:aws:execute-api:us-east-1:123456789012:api/$default/GET/hello', identitySource: [cookies.join('; ')], cookies } as APIGatewayRequestAuthorizerEventV2;
}

function signedIn(): { cookie: string; record: StoredSession } {
  const session = createSession({ sub: 'alice', sid: 'sid-alice', claims: { name: 'Alice' } }, config, clock.nowMs);
  return { cookie: sessionCookie(session.secret, config).split(';', 1)[0] ?? '', record: session.record };
}

describe('with ORIGIN_VERIFY_SECRET configured, the HTTP functions (through the request runner)', () => {
  test.each(WITHOUT_THE_SECRET)('GET /login %s: 403 page, logged as refused, and no store call', async (_label, headers) => {
    const flow = wired(SECRET);
    const response = await flow.login(apiEvent('GET /login', '', undefined, headers));
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain(`${TEST_BASE_URL}/login`);
    expect(response.cookies).toBeUndefined();
    expect(flow.stores.calls).toEqual([]);
    expect(lastLog(flow.logs)).toMatchObject({ route: 'GET /login', status: 403, outcome: 'refused', reason: 'origin_not_verified' });
  });

  test.each(WITHOUT_THE_SECRET)('GET /me %s: 403 in JSON, as the JSON route answers every error, and no store call', async (_label, headers) => {
    const flow = wired(SECRET);
    const { cookie } = signedIn();
    const response = await flow.session(apiEvent('GET /me', '', cookie, headers));
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'forbidden' });
    expect(flow.stores.calls).toEqual([]);
  });

  test('the right header passes: the login is handled as ever, with its one write', async () => {
    const flow = wired(SECRET);
    const response = await flow.login(apiEvent('GET /login', '', undefined, RIGHT));
    expect(response.statusCode).toBe(302);
    expect(flow.stores.calls).toEqual(['savePending']);
    expect(lastLog(flow.logs)).toMatchObject({ status: 302, outcome: 'started' });
  });

  test('the right header passes on a JSON route too', async () => {
    const { cookie, record } = signedIn();
    const flow = wired(SECRET, record);
    const response = await flow.session(apiEvent('GET /me', '', cookie, RIGHT));
    expect(response.statusCode).toBe(200);
    expect(flow.stores.calls).toContain('find');
  });

  test('the handler itself never runs for a refused request', async () => {
    let ran = 0;
    const logs: string[] = [];
    const response = await runRequest('GET /x', apiEvent('GET /x'), { log: (entry) => logs.push(formatRequestLog(entry, 0)), originSecret: SECRET }, 'https://a.test/login', async () => {
      ran += 1;
      throw new Error('must not run');
    });
    expect(response.statusCode).toBe(403);
    expect(ran).toBe(0);
  });
});

describe('with ORIGIN_VERIFY_SECRET configured, the authorizer', () => {
  test.each(WITHOUT_THE_SECRET.flatMap(([label, headers]) => (['require', 'optional'] as const).map((mode) => [`${label}, in ${mode} mode`, headers, mode] as const)))(
    'a signed-in browser %s is denied (not even anonymous), with no store call',
    async (_label, headers, mode) => {
      const { cookie, record } = signedIn();
      const flow = wired(SECRET, record);
      expect(await flow.authorizer(mode)(authorizerEvent([cookie], headers))).toEqual({ isAuthorized: false, context: { authenticated: false } });
      expect(flow.stores.calls).toEqual([]);
      expect(lastLog(flow.logs)).toMatchObject({ route: 'AUTHORIZER', status: 403, outcome: 'refused', reason: 'origin_not_verified' });
    },
  );

  test('the right header passes: the session is read and the user allowed', async () => {
    const { cookie, record } = signedIn();
    const flow = wired(SECRET, record);
    const result = await flow.authorizer('require')(authorizerEvent([cookie], RIGHT));
    expect(result).toMatchObject({ isAuthorized: true, context: { authenticated: true, sub: 'alice' } });
    expect(flow.stores.calls).toEqual(['find']);
  });
});

describe('without ORIGIN_VERIFY_SECRET (no edge in front), nothing changes', () => {
  test.each([['no header', ABSENT], ['any header', WRONG_LENGTH]] as const)('with %s the login writes and redirects', async (_label, headers) => {
    const flow = wired(undefined);
    expect((await flow.login(apiEvent('GET /login', '', undefined, headers))).statusCode).toBe(302);
    expect(flow.stores.calls).toEqual(['savePending']);
  });

  test('the authorizer reads the session and allows it, with no header', async () => {
    const { cookie, record } = signedIn();
    const flow = wired(undefined, record);
    expect((await flow.authorizer('require')(authorizerEvent([cookie], ABSENT))).isAuthorized).toBe(true);
    expect(flow.stores.calls).toEqual(['find']);
  });
});

describe('the secret, read once at cold start', () => {
  const FUNCTION_ENV = { ...LOCAL_AWS_ENV, ISSUER_URL: 'https://tenant.example.test/', CLIENT_ID: 'c', BASE_URL: TEST_BASE_URL, TABLE_NAME: 't' };

  test('from the environment into the dependencies; absent means no check', () => {
    expect(loginDependenciesFromEnv({ ...FUNCTION_ENV, [ORIGIN_VERIFY_SECRET_ENV]: SECRET }).originSecret).toBe(SECRET);
    expect(loginDependenciesFromEnv(FUNCTION_ENV).originSecret).toBeUndefined();
  });

  test.each(['', 'short', `${'a'.repeat(40)} b`])('a set but unusable value (%p) stops the cold start rather than checking against it', (value) => {
    expect(() => originSecretFromEnv({ [ORIGIN_VERIFY_SECRET_ENV]: value })).toThrow(ConfigError);
    expect(() => loginDependenciesFromEnv({ ...FUNCTION_ENV, [ORIGIN_VERIFY_SECRET_ENV]: value })).toThrow(`${ORIGIN_VERIFY_SECRET_ENV} must be at least 32 visible ASCII characters`);
  });
});
