import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { ConfigError, loadConfigFromEnv } from '../../lambdas/core/config.js';
import { createHttpClient } from '../../lambdas/shared/http-client.js';
import { loadClientSecret, redeemerFromEnv, SECRETS_EXTENSION_PORT_ENV } from '../../lambdas/shared/redemption.js';
import { closeServer } from '../../local/close-server.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';

/**
 * The callback's client secret at cold start: from CLIENT_SECRET locally, from Secrets Manager
 * (through AWS's Parameters and Secrets extension, here a loopback stand-in answering as it does)
 * when deployed, never both, and validated before any request is served.
 */
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf';
const ENV = {
  ...LOCAL_AWS_ENV,
  AWS_SESSION_TOKEN: 'session-token-of-this-environment',
  ISSUER_URL: 'https://tenant.example.test/',
  CLIENT_ID: 'client-123',
  BASE_URL: 'https://login.example.test',
  SESSION_TABLE_NAME: 'sessions',
} as const;

let server: Server;
let port = 0;
let answer: { status: number; body: unknown } = { status: 200, body: {} };
const seen: { url: string | undefined; headers: IncomingHttpHeaders }[] = [];
const http = createHttpClient();

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url, headers: request.headers });
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
});

afterAll(async () => {
  http.close();
  await closeServer(server);
});

function deployedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...ENV, CLIENT_SECRET_ARN: SECRET_ARN, [SECRETS_EXTENSION_PORT_ENV]: String(port), ...extra };
}

test('the deployed function reads the secret once, through the extension, with its session token', async () => {
  answer = { status: 200, body: { ARN: SECRET_ARN, SecretString: ' the-client-secret \n' } };
  seen.length = 0;
  const env = deployedEnv();
  expect(await loadClientSecret(env, loadConfigFromEnv(env), http)).toBe('the-client-secret');
  expect(seen).toHaveLength(1);
  expect(seen[0]?.url).toBe(`/secretsmanager/get?secretId=${encodeURIComponent(SECRET_ARN)}`);
  expect(seen[0]?.headers['x-aws-parameters-secrets-token']).toBe('session-token-of-this-environment');
});

test('an empty secret (made by the stack, never filled in) stops the cold start with the fix in the message', async () => {
  answer = { status: 200, body: { ARN: SECRET_ARN, SecretString: '' } };
  const env = deployedEnv();
  await expect(loadClientSecret(env, loadConfigFromEnv(env), http)).rejects.toThrow(
    new ConfigError('the secret CLIENT_SECRET_ARN names is empty: put the client secret in it'),
  );
});

test('a refusal by the extension (no permission, no such secret) fails the cold start, naming the setting', async () => {
  answer = { status: 400, body: { message: 'not authorized' } };
  const env = deployedEnv();
  await expect(loadClientSecret(env, loadConfigFromEnv(env), http)).rejects.toThrow('reading CLIENT_SECRET_ARN failed: the secrets extension answered 400');
});

test('CLIENT_SECRET and CLIENT_SECRET_ARN together are refused', async () => {
  const env = deployedEnv({ CLIENT_SECRET: 'local' });
  await expect(loadClientSecret(env, loadConfigFromEnv(env), http)).rejects.toThrow(
    new ConfigError('set either CLIENT_SECRET or CLIENT_SECRET_ARN, not both'),
  );
});

test('without a secret the callback gets no redeemer: the flow stops at the recorded code', async () => {
  expect(await redeemerFromEnv(ENV, loadConfigFromEnv(ENV), http)).toBeUndefined();
});

test('with a secret, a scope without openid is refused: there would be no ID token to sign in with', async () => {
  const env = { ...ENV, CLIENT_SECRET: 'local', SCOPE: 'profile email' };
  await expect(redeemerFromEnv(env, loadConfigFromEnv(env), http)).rejects.toThrow(
    new ConfigError('SCOPE must include openid to sign users in with an ID token'),
  );
});

test('with a secret, the sessions table must be named', async () => {
  const env: NodeJS.ProcessEnv = { ...ENV, CLIENT_SECRET: 'local' };
  delete env.SESSION_TABLE_NAME;
  await expect(redeemerFromEnv(env, loadConfigFromEnv(env), http)).rejects.toThrow('SESSION_TABLE_NAME environment variable is not set');
});
