import { randomUUID } from 'node:crypto';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { BACKCHANNEL_LOGOUT_ROUTE, createBackchannelLogoutHandler } from '../../lambdas/backchannel-logout/app.js';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../../lambdas/core/contract.js';
import type { HttpResponse } from '../../lambdas/core/http.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../lambdas/core/token/logout-token.js';
import { formatRequestLog } from '../../lambdas/shared/request-log.js';
import { createBackchannelStore, type BackchannelStore } from '../../lambdas/shared/logout-token-store.js';
import { StoreUnavailableError } from '../../lambdas/shared/store-common.js';
import { createFlowTable, createSessionsTable } from '../../local/dynamodb-local.js';
import { toApiGatewayEvent } from '../../local/api-gateway-adapter.js';
import { localClient, scanAll, testEndpoint, type StoredItem } from '../support/dynamodb.js';
import { TEST_ISSUER, testConfig } from '../support/flow.js';
import { lastLog } from '../support/logs.js';

/**
 * POST /backchannel-logout against DynamoDB Local with real signed logout tokens: the sessions a
 * token names end, no others; a refused token ends nothing; a store fault leaves the provider free to retry.
 */
type GeneratedKeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

interface SigningKey {
  readonly kid: string;
  readonly privateKey: GeneratedKeyPair['privateKey'];
  readonly jwk: JWK;
}

const config = testConfig();
const NOW_MS = Date.now();
const NOW = Math.floor(NOW_MS / 1000);

/** alice signs in three times (twice in provider session s1, once in s2); bob once, in his own. */
const SESSIONS = [
  { id: 'alice-s1-a', sub: 'alice', sid: 's1' },
  { id: 'alice-s1-b', sub: 'alice', sid: 's1' },
  { id: 'alice-s2', sub: 'alice', sid: 's2' },
  { id: 'bob-s3', sub: 'bob', sid: 's3' },
] as const;

let client: DynamoDBClient;
let signing: SigningKey;
/** A different key under the same kid: what a forger without the provider's key can do. */
let impostor: SigningKey;
let keys: JWTVerifyGetKey;
let sessionsTable: string;
let logoutTokensTable: string;

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

beforeAll(async () => {
  client = localClient(testEndpoint());
  [signing, impostor] = await Promise.all([signingKey('key-1'), signingKey('key-1')]);
  keys = createLocalJWKSet({ keys: [signing.jwk] });
});

afterAll(() => {
  client.destroy();
});

beforeEach(async () => {
  sessionsTable = `sessions-${randomUUID()}`;
  logoutTokensTable = `logout-tokens-${randomUUID()}`;
  await Promise.all([createSessionsTable(testEndpoint(), sessionsTable), createFlowTable(testEndpoint(), logoutTokensTable)]);
  await Promise.all(SESSIONS.map((session) => putSession(session.id, session.sub, session.sid)));
});

/** The attributes the callback's store writes for a session. */
async function putSession(id: string, sub: string, sid: string): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: sessionsTable,
      Item: {
        [TABLE_PARTITION_KEY]: { S: id },
        sub: { S: sub },
        sid: { S: sid },
        claims: { S: JSON.stringify({ name: sub }) },
        createdAt: { N: String(NOW_MS) },
        lastSeenAt: { N: String(NOW_MS) },
        absoluteExpiresAt: { N: String(NOW + config.sessionAbsoluteSeconds) },
        [TABLE_TTL_ATTRIBUTE]: { N: String(NOW + config.sessionIdleSeconds) },
      },
    }),
  );
}

async function sessionIds(): Promise<string[]> {
  const items = await scanAll(client, sessionsTable);
  return items.map((item) => item[TABLE_PARTITION_KEY]?.S ?? '').sort();
}

async function snapshot(tableName: string): Promise<StoredItem[]> {
  const items = await scanAll(client, tableName);
  return items.sort((a, b) => (a[TABLE_PARTITION_KEY]?.S ?? '').localeCompare(b[TABLE_PARTITION_KEY]?.S ?? ''));
}

