import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { ConfigError } from '../../lambdas/core/config.js';
import { SESSION_ATTRIBUTES, TOKEN_ATTRIBUTES } from '../../lambdas/core/contract.js';
import { OidcLogin } from '../../lib/oidc-login.js';
import { REQUIRED_SETTINGS } from '../support/settings.js';
import { SKIP_BUNDLING, ref, resourceOf, statementsOf, tableArn, unordered, type Statement } from './login-flow-app.js';

/**
 * `grantAccessTokens` on a user's own function, and who may touch the session's tokens at all:
 * only the callback (sealing them), the logout (hint and revocation), the proxy and a granted
 * function name a token attribute or read the key ring; the session authorizers never do.
 */
const CLIENT_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:auth0-client-AbCdEf';
const TOKEN_ATTRIBUTE_NAMES: readonly string[] = [...TOKEN_ATTRIBUTES.stored, ...TOKEN_ATTRIBUTES.lease];

function userStack(settings: Partial<Record<'clientSecretArn' | 'apiUrl', string>>) {
  const stack = new Stack(new App({ context: SKIP_BUNDLING }), 'User');
  const login = new OidcLogin(stack, 'login', { settings: { ...REQUIRED_SETTINGS, ...settings }, httpApi: new HttpApi(stack, 'api'), baseUrl: 'https://login.example.com' });
  const orders = new LambdaFunction(stack, 'orders', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('export const handler = async () => ({});') });
  return { stack, login, orders };
}

const { stack, login, orders } = userStack({ clientSecretArn: CLIENT_SECRET_ARN, apiUrl: 'https://api.example.test/v1' });
login.grantAccessTokens(orders);
const template = Template.fromStack(stack);
const id = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const keyRing = login.tokenKeySecret;
if (keyRing === undefined) throw new Error('a client secret brings a made key ring');
const keyRingRef = ref(id(keyRing));
const sessions = id(login.sessions.table);

const attributesNamed = (statements: Statement[]): string[] =>
  statements.flatMap((statement) => {
    const condition = (statement as { Condition?: { 'ForAllValues:StringEquals'?: { 'dynamodb:Attributes'?: string[] } } }).Condition;
    return condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes'] ?? [];
  });
const readsSecrets = (statements: Statement[]): boolean => statements.some((statement) => [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')));

test('your function gets exactly the session\'s token attributes and the two secrets, and nothing else', () => {
  const dynamo = (actions: string[], kind: 'read' | 'write'): Statement => ({
    Action: actions.length === 1 ? (actions[0] as string) : actions,
    Effect: 'Allow',
    Resource: tableArn(sessions),
    Condition: {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...SESSION_ATTRIBUTES.tokens] },
      StringEqualsIfExists: kind === 'write' ? { 'dynamodb:ReturnValues': 'NONE' } : { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
    },
  });
  const statements = statementsOf(template, id(orders)).filter((statement) => !JSON.stringify(statement.Action).includes('logs:'));
  expect(unordered(statements)).toEqual(
    unordered([
      dynamo(['dynamodb:GetItem'], 'read'),
      dynamo(['dynamodb:UpdateItem', 'dynamodb:DeleteItem'], 'write'),
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: [keyRingRef, CLIENT_SECRET_ARN] },
    ]),
  );
  expect(SESSION_ATTRIBUTES.tokens).not.toContain('claims');
});

test('your function is told the table and the secrets\' ARNs (never a value), the settings, and has the secrets extension', () => {
  const properties = resourceOf(template, id(orders)).Properties;
  const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
  expect(variables).toMatchObject({
    SESSION_TABLE_NAME: ref(sessions),
    TOKEN_KEY_SECRET_ARN: keyRingRef,
    CLIENT_SECRET_ARN,
    BASE_URL: 'https://login.example.com',
    ISSUER_URL: REQUIRED_SETTINGS.issuerUrl,
    CLIENT_ID: REQUIRED_SETTINGS.clientId,
    PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE: '2',
  });
  expect(variables).not.toHaveProperty('TOKEN_KEYS');
  expect(variables).not.toHaveProperty('API_URL');
  expect(properties.Layers).toHaveLength(1);
});

test('only the callback, the logout, the proxy and your granted function name a token attribute or read a secret; the authorizers never', () => {
  const proxy = login.apiProxy?.function;
  if (proxy === undefined) throw new Error('apiUrl brings the proxy');
  const functions = { ...login.functions, apiProxy: proxy, orders };
  const touching = Object.entries(functions)
    .filter(([, fn]) => fn !== undefined)
    .map(([name, fn]) => {
      const statements = statementsOf(template, id(fn as IConstruct));
      return { name, tokens: attributesNamed(statements).some((attribute) => TOKEN_ATTRIBUTE_NAMES.includes(attribute)), secrets: readsSecrets(statements) };
    });
  expect(touching.filter(({ tokens }) => tokens).map(({ name }) => name).sort()).toEqual(['apiProxy', 'callback', 'logout', 'orders']);
  expect(touching.filter(({ secrets }) => secrets).map(({ name }) => name).sort()).toEqual(['apiProxy', 'callback', 'logout', 'orders']);
  for (const authorizer of [login.functions.authorizer, login.functions.pageAuthorizer]) {
    expect(attributesNamed(statementsOf(template, id(authorizer))).sort()).toEqual([...SESSION_ATTRIBUTES.read].sort());
  }
});

test('without a client secret there is no key ring, and grantAccessTokens is refused, naming what is missing', () => {
  const bare = userStack({});
  expect(bare.login.tokenKeySecret).toBeUndefined();
  expect(() => bare.login.grantAccessTokens(bare.orders)).toThrow(
    new ConfigError('OidcLogin needs the token key ring for grantAccessTokens: set OidcLogin settings.tokenKeySecretArn, or configure a client secret (the construct then makes the keys)'),
  );
});
