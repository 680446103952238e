import { SESSION_TABLE_NAME_ENV, TOKEN_KEYS_ENV } from '../../lambdas/core/contract.js';
import { generateTokenKeyRing, parseTokenKeyRing } from '../../lambdas/core/token/token-sealing.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';
import { REQUIRED_SETTINGS } from '../support/settings.js';
import { createTestTable, localClient, testEndpoint } from '../support/dynamodb.js';
import { seedTokenSession } from '../support/token-sessions.js';

/**
 * `accessTokenFor(event)` from `serverless-oidc-login/app`, as a user's function calls it: its
 * source built from `process.env` on the first call, against DynamoDB Local, and built again after
 * a failed cold start rather than failing every later request.
 */
const client = localClient(testEndpoint());
const keyRingText = generateTokenKeyRing();
const keyRing = parseTokenKeyRing(keyRingText, 'test');
let table: string;
const saved = { ...process.env };

beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => {
  client.destroy();
  process.env = saved;
});

function setEnvironment(overrides: Record<string, string | undefined>): void {
  process.env = {
    ...saved,
    ...LOCAL_AWS_ENV,
    ISSUER_URL: REQUIRED_SETTINGS.issuerUrl,
    CLIENT_ID: REQUIRED_SETTINGS.clientId,
    BASE_URL: 'https://login.example.com',
    DYNAMODB_ENDPOINT: testEndpoint(),
    [SESSION_TABLE_NAME_ENV]: table,
    [TOKEN_KEYS_ENV]: keyRingText,
    ...overrides,
  };
}

test('a failed cold start is retried on the next call; then the session\'s token, and no cookie is unauthenticated', async () => {
  const { accessTokenFor } = await import('../../lambdas/app/index.js');
  setEnvironment({ [TOKEN_KEYS_ENV]: undefined });
  await expect(accessTokenFor({ cookies: [] })).rejects.toThrow('calling the API needs the token keys');
  setEnvironment({});
  const session = await seedTokenSession(client, table, keyRing, { accessToken: 'access-1', refreshToken: undefined, idToken: 'id-1' }, { expiresInSeconds: 600 });
  await expect(accessTokenFor({ cookies: session.cookies })).resolves.toMatchObject({ kind: 'token', accessToken: 'access-1', sub: 'user-1' });
  await expect(accessTokenFor({})).resolves.toEqual({ kind: 'unauthenticated' });
});

test('the source is built once per execution environment: later changes to the environment are not read', async () => {
  const { accessTokenFor } = await import('../../lambdas/app/index.js');
  const session = await seedTokenSession(client, table, keyRing, { accessToken: 'access-2', refreshToken: undefined, idToken: 'id-2' }, { expiresInSeconds: 600 });
  // A source built again would read this table, which does not exist, and fail.
  setEnvironment({ [SESSION_TABLE_NAME_ENV]: 'no-such-table' });
  await expect(accessTokenFor({ cookies: session.cookies })).resolves.toMatchObject({ kind: 'token', accessToken: 'access-2' });
});
