import type { Template } from 'aws-cdk-lib/assertions';
import { SETTINGS } from '../../lambdas/core/config.js';
import { CALLBACK_TIMEOUT_SECONDS, CLIENT_SECRET_ENV, FUNCTION_TIMEOUT_SECONDS, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../../lambdas/core/contract.js';
import { SECRETS_EXTENSION_PORT_ENV } from '../../lambdas/shared/redemption.js';
import type { FunctionName } from '../../lib/bundling.js';
import { LoginFlowApp, REQUIRED_CONTEXT, getAtt, ref, resourcesOfType, type CfnResource } from './login-flow-app.js';

/**
 * The stack in its three client-secret configurations: none (the flow stops at the recorded
 * code), an existing secret named by ARN, and a secret the stack makes. Permissions, the secret's
 * handling and cdk-nag are checked in each, since each grants something different.
 */
const CLIENT_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf';
const CONFIGURATIONS = {
  'no secret': REQUIRED_CONTEXT,
  clientSecretArn: { ...REQUIRED_CONTEXT, clientSecretArn: CLIENT_SECRET_ARN },
  createClientSecret: { ...REQUIRED_CONTEXT, createClientSecret: 'true' },
} as const;
type Configuration = keyof typeof CONFIGURATIONS;
const CONFIGURATION_NAMES = Object.keys(CONFIGURATIONS) as Configuration[];
const FUNCTION_NAMES = ['login', 'callback', 'session', 'logout'] as const satisfies readonly FunctionName[];

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

interface Synthesized {
  readonly app: LoginFlowApp;
  readonly template: Template;
  readonly transactions: string;
  readonly sessions: string;
  readonly functions: Record<FunctionName, string>;
  /** How the template spells the secret's ARN: the literal for an existing secret, a Ref for a made one. */
  readonly secretArn: unknown;
}

const synthesized = {} as Record<Configuration, Synthesized>;

beforeAll(() => {
  for (const name of CONFIGURATION_NAMES) {
    // Permissions and settings do not depend on the bundles, so esbuild is skipped here.
    const app = new LoginFlowApp(CONFIGURATIONS[name], { bundle: false });
    const template = app.synth();
    const { stack } = app;
    synthesized[name] = {
      app,
      template,
      transactions: app.logicalId(stack.table.table),
      sessions: app.logicalId(stack.sessions.table),
      functions: {
        login: app.logicalId(stack.loginFunction),
        callback: app.logicalId(stack.callbackFunction),
        session: app.logicalId(stack.sessionFunction),
        logout: app.logicalId(stack.logoutFunction),
      },
      secretArn: name === 'clientSecretArn' ? CLIENT_SECRET_ARN : name === 'createClientSecret' && stack.clientSecret !== undefined ? ref(app.logicalId(stack.clientSecret)) : undefined,
    };
  }
});

afterAll(() => {
  for (const name of CONFIGURATION_NAMES) synthesized[name]?.app.remove();
});

function resource(s: Synthesized, logicalId: string): CfnResource {
  const found = (s.template.toJSON() as { Resources: Record<string, CfnResource> }).Resources[logicalId];
  if (found === undefined) throw new Error(`no resource ${logicalId}`);
  return found;
}

function environmentOf(s: Synthesized, fn: FunctionName): Record<string, unknown> {
  return (resource(s, s.functions[fn]).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

function roleOf(s: Synthesized, fn: FunctionName): string {
  return (resource(s, s.functions[fn]).Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

function statementsOf(s: Synthesized, fn: FunctionName): Statement[] {
  const role = ref(roleOf(s, fn));
  const policies = Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as unknown[]).some((candidate) => JSON.stringify(candidate) === JSON.stringify(role)),
  );
  expect(policies).toHaveLength(1);
  return (policies[0]?.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}

function allStatements(s: Synthesized): Statement[] {
  return Object.values(resourcesOfType(s.template, 'AWS::IAM::Policy')).flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Statement order follows grant order, which says nothing about what is allowed. */
function unordered(statements: Statement[]): Statement[] {
  return [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Every statement each function needs, and nothing else. */
function neededStatements(s: Synthesized, fn: FunctionName): Statement[] {
  const logGroup = (resource(s, s.functions[fn]).Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  const ownLogs: Statement = { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: getAtt(logGroup, 'Arn') };
  const onTable = (table: string, action: string | string[]): Statement => ({ Action: action, Effect: 'Allow', Resource: [getAtt(table, 'Arn')] });
  switch (fn) {
    case 'login':
      return [ownLogs, onTable(s.transactions, 'dynamodb:PutItem')];
    case 'callback':
      return [
        ownLogs,
        onTable(s.transactions, 'dynamodb:UpdateItem'),
        // Redeeming a code needs the secret and ends in a session; without a secret the flow stops at the recorded code.
        ...(s.secretArn === undefined
          ? []
          : [
              { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: s.secretArn },
              onTable(s.sessions, 'dynamodb:PutItem'),
            ]),
      ];
    case 'session':
      return [ownLogs, onTable(s.sessions, ['dynamodb:GetItem', 'dynamodb:UpdateItem'])];
    case 'logout':
      return [ownLogs, onTable(s.sessions, 'dynamodb:DeleteItem')];
  }
}

describe.each(CONFIGURATION_NAMES)('least privilege, %s', (name) => {
  test('four roles, one per function, assumable only by Lambda, with no managed or inline role policies', () => {
    const s = synthesized[name];
    s.template.resourceCountIs('AWS::IAM::Role', 4);
    s.template.resourceCountIs('AWS::IAM::Policy', 4);
    s.template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    expect(new Set(FUNCTION_NAMES.map((fn) => roleOf(s, fn))).size).toBe(4);
    for (const fn of FUNCTION_NAMES) {
      const role = resource(s, roleOf(s, fn));
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        Version: '2012-10-17',
      });
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
      expect(role.Properties).not.toHaveProperty('Policies');
    }
  });

  test.each(FUNCTION_NAMES)('%s: exactly the statements it needs', (fn) => {
    const s = synthesized[name];
    expect(unordered(statementsOf(s, fn))).toEqual(unordered(neededStatements(s, fn)));
  });

  test('no wildcard action or resource, and no scan, query, batch or table-level DynamoDB action anywhere', () => {
    const statements = allStatements(synthesized[name]);
    expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(statements.filter((statement) => JSON.stringify(statement.Resource).includes('*'))).toEqual([]);
    expect([...new Set(actions.filter((action) => action.startsWith('dynamodb:')))].sort()).toEqual(
      ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    );
  });

  test('each function reaches only its own table; the callback writes sessions only when it can redeem codes', () => {
    const s = synthesized[name];
    const tables = { transactions: JSON.stringify(getAtt(s.transactions, 'Arn')), sessions: JSON.stringify(getAtt(s.sessions, 'Arn')) };
    const access = Object.fromEntries(
      FUNCTION_NAMES.map((fn) => {
        const reached = Object.entries(tables).flatMap(([table, arn]) =>
          statementsOf(s, fn)
            .filter((statement) => JSON.stringify(statement.Resource).includes(arn))
            .flatMap((statement) => [statement.Action].flat().map((action) => `${table}:${action}`)),
        );
        return [fn, reached.sort()];
      }),
    );
    expect(access).toEqual({
      login: ['transactions:dynamodb:PutItem'],
      callback: ['transactions:dynamodb:UpdateItem', ...(name === 'no secret' ? [] : ['sessions:dynamodb:PutItem'])].sort(),
      session: ['sessions:dynamodb:GetItem', 'sessions:dynamodb:UpdateItem'],
      logout: ['sessions:dynamodb:DeleteItem'],
    });
  });

  test('only the callback may read the client secret, and only when one is configured', () => {
    const s = synthesized[name];
    for (const fn of FUNCTION_NAMES) {
      const secretStatements = statementsOf(s, fn).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')));
      expect(secretStatements.map((statement) => statement.Resource)).toEqual(fn === 'callback' && s.secretArn !== undefined ? [s.secretArn] : []);
    }
  });
});

describe.each(CONFIGURATION_NAMES)('the client secret, %s', (name) => {
  test('its value is never in the template: no SecretString and no secretsmanager dynamic reference', () => {
    const found: string[] = [];
    JSON.stringify(synthesized[name].template.toJSON(), (key, value: unknown) => {
      if (key === 'SecretString' || (typeof value === 'string' && value.includes('resolve:secretsmanager'))) found.push(key);
      return value;
    });
    expect(found).toEqual([]);
  });

  test(`no function has a ${CLIENT_SECRET_ENV} variable, and only the callback is told the secret's ARN`, () => {
    const s = synthesized[name];
    for (const fn of FUNCTION_NAMES) {
      const environment = environmentOf(s, fn);
      expect(environment).not.toHaveProperty(CLIENT_SECRET_ENV);
      expect(environment[SETTINGS.clientSecretArn.envVar]).toEqual(fn === 'callback' ? s.secretArn : undefined);
    }
  });

  test('the callback has the Parameters and Secrets extension only when a secret is configured', () => {
    const s = synthesized[name];
    const callback = resource(s, s.functions.callback).Properties;
    if (s.secretArn === undefined) {
      expect(callback).not.toHaveProperty('Layers');
      expect(Object.keys(environmentOf(s, 'callback')).filter((key) => key.startsWith('PARAMETERS_SECRETS_') || key.startsWith('SECRETS_MANAGER_'))).toEqual([]);
      return;
    }
    // The layer is picked per region from a mapping CDK generates: every entry must be AWS's arm64 extension.
    const layers = callback.Layers as { 'Fn::FindInMap': [string, { Ref: string }, string] }[];
    expect(layers).toHaveLength(1);
    const [mapName, region, key] = layers[0]?.['Fn::FindInMap'] ?? [];
    expect(region).toEqual({ Ref: 'AWS::Region' });
    const mapping = (s.template.toJSON() as { Mappings: Record<string, Record<string, Record<string, string>>> }).Mappings[mapName ?? ''] ?? {};
    const arns = Object.values(mapping).map((entry) => entry[key ?? '']);
    expect(arns.length).toBeGreaterThan(10);
    for (const arn of arns) expect(arn).toMatch(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/);
    // The callback reads the secret on the port the extension listens on, from a one-entry cache.
    expect(environmentOf(s, 'callback')).toMatchObject({ [SECRETS_EXTENSION_PORT_ENV]: '2773', PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE: '1' });
  });

  test('no other function has a layer', () => {
    const s = synthesized[name];
    for (const fn of ['login', 'session', 'logout'] as const) expect(resource(s, s.functions[fn]).Properties).not.toHaveProperty('Layers');
  });

  test(`the callback may run ${CALLBACK_TIMEOUT_SECONDS} s (it waits on the token endpoint), the others ${FUNCTION_TIMEOUT_SECONDS} s`, () => {
    const s = synthesized[name];
    expect(Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, resource(s, s.functions[fn]).Properties.Timeout]))).toEqual({
      login: FUNCTION_TIMEOUT_SECONDS,
      callback: CALLBACK_TIMEOUT_SECONDS,
      session: FUNCTION_TIMEOUT_SECONDS,
      logout: FUNCTION_TIMEOUT_SECONDS,
    });
  });

  test('the ClientSecretArn output names the secret, and exists only when there is one', () => {
    const s = synthesized[name];
    const outputs = s.template.findOutputs('*') as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      ['CallbackUrl', 'LoginUrl', 'SessionTableName', 'SignedOutUrl', 'TableName', ...(s.secretArn === undefined ? [] : ['ClientSecretArn'])].sort(),
    );
    expect(outputs.ClientSecretArn?.Value).toEqual(s.secretArn);
  });

  test('cdk-nag: no unacknowledged finding; SMG4 is acknowledged only on a secret the stack makes, with its reason', () => {
    const { app } = synthesized[name];
    expect(app.validationReport().pluginReports).toEqual([]);
    const acknowledgements = app.acknowledgements();
    expect(acknowledgements.map(({ path, id }) => ({ path, id }))).toEqual([
      ...(name === 'createClientSecret' ? [{ path: 'ServerlessOidcLogin/client-secret', id: expect.stringMatching(/(^|::)AwsSolutions-SMG4$/) }] : []),
      { path: 'ServerlessOidcLogin/api/http-api', id: expect.stringMatching(/(^|::)AwsSolutions-APIG4$/) },
    ]);
    for (const { reason } of acknowledgements) expect(reason.trim().length).toBeGreaterThanOrEqual(40);
  });
});

describe('a secret the stack makes', () => {
  test('is generated by CloudFormation (GenerateSecretString), never given a value, and kept with the data by default', () => {
    const secrets = Object.values(resourcesOfType(synthesized.createClientSecret.template, 'AWS::SecretsManager::Secret'));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]?.Properties).toEqual({ Description: expect.stringMatching(/client secret/), GenerateSecretString: {} });
    expect(secrets[0]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('an existing secret is only referenced, not created', () => {
    synthesized.clientSecretArn.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    synthesized['no secret'].template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});

describe('the sessions table', () => {
  test('on-demand, keyed by id, TTL on expiresAt, point-in-time recovery, AWS-managed encryption, kept by default', () => {
    const s = synthesized['no secret'];
    expect(resource(s, s.sessions)).toEqual({
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        AttributeDefinitions: [{ AttributeName: TABLE_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('is a table of its own, named to the functions that use it and nowhere else', () => {
    const s = synthesized['no secret'];
    expect(s.sessions).not.toBe(s.transactions);
    const tableNames = Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, { TABLE_NAME: environmentOf(s, fn).TABLE_NAME, SESSION_TABLE_NAME: environmentOf(s, fn).SESSION_TABLE_NAME }]));
    expect(tableNames).toEqual({
      login: { TABLE_NAME: ref(s.transactions), SESSION_TABLE_NAME: undefined },
      callback: { TABLE_NAME: ref(s.transactions), SESSION_TABLE_NAME: ref(s.sessions) },
      session: { TABLE_NAME: undefined, SESSION_TABLE_NAME: ref(s.sessions) },
      logout: { TABLE_NAME: undefined, SESSION_TABLE_NAME: ref(s.sessions) },
    });
  });
});
