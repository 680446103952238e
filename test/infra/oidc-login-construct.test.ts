import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { ConfigError } from '../../lambdas/core/config.js';
import { OidcLogin, type OidcLoginProps, type OidcLoginSettings } from '../../lib/oidc-login.js';
import { REQUIRED_SETTINGS } from '../support/settings.js';
import {
  CheckedApp,
  SKIP_BUNDLING,
  allStatements,
  getAtt,
  neededStatements,
  outputsOf,
  ref,
  resourceOf,
  resourcesOfType,
  roleOf,
  secretTarget,
  signInFunction,
  statementsOf,
  unordered,
  type DeployedFunction,
  type GrantTargets,
} from './login-flow-app.js';

/**
 * The construct as a user adds it: to a stack of their own, on their own HTTP API (with their own
 * access-logged stage), guarding their own routes with its authorizers.
 */
const CLIENT_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf';
const SETTINGS: OidcLoginSettings = { issuerUrl: REQUIRED_SETTINGS.issuerUrl, clientId: REQUIRED_SETTINGS.clientId };
/** The routes the construct adds, each public. */
const SIGN_IN_ROUTES = ['GET /login', 'GET /callback', 'GET /me', 'GET /signed-in', 'GET /logout', 'POST /logout', 'GET /signed-out', 'POST /backchannel-logout'];
/** The user's own routes: an API behind the session authorizer, a page behind the page authorizer. */
const USER_ROUTES = ['GET /orders', 'GET /account'];
type SignInFunction = Exclude<DeployedFunction, 'demo'>;
const SIGN_IN_FUNCTIONS = ['login', 'callback', 'session', 'logout', 'authorizer', 'pageAuthorizer', 'backchannelLogout'] as const satisfies readonly SignInFunction[];

type UserProps = Omit<OidcLoginProps, 'settings' | 'httpApi'>;

class UserApp extends CheckedApp {
  readonly stack: Stack;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly login: OidcLogin;
  readonly unguarded: HttpRoute | undefined;

  constructor(props: (stack: Stack) => UserProps, options: { unguardedRoute?: boolean } = {}) {
    // Roles, routes and authorizers do not depend on the bundles.
    super({}, { bundle: false });
    this.stack = new Stack(this.app, 'UserStack');
    this.api = new HttpApi(this.stack, 'user-api', { createDefaultStage: false });
    this.accessLogs = new LogGroup(this.stack, 'user-access-logs');
    this.stage = new HttpStage(this.stack, 'user-stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: AccessLogFormat.clf() },
    });
    this.login = new OidcLogin(this.stack, 'login', { settings: SETTINGS, httpApi: this.api, ...props(this.stack) });
    const backend = (path: string) => new HttpUrlIntegration(`backend-${path}`, `https://backend.example.com/${path}`);
    this.api.addRoutes({ path: '/orders', methods: [HttpMethod.GET], integration: backend('orders'), authorizer: this.login.authorizer });
    this.api.addRoutes({ path: '/account', methods: [HttpMethod.GET], integration: backend('account'), authorizer: this.login.pageAuthorizer });
    this.unguarded = options.unguardedRoute === true ? this.api.addRoutes({ path: '/status', methods: [HttpMethod.GET], integration: backend('status') })[0] : undefined;
    this.addChecks();
  }

  logicalId(construct: IConstruct): string {
    return this.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  }

  /** The logical ids of the functions this configuration has. */
  functionIds(): Partial<Record<SignInFunction, string>> {
    return Object.fromEntries(
      SIGN_IN_FUNCTIONS.filter((name) => this.login.functions[name] !== undefined).map((name) => [name, this.logicalId(signInFunction(this.login, name))]),
    );
  }

  targets(): GrantTargets {
    const { transactions, sessions, logoutTokens, clientSecret, tokenKeySecret } = this.login;
    return {
      transactions: this.logicalId(transactions.table),
      sessions: this.logicalId(sessions.table),
      logoutTokens: logoutTokens === undefined ? undefined : this.logicalId(logoutTokens.table),
      secretArn: clientSecret === undefined ? undefined : CLIENT_SECRET_ARN,
      tokenKeysArn: secretTarget(tokenKeySecret, (construct) => this.logicalId(construct)),
    };
  }
}

