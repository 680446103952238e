import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ConfigError } from '../../lambdas/core/config.js';
import type { HttpResponse } from '../../lambdas/core/http.js';
import { loginDependenciesFromEnv as dependenciesFromEnv } from '../../lambdas/shared/dependencies.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';
import { createTestTable, getItem, localClient, scanAll, testEndpoint } from '../support/dynamodb.js';
import { apiEvent } from '../support/flow.js';
import { parseLogLine } from '../support/logs.js';

const FUNCTION_ENV = {
  ...LOCAL_AWS_ENV,
  ISSUER_URL: 'https://tenant.example.test/',
  CLIENT_ID: 'client-123',
  BASE_URL: 'https://login.example.test',
  TABLE_NAME: 'transactions',
} as const;

function coldStartError(env: NodeJS.ProcessEnv): Error {
  try {
    dependenciesFromEnv(env);
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('cold start succeeded');
}

/** Runs `body` with exactly these function settings in process.env, as Lambda would provide them. */
async function withProcessEnv<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const names = [...Object.keys(FUNCTION_ENV), ...Object.keys(env), 'DYNAMODB_ENDPOINT'];
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  for (const name of names) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('cold start: settings are read and validated once, and a bad deploy fails loudly', () => {
  test.each(['ISSUER_URL', 'CLIENT_ID', 'BASE_URL'] as const)('a missing %s is named', (name) => {
    const env: NodeJS.ProcessEnv = { ...FUNCTION_ENV };
    delete env[name];
    const error = coldStartError(env);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`${name} is not set`);
  });

  test('an invalid setting is named with what is wrong', () => {
    expect(coldStartError({ ...FUNCTION_ENV, STATE_TTL_SECONDS: '0' }).message).toBe('STATE_TTL_SECONDS must be from 1 to 3600, got 0');
  });

  test.each(['TABLE_NAME', 'AWS_REGION', 'AWS_ACCESS_KEY_ID'] as const)('a missing %s is named', (name) => {
    const env: NodeJS.ProcessEnv = { ...FUNCTION_ENV };
    delete env[name];
    expect(coldStartError(env).message).toBe(`${name} environment variable is not set`);
  });

  test('a complete environment yields the validated config', () => {
    expect(dependenciesFromEnv(FUNCTION_ENV).config).toMatchObject({
      issuer: 'https://tenant.example.test/',
      clientId: 'client-123',
      redirectUri: 'https://login.example.test/callback',
      stateTtlSeconds: 600,
    });
  });

  test('the deployed callback entry point refuses to load without its settings', async () => {
    await withProcessEnv({ CLIENT_ID: 'client-123', BASE_URL: 'https://login.example.test' }, async () => {
      await expect(import('../../lambdas/callback/handler.js')).rejects.toThrow(new ConfigError('ISSUER_URL is not set'));
    });
  });

  test('the deployed login entry point, given its environment, stores a transaction and writes one log line to stdout', async () => {
    const tableName = await createTestTable();
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const response = await withProcessEnv({ ...FUNCTION_ENV, TABLE_NAME: tableName, DYNAMODB_ENDPOINT: testEndpoint() }, async () => {
        const { handler } = (await import('../../lambdas/login/handler.js')) as { handler: (event: APIGatewayProxyEventV2) => Promise<HttpResponse> };
        return handler(apiEvent('GET /login'));
      });
      expect(response.statusCode).toBe(302);
      expect(new URL(response.headers.location ?? '').searchParams.get('client_id')).toBe('client-123');
      expect(write).toHaveBeenCalledTimes(1);
      const line = String(write.mock.calls[0]?.[0]);
      expect(line.endsWith('\n')).toBe(true);
      expect(parseLogLine(line.slice(0, -1))).toMatchObject({ route: 'GET /login', status: 302, outcome: 'started' });
    } finally {
      write.mockRestore();
    }
    const client = localClient(testEndpoint());
    try {
      const items = await scanAll(client, tableName);
      expect(items).toHaveLength(1);
      expect(await getItem(client, tableName, items[0]?.id?.S ?? '')).toMatchObject({ status: { S: 'pending' } });
    } finally {
      client.destroy();
    }
  });
});
