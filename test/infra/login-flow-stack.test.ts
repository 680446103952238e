import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { FUNCTION_TIMEOUT_SECONDS, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../../lambdas/core/contract.js';
import { METRICS_NAMESPACE, Metric, type MetricName } from '../../lambdas/core/metrics.js';
import { formatRequestLog } from '../../lambdas/shared/request-log.js';
import { STACK_CONTEXT } from '../../lib/stack-options.js';
import { parseLogLine } from '../support/logs.js';
import { LoginFlowApp, REQUIRED_CONTEXT, getAtt, ref, resourcesOfType, type CfnResource } from './login-flow-app.js';

const ALARM_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:login-alarms';

let synthesized: LoginFlowApp;
let template: Template;
/** Logical ids of the stack's main resources, taken from the constructs themselves. */
let ids: { table: string; login: string; callback: string; api: string; stage: string; accessLogs: string; loginRole: string; callbackRole: string };

beforeAll(() => {
  synthesized = new LoginFlowApp(REQUIRED_CONTEXT);
  template = synthesized.synth();
  const { stack } = synthesized;
  ids = {
    table: synthesized.logicalId(stack.table.table),
    login: synthesized.logicalId(stack.loginFunction),
    callback: synthesized.logicalId(stack.callbackFunction),
    api: synthesized.logicalId(stack.api.api),
    stage: synthesized.logicalId(stack.api.stage),
    accessLogs: synthesized.logicalId(stack.api.accessLogs),
    loginRole: synthesized.logicalId(stack.loginFunction.role ?? stack.loginFunction),
    callbackRole: synthesized.logicalId(stack.callbackFunction.role ?? stack.callbackFunction),
  };
});

afterAll(() => synthesized.remove());

function resource(logicalId: string): CfnResource {
  const found = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources[logicalId];
  if (found === undefined) throw new Error(`no resource ${logicalId}`);
  return found;
}

function functions(): [name: 'login' | 'callback', logicalId: string][] {
  return [
    ['login', ids.login],
    ['callback', ids.callback],
  ];
}

describe('HTTP API', () => {
  test('one HTTP API (API Gateway v2) with a $default stage that deploys automatically', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    expect(resource(ids.api).Properties.ProtocolType).toBe('HTTP');
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    expect(resource(ids.stage).Properties).toMatchObject({ ApiId: ref(ids.api), StageName: '$default', AutoDeploy: true });
  });

  test('exactly GET /login to the login function, GET /callback and GET /signed-in to the callback function', () => {
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
      'GET /signed-in': getAtt(ids.callback, 'Arn'),
    });
  });

  test('API Gateway may invoke each function, and nothing else may', () => {
    const permissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission')).map((permission) => permission.Properties);
    expect(permissions).toHaveLength(3);
    for (const permission of permissions) {
      expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      expect(JSON.stringify(permission.SourceArn)).toContain(JSON.stringify(ref(ids.api)));
    }
    expect(permissions.map((permission) => permission.FunctionName)).toEqual(
      expect.arrayContaining([getAtt(ids.login, 'Arn'), getAtt(ids.callback, 'Arn')]),
    );
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
  test('exactly two functions: no helper functions (log retention is set natively)', () => {
    template.resourceCountIs('AWS::Lambda::Function', 2);
  });

  test.each(['login', 'callback'] as const)('%s: arm64, nodejs24.x, ES module handler, bounded timeout', (name) => {
    const [, logicalId] = functions().find(([candidate]) => candidate === name) ?? [];
    expect(resource(logicalId ?? '').Properties).toMatchObject({
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: FUNCTION_TIMEOUT_SECONDS,
    });
  });

  test('each function logs to its own log group with a retention', () => {
    const groups = functions().map(([, logicalId]) => (resource(logicalId).Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);
    expect(new Set(groups).size).toBe(2);
    for (const group of groups) {
      expect(resource(group)).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
    }
  });

  test('each function gets exactly the validated settings, the table name and the API URL as base URL', () => {
    for (const [, logicalId] of functions()) {
      expect((resource(logicalId).Properties.Environment as { Variables: unknown }).Variables).toEqual({
        ISSUER_URL: 'https://tenant.example.test/',
        CLIENT_ID: 'client-123',
        SCOPE: 'openid profile email',
        AUTHORIZATION_ENDPOINT: 'https://tenant.example.test/authorize',
        STATE_TTL_SECONDS: '600',
        RETENTION_DAYS: '7',
        REQUIRE_ISS: 'false',
        TABLE_NAME: ref(ids.table),
        BASE_URL: getAtt(ids.api, 'ApiEndpoint'),
      });
    }
  });

  test.each(['login', 'callback'] as const)('%s is bundled: one minified ES module carrying its own DynamoDB client, no source map', (name) => {
    const [, logicalId] = functions().find(([candidate]) => candidate === name) ?? [];
    const code = resource(logicalId ?? '').Properties.Code as { S3Key: string };
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

  test('the two bundles are different builds (one entry point each)', () => {
    const [login, callback] = functions().map(([, logicalId]) => (resource(logicalId).Properties.Code as { S3Key: string }).S3Key);
    expect(login).not.toBe(callback);
    expect(existsSync(join(synthesized.outdir, `asset.${(login ?? '').replace(/\.zip$/, '')}`))).toBe(true);
  });
});

describe('DynamoDB table', () => {
  test('one table: on-demand, keyed by id, TTL on expiresAt, point-in-time recovery, encrypted', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const properties = resource(ids.table).Properties;
    expect(properties).toEqual({
      AttributeDefinitions: [{ AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('by default the data outlives the stack (Retain on delete and on replacement)', () => {
    expect(resource(ids.table)).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('least privilege', () => {
  type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

  function statementsOf(roleLogicalId: string): Statement[] {
    const policies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(ref(roleLogicalId))),
    );
    expect(policies).toHaveLength(1);
    return (policies[0]?.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
  }

  function logGroupOf(functionLogicalId: string): string {
    return (resource(functionLogicalId).Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  }

  test('two roles, one per function, assumable only by Lambda, with no managed or inline role policies', () => {
    template.resourceCountIs('AWS::IAM::Role', 2);
    for (const [roleId, functionId] of [
      [ids.loginRole, ids.login],
      [ids.callbackRole, ids.callback],
    ] as const) {
      expect(resource(functionId).Properties.Role).toEqual(getAtt(roleId, 'Arn'));
      expect(resource(roleId).Properties.AssumeRolePolicyDocument).toEqual({
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        Version: '2012-10-17',
      });
      expect(resource(roleId).Properties).not.toHaveProperty('ManagedPolicyArns');
      expect(resource(roleId).Properties).not.toHaveProperty('Policies');
    }
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    template.resourceCountIs('AWS::IAM::Policy', 2);
  });

  test('the login function may only PutItem on the table (and write its own logs)', () => {
    expect(statementsOf(ids.loginRole)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: getAtt(logGroupOf(ids.login), 'Arn') },
      { Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: [getAtt(ids.table, 'Arn')] },
    ]);
  });

  test('the callback function may only UpdateItem on the table (and write its own logs)', () => {
    expect(statementsOf(ids.callbackRole)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: getAtt(logGroupOf(ids.callback), 'Arn') },
      { Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: [getAtt(ids.table, 'Arn')] },
    ]);
  });

  test('no statement anywhere has a wildcard action or resource, or a read, scan, query or delete on DynamoDB', () => {
    const statements = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).flatMap(
      (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(statements.filter((statement) => JSON.stringify(statement.Resource).includes('*'))).toEqual([]);
  });
});

describe('outputs', () => {
  test('exactly LoginUrl, CallbackUrl (for the Auth0 Allowed Callback URLs) and TableName', () => {
    const outputs = template.findOutputs('*') as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(['CallbackUrl', 'LoginUrl', 'TableName']);
    expect(outputs.LoginUrl?.Value).toEqual({ 'Fn::Join': ['', [getAtt(ids.api, 'ApiEndpoint'), '/login']] });
    expect(outputs.CallbackUrl?.Value).toEqual({ 'Fn::Join': ['', [getAtt(ids.api, 'ApiEndpoint'), '/callback']] });
    expect(outputs.TableName?.Value).toEqual(ref(ids.table));
  });

  test('the printed CallbackUrl is the redirect_uri the functions send: both are built on the same base URL', () => {
    const baseUrl = (resource(ids.callback).Properties.Environment as { Variables: { BASE_URL: unknown } }).Variables.BASE_URL;
    const outputs = template.findOutputs('CallbackUrl') as Record<string, { Value: { 'Fn::Join': [string, unknown[]] } }>;
    expect(outputs.CallbackUrl?.Value['Fn::Join'][1][0]).toEqual(baseUrl);
  });
});

describe('alarms', () => {
  const alarms = (): Record<string, unknown>[] => Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);

  test('seven alarms, all on a 5-minute sum, none wired to an action by default', () => {
    expect(alarms()).toHaveLength(7);
    for (const alarm of alarms()) {
      expect(alarm).toMatchObject({ Period: 300, Statistic: 'Sum', EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      expect(alarm).not.toHaveProperty('AlarmActions');
    }
  });

  test.each([
    ['login', 'Errors'],
    ['login', 'Throttles'],
    ['callback', 'Errors'],
    ['callback', 'Throttles'],
  ] as const)('%s function %s', (name, metricName) => {
    const functionId = name === 'login' ? ids.login : ids.callback;
    expect(alarms()).toContainEqual(
      expect.objectContaining({ Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: ref(functionId) }], Threshold: 1 }),
    );
  });

  test.each<[string, MetricName, number]>([
    ['store faults', Metric.storeFaults, 5],
    ['internal errors', Metric.internalErrors, 1],
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

  test('retainData=false: the table and every log group are deleted with the stack', () => {
    const tables = Object.values(resourcesOfType(customTemplate, 'AWS::DynamoDB::Table'));
    const logGroups = Object.values(resourcesOfType(customTemplate, 'AWS::Logs::LogGroup'));
    expect(logGroups).toHaveLength(3);
    for (const resource of [...tables, ...logGroups]) expect(resource).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  test('a custom domain becomes the base URL of the functions and of the printed URLs', () => {
    const outputs = customTemplate.findOutputs('*') as Record<string, { Value: unknown }>;
    expect(outputs.LoginUrl?.Value).toBe('https://login.example.com/login');
    expect(outputs.CallbackUrl?.Value).toBe('https://login.example.com/callback');
    expect(outputs.TableName?.Value).toEqual(ref(custom.logicalId(custom.stack.table.table)));
  });

  test('every setting reaches both functions', () => {
    const tableId = custom.logicalId(custom.stack.table.table);
    const functions = Object.values(resourcesOfType(customTemplate, 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual({
        ISSUER_URL: 'https://tenant.example.test/',
        CLIENT_ID: 'client-123',
        AUDIENCE: 'https://api.example.com',
        SCOPE: 'openid email',
        AUTHORIZATION_ENDPOINT: 'https://tenant.example.test/oauth2/authorize',
        STATE_TTL_SECONDS: '300',
        RETENTION_DAYS: '30',
        REQUIRE_ISS: 'true',
        TABLE_NAME: ref(tableId),
        BASE_URL: 'https://login.example.com',
      });
    }
  });

  test('the rejected-callbacks threshold is configurable, and every alarm notifies the topic', () => {
    const alarms = Object.values(resourcesOfType(customTemplate, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    expect(alarms).toHaveLength(7);
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