const CONFIGURATIONS = {
  'your client secret': (stack: Stack): UserProps => ({ clientSecret: Secret.fromSecretCompleteArn(stack, 'user-secret', CLIENT_SECRET_ARN) }),
  'no secret, authorizerCacheTtl of 5 minutes': (): UserProps => ({ authorizerCacheTtl: Duration.minutes(5) }),
  'no secret, backchannelLogout false': (): UserProps => ({ backchannelLogout: false }),
};
type Configuration = keyof typeof CONFIGURATIONS;
const CONFIGURATION_NAMES = Object.keys(CONFIGURATIONS) as Configuration[];

interface Synthesized {
  readonly app: UserApp;
  readonly template: Template;
}

const synthesized = {} as Record<Configuration, Synthesized>;
let withUnguardedRoute: UserApp;
/** Every app made, so a synth that throws still has its folder removed. */
const made: UserApp[] = [];

beforeAll(() => {
  withUnguardedRoute = new UserApp(CONFIGURATIONS['your client secret'], { unguardedRoute: true });
  made.push(withUnguardedRoute);
  for (const name of CONFIGURATION_NAMES) {
    const app = new UserApp(CONFIGURATIONS[name]);
    made.push(app);
    synthesized[name] = { app, template: app.synthStack(app.stack) };
  }
});

afterAll(() => {
  for (const app of made) app.remove();
});

const full = (): Synthesized => synthesized['your client secret'];

interface RouteProperties {
  readonly ApiId: unknown;
  readonly RouteKey: string;
  readonly AuthorizationType: string;
  readonly AuthorizerId?: { Ref: string };
}

function routes(template: Template): Record<string, RouteProperties> {
  return Object.fromEntries(
    Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map((route) => [route.Properties.RouteKey, route.Properties as unknown as RouteProperties]),
  );
}

function authorizerOf(template: Template, routeKey: string): Record<string, unknown> {
  const authorizer = routes(template)[routeKey]?.AuthorizerId;
  if (authorizer === undefined) throw new Error(`${routeKey} has no authorizer`);
  return resourceOf(template, authorizer.Ref).Properties;
}

/** The session authorizer as API Gateway gets it, given what it caches for. */
function sessionAuthorizer(s: Synthesized, cacheSeconds: number): Record<string, unknown> {
  return {
    ApiId: ref(s.app.logicalId(s.app.api)),
    Name: 'session',
    AuthorizerType: 'REQUEST',
    AuthorizerPayloadFormatVersion: '2.0',
    EnableSimpleResponses: true,
    IdentitySource: ['$request.header.Cookie'],
    AuthorizerResultTtlInSeconds: cacheSeconds,
    AuthorizerUri: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([getAtt(s.app.logicalId(s.app.login.functions.authorizer), 'Arn')])] }),
  };
}

/** The page authorizer never caches, whatever the session authorizer does. */
function pageAuthorizer(s: Synthesized): Record<string, unknown> {
  return {
    ApiId: ref(s.app.logicalId(s.app.api)),
    Name: 'page-session',
    AuthorizerType: 'REQUEST',
    AuthorizerPayloadFormatVersion: '2.0',
    EnableSimpleResponses: true,
    IdentitySource: ['$context.requestId'],
    AuthorizerResultTtlInSeconds: 0,
    AuthorizerUri: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([getAtt(s.app.logicalId(s.app.login.functions.pageAuthorizer), 'Arn')])] }),
  };
}

