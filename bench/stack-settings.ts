import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { LoginFlowFunction } from '../lib/login-flow-function.js';
import { LoginFlowStack } from '../lib/login-flow-stack.js';
import { readStackOptions } from '../lib/stack-options.js';

export interface FunctionSettings {
  readonly memoryMb: number;
  readonly architecture: string;
  readonly runtime: string;
}

/**
 * The functions' memory, architecture and runtime as the stack defines them, so the cost model can
 * never drift from what is deployed. Read from the constructed stack's CloudFormation resources with
 * bundling skipped (CDK's own switch for that), so nothing is built; whatever CDK writes goes to a
 * temporary folder, which is removed.
 */
export async function readFunctionSettings(): Promise<FunctionSettings> {
  const outdir = await mkdtemp(join(tmpdir(), 'bench-stack-'));
  try {
    const app = new App({
      outdir,
      context: { issuerUrl: 'https://login.example.test/', clientId: 'bench', 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new LoginFlowStack(app, 'Bench', { options: readStackOptions(app.node) });
    const settingsOf = (fn: LoginFlowFunction): FunctionSettings => {
      const resource = fn.node.defaultChild as CfnFunction;
      return {
        // CloudFormation's defaults where a property is left out.
        memoryMb: Number(stack.resolve(resource.memorySize) ?? 128),
        architecture: String(stack.resolve(resource.architectures)?.[0] ?? 'x86_64'),
        runtime: String(stack.resolve(resource.runtime)),
      };
    };
    const login = settingsOf(stack.signIn.functions.login);
    const others = [...Object.values(stack.signIn.functions), stack.demoFunction].filter((fn) => fn !== undefined).map(settingsOf);
    if (others.some((other) => other.memoryMb !== login.memoryMb || other.architecture !== login.architecture)) {
      throw new Error('the functions differ in memory or architecture; the cost model assumes one setting');
    }
    return login;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}
