import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Architecture, Code, Runtime, type ParamsAndSecretsLayerVersion } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FUNCTION_TIMEOUT_SECONDS } from '../lambdas/core/contract.js';
import { FUNCTION_ENTRIES, LAMBDA_BUILD, PACKAGED_FUNCTIONS_DIR, type FunctionName } from './bundling.js';

const PACKAGED_FUNCTIONS = fileURLToPath(new URL(`../${PACKAGED_FUNCTIONS_DIR}/`, import.meta.url));

/**
 * Installed as a package, the functions bundled at pack time, so the app installing it needs no
 * esbuild or Docker; from this repository's sources, NodejsFunction's bundling of the entry.
 * Both are the one definition in ./bundling.ts.
 */
function functionCode(name: FunctionName): Pick<NodejsFunctionProps, 'code' | 'entry' | 'handler' | 'bundling'> {
  if (existsSync(PACKAGED_FUNCTIONS)) return { code: Code.fromAsset(join(PACKAGED_FUNCTIONS, name)), handler: 'index.handler' };
  return {
    entry: FUNCTION_ENTRIES[name],
    handler: 'handler',
    bundling: {
      target: LAMBDA_BUILD.target,
      format: OutputFormat.ESM,
      minify: LAMBDA_BUILD.minify,
      sourceMap: LAMBDA_BUILD.sourcemap,
      mainFields: [...LAMBDA_BUILD.mainFields],
      banner: LAMBDA_BUILD.banner,
      // Bundle the SDK rather than use the runtime's copy: pinned version, tree-shaken, faster init.
      externalModules: [],
      bundleAwsSDK: true,
      esbuildArgs: {
        '--legal-comments': LAMBDA_BUILD.legalComments,
        '--alias': Object.entries(LAMBDA_BUILD.alias).map(([module, replacement]) => `${module}=${replacement}`),
      },
    },
  };
}

export interface LoginFlowFunctionProps {
  readonly name: FunctionName;
  readonly environment: Record<string, string>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Applied to the log group; the table decides separately whether data outlives the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default FUNCTION_TIMEOUT_SECONDS */
  readonly timeoutSeconds?: number;
  /** AWS's Parameters and Secrets extension, for a function that reads a secret at init. @default none */
  readonly paramsAndSecrets?: ParamsAndSecretsLayerVersion;
}

/**
 * A flow function: Node.js 24 on arm64, ES module, minified, with its own AWS SDK bundled, its own
 * log group with retention, and a role that starts with no permissions at all (no managed
 * policies): each grant is added by the stack.
 */
export class LoginFlowFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: LoginFlowFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}-logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });
    const role = new Role(scope, `${id}-role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.name} function of the login flow`,
    });
    super(scope, id, {
      ...functionCode(props.name),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: Duration.seconds(props.timeoutSeconds ?? FUNCTION_TIMEOUT_SECONDS),
      ...(props.paramsAndSecrets === undefined ? {} : { paramsAndSecrets: props.paramsAndSecrets }),
      logGroup,
      role,
      environment: props.environment,
    });
    logGroup.grantWrite(role);
  }
}