describe('on your HTTP API', () => {
  test('adds its routes to your API and makes no API of its own', () => {
    const s = full();
    expect(s.app.login.httpApi).toBe(s.app.api);
    expect(s.app.login.madeApi).toBeUndefined();
    s.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const all = routes(s.template);
    expect(Object.keys(all).sort()).toEqual([...SIGN_IN_ROUTES, ...USER_ROUTES].sort());
    for (const route of Object.values(all)) expect(route.ApiId).toEqual(ref(s.app.logicalId(s.app.api)));
    for (const routeKey of SIGN_IN_ROUTES) expect(all[routeKey]).toMatchObject({ AuthorizationType: 'NONE' });
  });

  test('adds no $default route: what answers paths nobody routed stays your choice', () => {
    const s = full();
    expect(routes(s.template)).not.toHaveProperty('$default');
    expect(s.app.login.node.tryFindChild('not-found-route')).toBeUndefined();
  });

  test('makes no stage and no access-log group: your stage is the only one, and every other log group is one of its functions\'', () => {
    const s = full();
    expect(Object.keys(resourcesOfType(s.template, 'AWS::ApiGatewayV2::Stage'))).toEqual([s.app.logicalId(s.app.stage)]);
    const functionLogs = Object.values(resourcesOfType(s.template, 'AWS::Lambda::Function')).map(
      (fn) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(Object.keys(resourcesOfType(s.template, 'AWS::Logs::LogGroup')).sort()).toEqual([s.app.logicalId(s.app.accessLogs), ...functionLogs].sort());
  });

  test('its base URL is your API\'s URL: in every function and every printed URL', () => {
    const s = full();
    const endpoint = getAtt(s.app.logicalId(s.app.api), 'ApiEndpoint');
    for (const fn of Object.values(resourcesOfType(s.template, 'AWS::Lambda::Function'))) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.BASE_URL).toEqual(endpoint);
    }
    const outputs = outputsOf(s.app.login, s.template);
    expect(Object.keys(outputs).sort()).toEqual(['BackchannelLogoutUrl', 'CallbackUrl', 'ClientSecretArn', 'LoginUrl', 'SessionTableName', 'SignedOutUrl', 'TableName', 'TokenKeySecretArn']);
    for (const [name, path] of [['LoginUrl', '/login'], ['CallbackUrl', '/callback'], ['SignedOutUrl', '/signed-out'], ['BackchannelLogoutUrl', '/backchannel-logout']] as const) {
      expect(outputs[name]?.Value).toEqual({ 'Fn::Join': ['', [endpoint, path]] });
    }
    expect(outputs.ClientSecretArn?.Value).toBe(CLIENT_SECRET_ARN);
  });

  test('your API route has the session authorizer: a Lambda (REQUEST) authorizer on the Cookie header, simple responses, no cache by default', () => {
    const s = full();
    expect(routes(s.template)['GET /orders']?.AuthorizationType).toBe('CUSTOM');
    expect(authorizerOf(s.template, 'GET /orders')).toEqual(sessionAuthorizer(s, 0));
  });

  test('your page route has the page authorizer: keyed by request id, never cached', () => {
    const s = full();
    expect(routes(s.template)['GET /account']?.AuthorizationType).toBe('CUSTOM');
    expect(authorizerOf(s.template, 'GET /account')).toEqual(pageAuthorizer(s));
  });

  test('the callback reads your secret, by the ARN it is told; the only secret made is the token key ring', () => {
    const s = full();
    const callback = resourceOf(s.template, s.app.logicalId(s.app.login.functions.callback)).Properties;
    expect((callback.Environment as { Variables: Record<string, unknown> }).Variables.CLIENT_SECRET_ARN).toBe(CLIENT_SECRET_ARN);
    const keyRing = s.app.login.tokenKeySecret;
    if (keyRing === undefined) throw new Error('a client secret brings a key ring');
    expect(Object.keys(resourcesOfType(s.template, 'AWS::SecretsManager::Secret'))).toEqual([s.app.logicalId(keyRing)]);
  });
});

describe('cdk-nag on your stack', () => {
  test('no finding: the construct\'s routes are acknowledged one by one, and your guarded routes need nothing', () => {
    const s = full();
    expect(s.app.validationReport().pluginReports).toEqual([]);
    expect(s.app.acknowledgedRoutes('AwsSolutions-APIG4')).toEqual([...SIGN_IN_ROUTES].sort());
    for (const { reason } of s.app.acknowledgements()) expect(reason.trim().length).toBeGreaterThanOrEqual(40);
  });

  test('an unguarded route of your own is still reported (APIG4), and nothing of the construct\'s', () => {
    expect(() => withUnguardedRoute.synthStack(withUnguardedRoute.stack)).toThrow(/validation-report\.json/);
    expect(withUnguardedRoute.violations()).toEqual([
      { plugin: 'AwsSolutions', rule: 'AwsSolutions-APIG4', paths: [`${withUnguardedRoute.unguarded?.node.path}/Resource`] },
    ]);
  });
});

