import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { APP_PAGE_PATH_ENV, CALLBACK_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS, SESSION_SID_INDEX, SESSION_SUB_INDEX, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../../lambdas/core/contract.js';
import { METRICS_NAMESPACE, Metric, type MetricName } from '../../lambdas/core/metrics.js';
import { formatRequestLog } from '../../lambdas/shared/request-log.js';
import { DEFAULT_PITR_DAYS } from '../../lib/flow-table.js';
import { DEFAULT_REJECTED_CALLBACKS_ALARM_THRESHOLD, DEFAULT_THROTTLE } from '../../lib/oidc-login.js';
import { STACK_CONTEXT } from '../../lib/stack-options.js';
import { parseLogLine } from '../support/logs.js';
import { DEFAULT_SETTINGS_ENV } from '../support/settings.js';
import {
  DEPLOYED_FUNCTIONS,
  LoginFlowApp,
  REQUIRED_CONTEXT,
  STACK_ID,
  getAtt,
  ref,
  resourceOf,
  resourcesOfType,
  type DeployedFunction,
} from './login-flow-app.js';

const ALARM_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:login-alarms';
/** The construct's functions: the demo app's function is the stack's, outside the sign-in's alarms. */
const SIGN_IN_FUNCTIONS = DEPLOYED_FUNCTIONS.filter((name) => name !== 'demo');
/**
 * Every route the sign-in makes public (the demo's routes are behind its authorizers), with the
 * catch-all it adds on an API of its own so unknown paths get its 404 page, security headers included.
 */
const PUBLIC_ROUTES = ['GET /login', 'GET /callback', 'GET /me', 'GET /signed-in', 'GET /logout', 'POST /logout', 'GET /signed-out', 'POST /backchannel-logout', '$default'];

let synthesized: LoginFlowApp;
let template: Template;
/** Logical ids of the stack's main resources, taken from the constructs themselves. */
let ids: { table: string; sessions: string; logoutTokens: string; api: string; stage: string; accessLogs: string } & Record<DeployedFunction, string>;

beforeAll(() => {
  synthesized = new LoginFlowApp(REQUIRED_CONTEXT);
  template = synthesized.synth();
  const { signIn } = synthesized.stack;
  if (signIn.madeApi === undefined || signIn.logoutTokens === undefined) throw new Error('the stack makes its API and back-channel logout');
  ids = {
    table: synthesized.logicalId(signIn.transactions.table),
    sessions: synthesized.logicalId(signIn.sessions.table),
    logoutTokens: synthesized.logicalId(signIn.logoutTokens.table),
    api: synthesized.logicalId(signIn.madeApi.api),
    stage: synthesized.logicalId(signIn.madeApi.stage),
    accessLogs: synthesized.logicalId(signIn.madeApi.accessLogs),
    ...synthesized.functionIds(),
  };
});

afterAll(() => synthesized.remove());

const resource = (logicalId: string) => resourceOf(template, logicalId);


/** The template's authorizers by name, as logical ids. */
function authorizerIds(): Record<string, string> {
  return Object.fromEntries(Object.entries(resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer')).map(([id, authorizer]) => [authorizer.Properties.Name, id]));
}

function authorizerId(name: 'session' | 'page-session'): string {
  const id = authorizerIds()[name];
  if (id === undefined) throw new Error(`no ${name} authorizer`);
  return id;
}

describe('HTTP API', () => {
  test('one HTTP API (API Gateway v2) with a $default stage that deploys automatically', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    expect(resource(ids.api).Properties.ProtocolType).toBe('HTTP');
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    expect(resource(ids.stage).Properties).toMatchObject({ ApiId: ref(ids.api), StageName: '$default', AutoDeploy: true });
  });

  test('each route to its function, the sign-in routes public and the demo routes behind the session authorizers', () => {
    const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
    const routes = Object.fromEntries(
      Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map((route) => {
        expect(route.Properties.ApiId).toEqual(ref(ids.api));
        const join = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
        const [prefix, integrationRef] = join['Fn::Join'][1];
        expect(prefix).toBe('integrations/');
        const integration = integrations[integrationRef.Ref]?.Properties;
        expect(integration).toMatchObject({ ApiId: ref(ids.api), IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
        const { AuthorizationType: authorization, AuthorizerId: authorizer } = route.Properties;
        return [route.Properties.RouteKey, { target: integration?.IntegrationUri, authorization, ...(authorizer === undefined ? {} : { authorizer }) }];
      }),
    );
    const open = (fn: DeployedFunction) => ({ target: getAtt(ids[fn], 'Arn'), authorization: 'NONE' });
    expect(routes).toEqual({
      'GET /login': open('login'),
      'GET /callback': open('callback'),
      'GET /me': open('session'),
      'GET /signed-in': open('session'),
      'GET /logout': open('logout'),
      'POST /logout': open('logout'),
      'GET /signed-out': open('logout'),
      'POST /backchannel-logout': open('backchannelLogout'),
      '$default': open('session'),
      'GET /hello': { target: getAtt(ids.demo, 'Arn'), authorization: 'CUSTOM', authorizer: ref(authorizerId('session')) },
      'GET /hello/page': { target: getAtt(ids.demo, 'Arn'), authorization: 'CUSTOM', authorizer: ref(authorizerId('page-session')) },
    });
  });

  test('two Lambda authorizers: the session one keyed by the Cookie header, the page one per request, neither cached', () => {
    expect(Object.keys(authorizerIds()).sort()).toEqual(['page-session', 'session']);
    const common = { ApiId: ref(ids.api), AuthorizerType: 'REQUEST', AuthorizerPayloadFormatVersion: '2.0', EnableSimpleResponses: true, AuthorizerResultTtlInSeconds: 0 };
    const invoking = (fn: DeployedFunction) => expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([getAtt(ids[fn], 'Arn'), '/invocations'])] });
    expect(resource(authorizerId('session')).Properties).toEqual({ ...common, Name: 'session', IdentitySource: ['$request.header.Cookie'], AuthorizerUri: invoking('authorizer') });
    expect(resource(authorizerId('page-session')).Properties).toEqual({
      ...common,
      Name: 'page-session',
      IdentitySource: ['$context.requestId'],
      AuthorizerUri: invoking('pageAuthorizer'),
    });
  });

  test('API Gateway may invoke each function through its own routes or as its own authorizer only, and nothing else may', () => {
    const permissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission')).map((permission) => permission.Properties);
    // One permission per route (the source ARN ends in the route's path) or per authorizer (it ends in the authorizer's id).
    const byFunction = new Map<string, string[]>();
    for (const permission of permissions) {
      expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      const parts = (permission.SourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      const api = parts.findIndex((part) => JSON.stringify(part) === JSON.stringify(ref(ids.api)));
      expect(api).toBeGreaterThan(0);
      const fn = JSON.stringify(permission.FunctionName);
      const tail = parts.slice(api + 1).map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
      byFunction.set(fn, [...(byFunction.get(fn) ?? []), tail].sort());
    }
    const asAuthorizer = (name: 'session' | 'page-session') => `/authorizers/${JSON.stringify(ref(authorizerId(name)))}`;
    const key = (fn: DeployedFunction) => JSON.stringify(getAtt(ids[fn], 'Arn'));
    expect(Object.fromEntries(byFunction)).toEqual({
      [key('login')]: ['/*/*/login'],
      [key('callback')]: ['/*/*/callback'],
      // The $default route's source ARN ends at the stage: it matches any path, as the route does.
      [key('session')]: ['/*/*', '/*/*/me', '/*/*/signed-in'],
      [key('logout')]: ['/*/*/logout', '/*/*/logout', '/*/*/signed-out'],
      [key('backchannelLogout')]: ['/*/*/backchannel-logout'],
      [key('authorizer')]: [asAuthorizer('session')],
      [key('pageAuthorizer')]: [asAuthorizer('page-session')],
      [key('demo')]: ['/*/*/hello', '/*/*/hello/page'],
    });
  });

  test('default throttling: rate 100/s and burst 200, the stack defaults and the construct defaults', () => {
    expect(STACK_CONTEXT.throttleRateLimit.fallback).toBe(100);
    expect(STACK_CONTEXT.throttleBurstLimit.fallback).toBe(200);
    expect(DEFAULT_THROTTLE).toEqual({ rateLimit: 100, burstLimit: 200 });
    expect(resource(ids.stage).Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
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
  test('exactly eight functions, the sign-in\'s seven and the demo: no helper functions (log retention is set natively)', () => {
    template.resourceCountIs('AWS::Lambda::Function', DEPLOYED_FUNCTIONS.length);
    expect(DEPLOYED_FUNCTIONS).toHaveLength(8);
  });

  test.each(DEPLOYED_FUNCTIONS)('%s: arm64, nodejs24.x, ES module handler, bounded timeout', (name) => {
    expect(resource(ids[name]).Properties).toMatchObject({
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: name === 'callback' ? CALLBACK_TIMEOUT_SECONDS : FUNCTION_TIMEOUT_SECONDS,
    });
  });

  test('each function logs to its own log group with a retention', () => {
    const groups = DEPLOYED_FUNCTIONS.map((name) => (resource(ids[name]).Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
    expect(new Set(groups).size).toBe(DEPLOYED_FUNCTIONS.length);
    for (const group of groups) {
      expect(resource(group)).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    }
  });

  test('each function gets exactly the validated settings, the names of the tables it uses and the API URL as base URL', () => {
    const baseUrl = { BASE_URL: getAtt(ids.api, 'ApiEndpoint') };
    const sessions = { SESSION_TABLE_NAME: ref(ids.sessions) };
    const environments = Object.fromEntries(DEPLOYED_FUNCTIONS.map((name) => [name, (resource(ids[name]).Properties.Environment as { Variables: unknown }).Variables]));
    expect(environments).toEqual({
      login: { ...DEFAULT_SETTINGS_ENV, TABLE_NAME: ref(ids.table), ...baseUrl },
      callback: { ...DEFAULT_SETTINGS_ENV, TABLE_NAME: ref(ids.table), ...sessions, ...baseUrl },
      // Only the project's stack has the demo page for the signed-in page to link.
      session: { ...DEFAULT_SETTINGS_ENV, ...sessions, ...baseUrl, [APP_PAGE_PATH_ENV]: '/hello/page' },
      logout: { ...DEFAULT_SETTINGS_ENV, ...sessions, ...baseUrl },
      authorizer: { ...DEFAULT_SETTINGS_ENV, ...sessions, AUTHORIZER_MODE: 'require', ...baseUrl },
      pageAuthorizer: { ...DEFAULT_SETTINGS_ENV, ...sessions, AUTHORIZER_MODE: 'optional', ...baseUrl },
      backchannelLogout: { ...DEFAULT_SETTINGS_ENV, ...sessions, LOGOUT_TOKEN_TABLE_NAME: ref(ids.logoutTokens), ...baseUrl },
      // The demo app only builds links back to the sign-in: no settings, no table.
      demo: baseUrl,
    });
  });

  test.each(DEPLOYED_FUNCTIONS)('%s is bundled: one minified ES module, carrying its own DynamoDB client if it uses a table, no source map', (name) => {
    const code = resource(ids[name]).Properties.Code as { S3Key: string };
    const assetDir = join(synthesized.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    expect(readdirSync(assetDir)).toEqual(['index.mjs']);
    const source = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    // ESM: the handler is an export, not module.exports.
    expect(source).toMatch(/export\{[\w$]+ as handler\}/);
    expect(source).not.toContain('module.exports.handler');
    // The SDK is inside the bundle (DynamoDB's JSON protocol target), not imported from the runtime's copy; the demo has none.
    if (name === 'demo') expect(source).not.toContain('DynamoDB_20120810');
    else expect(source).toContain('DynamoDB_20120810');
    expect(source).not.toMatch(/(from\s*|import\(|require\()["']@(aws-sdk|smithy)\//);
    // Minified: a few very long lines, no source map.
    const lines = source.split('\n');
    expect(source.length / lines.length).toBeGreaterThan(name === 'demo' ? 500 : 2000);
    expect(source).not.toContain('sourceMappingURL');
  });

  test('one build per entry point: the two authorizers share theirs, every other function has its own', () => {
    const keys = Object.fromEntries(DEPLOYED_FUNCTIONS.map((name) => [name, (resource(ids[name]).Properties.Code as { S3Key: string }).S3Key]));
    expect(keys.pageAuthorizer).toBe(keys.authorizer);
    expect(new Set(Object.values(keys)).size).toBe(DEPLOYED_FUNCTIONS.length - 1);
    for (const key of Object.values(keys)) expect(existsSync(join(synthesized.outdir, `asset.${key.replace(/\.zip$/, '')}`))).toBe(true);
  });
});

describe('DynamoDB tables', () => {
  const base = {
    KeySchema: [{ AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
    SSESpecification: { SSEEnabled: true },
  };

  test.each(['table', 'logoutTokens'] as const)('%s: on-demand, keyed by id, TTL on expiresAt, point-in-time recovery, encrypted', (table) => {
    template.resourceCountIs('AWS::DynamoDB::Table', 3);
    expect(resource(ids[table]).Properties).toEqual({ ...base, AttributeDefinitions: [{ AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' }] });
  });

  test('sessions: the same, plus the two indexes back-channel logout finds sessions by, projecting no more than it reads', () => {
    expect(resource(ids.sessions).Properties).toEqual({
      ...base,
      AttributeDefinitions: [
        { AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' },
        { AttributeName: 'sid', AttributeType: 'S' },
        { AttributeName: 'sub', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: SESSION_SID_INDEX, KeySchema: [{ AttributeName: 'sid', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['sub'] } },
        { IndexName: SESSION_SUB_INDEX, KeySchema: [{ AttributeName: 'sub', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
    });
  });

  test('by default the data outlives the stack (Retain on delete and on replacement)', () => {
    for (const table of [ids.table, ids.sessions, ids.logoutTokens]) expect(resource(table)).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('the stack and the construct agree on the point-in-time recovery default', () => {
    expect(DEFAULT_PITR_DAYS).toBe(STACK_CONTEXT.pointInTimeRecoveryDays.fallback);
  });
});

describe('outputs', () => {
  test('exactly LoginUrl, CallbackUrl, SignedOutUrl and BackchannelLogoutUrl (for the Auth0 application), TableName and SessionTableName', () => {
    const outputs = synthesized.outputs(template);
    const onApi = (path: string) => ({ 'Fn::Join': ['', [getAtt(ids.api, 'ApiEndpoint'), path]] });
    expect(Object.keys(outputs).sort()).toEqual(['BackchannelLogoutUrl', 'CallbackUrl', 'LoginUrl', 'SessionTableName', 'SignedOutUrl', 'TableName']);
    expect(outputs.LoginUrl?.Value).toEqual(onApi('/login'));
    expect(outputs.CallbackUrl?.Value).toEqual(onApi('/callback'));
    expect(outputs.SignedOutUrl?.Value).toEqual(onApi('/signed-out'));
    expect(outputs.BackchannelLogoutUrl?.Value).toEqual(onApi('/backchannel-logout'));
    expect(outputs.TableName?.Value).toEqual(ref(ids.table));
    expect(outputs.SessionTableName?.Value).toEqual(ref(ids.sessions));
  });

  test('the printed CallbackUrl is the redirect_uri the functions send: both are built on the same base URL', () => {
    const baseUrl = (resource(ids.callback).Properties.Environment as { Variables: { BASE_URL: unknown } }).Variables.BASE_URL;
    const callbackUrl = synthesized.outputs(template).CallbackUrl?.Value as { 'Fn::Join': [string, unknown[]] };
    expect(callbackUrl['Fn::Join'][1][0]).toEqual(baseUrl);
  });
});

describe('alarms', () => {
  const alarms = (): Record<string, unknown>[] => Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);

  test('two alarms per sign-in function and four on the flow, all on a 5-minute sum, none wired to an action by default', () => {
    expect(alarms()).toHaveLength(SIGN_IN_FUNCTIONS.length * 2 + 4);
    for (const alarm of alarms()) {
      expect(alarm).toMatchObject({ Period: 300, Statistic: 'Sum', EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      expect(alarm).not.toHaveProperty('AlarmActions');
    }
  });

  test.each(SIGN_IN_FUNCTIONS.flatMap((name) => [[name, 'Errors'] as const, [name, 'Throttles'] as const]))('%s function %s', (name, metricName) => {
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

  test('the stack and the construct agree on the rejected-callbacks default', () => {
    expect(DEFAULT_REJECTED_CALLBACKS_ALARM_THRESHOLD).toBe(STACK_CONTEXT.rejectedCallbacksAlarmThreshold.fallback);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('the synth ran the checks and left no unacknowledged finding', () => {
    expect(synthesized.validationReport().pluginReports).toEqual([]);
  });

  test('APIG4 is acknowledged route by route, on the public sign-in routes only (never on the API; the demo routes have authorizers)', () => {
    expect(synthesized.acknowledgedRoutes('AwsSolutions-APIG4')).toEqual([...PUBLIC_ROUTES].sort());
  });

  test('every acknowledgement is of an AwsSolutions rule and states its reason', () => {
    const acknowledgements = synthesized.acknowledgements();
    expect(acknowledgements).toHaveLength(PUBLIC_ROUTES.length);
    for (const { id, reason } of acknowledgements) {
      expect(id).toMatch(/(^|::)AwsSolutions-APIG4$/);
      expect(reason.trim().length).toBeGreaterThanOrEqual(40);
    }
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
        revocationEndpoint: 'https://tenant.example.test/oauth2/revoke',
        idTokenSigningAlgs: 'ES256,RS256',
        sessionIdleSeconds: 3600,
        sessionAbsoluteSeconds: '43200',
        profileClaims: 'email name',
        baseUrl: 'https://login.example.com/',
        throttleRateLimit: '5',
        throttleBurstLimit: 10,
        rejectedCallbacksAlarmThreshold: 3,
        retainData: false,
        pointInTimeRecoveryDays: '7',
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

  test('retainData=false: every table and every log group is deleted with the stack', () => {
    const tables = Object.values(resourcesOfType(customTemplate, 'AWS::DynamoDB::Table'));
    const logGroups = Object.values(resourcesOfType(customTemplate, 'AWS::Logs::LogGroup'));
    expect(tables).toHaveLength(3);
    // One per function, the demo API's (an audience is set), and the API's access logs.
    expect(logGroups).toHaveLength(DEPLOYED_FUNCTIONS.length + 2);
    for (const resource of [...tables, ...logGroups]) expect(resource).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  test('pointInTimeRecoveryDays reaches every table: recovery goes back 7 days', () => {
    const recovery = Object.values(resourcesOfType(customTemplate, 'AWS::DynamoDB::Table')).map((table) => table.Properties.PointInTimeRecoverySpecification);
    expect(recovery).toEqual(Array.from({ length: 3 }, () => ({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 })));
  });

  test('a custom domain becomes the base URL of the functions and of the printed URLs', () => {
    const outputs = custom.outputs(customTemplate);
    expect(outputs.LoginUrl?.Value).toBe('https://login.example.com/login');
    expect(outputs.CallbackUrl?.Value).toBe('https://login.example.com/callback');
    expect(outputs.SignedOutUrl?.Value).toBe('https://login.example.com/signed-out');
    expect(outputs.BackchannelLogoutUrl?.Value).toBe('https://login.example.com/backchannel-logout');
    expect(outputs.TableName?.Value).toEqual(ref(custom.logicalId(custom.stack.signIn.transactions.table)));
  });

  test('every setting reaches every sign-in function, each with the names of the tables it uses', () => {
    const { signIn } = custom.stack;
    const tables = { TABLE_NAME: ref(custom.logicalId(signIn.transactions.table)) };
    const sessions = { SESSION_TABLE_NAME: ref(custom.logicalId(signIn.sessions.table)) };
    if (signIn.logoutTokens === undefined) throw new Error('back-channel logout is on by default');
    const logoutTokens = { LOGOUT_TOKEN_TABLE_NAME: ref(custom.logicalId(signIn.logoutTokens.table)) };
    const baseUrl = { BASE_URL: 'https://login.example.com' };
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
      TOKEN_REFRESH_LEEWAY_SECONDS: '60',
      TOKEN_ENDPOINT: 'https://tenant.example.test/oauth2/token',
      JWKS_URI: 'https://keys.example.test/jwks',
      END_SESSION_ENDPOINT: 'https://tenant.example.test/v2/logout',
      REVOCATION_ENDPOINT: 'https://tenant.example.test/oauth2/revoke',
      ID_TOKEN_SIGNING_ALGS: 'ES256 RS256',
      SESSION_IDLE_SECONDS: '3600',
      SESSION_ABSOLUTE_SECONDS: '43200',
      PROFILE_CLAIMS: 'email name',
      ...baseUrl,
    };
    const ids = custom.functionIds();
    const environments = Object.fromEntries(
      DEPLOYED_FUNCTIONS.map((name) => [name, (resourceOf(customTemplate, ids[name]).Properties.Environment as { Variables: unknown }).Variables]),
    );
    expect(environments).toEqual({
      login: { ...settings, ...tables },
      callback: { ...settings, ...tables, ...sessions },
      session: { ...settings, ...sessions, [APP_PAGE_PATH_ENV]: '/hello/page' },
      logout: { ...settings, ...sessions },
      authorizer: { ...settings, ...sessions, AUTHORIZER_MODE: 'require' },
      pageAuthorizer: { ...settings, ...sessions, AUTHORIZER_MODE: 'optional' },
      backchannelLogout: { ...settings, ...sessions, ...logoutTokens },
      demo: baseUrl,
    });
  });

  test('the rejected-callbacks threshold is configurable, and every alarm notifies the topic', () => {
    const alarms = Object.values(resourcesOfType(customTemplate, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    expect(alarms).toHaveLength(SIGN_IN_FUNCTIONS.length * 2 + 4);
    expect(alarms.find((alarm) => alarm.MetricName === 'CallbacksRejected')?.Threshold).toBe(3);
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([ALARM_TOPIC_ARN]);
  });

  test("with a custom domain, nothing points users at the API's own execute-api URL", () => {
    const apiId = custom.logicalId(custom.stack.signIn.httpApi);
    expect(JSON.stringify(customTemplate.toJSON())).not.toContain(JSON.stringify(getAtt(apiId, 'ApiEndpoint')));
  });
});

describe('cdk-nag is live on this stack', () => {
  test('a non-compliant resource added to the stack fails the synth, reported with its rule', () => {
    const withFinding = new LoginFlowApp(REQUIRED_CONTEXT, { bundle: false });
    try {
      new Table(withFinding.stack, 'unprotected', { partitionKey: { name: 'id', type: AttributeType.STRING } });
      expect(() => withFinding.synth()).toThrow(/validation-report\.json/);
      expect(withFinding.violations()).toEqual([{ plugin: 'AwsSolutions', rule: 'AwsSolutions-DDB3', paths: [`${STACK_ID}/unprotected/Resource`] }]);
    } finally {
      withFinding.remove();
    }
  });
});
