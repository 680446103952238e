import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  LayerVersion,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
  type Function as LambdaFunction,
} from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { SESSION_TABLE_NAME_ENV } from '../lambdas/core/contract.js';
import type { SessionsTable } from './sessions-table.js';

/**
 * The ARN an IAM statement must name for a secret. One known only by name has an ARN without the
 * random six-character suffix every real secret ARN ends with, which IAM would never match: `-??????`
 * for it, as CDK's own (protected) arnForPolicies does.
 */
export function secretArnForPolicies(secret: ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}

/**
 * GetSecretValue alone on exactly these secrets: grantRead would add DescribeSecret, which reading
 * the value never needs.
 */
export function grantSecretValues(fn: LambdaFunction, secrets: readonly ISecret[]): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets.map(secretArnForPolicies) }));
}

/** AWS's Parameters and Secrets extension, for a function that reads these secrets once at init. */
export function secretsExtension(secretCount: number): ParamsAndSecretsLayerVersion {
  return ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
    cacheSize: secretCount,
    logLevel: ParamsAndSecretsLogLevel.WARN,
    secretsManagerTimeout: Duration.seconds(3),
  });
}

/**
 * Adds the extension to a function made elsewhere (a user's own): what lambda.Function does with its
 * `paramsAndSecrets` prop, which exists only at construction.
 */
export function addSecretsExtension(fn: LambdaFunction, secretCount: number): void {
  const bound = secretsExtension(secretCount)._bind(fn, fn);
  fn.addLayers(LayerVersion.fromLayerVersionArn(fn, 'params-and-secrets-layer', bound.arn));
  for (const [name, value] of Object.entries(bound.environmentVars)) fn.addEnvironment(name, String(value));
}

export interface AccessTokenUse {
  readonly sessions: SessionsTable;
  /** The flow's settings, the token key ring's ARN and the client secret's among them (ARNs only, never a value). */
  readonly settingsEnvironment: Record<string, string>;
  /** The token key ring, and the client secret when there is one (to refresh). */
  readonly secrets: readonly ISecret[];
}

/**
 * Everything a function needs to call the API as the user (the token-handler proxy, or a user's
 * function through `accessTokenFor`): the settings, the session's token attributes only, and the
 * two secrets, read once at init through the extension.
 */
export function grantAccessTokenUse(fn: LambdaFunction, use: AccessTokenUse): void {
  for (const [name, value] of Object.entries({ ...use.settingsEnvironment, [SESSION_TABLE_NAME_ENV]: use.sessions.table.tableName })) {
    fn.addEnvironment(name, value);
  }
  use.sessions.grantUseTokens(fn);
  grantSecretValues(fn, use.secrets);
  addSecretsExtension(fn, use.secrets.length);
}