interface Wired {
  readonly send: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
  readonly logs: string[];
}

function wire(wrapStore: (store: BackchannelStore) => BackchannelStore = (store) => store): Wired {
  const logs: string[] = [];
  const now = (): number => NOW_MS;
  const send = createBackchannelLogoutHandler({
    config,
    store: wrapStore(createBackchannelStore(client, sessionsTable, logoutTokensTable)),
    keys,
    now,
    log: (entry) => logs.push(formatRequestLog(entry, now())),
  });
  return { send, logs };
}

function logoutClaims(overrides: JWTPayload): JWTPayload {
  return {
    iss: TEST_ISSUER,
    aud: config.clientId,
    iat: NOW,
    exp: NOW + 120,
    jti: randomUUID(),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...overrides,
  };
}

/** Drops claims whose override is `undefined`, so a test can express "no such claim". */
function withoutUndefined(payload: JWTPayload): JWTPayload {
  return Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
}

function logoutToken(overrides: JWTPayload, key: SigningKey = signing): Promise<string> {
  return new SignJWT(withoutUndefined(logoutClaims(overrides)))
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'logout+jwt' })
    .sign(key.privateKey);
}

/** The provider's POST, as API Gateway hands it over (form bodies arrive base64-encoded). */
function post(body: string | undefined, contentType = 'application/x-www-form-urlencoded'): APIGatewayProxyEventV2 {
  return toApiGatewayEvent(
    {
      method: 'POST',
      url: '/backchannel-logout',
      headers: { host: 'login.example.test', 'user-agent': 'provider', 'content-type': contentType },
      sourceIp: '192.0.2.10',
      routeKey: BACKCHANNEL_LOGOUT_ROUTE,
      domainName: 'login.example.test',
      ...(body === undefined ? {} : { body: Buffer.from(body) }),
    },
    NOW_MS,
  );
}

function form(token: string): string {
  return new URLSearchParams({ logout_token: token }).toString();
}

function json(response: HttpResponse): Record<string, unknown> {
  return JSON.parse(response.body ?? '') as Record<string, unknown>;
}

describe('a verified logout token', () => {
  test('with sid ends exactly the sessions of that provider session', async () => {
    const { send, logs } = wire();
    const event = post(form(await logoutToken({ sid: 's1' })));
    expect(event.isBase64Encoded).toBe(true);
    const response = await send(event);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(json(response)).toEqual({});
    expect(lastLog(logs)).toMatchObject({ status: 200, outcome: 'sessions_ended' });
    expect(await sessionIds()).toEqual(['alice-s2', 'bob-s3']);
  });

  test('with sub alone ends every session of that user', async () => {
    const { send } = wire();
    const response = await send(post(form(await logoutToken({ sub: 'alice' }))));
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(await sessionIds()).toEqual(['bob-s3']);
  });

  test('with sub and sid ends only that provider session of that user', async () => {
    const { send } = wire();
    const response = await send(post(form(await logoutToken({ sub: 'alice', sid: 's2' }))));
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(await sessionIds()).toEqual(['alice-s1-a', 'alice-s1-b', 'bob-s3']);
  });

  test('whose sid belongs to another sub ends nothing', async () => {
    const { send, logs } = wire();
    const response = await send(post(form(await logoutToken({ sub: 'bob', sid: 's1' }))));
    expect(response.statusCode).toBe(200);
    expect(lastLog(logs)).toMatchObject({ outcome: 'no_session' });
    expect(await sessionIds()).toEqual(SESSIONS.map((session) => session.id).sort());
  });
});

