import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { BENCH_BUILD_DIR, FUNCTION_NAMES, buildBundles, buildProbes, type Bundles, type Probes } from '../../bench/build.js';
import { BUNDLE_BUDGET_BYTES, DYNAMODB_COMMANDS } from '../../bench/bundle-report.js';
import { runProbe } from '../../bench/child.js';
import type { InvocationSpec } from '../../bench/probes/messages.js';
import { transactionIdForState } from '../../lambdas/core/authorization-request.js';
import { BINDING_COOKIE_NAME } from '../../lambdas/core/binding.js';
import { DEFAULT_SESSION_ABSOLUTE_SECONDS, DEFAULT_SESSION_IDLE_SECONDS } from '../../lambdas/core/config.js';
import { AUTHORIZER_MODE_ENV, SESSION_TABLE_NAME_ENV, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../../lambdas/core/contract.js';
import { randomToken } from '../../lambdas/core/encoding.js';
import { SESSION_COOKIE_NAME, createSession, type NewSession } from '../../lambdas/core/session/session.js';
import type { FunctionName } from '../../lib/bundling.js';
import { LOCAL_AWS_ENV, createFlowTable } from '../../local/dynamodb-local.js';
import { createTestTable, getItem, localClient, testEndpoint } from '../support/dynamodb.js';

/**
 * The deployed build (lib/bundling.ts) leaves the SDK's default credential chain, event streams and
 * endpoint-discovery cache out, and gives the client Lambda's environment credentials instead.
 * These check both halves on the real artifacts: what is in them, and that they still work.
 */

const BASE_URL = 'https://login.example.test';
const ISSUER_URL = 'https://tenant.example.test/';
let outdir: string;
let bundles: Bundles;
let probes: Probes;

beforeAll(async () => {
  await mkdir(BENCH_BUILD_DIR, { recursive: true });
  outdir = await mkdtemp(join(BENCH_BUILD_DIR, 'test-'));
  [bundles, probes] = await Promise.all([buildBundles(outdir), buildProbes(outdir)]);
});

afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

/** A function's environment against DynamoDB Local, with credentials from the environment as Lambda gives them. */
function bundleEnv(tables: Record<string, string>): Record<string, string> {
  return {
    ...LOCAL_AWS_ENV,
    AWS_SESSION_TOKEN: 'local-session',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DYNAMODB_ENDPOINT: testEndpoint(),
    ISSUER_URL,
    CLIENT_ID: 'bundle-test',
    BASE_URL,
    ...tables,
  };
}

function invokeBundle(name: FunctionName, env: Record<string, string>, spec: InvocationSpec) {
  return runProbe('cold', probes.scripts.cold, { args: [bundles.optimized[name].file, JSON.stringify(spec)], env, timeoutMs: 30_000 });
}

test.each(FUNCTION_NAMES)('the %s bundle holds no SDK part the function cannot use, and stays within its size budget', (name) => {
  const { contents } = bundles.optimized[name];
  expect(contents.unneeded).toEqual([]);
  expect(contents.bytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES[name]);
});

test.each(FUNCTION_NAMES)('the %s bundle carries exactly the DynamoDB commands its function sends', (name) => {
  const commands = DYNAMODB_COMMANDS[name];
  // The client's constructor names DescribeEndpoints, so it comes with any client; no client, no commands.
  const expected = commands.length === 0 ? [] : [...commands, 'DescribeEndpoints'].sort();
  expect(bundles.optimized[name].contents.dynamoDbCommands).toEqual(expected);
});

test('the demo app bundle holds no AWS SDK code at all: it never calls AWS', () => {
  const modules = bundles.optimized.demo.contents.contributors.map((contributor) => contributor.module);
  expect(modules.filter((module) => /^@(aws-sdk|smithy)\//.test(module))).toEqual([]);
});

test('the check finds those parts where they are bundled: the naive build of the same code', () => {
  const found = bundles.naive.login.contents.unneeded.map((part) => part.label);
  const expected = ['default credential chain', 'SSO credentials and tokens', 'INI profile credentials', 'STS, SSO, SSO-OIDC and sign-in clients', 'event streams'];
  expect(found).toEqual(expect.arrayContaining(expected));
});

test('the bundled functions complete a sign-in against DynamoDB Local, signing with credentials from the environment', async () => {
  const tableName = await createTestTable();
  const env = bundleEnv({ TABLE_NAME: tableName });
  const invoke = (name: FunctionName, spec: InvocationSpec) => invokeBundle(name, env, spec);

  const login = (await invoke('login', { routeKey: 'GET /login', rawQueryString: 'returnTo=%2Faccount' })).firstInvocation;
  expect(login?.statusCode).toBe(302);
  const state = new URL(login?.location ?? '').searchParams.get('state') ?? '';
  const cookie = login?.cookies?.[0]?.split(';', 1)[0] ?? '';
  expect(cookie.startsWith(`${BINDING_COOKIE_NAME}=`)).toBe(true);

  const callback = (await invoke('callback', { routeKey: 'GET /callback', rawQueryString: `code=bundle-code&state=${state}`, cookieHeader: cookie }))
    .firstInvocation;
  expect(callback?.statusCode).toBe(303);
  expect(callback?.location).toBe(`${BASE_URL}/account`);

  const client = localClient(testEndpoint());
  try {
    const item = await getItem(client, tableName, transactionIdForState(state));
    expect(item?.status?.S).toBe('code_received');
    expect(item?.code?.S).toBe('bundle-code');
  } finally {
    client.destroy();
  }
});

/** An active session in the sessions table, as the callback writes one; its secret is the cookie's value. */
async function putActiveSession(sessionsTable: string, sid: string): Promise<NewSession> {
  const lifetimes = { sessionIdleSeconds: DEFAULT_SESSION_IDLE_SECONDS, sessionAbsoluteSeconds: DEFAULT_SESSION_ABSOLUTE_SECONDS };
  const session = createSession({ sub: 'bundle|user', sid, claims: { name: 'Bundle User' } }, lifetimes, Date.now());
  const { record } = session;
  const client = localClient(testEndpoint());
  try {
    await client.send(
      new PutItemCommand({
        TableName: sessionsTable,
        Item: {
          [TABLE_PARTITION_KEY]: { S: record.id },
          sub: { S: record.sub },
          sid: { S: sid },
          claims: { S: JSON.stringify(record.claims) },
          createdAt: { N: String(record.createdAt) },
          lastSeenAt: { N: String(record.lastSeenAt) },
          absoluteExpiresAt: { N: String(record.absoluteExpiresAt) },
          [TABLE_TTL_ATTRIBUTE]: { N: String(record.expiresAt) },
        },
      }),
    );
  } finally {
    client.destroy();
  }
  return session;
}

test('the bundled session and logout functions read and end a session in DynamoDB Local', async () => {
  const sessionsTable = await createTestTable();
  const env = bundleEnv({ SESSION_TABLE_NAME: sessionsTable });
  const sid = 'provider-session';
  const { secret, record } = await putActiveSession(sessionsTable, sid);
  const client = localClient(testEndpoint());
  try {
    const cookieHeader = `${SESSION_COOKIE_NAME}=${secret}`;

    const me = (await invokeBundle('session', env, { routeKey: 'GET /me', rawQueryString: '', cookieHeader })).firstInvocation;
    expect(me?.statusCode).toBe(200);

    const logout = (await invokeBundle('logout', env, { routeKey: 'POST /logout', rawQueryString: '', cookieHeader })).firstInvocation;
    expect(logout?.statusCode).toBe(302);
    expect(new URL(logout?.location ?? '').searchParams.get('logout_hint')).toBe(sid);
    expect(await getItem(client, sessionsTable, record.id)).toBeUndefined();
  } finally {
    client.destroy();
  }
});

test('the bundled authorizer lets an active session through and refuses an unknown one, reading DynamoDB Local', async () => {
  // The authorizer reads by key only, so the sessions table's indexes are not needed here.
  const sessionsTable = `sessions-${randomToken()}`;
  await createFlowTable(testEndpoint(), sessionsTable);
  const env = bundleEnv({ [SESSION_TABLE_NAME_ENV]: sessionsTable, [AUTHORIZER_MODE_ENV]: 'require' });
  const { secret } = await putActiveSession(sessionsTable, 'provider-session');
  const authorize = async (cookieValue: string) =>
    (await invokeBundle('authorizer', env, { target: 'authorizer', routeKey: 'GET /hello', rawQueryString: '', cookieHeader: `${SESSION_COOKIE_NAME}=${cookieValue}` }))
      .firstInvocation?.outcome;

  expect(await authorize(secret)).toBe('authorized');
  expect(await authorize(randomToken())).toBe('refused');
});
