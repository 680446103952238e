import { App } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Template } from 'aws-cdk-lib/assertions';
import { SESSION_ATTRIBUTES } from '../../lambdas/core/contract.js';
import { ConfigError } from '../../lambdas/core/config.js';
import { OidcLogin } from '../../lib/oidc-login.js';
import { LoginFlowStack } from '../../lib/login-flow-stack.js';
import { readStackOptions } from '../../lib/stack-options.js';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { REQUIRED_SETTINGS } from '../support/settings.js';
import { LoginFlowApp, SKIP_BUNDLING, getAtt, ref, resourcesOfType, statementsOf, tableArn, unordered, type Statement } from './login-flow-app.js';

/**
 * The token-handler proxy and the demo API in the project's stack: the routes, the JWT authorizer
 * (issuer and audience), the proxy's least privilege (the session's token attributes only, its two
 * secrets only), its environment, and cdk-nag clean with the proxy route's acknowledgement reasoned.
 */
const TOKEN_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token-keys-AbCdEf';
const CLIENT_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf';
const AUDIENCE = 'https://api.example.test';
const CONTEXT = { ...REQUIRED_SETTINGS, audience: AUDIENCE, tokenKeySecretArn: TOKEN_KEY_ARN, clientSecretArn: CLIENT_SECRET_ARN, baseUrl: 'https://login.example.com' };

let app: LoginFlowApp;
let template: Template;

beforeAll(() => {
  app = new LoginFlowApp(CONTEXT, { bundle: false });
  template = app.synth();
});

afterAll(() => app.remove());

function routes(): Record<string, { target: unknown; authorization: unknown; authorizer: unknown }> {
  const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
  return Object.fromEntries(
    Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).map((route) => {
      const integrationId = ((route.Properties.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1] as { Ref: string }).Ref;
      return [route.Properties.RouteKey as string, { target: integrations[integrationId]?.Properties.IntegrationUri, authorization: route.Properties.AuthorizationType, authorizer: route.Properties.AuthorizerId }];
    }),
  );
}

test('ANY /api/{proxy+} goes to the proxy function with no authorizer (it decides itself); GET /api-demo/whoami is behind the JWT authorizer', () => {
  const proxy = app.stack.signIn.apiProxy;
  const demoApi = app.stack.demoApi;
  if (proxy === undefined || demoApi === undefined) throw new Error('the stack has an API proxy and a demo API with an audience');
  const all = routes();
  expect(all['ANY /api/{proxy+}']).toEqual({ target: getAtt(app.logicalId(proxy.function), 'Arn'), authorization: 'NONE', authorizer: undefined });
  const whoami = all['GET /api-demo/whoami'];
  expect(whoami?.target).toEqual(getAtt(app.logicalId(demoApi.function), 'Arn'));
  expect(whoami?.authorization).toBe('JWT');
  template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
    AuthorizerType: 'JWT',
    IdentitySource: ['$request.header.Authorization'],
    JwtConfiguration: { Issuer: REQUIRED_SETTINGS.issuerUrl, Audience: [AUDIENCE] },
  });
});

