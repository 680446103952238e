import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnOutput, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import type { LoginFlowFunction } from '../../lib/login-flow-function.js';
import { LoginFlowStack } from '../../lib/login-flow-stack.js';
import type { OidcLogin } from '../../lib/oidc-login.js';
import { readStackOptions } from '../../lib/stack-options.js';
import { LOGOUT_TOKEN_ATTRIBUTES, SESSION_ATTRIBUTES, SESSION_SID_INDEX, SESSION_SUB_INDEX, TRANSACTION_ATTRIBUTES } from '../../lambdas/core/contract.js';
import { REQUIRED_SETTINGS } from '../support/settings.js';

export const STACK_ID = 'ServerlessOidcLogin';
export const REQUIRED_CONTEXT = REQUIRED_SETTINGS;
/** CDK's own switch (cx-api BUNDLING_STACKS): an empty list synthesizes without running esbuild. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export interface Violation {
  readonly ruleName: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: readonly Violation[];
  }[];
}

export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** The construct's functions and the demo app's, by the names the tests use. */
export const DEPLOYED_FUNCTIONS = ['login', 'callback', 'session', 'logout', 'authorizer', 'pageAuthorizer', 'backchannelLogout', 'demo'] as const;
export type DeployedFunction = (typeof DEPLOYED_FUNCTIONS)[number];

/** Each function of a sign-in, failing loudly on one the configuration left out. */
export function signInFunction(signIn: OidcLogin, name: Exclude<DeployedFunction, 'demo'>): LoginFlowFunction {
  const fn = signIn.functions[name];
  if (fn === undefined) throw new Error(`the sign-in has no ${name} function`);
  return fn;
}

/**
 * An app with cdk-nag's AwsSolutions checks as a validation plugin, as bin/app.ts adds them,
 * synthesized into its own temporary folder.
 */
export class CheckedApp {
  readonly outdir = mkdtempSync(join(tmpdir(), 'login-flow-synth-'));
  readonly app: App;

  constructor(context: Record<string, unknown>, options: { bundle?: boolean } = {}) {
    this.app = new App({ outdir: this.outdir, context: { ...context, ...(options.bundle === false ? SKIP_BUNDLING : {}) } });
  }

  /** Called once the stacks are added: a plugin added first would still run, but bin/app.ts adds it last. */
  protected addChecks(): void {
    Validations.of(this.app).addPlugins(new AwsSolutionsChecks(this.app, { verbose: true }));
  }

  /** Synthesizes (cdk-nag runs here and throws on any unacknowledged finding) and returns the stack's template. */
  synthStack(stack: Stack): Template {
    const assembly = this.app.synth();
    return Template.fromJSON(assembly.getStackArtifact(stack.artifactId).template);
  }

  validationReport(): ValidationReport {
    return JSON.parse(readFileSync(join(this.outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  }

  /** Every finding of the last synth, as rule and construct paths. */
  violations(): { plugin: string; rule: string; paths: string[] }[] {
    return this.validationReport().pluginReports.flatMap((report) =>
      report.violations.map((violation) => ({ plugin: report.pluginName, rule: violation.ruleName, paths: violation.violatingConstructs.map((c) => c.constructPath) })),
    );
  }

  /** Every `Validations.acknowledge` in the app, with where it was made and the reason given. */
  acknowledgements(): Acknowledgement[] {
    return this.app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason }))),
    );
  }

  /**
   * Each acknowledgement of a rule as where it applies: the route key when made on an API route
   * (so one on a whole API, which would hide every route's finding, shows as its path).
   */
  acknowledgedRoutes(rule: string): string[] {
    const constructs = new Map(this.app.node.findAll().map((construct) => [construct.node.path, construct]));
    return this.acknowledgements()
      .filter(({ id }) => id === rule || id.endsWith(`::${rule}`))
      .map(({ path }) => {
        const resource = constructs.get(path)?.node.defaultChild;
        return resource instanceof CfnRoute ? resource.routeKey : path;
      })
      .sort();
  }

  remove(): void {
    rmSync(this.outdir, { recursive: true, force: true });
  }
}

/** The app exactly as bin/app.ts builds it: settings from context, the stack, then cdk-nag. */
export class LoginFlowApp extends CheckedApp {
  readonly stack: LoginFlowStack;

  constructor(context: Record<string, unknown>, options: { bundle?: boolean } = {}) {
    super(context, options);
    this.stack = new LoginFlowStack(this.app, STACK_ID, { options: readStackOptions(this.app.node) });
    this.addChecks();
  }

  synth(): Template {
    return this.synthStack(this.stack);
  }

