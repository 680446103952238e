import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createAuthorizer, type AuthorizerResult } from '../../lambdas/authorizer/app.js';
import type { AuthorizerMode } from '../../lambdas/core/contract.js';
import { createSession, sessionCookie } from '../../lambdas/core/session/session.js';
import { formatRequestLog } from '../../lambdas/shared/request-log.js';
import { createSessionReader, createSessionStore, type SessionReader } from '../../lambdas/shared/session-store.js';
import { StoreUnavailableError } from '../../lambdas/shared/store-common.js';
import { createCallbackStore } from '../../lambdas/shared/transaction-store.js';
import { createTestTable, localClient, testEndpoint } from '../support/dynamodb.js';
import { testConfig } from '../support/flow.js';
import { lastLog } from '../support/logs.js';

/**
 * The session authorizer against DynamoDB Local: one read, expiry decided in code (the items stay),
 * the user handed to the route in the context, and a session ended a moment ago refused at once.
 */
const config = testConfig({ sessionIdleSeconds: 600, sessionAbsoluteSeconds: 3600 });
const client = localClient(testEndpoint());
let sessionsTable: string;
const clock = { nowMs: Date.now() };
const logs: string[] = [];

beforeAll(async () => {
  sessionsTable = await createTestTable();
});

afterAll(() => client.destroy());

function authorizer(mode: AuthorizerMode, sessions: SessionReader = createSessionReader(client, sessionsTable)) {
  return createAuthorizer({ config, sessions, mode, now: () => clock.nowMs, log: (entry) => logs.push(formatRequestLog(entry, clock.nowMs)) });
}

