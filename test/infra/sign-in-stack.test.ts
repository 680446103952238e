import type { Template } from 'aws-cdk-lib/assertions';
import { SETTINGS } from '../../lambdas/core/config.js';
import { CALLBACK_TIMEOUT_SECONDS, CLIENT_SECRET_ENV, TOKEN_KEYS_ENV, FUNCTION_TIMEOUT_SECONDS, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../../lambdas/core/contract.js';
import { parseTokenKeyRing } from '../../lambdas/core/token/token-sealing.js';
import { SECRETS_EXTENSION_PORT_ENV } from '../../lambdas/shared/redemption.js';
import {
  DEPLOYED_FUNCTIONS,
  LoginFlowApp,
  REQUIRED_CONTEXT,
  STACK_ID,
  allStatements,
  neededStatements,
  reachedTables,
  readSecrets,
  ref,
  resourceOf,
  resourcesOfType,
  roleOf,
  secretTarget,
  statementsOf,
  unordered,
  type DeployedFunction,
  type GrantTargets,
} from './login-flow-app.js';

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

interface Synthesized extends GrantTargets {
  readonly app: LoginFlowApp;
  readonly template: Template;
  readonly functions: Record<DeployedFunction, string>;
}

const synthesized = {} as Record<Configuration, Synthesized>;
/** Every app made, so a synth that throws still has its folder removed. */
const made: LoginFlowApp[] = [];

beforeAll(() => {
  for (const name of CONFIGURATION_NAMES) {
    // Permissions and settings do not depend on the bundles, so esbuild is skipped here.
    const app = new LoginFlowApp(CONFIGURATIONS[name], { bundle: false });
    made.push(app);
    const template = app.synth();
    const { signIn } = app.stack;
    synthesized[name] = {
      app,
      template,
      transactions: app.logicalId(signIn.transactions.table),
      sessions: app.logicalId(signIn.sessions.table),
      logoutTokens: signIn.logoutTokens === undefined ? undefined : app.logicalId(signIn.logoutTokens.table),
      functions: app.functionIds(),
      secretArn: name === 'clientSecretArn' ? CLIENT_SECRET_ARN : name === 'createClientSecret' && signIn.clientSecret !== undefined ? ref(app.logicalId(signIn.clientSecret)) : undefined,
      // Made whenever there is a client secret: a key ring of the stack's own.
      tokenKeysArn: name === 'no secret' ? undefined : secretTarget(signIn.tokenKeySecret, (construct) => app.logicalId(construct)),
    };
  }
});

afterAll(() => {
  for (const app of made) app.remove();
});

function environmentOf(s: Synthesized, fn: DeployedFunction): Record<string, unknown> {
  return (resourceOf(s.template, s.functions[fn]).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe.each(CONFIGURATION_NAMES)('least privilege, %s', (name) => {
  test('one role per function, assumable only by Lambda, with no managed or inline role policies', () => {
    const s = synthesized[name];
    s.template.resourceCountIs('AWS::IAM::Role', DEPLOYED_FUNCTIONS.length);
    s.template.resourceCountIs('AWS::IAM::Policy', DEPLOYED_FUNCTIONS.length);
    s.template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    expect(new Set(DEPLOYED_FUNCTIONS.map((fn) => roleOf(s.template, s.functions[fn]))).size).toBe(DEPLOYED_FUNCTIONS.length);
    for (const fn of DEPLOYED_FUNCTIONS) {
      const role = resourceOf(s.template, roleOf(s.template, s.functions[fn]));
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        Version: '2012-10-17',
      });
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
      expect(role.Properties).not.toHaveProperty('Policies');
    }
  });

  test.each(DEPLOYED_FUNCTIONS)('%s: exactly the statements it needs', (fn) => {
    const s = synthesized[name];
    expect(unordered(statementsOf(s.template, s.functions[fn]))).toEqual(unordered(neededStatements(s.template, s.functions[fn], fn, s)));
  });

  test('no wildcard action or resource, no scan, batch or table-level DynamoDB action, and queries on the two session indexes only', () => {
    const s = synthesized[name];
    const statements = allStatements(s.template);
    expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    expect(statements.filter((statement) => JSON.stringify(statement.Resource).includes('*'))).toEqual([]);
    expect([...new Set(actions.filter((action) => action.startsWith('dynamodb:')))].sort()).toEqual(
      ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    );
    const queried = reachedTables(
      statements.filter((statement) => [statement.Action].flat().includes('dynamodb:Query')),
      { transactions: s.transactions, sessions: s.sessions, logoutTokens: s.logoutTokens },
    );
    expect(queried).toEqual(['sessions/index/by-sid:dynamodb:Query', 'sessions/index/by-sub:dynamodb:Query']);
  });

  test('each function reaches only its own tables; the callback writes (and replaces) sessions only when it can redeem codes', () => {
    const s = synthesized[name];
    const tables = { transactions: s.transactions, sessions: s.sessions, logoutTokens: s.logoutTokens };
    const access = Object.fromEntries(DEPLOYED_FUNCTIONS.map((fn) => [fn, reachedTables(statementsOf(s.template, s.functions[fn]), tables)]));
    expect(access).toEqual({
      login: ['transactions:dynamodb:PutItem'],
      callback: ['transactions:dynamodb:GetItem', 'transactions:dynamodb:UpdateItem', ...(name === 'no secret' ? [] : ['sessions:dynamodb:PutItem', 'sessions:dynamodb:DeleteItem'])].sort(),
      session: ['sessions:dynamodb:GetItem', 'sessions:dynamodb:UpdateItem'],
      logout: ['sessions:dynamodb:DeleteItem', 'sessions:dynamodb:GetItem'],
      authorizer: ['sessions:dynamodb:GetItem'],
      pageAuthorizer: ['sessions:dynamodb:GetItem'],
      backchannelLogout: [
        'logoutTokens:dynamodb:DeleteItem',
        'logoutTokens:dynamodb:PutItem',
        'sessions/index/by-sid:dynamodb:Query',
        'sessions/index/by-sub:dynamodb:Query',
        'sessions:dynamodb:DeleteItem',
      ],
      demo: [],
    });
  });

  test('only the callback and the logout may read the client secret and the token keys, and only when a client secret is configured', () => {
    const s = synthesized[name];
    const secrets = readSecrets(s);
    expect(secrets).toHaveLength(s.secretArn === undefined ? 0 : 2);
    for (const fn of DEPLOYED_FUNCTIONS) {
      const secretStatements = statementsOf(s.template, s.functions[fn]).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')));
      expect(secretStatements.map((statement) => statement.Resource)).toEqual((fn === 'callback' || fn === 'logout') && secrets.length > 0 ? [secrets] : []);
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

  test(`no function has a ${CLIENT_SECRET_ENV} or ${TOKEN_KEYS_ENV} variable, and only the callback and the logout are told the secrets' ARNs`, () => {
    const s = synthesized[name];
    for (const fn of DEPLOYED_FUNCTIONS) {
      const environment = environmentOf(s, fn);
      const readsSecrets = fn === 'callback' || fn === 'logout';
      expect(environment).not.toHaveProperty(CLIENT_SECRET_ENV);
      expect(environment).not.toHaveProperty(TOKEN_KEYS_ENV);
      expect(environment[SETTINGS.clientSecretArn.envVar]).toEqual(readsSecrets ? s.secretArn : undefined);
      expect(environment[SETTINGS.tokenKeySecretArn.envVar]).toEqual(readsSecrets ? s.tokenKeysArn : undefined);
    }
  });

  test.each(['callback', 'logout'] as const)('the %s has the Parameters and Secrets extension only when a secret is configured', (reader) => {
    const s = synthesized[name];
    const callback = resourceOf(s.template, s.functions[reader]).Properties;
    if (s.secretArn === undefined) {
      expect(callback).not.toHaveProperty('Layers');
      expect(Object.keys(environmentOf(s, reader)).filter((key) => key.startsWith('PARAMETERS_SECRETS_') || key.startsWith('SECRETS_MANAGER_'))).toEqual([]);
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
    // It reads the two secrets on the port the extension listens on, from a two-entry cache.
    expect(environmentOf(s, reader)).toMatchObject({ [SECRETS_EXTENSION_PORT_ENV]: '2773', PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE: '2' });
  });

  test('no other function has a layer', () => {
    const s = synthesized[name];
    for (const fn of DEPLOYED_FUNCTIONS.filter((other) => other !== 'callback' && other !== 'logout')) expect(resourceOf(s.template, s.functions[fn]).Properties).not.toHaveProperty('Layers');
  });

  test(`the callback may run ${CALLBACK_TIMEOUT_SECONDS} s (it waits on the token endpoint), the others ${FUNCTION_TIMEOUT_SECONDS} s`, () => {
    const s = synthesized[name];
    expect(Object.fromEntries(DEPLOYED_FUNCTIONS.map((fn) => [fn, resourceOf(s.template, s.functions[fn]).Properties.Timeout]))).toEqual(
      Object.fromEntries(DEPLOYED_FUNCTIONS.map((fn) => [fn, fn === 'callback' ? CALLBACK_TIMEOUT_SECONDS : FUNCTION_TIMEOUT_SECONDS])),
    );
  });

  test('the ClientSecretArn output names the secret, and exists only when there is one', () => {
    const s = synthesized[name];
    const outputs = s.app.outputs(s.template);
    expect(Object.keys(outputs).sort()).toEqual(
      ['BackchannelLogoutUrl', 'CallbackUrl', 'LoginUrl', 'SessionTableName', 'SignedOutUrl', 'TableName', ...(s.secretArn === undefined ? [] : ['ClientSecretArn', 'TokenKeySecretArn'])].sort(),
    );
    expect(outputs.ClientSecretArn?.Value).toEqual(s.secretArn);
    expect(outputs.TokenKeySecretArn?.Value).toEqual(s.tokenKeysArn);
  });

  test('cdk-nag: no unacknowledged finding; SMG4 is acknowledged only on a secret the stack makes, with its reason', () => {
    const { app } = synthesized[name];
    expect(app.validationReport().pluginReports).toEqual([]);
    const acknowledgements = app.acknowledgements();
    const secretAcknowledgements = acknowledgements.filter(({ id }) => !/(^|::)AwsSolutions-APIG4$/.test(id));
    const smg4 = (secret: string) => ({ path: `${STACK_ID}/sign-in/${secret}`, id: expect.stringMatching(/(^|::)AwsSolutions-SMG4$/) });
    expect(secretAcknowledgements.map(({ path, id }) => ({ path, id })).sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      { 'no secret': [], clientSecretArn: [smg4('token-keys')], createClientSecret: [smg4('client-secret'), smg4('token-keys')] }[name],
    );
    for (const { reason } of acknowledgements) expect(reason.trim().length).toBeGreaterThanOrEqual(40);
  });
});

describe('a secret the stack makes', () => {
  const madeSecrets = (s: Synthesized) => Object.values(resourcesOfType(s.template, 'AWS::SecretsManager::Secret'));

  test('is generated by CloudFormation (GenerateSecretString), never given a value, and kept with the data by default', () => {
    const secrets = madeSecrets(synthesized.createClientSecret);
    expect(secrets.map((secret) => secret.Properties.Description)).toEqual(expect.arrayContaining([expect.stringMatching(/client secret/)]));
    expect(secrets.find((secret) => /client secret/.test(String(secret.Properties.Description)))?.Properties).toEqual({ Description: expect.stringMatching(/client secret/), GenerateSecretString: {} });
    for (const secret of secrets) expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('the token key ring is generated as a key ring the functions parse: {"current":"1","1":<64 letters and digits>}', () => {
    const keyRings = madeSecrets(synthesized.clientSecretArn);
    expect(keyRings).toHaveLength(1);
    const generate = keyRings[0]?.Properties.GenerateSecretString as { SecretStringTemplate: string; GenerateStringKey: string; PasswordLength: number; ExcludePunctuation: boolean };
    expect(generate).toEqual({ SecretStringTemplate: '{"current":"1"}', GenerateStringKey: '1', PasswordLength: 64, ExcludePunctuation: true });
    // What Secrets Manager makes of it: the template with the generated string under the key.
    const generated = JSON.stringify({ ...JSON.parse(generate.SecretStringTemplate), [generate.GenerateStringKey]: 'a1'.repeat(generate.PasswordLength / 2) });
    const ring = parseTokenKeyRing(generated, 'the generated key ring');
    expect(ring.currentVersion).toBe('1');
    expect([...ring.keys.keys()]).toEqual(['1']);
  });

  test('an existing client secret is only referenced, not created (the key ring is the only secret made)', () => {
    expect(madeSecrets(synthesized.clientSecretArn).map((secret) => secret.Properties.Description)).toEqual([expect.stringMatching(/key ring/)]);
    synthesized['no secret'].template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});

describe('the sessions table', () => {
  test('on-demand, keyed by id, TTL on expiresAt, point-in-time recovery, AWS-managed encryption, kept by default', () => {
    const s = synthesized['no secret'];
    expect(resourceOf(s.template, s.sessions)).toEqual({
      Type: 'AWS::DynamoDB::Table',
      Properties: expect.objectContaining({
        KeySchema: [{ AttributeName: TABLE_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: TABLE_TTL_ATTRIBUTE, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
        SSESpecification: { SSEEnabled: true },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('is a table of its own, named to the functions that use it and nowhere else', () => {
    const s = synthesized['no secret'];
    expect(new Set([s.transactions, s.sessions, s.logoutTokens]).size).toBe(3);
    const tableNames = Object.fromEntries(
      DEPLOYED_FUNCTIONS.map((fn) => {
        const environment = environmentOf(s, fn);
        return [fn, { TABLE_NAME: environment.TABLE_NAME, SESSION_TABLE_NAME: environment.SESSION_TABLE_NAME, LOGOUT_TOKEN_TABLE_NAME: environment.LOGOUT_TOKEN_TABLE_NAME }];
      }),
    );
    const names = (transactions: boolean, sessions: boolean, logoutTokens = false) => ({
      TABLE_NAME: transactions ? ref(s.transactions) : undefined,
      SESSION_TABLE_NAME: sessions ? ref(s.sessions) : undefined,
      LOGOUT_TOKEN_TABLE_NAME: logoutTokens ? ref(s.logoutTokens ?? '') : undefined,
    });
    expect(tableNames).toEqual({
      login: names(true, false),
      callback: names(true, true),
      session: names(false, true),
      logout: names(false, true),
      authorizer: names(false, true),
      pageAuthorizer: names(false, true),
      backchannelLogout: names(false, true, true),
      demo: names(false, false),
    });
  });
});
