import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { FunctionName } from '../../lib/bundling.js';
import type { LoginFlowFunction } from '../../lib/login-flow-function.js';
import { LoginFlowStack } from '../../lib/login-flow-stack.js';
import { readStackOptions } from '../../lib/stack-options.js';
import { buildLocal } from '../../local/build.js';

/** What `npm start` serves is what `cdk deploy` uploads: one esbuild definition, so identical bytes. */
const SYNTH_TIMEOUT_MS = 120_000;
let cdkOut: string;
let localOut: string;

beforeAll(async () => {
  [cdkOut, localOut] = await Promise.all([mkdtemp(join(tmpdir(), 'cdk-out-')), mkdtemp(join(tmpdir(), 'local-build-'))]);
});

afterAll(async () => {
  await Promise.all([rm(cdkOut, { recursive: true, force: true }), rm(localOut, { recursive: true, force: true })]);
});

/** The asset folder CDK bundled the function into, named after the hash in its S3 key. */
function assetBundle(stack: Stack, fn: LoginFlowFunction): string {
  const code = stack.resolve((fn.node.defaultChild as CfnFunction).code) as { s3Key: string };
  return join(cdkOut, `asset.${code.s3Key.replace(/\.zip$/, '')}`, 'index.mjs');
}

function requireDefined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the stack has no ${what}`);
  return value;
}

test('each local bundle is byte for byte the asset cdk synth builds for its Lambda function', async () => {
  const app = new App({ outdir: cdkOut, context: { issuerUrl: 'https://tenant.example.test/', clientId: 'app', audience: 'https://api.example.test', tokenKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-keys-AbCdEf' } });
  const stack = new LoginFlowStack(app, 'BuildParity', { options: readStackOptions(app.node) });
  app.synth();
  const local = await buildLocal(localOut);

  // A record over every function name, so a function added to the build cannot be left out of this comparison.
  const { functions } = stack.signIn;
  if (functions.backchannelLogout === undefined) throw new Error('the stack has back-channel logout');
  const deployedFunctions: Record<FunctionName, LoginFlowFunction> = {
    login: functions.login,
    callback: functions.callback,
    session: functions.session,
    logout: functions.logout,
    authorizer: functions.authorizer,
    backchannelLogout: functions.backchannelLogout,
    demo: stack.demoFunction,
    apiProxy: requireDefined(stack.signIn.apiProxy?.function, 'the API proxy'),
    demoApi: requireDefined(stack.demoApi?.function, 'the demo API'),
  };
  const compared: [label: string, fn: LoginFlowFunction, build: FunctionName][] = [
    ...(Object.entries(deployedFunctions) as [FunctionName, LoginFlowFunction][]).map(([name, fn]): [string, LoginFlowFunction, FunctionName] => [name, fn, name]),
    // The page authorizer is the authorizer's build, run in another mode.
    ['pageAuthorizer', functions.pageAuthorizer, 'authorizer'],
  ];
  const identical = await Promise.all(
    compared.map(async ([label, fn, name]) => {
      const [built, served] = await Promise.all([readFile(assetBundle(stack, fn)), readFile(local.bundles[name])]);
      return [label, served.equals(built)] as const;
    }),
  );
  expect(Object.fromEntries(identical)).toEqual({
    apiProxy: true,
    demoApi: true,
    authorizer: true,
    backchannelLogout: true,
    callback: true,
    demo: true,
    login: true,
    logout: true,
    pageAuthorizer: true,
    session: true,
  });
}, SYNTH_TIMEOUT_MS);