describe('a refused request is 400 and ends nothing', () => {
  async function expectRefused(wired: Wired, event: APIGatewayProxyEventV2, reason: string): Promise<void> {
    const before = await snapshot(sessionsTable);
    const response = await wired.send(event);
    expect(response.statusCode).toBe(400);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['content-type']).toBe('application/json');
    expect(json(response)).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    expect(lastLog(wired.logs)).toMatchObject({ status: 400, outcome: 'rejected', reason });
    expect(await snapshot(sessionsTable)).toEqual(before);
  }

  test('the same token again: a replay', async () => {
    const wired = wire();
    const token = await logoutToken({ sub: 'alice' });
    expect((await wired.send(post(form(token)))).statusCode).toBe(200);
    // alice signs in again; whoever kept the token must not be able to end her new session with it.
    await putSession('alice-again', 'alice', 's4');
    await expectRefused(wired, post(form(token)), 'logout_token_replayed');
    expect(await sessionIds()).toEqual(['alice-again', 'bob-s3']);
  });

  test('another audience', async () => {
    await expectRefused(wire(), post(form(await logoutToken({ sub: 'alice', aud: 'another-client' }))), 'logout_token_aud');
  });

  test('another issuer', async () => {
    await expectRefused(wire(), post(form(await logoutToken({ sub: 'alice', iss: 'https://evil.example.test/' }))), 'logout_token_iss');
  });

  test('a nonce', async () => {
    await expectRefused(wire(), post(form(await logoutToken({ sub: 'alice', nonce: 'n-0S6_WzA2Mj' }))), 'logout_token_nonce');
  });

  test('no events claim', async () => {
    await expectRefused(wire(), post(form(await logoutToken({ sub: 'alice', events: undefined }))), 'logout_token_events');
  });

  test('a signature by another key under the same kid', async () => {
    await expectRefused(wire(), post(form(await logoutToken({ sub: 'alice' }, impostor))), 'logout_token_signature');
  });

  test('no body', async () => {
    await expectRefused(wire(), post(undefined), 'not_a_form');
  });

  test('a content type other than a form', async () => {
    const token = await logoutToken({ sub: 'alice' });
    await expectRefused(wire(), post(JSON.stringify({ logout_token: token }), 'application/json'), 'not_a_form');
  });

  test('logout_token twice', async () => {
    const [first, second] = await Promise.all([logoutToken({ sub: 'alice' }), logoutToken({ sub: 'bob' })]);
    await expectRefused(wire(), post(`${form(first)}&${form(second)}`), 'malformed_body');
  });

  test('a refused token is not recorded, so it cannot shadow the genuine one', async () => {
    await expectRefused(wire(), post(form(await logoutToken({ sub: 'alice', aud: 'another-client' }))), 'logout_token_aud');
    expect(await scanAll(client, logoutTokensTable)).toEqual([]);
  });
});

describe('a store fault while ending sessions', () => {
  test('answers 503 and forgets the token, so the provider retry ends the sessions', async () => {
    const failing = wire((store) => ({
      ...store,
      removeSessions: () => Promise.reject(new StoreUnavailableError('ThrottlingException')),
    }));
    const token = await logoutToken({ sub: 'alice', sid: 's1' });
    const before = await snapshot(sessionsTable);

    const fault = await failing.send(post(form(token)));
    expect(fault.statusCode).toBe(503);
    expect(fault.headers['content-type']).toBe('application/json');
    expect(fault.headers['cache-control']).toBe('no-store');
    expect(fault.headers['retry-after']).toBeDefined();
    expect(json(fault)).toEqual({ error: 'temporarily_unavailable' });
    expect(lastLog(failing.logs)).toMatchObject({ status: 503, outcome: 'store_fault', reason: 'ThrottlingException' });
    expect(await snapshot(sessionsTable)).toEqual(before);
    expect(await scanAll(client, logoutTokensTable)).toEqual([]);

    const retry = await wire().send(post(form(token)));
    expect(retry.statusCode).toBe(200);
    expect(await sessionIds()).toEqual(['alice-s2', 'bob-s3']);
  });
});
