import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BENCH_BUILD_DIR, FUNCTION_NAMES, buildBundles, buildProbes, type Bundles, type Probes } from '../../bench/build.js';
import { runProbe } from '../../bench/child.js';
import { transactionIdForState } from '../../lambdas/core/authorization-request.js';
import { BINDING_COOKIE_NAME } from '../../lambdas/core/binding.js';
import type { FunctionName } from '../../lib/bundling.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';
import { createTestTable, getItem, localClient, testEndpoint } from '../support/dynamodb.js';

/**
 * The deployed build (lib/bundling.ts) leaves the SDK's default credential chain, event streams and
 * endpoint-discovery cache out, and gives the client Lambda's environment credentials instead.
 * These check both halves on the real artifacts: what is in them, and that they still work.
 */

const BASE_URL = 'https://login.example.test';
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

test.each(FUNCTION_NAMES)('the %s bundle holds no SDK part the function cannot use, and stays within 180 KB', (name) => {
  const { contents } = bundles.optimized[name];
  expect(contents.unneeded).toEqual([]);
  expect(contents.bytes).toBeLessThanOrEqual(180 * 1024);
});

test('the check finds those parts where they are bundled: the naive build of the same code', () => {
  const found = bundles.naive.login.contents.unneeded.map((part) => part.label);
  const expected = ['default credential chain', 'SSO credentials and tokens', 'INI profile credentials', 'STS, SSO, SSO-OIDC and sign-in clients', 'event streams'];
  expect(found).toEqual(expect.arrayContaining(expected));
});

test('the bundled functions complete a sign-in against DynamoDB Local, signing with credentials from the environment', async () => {
  const tableName = await createTestTable();
  const env = {
    ...LOCAL_AWS_ENV,
    AWS_SESSION_TOKEN: 'local-session',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DYNAMODB_ENDPOINT: testEndpoint(),
    TABLE_NAME: tableName,
    ISSUER_URL: 'https://tenant.example.test/',
    CLIENT_ID: 'bundle-test',
    BASE_URL,
  };
  const invoke = (name: FunctionName, spec: object) =>
    runProbe('cold', probes.scripts.cold, { args: [bundles.optimized[name].file, JSON.stringify(spec)], env, timeoutMs: 30_000 });

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
