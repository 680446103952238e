import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../../lambdas/core/config.js';
import { discoveryContextKey } from '../../lambdas/core/discovery.js';
import { readStackOptions, type LoginFlowStackOptions } from '../../lib/stack-options.js';
import { DEFAULT_FLOW_SETTINGS, REQUIRED_SETTINGS as REQUIRED_CONTEXT } from '../support/settings.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIENT_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf';

// An App without an outdir makes a cdk.out folder in the temp dir at construction: give each one here.
const appsOutdir = mkdtempSync(join(tmpdir(), 'login-flow-context-'));
afterAll(() => rmSync(appsOutdir, { recursive: true, force: true }));

function optionsFor(context: Record<string, unknown>): LoginFlowStackOptions {
  return readStackOptions(new App({ outdir: appsOutdir, context }).node);
}

function optionsError(context: Record<string, unknown>): string {
  try {
    optionsFor(context);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the context was accepted');
}

describe('context settings, validated at synth time', () => {
  test('only the required settings: every option takes its default', () => {
    expect(optionsFor(REQUIRED_CONTEXT)).toEqual<LoginFlowStackOptions>({
      settings: DEFAULT_FLOW_SETTINGS,
      rawSettings: REQUIRED_CONTEXT,
      baseUrl: undefined,
      throttleRateLimit: 100,
      throttleBurstLimit: 200,
      retainData: true,
      rejectedCallbacksAlarmThreshold: 25,
      alarmTopicArn: undefined,
      createClientSecret: false,
      pointInTimeRecoveryDays: 35,
    });
  });

  test('the settings "npm run discover" cached for this issuer are used, under the explicit ones; a cache for another issuer is not', () => {
    const issuer = REQUIRED_CONTEXT.issuerUrl;
    const cached = { authorizationEndpoint: `${issuer}auth`, tokenEndpoint: `${issuer}token`, jwksUri: `${issuer}jwks`, requireIss: 'true' };
    const options = optionsFor({ ...REQUIRED_CONTEXT, [discoveryContextKey(issuer)]: cached, jwksUri: `${issuer}explicit-jwks` });
    expect(options.settings).toMatchObject({ authorizationEndpoint: `${issuer}auth`, tokenEndpoint: `${issuer}token`, jwksUri: `${issuer}explicit-jwks`, requireIss: true });
    // The construct validates the same merged settings again.
    expect(options.rawSettings).toMatchObject({ tokenEndpoint: `${issuer}token`, jwksUri: `${issuer}explicit-jwks` });
    expect(optionsFor({ ...REQUIRED_CONTEXT, [discoveryContextKey('https://other.example.test/')]: cached }).settings).toEqual(DEFAULT_FLOW_SETTINGS);
    expect(optionsError({ ...REQUIRED_CONTEXT, [discoveryContextKey(issuer)]: { tokenEndpoint: 42 } })).toBe(
      `context "${discoveryContextKey(issuer)}" is not what "npm run discover" writes: run it again`,
    );
  });

  test('the client secret: an existing one by ARN, or one the stack makes', () => {
    expect(optionsFor({ ...REQUIRED_CONTEXT, clientSecretArn: CLIENT_SECRET_ARN })).toMatchObject({
      settings: { clientSecretArn: CLIENT_SECRET_ARN },
      createClientSecret: false,
    });
    expect(optionsFor({ ...REQUIRED_CONTEXT, createClientSecret: true })).toMatchObject({ settings: { clientSecretArn: undefined }, createClientSecret: true });
  });

  test('values typed in cdk.json (numbers, booleans) are read like strings from -c', () => {
    const options = optionsFor({ ...REQUIRED_CONTEXT, stateTtlSeconds: 300, retainData: false, throttleRateLimit: 7 });
    expect(options.settings.stateTtlSeconds).toBe(300);
    // The construct is handed the settings as given, trimmed, and validates them again itself.
    expect(options.rawSettings).toEqual({ ...REQUIRED_CONTEXT, stateTtlSeconds: '300' });
    expect(options.retainData).toBe(false);
    expect(options.throttleRateLimit).toBe(7);
  });

  test('pointInTimeRecoveryDays from -c (a string) or cdk.json (a number)', () => {
    expect(optionsFor({ ...REQUIRED_CONTEXT, pointInTimeRecoveryDays: '7' }).pointInTimeRecoveryDays).toBe(7);
    expect(optionsFor({ ...REQUIRED_CONTEXT, pointInTimeRecoveryDays: 14 }).pointInTimeRecoveryDays).toBe(14);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['no issuerUrl', { clientId: 'c' }, 'context "issuerUrl" is not set'],
    ['no clientId', { issuerUrl: 'https://tenant.example.test/' }, 'context "clientId" is not set'],
    ['an http issuerUrl', { ...REQUIRED_CONTEXT, issuerUrl: 'http://tenant.example.test/' }, 'context "issuerUrl" must use https (http is allowed only for localhost): "http://tenant.example.test/"'],
    ['a stateTtlSeconds of 0', { ...REQUIRED_CONTEXT, stateTtlSeconds: 0 }, 'context "stateTtlSeconds" must be from 1 to 3600, got 0'],
    ['a stateTtlSeconds over an hour', { ...REQUIRED_CONTEXT, stateTtlSeconds: '3601' }, 'context "stateTtlSeconds" must be from 1 to 3600, got 3601'],
    ['a baseUrl over http', { ...REQUIRED_CONTEXT, baseUrl: 'http://login.example.com' }, 'context "baseUrl" must use https (http is allowed only for localhost): "http://login.example.com"'],
    ['a requireIss that is not a boolean', { ...REQUIRED_CONTEXT, requireIss: 'yes' }, 'context "requireIss" must be "true" or "false", got "yes"'],
    ['a throttleRateLimit of 0', { ...REQUIRED_CONTEXT, throttleRateLimit: 0 }, 'context "throttleRateLimit" must be a positive whole number, got "0"'],
    ['a fractional throttleBurstLimit', { ...REQUIRED_CONTEXT, throttleBurstLimit: '1.5' }, 'context "throttleBurstLimit" must be a positive whole number, got "1.5"'],
    [
      'a negative rejectedCallbacksAlarmThreshold',
      { ...REQUIRED_CONTEXT, rejectedCallbacksAlarmThreshold: -1 },
      'context "rejectedCallbacksAlarmThreshold" must be a positive whole number, got "-1"',
    ],
    ['a pointInTimeRecoveryDays of 0', { ...REQUIRED_CONTEXT, pointInTimeRecoveryDays: 0 }, 'context "pointInTimeRecoveryDays" must be a positive whole number, got "0"'],
    ['a pointInTimeRecoveryDays in words', { ...REQUIRED_CONTEXT, pointInTimeRecoveryDays: 'a week' }, 'context "pointInTimeRecoveryDays" must be a positive whole number, got "a week"'],
    ['a retainData that is not a boolean', { ...REQUIRED_CONTEXT, retainData: 'maybe' }, 'context "retainData" must be true or false, got "maybe"'],
    [
      'an alarmTopicArn that is not an SNS topic',
      { ...REQUIRED_CONTEXT, alarmTopicArn: 'arn:aws:sqs:eu-west-1:123456789012:queue' },
      'context "alarmTopicArn" must be an SNS topic ARN, got "arn:aws:sqs:eu-west-1:123456789012:queue"',
    ],
    ['an object where a string belongs', { ...REQUIRED_CONTEXT, audience: { value: 'x' } }, 'context "audience" must be a string, number or boolean'],
    [
      'both createClientSecret and clientSecretArn',
      { ...REQUIRED_CONTEXT, createClientSecret: 'true', clientSecretArn: CLIENT_SECRET_ARN },
      'context "createClientSecret" and "clientSecretArn" exclude each other: use the existing secret or make one',
    ],
    [
      'a client secret with a scope that has no openid',
      { ...REQUIRED_CONTEXT, clientSecretArn: CLIENT_SECRET_ARN, scope: 'email profile' },
      'context "scope" must include openid when a client secret is configured: signing in needs an ID token',
    ],
    ['a createClientSecret that is not a boolean', { ...REQUIRED_CONTEXT, createClientSecret: 'yes' }, 'context "createClientSecret" must be true or false, got "yes"'],
    [
      'a clientSecretArn of another service',
      { ...REQUIRED_CONTEXT, clientSecretArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/auth0-client' },
      'context "clientSecretArn" must be a Secrets Manager secret ARN, got "arn:aws:ssm:us-east-1:123456789012:parameter/auth0-client"',
    ],
    [
      'a clientSecretArn that is only a secret name',
      { ...REQUIRED_CONTEXT, clientSecretArn: 'auth0-client' },
      'context "clientSecretArn" must be a Secrets Manager secret ARN, got "auth0-client"',
    ],
    ...(['HS256', 'none'] as const).map((algorithm): [string, Record<string, unknown>, string] => [
      `${algorithm} among the idTokenSigningAlgs`,
      { ...REQUIRED_CONTEXT, idTokenSigningAlgs: `RS256,${algorithm}` },
      `context "idTokenSigningAlgs" may list only RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (never none or HS*), got "${algorithm}"`,
    ]),
  ])('%s fails with a message naming the setting', (_label, context, message) => {
    expect(optionsError(context)).toBe(message);
  });
});

describe('bin/app.ts', () => {
  function runApp(context: Record<string, unknown>): Promise<{ code: number | null; stderr: string }> {
    const outdir = mkdtempSync(join(tmpdir(), 'login-flow-bin-'));
    return new Promise((resolve) => {
      execFile(
        join(PROJECT_ROOT, 'node_modules/.bin/tsx'),
        ['bin/app.ts'],
        { cwd: PROJECT_ROOT, env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) }, timeout: 30_000 },
        (error, _stdout, stderr) => {
          rmSync(outdir, { recursive: true, force: true });
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr });
        },
      );
    });
  }

  test('a missing or invalid setting stops the synth with one line naming it', async () => {
    const [missing, invalid] = await Promise.all([
      runApp({ clientId: 'client-123' }),
      runApp({ ...REQUIRED_CONTEXT, stateTtlSeconds: 7200 }),
    ]);
    expect(missing).toEqual({
      code: 1,
      stderr: 'Configuration error: context "issuerUrl" is not set. Pass it with -c KEY=VALUE or in cdk.json "context".\n',
    });
    expect(invalid).toEqual({
      code: 1,
      stderr: 'Configuration error: context "stateTtlSeconds" must be from 1 to 3600, got 7200. Pass it with -c KEY=VALUE or in cdk.json "context".\n',
    });
  });
});

test('one synth names every bad or missing setting, the base URL included', () => {
  expect(optionsError({ issuerUrl: 'https://tenant.auth0.com', baseUrl: 'https://login.example.test/app' })).toBe(
    [
      'context "issuerUrl" must end with "/" for an Auth0 tenant, as Auth0\'s iss does: use "https://tenant.auth0.com/"',
      'context "clientId" is not set',
      'context "baseUrl" must be an origin without a path (the API needs a host of its own: its cookies are scoped to the host), got "https://login.example.test/app"',
    ].join('; '),
  );
});