test('the proxy forwards to the demo API on this stack, and gets the settings, its table and its secrets\' ARNs (never a secret)', () => {
  const proxy = app.stack.signIn.apiProxy;
  if (proxy === undefined) throw new Error('no proxy');
  const variables = (resourcesOfType(template, 'AWS::Lambda::Function')[app.logicalId(proxy.function)]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  expect(variables.API_URL).toBe('https://login.example.com/api-demo');
  expect(variables.BASE_URL).toBe('https://login.example.com');
  expect(variables.SESSION_TABLE_NAME).toEqual(ref(app.logicalId(app.stack.signIn.sessions.table)));
  expect(variables.TOKEN_KEY_SECRET_ARN).toBe(TOKEN_KEY_ARN);
  expect(variables.CLIENT_SECRET_ARN).toBe(CLIENT_SECRET_ARN);
  expect(variables.TABLE_NAME).toBeUndefined();
  expect(variables.TOKEN_KEYS).toBeUndefined();
  expect(resourcesOfType(template, 'AWS::Lambda::Function')[app.logicalId(proxy.function)]?.Properties.Timeout).toBe(28);
});

test('least privilege: the proxy touches the session\'s token attributes only, reads its two secrets, nothing else; the demo API has no permission but its logs', () => {
  const proxy = app.stack.signIn.apiProxy;
  const demoApi = app.stack.demoApi;
  if (proxy === undefined || demoApi === undefined) throw new Error('no proxy');
  const sessions = app.logicalId(app.stack.signIn.sessions.table);
  const attributes = [...SESSION_ATTRIBUTES.tokens];
  const dynamo = (actions: string[], kind: 'read' | 'write'): Statement => ({
    Action: actions.length === 1 ? actions[0] as string : actions,
    Effect: 'Allow',
    Resource: tableArn(sessions),
    Condition: {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': attributes },
      StringEqualsIfExists: kind === 'write' ? { 'dynamodb:ReturnValues': 'NONE' } : { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
    },
  });
  const statements = statementsOf(template, app.logicalId(proxy.function)).filter((statement) => !JSON.stringify(statement.Action).includes('logs:'));
  expect(unordered(statements)).toEqual(unordered([
    dynamo(['dynamodb:GetItem'], 'read'),
    dynamo(['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], 'write'),
    { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: [TOKEN_KEY_ARN, CLIENT_SECRET_ARN] },
  ]));
  // The session's profile claims are not the proxy's to read.
  expect(attributes).not.toContain('claims');
  const demoStatements = statementsOf(template, app.logicalId(demoApi.function));
  expect(demoStatements.every((statement) => JSON.stringify(statement.Action).includes('logs:'))).toBe(true);
});

test('cdk-nag is clean; APIG4 on the proxy route is acknowledged with its reason, the demo API\'s route has its authorizer', () => {
  expect(app.violations()).toEqual([]);
  expect(app.acknowledgedRoutes('AwsSolutions-APIG4')).toContain('ANY /api/{proxy+}');
  expect(app.acknowledgedRoutes('AwsSolutions-APIG4')).not.toContain('GET /api-demo/whoami');
});

describe('when there is no API to call', () => {
  const synthWith = (context: Record<string, unknown>): LoginFlowStack => {
    const bare = new App({ context: { ...context, ...SKIP_BUNDLING } });
    return new LoginFlowStack(bare, 'Bare', { options: readStackOptions(bare.node) });
  };

  test('without an audience the stack has neither the demo API nor the proxy: the provider would issue no JWT access token for it', () => {
    const stack = synthWith({ ...REQUIRED_SETTINGS, tokenKeySecretArn: TOKEN_KEY_ARN });
    expect(stack.demoApi).toBeUndefined();
    expect(stack.signIn.apiProxy).toBeUndefined();
    expect(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { AuthorizerType: 'JWT' } })).toEqual({});
  });

  test('without the token keys the demo API is there but no proxy (no session holds a token)', () => {
    const stack = synthWith({ ...REQUIRED_SETTINGS, audience: AUDIENCE });
    expect(stack.demoApi).toBeDefined();
    expect(stack.signIn.apiProxy).toBeUndefined();
  });

  test('with a client secret and an audience but no key ring named, the stack makes one and the proxy reads exactly it and the client secret', () => {
    const stack = synthWith({ ...REQUIRED_SETTINGS, audience: AUDIENCE, clientSecretArn: CLIENT_SECRET_ARN });
    const proxy = stack.signIn.apiProxy;
    const keys = stack.signIn.tokenKeySecret;
    if (proxy === undefined || keys === undefined) throw new Error('a client secret brings a made key ring and with it the proxy');
    const made = Template.fromStack(stack);
    const keysRef = ref(stack.getLogicalId(keys.node.defaultChild as CfnElement));
    const statements = statementsOf(made, stack.getLogicalId(proxy.function.node.defaultChild as CfnElement));
    expect(statements.filter((statement) => statement.Action === 'secretsmanager:GetSecretValue')).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: [keysRef, CLIENT_SECRET_ARN] },
    ]);
    const variables = (resourcesOfType(made, 'AWS::Lambda::Function')[stack.getLogicalId(proxy.function.node.defaultChild as CfnElement)]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.TOKEN_KEY_SECRET_ARN).toEqual(keysRef);
    expect(variables.PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE).toBe('2');
  });

  test('the construct with apiUrl but no token keys is refused, naming the setting', () => {
    const stack = new Stack(new App({ context: SKIP_BUNDLING }), 'User');
    expect(() => new OidcLogin(stack, 'login', { settings: { ...REQUIRED_SETTINGS, apiUrl: 'https://api.example.test/v1' }, httpApi: new HttpApi(stack, 'api') })).toThrow(
      new ConfigError('OidcLogin needs the token key ring for the API proxy: set OidcLogin settings.tokenKeySecretArn, or configure a client secret (the construct then makes the keys)'),
    );
  });

  test('the construct with apiUrl and token keys forwards there', () => {
    const stack = new Stack(new App({ context: SKIP_BUNDLING }), 'User');
    const login = new OidcLogin(stack, 'login', { settings: { ...REQUIRED_SETTINGS, apiUrl: 'https://api.example.test/v1/', tokenKeySecretArn: TOKEN_KEY_ARN }, httpApi: new HttpApi(stack, 'api'), baseUrl: 'https://login.example.com' });
    const fn = login.apiProxy?.function;
    if (fn === undefined) throw new Error('no proxy');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { API_URL: 'https://api.example.test/v1' } } });
  });
});
