import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { OidcLogin, type OidcLoginProps } from '../../lib/oidc-login.js';
import { REQUIRED_SETTINGS } from '../support/settings.js';
import { SKIP_BUNDLING, ref, statementsOf } from './login-flow-app.js';

/**
 * The resources of the callback's and the logout's one Secrets Manager permission, read from the
 * synthesized template for every way a secret can be given: the token key ring (made here unless
 * named) first, then the client secret. IAM matches a secret by its full ARN, which ends
 * in a random six-character suffix; a secret known only by name must be granted with `-??????`.
 */
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const FULL_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:auth0-client-secret-AbCdEf`;

const KEY_RING_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:token-keys-GhIjKl`;

const outdir = mkdtempSync(join(tmpdir(), 'client-secret-policy-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function secretResources(props: (stack: Stack) => Partial<OidcLoginProps>): { resources: unknown[]; stack: Stack; login: OidcLogin } {
  const stack = new Stack(new App({ outdir, context: SKIP_BUNDLING }), 'UserStack', { env: { region: REGION, account: ACCOUNT } });
  const login = new OidcLogin(stack, 'login', {
    settings: { issuerUrl: REQUIRED_SETTINGS.issuerUrl, clientId: REQUIRED_SETTINGS.clientId },
    ...props(stack),
  });
  const template = Template.fromStack(stack);
  const [callback, logout] = [login.functions.callback, login.functions.logout].map((fn) =>
    statementsOf(template, stack.getLogicalId(fn.node.defaultChild as CfnElement)).filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')),
    ),
  );
  expect(callback?.map((statement) => statement.Action)).toEqual(['secretsmanager:GetSecretValue']);
  expect(logout).toEqual(callback);
  const [keyRing, ...resources] = [callback?.[0]?.Resource].flat();
  const madeKeyRing = login.tokenKeySecret instanceof Secret ? ref(stack.getLogicalId(login.tokenKeySecret.node.defaultChild as CfnElement)) : undefined;
  expect(keyRing).toEqual(madeKeyRing ?? KEY_RING_ARN);
  return { resources, stack, login };
}

test('a secret given by name (Secret.fromSecretNameV2) is granted with the wildcard for its unknown suffix', () => {
  const { resources } = secretResources((stack) => ({ clientSecret: Secret.fromSecretNameV2(stack, 'auth0-secret', 'auth0-client-secret') }));
  expect(resources).toEqual([{ 'Fn::Join': ['', ['arn:', ref('AWS::Partition'), `:secretsmanager:${REGION}:${ACCOUNT}:secret:auth0-client-secret-??????`]] }]);
});

test.each<[string, (stack: Stack) => Partial<OidcLoginProps>]>([
  ['Secret.fromSecretCompleteArn', (stack) => ({ clientSecret: Secret.fromSecretCompleteArn(stack, 'auth0-secret', FULL_ARN) })],
  ['settings.clientSecretArn', () => ({ settings: { issuerUrl: REQUIRED_SETTINGS.issuerUrl, clientId: REQUIRED_SETTINGS.clientId, clientSecretArn: FULL_ARN } })],
])('a secret given by its full ARN (%s) is granted on exactly that ARN', (_label, props) => {
  expect(secretResources(props).resources).toEqual([FULL_ARN]);
});

test('a secret the construct makes (createClientSecret) is granted on its own ARN, the Ref of the secret it made', () => {
  const { resources, stack, login } = secretResources(() => ({ createClientSecret: true }));
  const secret = login.clientSecret as Secret;
  expect(resources).toEqual([ref(stack.getLogicalId(secret.node.defaultChild as CfnElement))]);
});

test('a key ring named by settings.tokenKeySecretArn is granted on exactly that ARN, and none is made', () => {
  const { resources, stack } = secretResources(() => ({
    settings: { issuerUrl: REQUIRED_SETTINGS.issuerUrl, clientId: REQUIRED_SETTINGS.clientId, clientSecretArn: FULL_ARN, tokenKeySecretArn: KEY_RING_ARN },
  }));
  expect(resources).toEqual([FULL_ARN]);
  Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 0);
});
