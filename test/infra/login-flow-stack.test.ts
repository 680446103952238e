import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { CALLBACK_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../../lambdas/core/contract.js';
import { METRICS_NAMESPACE, Metric, type MetricName } from '../../lambdas/core/metrics.js';
import { formatRequestLog } from '../../lambdas/shared/request-log.js';
import type { FunctionName } from '../../lib/bundling.js';
import { STACK_CONTEXT } from '../../lib/stack-options.js';
import { parseLogLine } from '../support/logs.js';
import { LoginFlowApp, REQUIRED_CONTEXT, getAtt, ref, resourcesOfType, type CfnResource } from './login-flow-app.js';

const ALARM_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:login-alarms';

let synthesized: LoginFlowApp;
let template: Template;
/** Logical ids of the stack's main resources, taken from the constructs themselves. */
let ids: { table: string; sessions: string; api: string; stage: string; accessLogs: string } & Record<FunctionName, string>;
const FUNCTION_NAMES = ['login', 'callback', 'session', 'logout'] as const satisfies readonly FunctionName[];

beforeAll(() => {
  synthesized = new LoginFlowApp(REQUIRED_CONTEXT);
  template = synthesized.synth();
  const { stack } = synthesized;
  ids = {
    table: synthesized.logicalId(stack.table.table),
    sessions: synthesized.logicalId(stack.sessions.table),
    login: synthesized.logicalId(stack.loginFunction),
    callback: synthesized.logicalId(stack.callbackFunction),
    session: synthesized.logicalId(stack.sessionFunction),
    logout: synthesized.logicalId(stack.logoutFunction),
    api: synthesized.logicalId(stack.api.api),
    stage: synthesized.logicalId(stack.api.stage),
    accessLogs: synthesized.logicalId(stack.api.accessLogs),
  };
});

afterAll(() => synthesized.remove());

function resource(logicalId: string): CfnResource {
  const found = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources[logicalId];
  if (found === undefined) throw new Error(`no resource ${logicalId}`);
  return found;
}

/** The validated defaults of the required settings, as every function receives them. */
const DEFAULT_SETTINGS_ENV = {
  ISSUER_URL: 'https://tenant.example.test/',
  CLIENT_ID: 'client-123',
  SCOPE: 'openid profile email',
  AUTHORIZATION_ENDPOINT: 'https://tenant.example.test/authorize',
  STATE_TTL_SECONDS: '600',
  RETENTION_DAYS: '7',
  REQUIRE_ISS: 'false',
  TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_post',
  TOKEN_ENDPOINT: 'https://tenant.example.test/oauth/token',
  JWKS_URI: 'https://tenant.example.test/.well-known/jwks.json',
  END_SESSION_ENDPOINT: 'https://tenant.example.test/oidc/logout',
  ID_TOKEN_SIGNING_ALGS: 'RS256',
  SESSION_IDLE_SECONDS: '86400',
  SESSION_ABSOLUTE_SECONDS: '604800',
  PROFILE_CLAIMS: 'name email email_verified picture org_id',
};

describe('HTTP API', () => {
  test('one HTTP API (API Gateway v2) with a $default stage that deploys automatically', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    expect(resource(ids.api).Properties.ProtocolType).toBe('HTTP');
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    expect(resource(ids.stage).Properties).toMatchObject({ ApiId: ref(ids.api), StageName: '$default', AutoDeploy: true });
  });

  test('each route to its function: login, callback, session (GET /me, GET /signed-in), logout (GET and POST /logout, GET /signed-out)', () => {
    const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
    const targets = Object.fromEntries(
      Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map((route) => {
        const join = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
        const [prefix, integrationRef] = join['Fn::Join'][1];
        expect(prefix).toBe('integrations/');
        const integration = integrations[integrationRef.Ref]?.Properties;
        expect(integration).toMatchObject({ ApiId: ref(ids.api), IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
        return [route.Properties.RouteKey, integration?.IntegrationUri];
      }),
    );
    expect(targets).toEqual({
      'GET /login': getAtt(ids.login, 'Arn'),
      'GET /callback': getAtt(ids.callback, 'Arn'),
      'GET /me': getAtt(ids.session, 'Arn'),
      'GET /signed-in': getAtt(ids.session, 'Arn'),
      'GET /logout': getAtt(ids.logout, 'Arn'),
      'POST /logout': getAtt(ids.logout, 'Arn'),
      'GET /signed-out': getAtt(ids.logout, 'Arn'),
    });
  });

  test('API Gateway may invoke each function through its own routes only, and nothing else may', () => {
    const permissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission')).map((permission) => permission.Properties);
    // One permission per route: the source ARN ends in the route's path, so no function is reachable through another's path.
    const byFunction = new Map<string, string[]>();
    for (const permission of permissions) {
      expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      const parts = (permission.SourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      expect(parts).toContainEqual(ref(ids.api));
      const fn = JSON.stringify(permission.FunctionName);
      byFunction.set(fn, [...(byFunction.get(fn) ?? []), String(parts.at(-1))].sort());
    }
    expect(Object.fromEntries(byFunction)).toEqual({
      [JSON.stringify(getAtt(ids.login, 'Arn'))]: ['/*/*/login'],
      [JSON.stringify(getAtt(ids.callback, 'Arn'))]: ['/*/*/callback'],
      [JSON.stringify(getAtt(ids.session, 'Arn'))]: ['/*/*/me', '/*/*/signed-in'],
      [JSON.stringify(getAtt(ids.logout, 'Arn'))]: ['/*/*/logout', '/*/*/logout', '/*/*/signed-out'],
    });
  });

  test('default throttling: rate 50/s and burst 100, the stack defaults', () => {
    expect(STACK_CONTEXT.throttleRateLimit.fallback).toBe(50);
    expect(STACK_CONTEXT.throttleBurstLimit.fallback).toBe(100);
    expect(resource(ids.stage).Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
  });

  test('access logs go to a log group with a retention, in JSON that never records the query string or cookies', () => {
    const settings = resource(ids.stage).Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(settings.DestinationArn).toEqual(getAtt(ids.accessLogs, 'Arn'));
    expect(resource(ids.accessLogs).Properties.RetentionInDays).toBe(30);
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status' });
    expect(settings.Format).not.toMatch(/querystring|cookie|header|\$context\.path|requestOverride/i);
  });
});

describe('functions', () => {
  test('exactly four functions: no helper functions (log retention is set natively)', () => {
    template.resourceCountIs('AWS::Lambda::Function', 4);
  });

  test.each(FUNCTION_NAMES)('%s: arm64, nodejs24.x, ES module handler, bounded timeout', (name) => {
    expect(resource(ids[name]).Properties).toMatchObject({
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: name === 'callback' ? CALLBACK_TIMEOUT_SECONDS : FUNCTION_TIMEOUT_SECONDS,
    });
  });

  test('each function logs to its own log group with a retention', () => {
    const groups = FUNCTION_NAMES.map((name) => (resource(ids[name]).Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
    expect(new Set(groups).size).toBe(4);
    for (const group of groups) {
      expect(resource(group)).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    }
  });

  test('each function gets exactly the validated settings, the names of the tables it uses and the API URL as base URL', () => {
    const baseUrl = { BASE_URL: getAtt(ids.api, 'ApiEndpoint') };
    const environments = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, (resource(ids[name]).Properties.Environment as { Variables: unknown }).Variables]));
    expect(environments).toEqual({
      login: { ...DEFAULT_SETTINGS_ENV, TABLE_NAME: ref(ids.table), ...baseUrl },
      callback: { ...DEFAULT_SETTINGS_ENV, TABLE_NAME: ref(ids.table), SESSION_TABLE_NAME: ref(ids.sessions), ...baseUrl },
      session: { ...DEFAULT_SETTINGS_ENV, SESSION_TABLE_NAME: ref(ids.sessions), ...baseUrl },
      logout: { ...DEFAULT_SETTINGS_ENV, SESSION_TABLE_NAME: ref(ids.sessions), ...baseUrl },
    });
  });

  test.each(FUNCTION_NAMES)('%s is bundled: one minified ES module carrying its own DynamoDB client, no source map', (name) => {
    const code = resource(ids[name]).Properties.Code as { S3Key: string };
    const assetDir = join(synthesized.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(assetDir)).toEqual(['index.mjs']);
    const source = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    // ESM: the handler is an export, not module.exports.
    expect(source).toMatch(/export\{[\w$]+ as handler\}/);
    expect(source).not.toContain('module.exports.handler');
    // The SDK is inside the bundle (DynamoDB's JSON protocol target), not imported from the runtime's copy.
    expect(source).toContain('DynamoDB_20120810');
    expect(source).not.toMatch(/(from\s*|import\(|require\()["']@(aws-sdk|smithy)\//);
    // Minified: a few very long lines, no source map.
    const lines = source.split('\n');
    expect(source.length / lines.length).toBeGreaterThan(2000);
    expect(source).not.toContain('sourceMappingURL');
  });

  test('the four bundles are different builds (one entry point each)', () => {
    const keys = FUNCTION_NAMES.map((name) => (resource(ids[name]).Properties.Code as { S3Key: string }).S3Key);
    expect(new Set(keys).size).toBe(4);
    for (const key of keys) expect(existsSync(join(synthesized.outdir, `asset.${key.replace(/\.zip$/, '')}`))).toBe(true);
  });
});

describe('DynamoDB tables', () => {
  test.each(['table', 'sessions'] as const)('%s: on-demand, keyed by id, TTL on expiresAt, point-in-time recovery, encrypted', (table) => {
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    expect(resource(ids[table]).Properties).toEqual({
      AttributeDefinitions: [{ AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('by default the data outlives the stack (Retain on delete and on replacement)', () => {
    for (const table of [ids.table, ids.sessions]) expect(resource(table)).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('outputs', () => {
  test('exactly LoginUrl, CallbackUrl and SignedOutUrl (for the Auth0 application), TableName and SessionTableName', () => {
    const outputs = template.findOutputs('*') as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(['CallbackUrl', 'LoginUrl', 'SessionTableName', 'SignedOutUrl', 'TableName']);
    expect(outputs.LoginUrl?.Value).toEqual({ 'Fn::Join': ['', [getAtt(ids.api, 'ApiEndpoint'), '/login']] });
    expect(outputs.CallbackUrl?.Value).toEqual({ 'Fn::Join': ['', [getAtt(ids.api, 'ApiEndpoint'), '/callback']] });
    expect(outputs.SignedOutUrl?.Value).toEqual({ 'Fn::Join': ['', [getAtt(ids.api, 'ApiEndpoint'), '/signed-out']] });
    expect(outputs.TableName?.Value).toEqual(ref(ids.table));
    expect(outputs.SessionTableName?.Value).toEqual(ref(ids.sessions));
  });

  test('the printed CallbackUrl is the redirect_uri the functions send: both are built on the same base URL', () => {
    const baseUrl = (resource(ids.callback).Properties.Environment as { Variables: { BASE_URL: unknown } }).Variables.BASE_URL;
    const outputs = template.findOutputs('CallbackUrl') as Record<string, { Value: { 'Fn::Join': [string, unknown[]] } }>;
    expect(outputs.CallbackUrl?.Value['Fn::Join'][1][0]).toEqual(baseUrl);
  });
});

describe('alarms', () => {
  const alarms = (): Record<string, unknown>[] => Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);

  test('twelve alarms, all on a 5-minute sum, none wired to an action by default', () => {
    expect(alarms()).toHaveLength(12);
    for (const alarm of alarms()) {
      expect(alarm).toMatchObject({ Period: 300, Statistic: 'Sum', EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      expect(alarm).not.toHaveProperty('AlarmActions');
    }
  });

  test.each(FUNCTION_NAMES.flatMap((name) => [[name, 'Errors'] as const, [name, 'Throttles'] as const]))('%s function %s', (name, metricName) => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({ Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: ref(ids[name]) }], Threshold: 1 }),
    );
  });

  test.each<[string, MetricName, number]>([
    ['store faults', Metric.storeFaults, 5],
    ['internal errors', Metric.internalErrors, 1],
    ['failed sign-ins', Metric.signInsFailed, 5],
    ['rejected callbacks', Metric.callbacksRejected, STACK_CONTEXT.rejectedCallbacksAlarmThreshold.fallback],
  ])('%s, on the series the functions publish through EMF', (_label, metric, threshold) => {
    const alarm = alarms().find((candidate) => candidate.MetricName === metric);
    expect(alarm).toMatchObject({ Namespace: METRICS_NAMESPACE, Threshold: threshold });
    expect(alarm).not.toHaveProperty('Dimensions');
    // What the functions emit for this metric includes the dimensionless series the alarm watches.
    const emitted = parseLogLine(formatRequestLog({ route: 'GET /callback', requestId: 'r', status: 400, outcome: 'x', reason: 'y', metric, latencyMs: 1 }, 0));
    expect(emitted._aws?.CloudWatchMetrics).toEqual([{ Namespace: alarm?.Namespace, Dimensions: expect.arrayContaining([[]]), Metrics: [{ Name: alarm?.MetricName, Unit: 'Count' }] }]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('the synth ran the checks and left no unacknowledged finding', () => {
    expect(synthesized.validationReport().pluginReports).toEqual([]);
  });

  test('every acknowledgement is of an AwsSolutions rule and states its reason', () => {
    const acknowledgements = synthesized.acknowledgements();
    expect(acknowledgements.map(({ path, id }) => ({ path, id }))).toEqual([
      { path: 'ServerlessOidcLogin/api/http-api', id: expect.stringMatching(/(^|::)AwsSolutions-APIG4$/) },
    ]);
    for (const { reason } of acknowledgements) expect(reason.trim().length).toBeGreaterThanOrEqual(40);
  });
});

describe('the stack with every option set', () => {
  let custom: LoginFlowApp;
  let customTemplate: Template;

  beforeAll(() => {
    custom = new LoginFlowApp(
      {
        ...REQUIRED_CONTEXT,
        audience: 'https://api.example.com',
        scope: 'openid email',
        authorizationEndpoint: 'https://tenant.example.test/oauth2/authorize',
        stateTtlSeconds: 300,
        retentionDays: '30',
        requireIss: 'true',
        tokenEndpointAuthMethod: 'client_secret_basic',
        tokenEndpoint: 'https://tenant.example.test/oauth2/token',
        jwksUri: 'https://keys.example.test/jwks',
        endSessionEndpoint: 'https://tenant.example.test/v2/logout',
        idTokenSigningAlgs: 'ES256,RS256',
        sessionIdleSeconds: 3600,
        sessionAbsoluteSeconds: '43200',
        profileClaims: 'email name',
        baseUrl: 'https://login.example.com/',
        throttleRateLimit: '5',
        throttleBurstLimit: 10,
        rejectedCallbacksAlarmThreshold: 3,
        retainData: false,
        alarmTopicArn: ALARM_TOPIC_ARN,
      },
      { bundle: false },
    );
    customTemplate = custom.synth();
  });

  afterAll(() => custom.remove());

  test('passes cdk-nag too', () => {
    expect(custom.validationReport().pluginReports).toEqual([]);
  });

  test('throttles the $default stage at the configured rate and burst', () => {
    customTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 } });
  });

  test('retainData=false: both tables and every log group are deleted with the stack', () => {
    const tables = Object.values(resourcesOfType(customTemplate, 'AWS::DynamoDB::Table'));
    const logGroups = Object.values(resourcesOfType(customTemplate, 'AWS::Logs::LogGroup'));
    expect(tables).toHaveLength(2);
    expect(logGroups).toHaveLength(5);
    for (const resource of [...tables, ...logGroups]) expect(resource).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  test('a custom domain becomes the base URL of the functions and of the printed URLs', () => {
    const outputs = customTemplate.findOutputs('*') as Record<string, { Value: unknown }>;
    expect(outputs.LoginUrl?.Value).toBe('https://login.example.com/login');
    expect(outputs.CallbackUrl?.Value).toBe('https://login.example.com/callback');
    expect(outputs.SignedOutUrl?.Value).toBe('https://login.example.com/signed-out');
    expect(outputs.TableName?.Value).toEqual(ref(custom.logicalId(custom.stack.table.table)));
  });

  test('every setting reaches every function, each with the names of the tables it uses', () => {
    const tables = { TABLE_NAME: ref(custom.logicalId(custom.stack.table.table)) };
    const sessions = { SESSION_TABLE_NAME: ref(custom.logicalId(custom.stack.sessions.table)) };
    const settings = {
      ISSUER_URL: 'https://tenant.example.test/',
      CLIENT_ID: 'client-123',
      AUDIENCE: 'https://api.example.com',
      SCOPE: 'openid email',
      AUTHORIZATION_ENDPOINT: 'https://tenant.example.test/oauth2/authorize',
      STATE_TTL_SECONDS: '300',
      RETENTION_DAYS: '30',
      REQUIRE_ISS: 'true',
      TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_basic',
      TOKEN_ENDPOINT: 'https://tenant.example.test/oauth2/token',
      JWKS_URI: 'https://keys.example.test/jwks',
      END_SESSION_ENDPOINT: 'https://tenant.example.test/v2/logout',
      ID_TOKEN_SIGNING_ALGS: 'ES256 RS256',
      SESSION_IDLE_SECONDS: '3600',
      SESSION_ABSOLUTE_SECONDS: '43200',
      PROFILE_CLAIMS: 'email name',
      BASE_URL: 'https://login.example.com',
    };
    const { stack } = custom;
    const functions = { login: stack.loginFunction, callback: stack.callbackFunction, session: stack.sessionFunction, logout: stack.logoutFunction };
    const environments = Object.fromEntries(
      Object.entries(functions).map(([name, fn]) => [name, (resourcesOfType(customTemplate, 'AWS::Lambda::Function')[custom.logicalId(fn)]?.Properties.Environment as { Variables: unknown }).Variables]),
    );
    expect(environments).toEqual({
      login: { ...settings, ...tables },
      callback: { ...settings, ...tables, ...sessions },
      session: { ...settings, ...sessions },
      logout: { ...settings, ...sessions },
    });
  });

  test('the rejected-callbacks threshold is configurable, and every alarm notifies the topic', () => {
    const alarms = Object.values(resourcesOfType(customTemplate, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    expect(alarms).toHaveLength(12);
    expect(alarms.find((alarm) => alarm.MetricName === 'CallbacksRejected')?.Threshold).toBe(3);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([ALARM_TOPIC_ARN]);
  });

  test("with a custom domain, nothing points users at the API's own execute-api URL", () => {
    const apiId = custom.logicalId(custom.stack.api.api);
    expect(JSON.stringify(customTemplate.toJSON())).not.toContain(JSON.stringify(getAtt(apiId, 'ApiEndpoint')));
  });
});

describe('cdk-nag is live on this stack', () => {
  test('a non-compliant resource added to the stack fails the synth, reported with its rule', () => {
    const withFinding = new LoginFlowApp(REQUIRED_CONTEXT, { bundle: false });
    try {
      new Table(withFinding.stack, 'unprotected', { partitionKey: { name: 'id', type: AttributeType.STRING } });
      expect(() => withFinding.synth()).toThrow(/validation-report\.json/);
      const violations = withFinding.validationReport().pluginReports.flatMap((report) =>
        report.violations.map((violation) => ({ plugin: report.pluginName, rule: violation.ruleName, paths: violation.violatingConstructs.map((c) => c.constructPath) })),
      );
      expect(violations).toEqual([{ plugin: 'AwsSolutions', rule: 'AwsSolutions-DDB3', paths: ['ServerlessOidcLogin/unprotected/Resource'] }]);
    } finally {
      withFinding.remove();
    }
  });
});