describe.each(CONFIGURATION_NAMES)('least privilege, %s', (name) => {
  test('one role per function, and one policy each: no managed policies', () => {
    const s = synthesized[name];
    const ids = Object.values(s.app.functionIds());
    s.template.resourceCountIs('AWS::Lambda::Function', ids.length);
    s.template.resourceCountIs('AWS::IAM::Role', ids.length);
    s.template.resourceCountIs('AWS::IAM::Policy', ids.length);
    s.template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    expect(new Set(ids.map((id) => roleOf(s.template, id))).size).toBe(ids.length);
  });

  test.each(SIGN_IN_FUNCTIONS)('%s: exactly the statements it needs', (fn) => {
    const s = synthesized[name];
    const id = s.app.functionIds()[fn];
    if (id === undefined) {
      // Only back-channel logout can be left out.
      expect([fn, name]).toEqual(['backchannelLogout', 'no secret, backchannelLogout false']);
      return;
    }
    expect(unordered(statementsOf(s.template, id))).toEqual(unordered(neededStatements(s.template, id, fn, s.app.targets())));
  });

  test('no wildcard, no scan or batch action, no index wildcard', () => {
    const statements = allStatements(synthesized[name].template);
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.includes('*') || /Scan|Batch|Transact|PartiQL/.test(action))).toEqual([]);
    expect(statements.filter((statement) => JSON.stringify(statement.Resource).includes('*'))).toEqual([]);
    expect(statements.filter((statement) => statement.Effect !== 'Allow')).toEqual([]);
  });
});

describe('authorizerCacheTtl', () => {
  test('sets how long the session authorizer\'s answer is cached', () => {
    const s = synthesized['no secret, authorizerCacheTtl of 5 minutes'];
    expect(authorizerOf(s.template, 'GET /orders')).toEqual(sessionAuthorizer(s, 300));
  });

  test('leaves the page authorizer uncached and keyed by request id', () => {
    const s = synthesized['no secret, authorizerCacheTtl of 5 minutes'];
    expect(authorizerOf(s.template, 'GET /account')).toEqual(pageAuthorizer(s));
  });
});

describe('backchannelLogout: false', () => {
  const s = (): Synthesized => synthesized['no secret, backchannelLogout false'];

  test('no logout-tokens table, no back-channel function, route or output', () => {
    const { app, template } = s();
    expect(app.login.logoutTokens).toBeUndefined();
    expect(app.login.functions.backchannelLogout).toBeUndefined();
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.resourceCountIs('AWS::Lambda::Function', SIGN_IN_FUNCTIONS.length - 1);
    expect(Object.keys(routes(template)).sort()).toEqual([...SIGN_IN_ROUTES.filter((route) => route !== 'POST /backchannel-logout'), ...USER_ROUTES].sort());
    expect(Object.keys(outputsOf(app.login, template)).sort()).toEqual(['CallbackUrl', 'LoginUrl', 'SessionTableName', 'SignedOutUrl', 'TableName']);
  });

  test('nothing may query the sessions table, and no function is told of a logout-tokens table', () => {
    const { template } = s();
    expect(allStatements(template).flatMap((statement) => [statement.Action].flat()).filter((action) => action === 'dynamodb:Query')).toEqual([]);
    for (const fn of Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).not.toHaveProperty('LOGOUT_TOKEN_TABLE_NAME');
    }
  });
});