  /** The CloudFormation logical id of a construct's main resource, to follow Refs and GetAtts exactly. */
  logicalId(construct: IConstruct): string {
    return this.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  }

  function(name: DeployedFunction): LoginFlowFunction {
    return name === 'demo' ? this.stack.demoFunction : signInFunction(this.stack.signIn, name);
  }

  /** Each function's logical id, by name. */
  functionIds(): Record<DeployedFunction, string> {
    return Object.fromEntries(DEPLOYED_FUNCTIONS.map((name) => [name, this.logicalId(this.function(name))])) as Record<DeployedFunction, string>;
  }

  /** The template's outputs under the ids the sign-in gave them (their logical ids carry its path and a hash). */
  outputs(template: Template): Record<string, { Value: unknown }> {
    return outputsOf(this.stack.signIn, template);
  }
}

/** A sign-in's outputs by construct id; an output in the template that is not the sign-in's fails. */
export function outputsOf(signIn: OidcLogin, template: Template): Record<string, { Value: unknown }> {
  const stack = Stack.of(signIn);
  const idsByLogicalId = new Map(
    signIn.node.children.filter((child): child is CfnOutput => child instanceof CfnOutput).map((output) => [stack.getLogicalId(output), output.node.id]),
  );
  return Object.fromEntries(
    Object.entries(template.findOutputs('*') as Record<string, { Value: unknown }>).map(([logicalId, output]) => {
      const id = idsByLogicalId.get(logicalId);
      if (id === undefined) throw new Error(`output ${logicalId} is not the sign-in's`);
      return [id, output];
    }),
  );
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export function resourcesOfType(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}

export const ref = (logicalId: string): { Ref: string } => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string): { 'Fn::GetAtt': [string, string] } => ({ 'Fn::GetAtt': [logicalId, attribute] });

export function resourceOf(template: Template, logicalId: string): CfnResource {
  const found = (template.toJSON() as { Resources: Record<string, CfnResource> }).Resources[logicalId];
  if (found === undefined) throw new Error(`no resource ${logicalId}`);
  return found;
}

export type Statement = { Action: string | string[]; Effect: string; Resource: unknown; Condition?: unknown };

/**
 * The fine-grained conditions each DynamoDB grant carries: only the named attributes, and no whole
 * items back (writes: ReturnValues NONE; reads: Select SPECIFIC_ATTRIBUTES).
 */
