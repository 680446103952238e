import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { FUNCTION_ENTRIES, type FunctionName } from '../../lib/bundling.js';
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

test('each local bundle is byte for byte the asset cdk synth builds for its Lambda function', async () => {
  const app = new App({ outdir: cdkOut, context: { issuerUrl: 'https://tenant.example.test/', clientId: 'app' } });
  const stack = new LoginFlowStack(app, 'BuildParity', { options: readStackOptions(app.node) });
  app.synth();
  const local = await buildLocal(localOut);

  // A record over every function name, so a function added to the build cannot be left out of this comparison.
  const deployedFunctions: Record<FunctionName, LoginFlowFunction> = {
    login: stack.loginFunction,
    callback: stack.callbackFunction,
    session: stack.sessionFunction,
    logout: stack.logoutFunction,
  };
  const names = Object.keys(FUNCTION_ENTRIES) as FunctionName[];
  const identical = await Promise.all(
    names.map(async (name) => {
      const [deployed, served] = await Promise.all([readFile(assetBundle(stack, deployedFunctions[name])), readFile(local.bundles[name])]);
      return [name, served.equals(deployed)] as const;
    }),
  );
  expect(Object.fromEntries(identical)).toEqual({ callback: true, login: true, logout: true, session: true });
}, SYNTH_TIMEOUT_MS);