describe('props, validated at construction', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'oidc-login-props-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  /** The construct in a stack of its own, so each case starts clean. */
  function constructionError(props: (stack: Stack) => Partial<OidcLoginProps>): string {
    const stack = new Stack(new App({ outdir, context: SKIP_BUNDLING }), 'UserStack');
    try {
      new OidcLogin(stack, 'login', { settings: SETTINGS, ...props(stack) });
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('the props were accepted');
  }

  const secret = (stack: Stack) => Secret.fromSecretCompleteArn(stack, 'user-secret', CLIENT_SECRET_ARN);

  test.each<[string, (stack: Stack) => Partial<OidcLoginProps>, string]>([
    ['no issuerUrl', () => ({ settings: { clientId: 'client-123' } as unknown as OidcLoginSettings }), 'OidcLogin settings.issuerUrl is not set'],
    ['an http issuerUrl', () => ({ settings: { ...SETTINGS, issuerUrl: 'http://tenant.example.test/' } }), 'OidcLogin settings.issuerUrl must use https (http is allowed only for localhost): "http://tenant.example.test/"'],
    ['a stateTtlSeconds over an hour', () => ({ settings: { ...SETTINGS, stateTtlSeconds: 3601 } }), 'OidcLogin settings.stateTtlSeconds must be from 1 to 3600, got 3601'],
    [
      'HS256 among the idTokenSigningAlgs',
      () => ({ settings: { ...SETTINGS, idTokenSigningAlgs: ['RS256', 'HS256'] } }),
      'OidcLogin settings.idTokenSigningAlgs may list only RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (never none or HS*), got "HS256"',
    ],
    ['an authorizerCacheTtl over an hour', () => ({ authorizerCacheTtl: Duration.seconds(4000) }), 'OidcLogin authorizerCacheTtl must be whole seconds from 0 to 3600'],
    ...[0, 36, 1.5].map((days): [string, (stack: Stack) => Partial<OidcLoginProps>, string] => [
      `a pointInTimeRecoveryDays of ${days}`,
      () => ({ pointInTimeRecoveryDays: days }),
      `OidcLogin pointInTimeRecoveryDays must be a whole number from 1 to 35, got ${days}`,
    ]),
    [
      'both clientSecret and createClientSecret',
      (stack) => ({ clientSecret: secret(stack), createClientSecret: true }),
      'OidcLogin takes one client secret: settings.clientSecretArn, clientSecret or createClientSecret',
    ],
    [
      'both settings.clientSecretArn and clientSecret',
      (stack) => ({ settings: { ...SETTINGS, clientSecretArn: CLIENT_SECRET_ARN }, clientSecret: secret(stack) }),
      'OidcLogin takes one client secret: settings.clientSecretArn, clientSecret or createClientSecret',
    ],
    [
      'a client secret with a scope that has no openid',
      (stack) => ({ settings: { ...SETTINGS, scope: 'email profile' }, clientSecret: secret(stack) }),
      'OidcLogin settings.scope must include openid when a client secret is configured: signing in needs an ID token',
    ],
  ])('%s fails with a message naming the prop', (_label, props, message) => {
    expect(constructionError(props)).toBe(message);
  });

  test('every wrong prop is named in one error, a baseUrl with a path among them', () => {
    const message = constructionError(() => ({
      settings: { ...SETTINGS, stateTtlSeconds: 3601 },
      baseUrl: 'https://login.example.test/app',
      authorizerCacheTtl: Duration.seconds(4000),
      pointInTimeRecoveryDays: 0,
    }));
    expect(message.split('; ')).toEqual([
      'OidcLogin settings.stateTtlSeconds must be from 1 to 3600, got 3601',
      'OidcLogin baseUrl must be an origin without a path (the API needs a host of its own: its cookies are scoped to the host), got "https://login.example.test/app"',
      'OidcLogin authorizerCacheTtl must be whole seconds from 0 to 3600',
      'OidcLogin pointInTimeRecoveryDays must be a whole number from 1 to 35, got 0',
    ]);
  });

  test('a scope without openid is fine while there is no secret: the flow stops at the recorded code', () => {
    expect(() => constructionError(() => ({ settings: { ...SETTINGS, scope: 'email profile' } }))).toThrow('the props were accepted');
  });

  test.each([1, 35])('a pointInTimeRecoveryDays of %i, at the edge of what DynamoDB allows, is accepted', (days) => {
    expect(() => constructionError(() => ({ pointInTimeRecoveryDays: days }))).toThrow('the props were accepted');
  });
});