function authorizerEvent(cookies: string[]): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:us-east-1:123456789012:api/$default/GET/hello',
    identitySource: [cookies.join('; ')],
    routeKey: 'GET /hello',
    rawPath: '/hello',
    rawQueryString: '',
    cookies,
    headers: {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'login.example.test',
      domainPrefix: 'login',
      http: { method: 'GET', path: '/hello', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'request-1',
      routeKey: 'GET /hello',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

/** A session as the callback makes it, in the table; returns the cookie a browser would send. */
async function signedInBrowser(sub: string, claims: Record<string, string | boolean> = { name: sub }): Promise<{ cookie: string; id: string }> {
  const session = createSession({ sub, sid: `sid-${sub}`, claims }, config, clock.nowMs);
  const transactions = await createTestTable();
  const store = createCallbackStore(client, transactions, sessionsTable);
  // The record the transaction updates must exist and have a code: made as the login and callback would.
  await client.send(new PutItemCommand({ TableName: transactions, Item: { id: { S: 't' }, status: { S: 'code_received' } } }));
  await store.completeSignIn({ transactionId: 't', sub, claims, scope: 'openid', nowMs: clock.nowMs, session: session.record, replacesSessionId: undefined });
  return { cookie: sessionCookie(session.secret, config).split(';', 1)[0] ?? '', id: session.record.id };
}

function expectAllowed(result: AuthorizerResult, sub: string): void {
  expect(result.isAuthorized).toBe(true);
  expect(result.context).toMatchObject({ authenticated: true, sub });
}

test('a valid session is allowed, and the route gets the user, the kept claims and the session expiry', async () => {
  const { cookie } = await signedInBrowser('alice', { name: 'Alice', email: 'alice@example.test', email_verified: true });
  const result = await authorizer('require')(authorizerEvent(['theme=dark', cookie]));
  expect(result).toEqual({
    isAuthorized: true,
    context: {
      authenticated: true,
      sub: 'alice',
      name: 'Alice',
      email: 'alice@example.test',
      email_verified: true,
      sessionExpiresAt: Math.floor(clock.nowMs / 1000) + 600,
    },
  });
  expect(lastLog(logs)).toMatchObject({ route: 'AUTHORIZER', status: 200, outcome: 'authenticated' });
});

test.each([
  ['no session cookie', [], 'no_session_cookie'],
  ['a malformed session cookie', ['__Host-session=not-a-secret'], 'no_session_cookie'],
  ['an unknown session', [`__Host-session=${'A'.repeat(43)}`], 'unknown_session'],
  ['the session cookie sent twice', [`__Host-session=${'A'.repeat(43)}`, `__Host-session=${'B'.repeat(43)}`], 'no_session_cookie'],
])('%s is denied in require mode and anonymous in optional mode', async (_name, cookies, reason) => {
  expect(await authorizer('require')(authorizerEvent(cookies))).toEqual({ isAuthorized: false, context: { authenticated: false } });
  expect(lastLog(logs)).toMatchObject({ status: 403, reason });
  expect(await authorizer('optional')(authorizerEvent(cookies))).toEqual({ isAuthorized: true, context: { authenticated: false } });
});

test('an idle-expired session is denied, with its item still in the table', async () => {
  const { cookie, id } = await signedInBrowser('bob');
  const deny = authorizer('require');
  clock.nowMs += 599_000;
  expectAllowed(await deny(authorizerEvent([cookie])), 'bob');
  clock.nowMs += 1_000;
  expect((await deny(authorizerEvent([cookie]))).isAuthorized).toBe(false);
  expect(lastLog(logs)).toMatchObject({ reason: 'idle_expired' });
  expect(await createSessionReader(client, sessionsTable).find(id)).toBeDefined();
});

test('an absolute-expired session is denied even though it was just used, with its item still present', async () => {
  const { cookie, id } = await signedInBrowser('carol');
  const sessions = createSessionStore(client, sessionsTable);
  // Used every 5 minutes through /me (which moves the idle deadline), until the absolute lifetime ends.
  for (let used = 0; used < 11; used += 1) {
    clock.nowMs += 310_000;
    const nowSeconds = Math.floor(clock.nowMs / 1000);
    await sessions.touch(id, nowSeconds, nowSeconds + 600);
  }
  expect((await authorizer('require')(authorizerEvent([cookie]))).isAuthorized).toBe(true);
  clock.nowMs += 200_000;
  expect((await authorizer('require')(authorizerEvent([cookie]))).isAuthorized).toBe(false);
  expect(lastLog(logs)).toMatchObject({ reason: 'absolute_expired' });
  expect(await sessions.find(id)).toBeDefined();
});

test('a session ended (signed out or revoked) is refused on the very next request', async () => {
  const { cookie, id } = await signedInBrowser('dave');
  const deny = authorizer('require');
  expectAllowed(await deny(authorizerEvent([cookie])), 'dave');
  await createSessionStore(client, sessionsTable).remove(id);
  expect((await deny(authorizerEvent([cookie]))).isAuthorized).toBe(false);
  expect(lastLog(logs)).toMatchObject({ reason: 'unknown_session' });
});

test('the authorizer makes one read and no write, even when the idle deadline could move', async () => {
  const { cookie } = await signedInBrowser('erin');
  let reads = 0;
  const reader = createSessionReader(client, sessionsTable);
  clock.nowMs += 400_000;
  const counting: SessionReader = {
    warmUp: () => Promise.resolve(),
    find: (id) => {
      reads += 1;
      return reader.find(id);
    },
  };
  expectAllowed(await authorizer('require', counting)(authorizerEvent([cookie])), 'erin');
  expect(reads).toBe(1);
});

test('a store fault fails closed: the authorizer throws (API Gateway answers 500), and logs the fault by name', async () => {
  const { cookie } = await signedInBrowser('frank');
  const failing: SessionReader = { warmUp: () => Promise.resolve(), find: () => Promise.reject(new StoreUnavailableError('ThrottlingException')) };
  await expect(authorizer('optional', failing)(authorizerEvent([cookie]))).rejects.toBeInstanceOf(StoreUnavailableError);
  expect(lastLog(logs)).toMatchObject({ status: 500, outcome: 'store_fault', reason: 'StoreUnavailableError' });
});