function onlyAttributes(kind: 'write' | 'read', attributes: readonly string[]): unknown {
  return {
    'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] },
    StringEqualsIfExists: kind === 'write' ? { 'dynamodb:ReturnValues': 'NONE' } : { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
  };
}

export function roleOf(template: Template, functionId: string): string {
  return (resourceOf(template, functionId).Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

/** The statements of a function's role: there must be exactly one policy on it. */
export function statementsOf(template: Template, functionId: string): Statement[] {
  const role = JSON.stringify(ref(roleOf(template, functionId)));
  const policies = Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).filter((policy) =>
    (policy.Properties.Roles as unknown[]).some((candidate) => JSON.stringify(candidate) === role),
  );
  if (policies.length !== 1) throw new Error(`${functionId}'s role has ${policies.length} policies`);
  return (policies[0]?.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}

export function allStatements(template: Template): Statement[] {
  return Object.values(resourcesOfType(template, 'AWS::IAM::Policy')).flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Statement order follows grant order, which says nothing about what is allowed. */
export function unordered(statements: Statement[]): Statement[] {
  return [...statements].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** What a sign-in's grants may name, as the template spells them. */
export interface GrantTargets {
  readonly transactions: string;
  readonly sessions: string;
  readonly logoutTokens: string | undefined;
  /** The literal ARN of an existing secret, a Ref to a made one, or undefined without one. */
  readonly secretArn: unknown;
  /** The token key ring, as `secretArn`. */
  readonly tokenKeysArn: unknown;
}

/** A secret as a grant names it: a Ref to one made on the stack, the literal ARN of one given. */
export function secretTarget(secret: ISecret | undefined, logicalId: (construct: IConstruct) => string): unknown {
  if (secret === undefined) return undefined;
  return secret instanceof Secret ? ref(logicalId(secret)) : secret.secretArn;
}

/** The secrets the callback and the logout read (key ring first), as one statement names them. */
export function readSecrets(targets: GrantTargets): unknown[] {
  return [targets.tokenKeysArn, targets.secretArn].filter((arn) => arn !== undefined);
}

export const tableArn = (table: string): { 'Fn::GetAtt': [string, string] } => getAtt(table, 'Arn');
export const indexArn = (table: string, index: string): unknown => ({ 'Fn::Join': ['', [tableArn(table), `/index/${index}`]] });

/** Every statement each function needs, and nothing else. */
export function neededStatements(template: Template, functionId: string, name: DeployedFunction, targets: GrantTargets): Statement[] {
  const logGroup = (resourceOf(template, functionId).Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  const ownLogs: Statement = { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: getAtt(logGroup, 'Arn') };
  const on = (resource: unknown, action: string | string[], condition?: unknown): Statement => ({
    Action: action,
    ...(condition === undefined ? {} : { Condition: condition }),
    Effect: 'Allow',
    Resource: resource,
  });
  const sessions = tableArn(targets.sessions);
  const readSession = on(sessions, 'dynamodb:GetItem', onlyAttributes('read', SESSION_ATTRIBUTES.read));
  const secrets = readSecrets(targets);
  // Only the callback (sealing the tokens, redeeming) and the logout (hint, revocation) read the secrets.
  const readTheSecrets = secrets.length === 0 ? [] : [on(secrets.length === 1 ? secrets[0] : secrets, 'secretsmanager:GetSecretValue')];
  switch (name) {
    case 'login':
      return [ownLogs, on(tableArn(targets.transactions), 'dynamodb:PutItem', onlyAttributes('write', TRANSACTION_ATTRIBUTES.loginWrites))];
    case 'callback':
      return [
        ownLogs,
        on(tableArn(targets.transactions), 'dynamodb:UpdateItem', onlyAttributes('write', TRANSACTION_ATTRIBUTES.callbackWrites)),
        on(tableArn(targets.transactions), 'dynamodb:GetItem', onlyAttributes('read', TRANSACTION_ATTRIBUTES.callbackReads)),
        // Redeeming a code needs the secret and ends in a session; without a secret the flow stops at the recorded code.
        ...readTheSecrets,
        ...(targets.secretArn === undefined
          ? []
          : [
              on(sessions, 'dynamodb:PutItem', onlyAttributes('write', SESSION_ATTRIBUTES.create)),
              on(sessions, 'dynamodb:DeleteItem', onlyAttributes('write', SESSION_ATTRIBUTES.replace)),
            ]),
      ];
    case 'session':
      return [ownLogs, readSession, on(sessions, 'dynamodb:UpdateItem', onlyAttributes('write', SESSION_ATTRIBUTES.touch))];
    case 'logout':
      return [
        ownLogs,
        on(sessions, 'dynamodb:GetItem', onlyAttributes('read', SESSION_ATTRIBUTES.end)),
        on(sessions, 'dynamodb:DeleteItem', onlyAttributes('write', SESSION_ATTRIBUTES.end)),
        ...readTheSecrets,
      ];
    case 'authorizer':
    case 'pageAuthorizer':
      return [ownLogs, readSession];
    case 'backchannelLogout':
      if (targets.logoutTokens === undefined) throw new Error('back-channel logout without its table');
      return [
        ownLogs,
        on(
          [indexArn(targets.sessions, SESSION_SID_INDEX), indexArn(targets.sessions, SESSION_SUB_INDEX)],
          'dynamodb:Query',
          onlyAttributes('read', SESSION_ATTRIBUTES.findAndEnd),
        ),
        on(sessions, 'dynamodb:DeleteItem', onlyAttributes('write', SESSION_ATTRIBUTES.findAndEnd)),
        on(tableArn(targets.logoutTokens), ['dynamodb:PutItem', 'dynamodb:DeleteItem'], onlyAttributes('write', LOGOUT_TOKEN_ATTRIBUTES)),
      ];
    case 'demo':
      return [ownLogs];
  }
}

/**
 * What each statement reaches, as `table:action` (an index as `table/index/name:action`), so a
 * grant on the wrong table or index shows by name.
 */
export function reachedTables(statements: Statement[], tables: Record<string, string | undefined>): string[] {
  const names = new Map<string, string>();
  for (const [name, table] of Object.entries(tables)) {
    if (table === undefined) continue;
    names.set(JSON.stringify(tableArn(table)), name);
    for (const index of [SESSION_SID_INDEX, SESSION_SUB_INDEX]) names.set(JSON.stringify(indexArn(table, index)), `${name}/index/${index}`);
  }
  return statements
    .flatMap((statement) =>
      [statement.Resource].flat().flatMap((resource) => {
        const name = names.get(JSON.stringify(resource));
        return name === undefined ? [] : [statement.Action].flat().map((action) => `${name}:${action}`);
      }),
    )
    .sort();
}
