import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { LoginFlowStack } from '../../lib/login-flow-stack.js';
import { readStackOptions } from '../../lib/stack-options.js';
import { REQUIRED_SETTINGS } from '../support/settings.js';

export const STACK_ID = 'ServerlessOidcLogin';
export const REQUIRED_CONTEXT = REQUIRED_SETTINGS;
/** CDK's own switch (cx-api BUNDLING_STACKS): an empty list synthesizes without running esbuild. */
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: readonly { readonly ruleName: string; readonly violatingConstructs: readonly { readonly constructPath: string }[] }[];
  }[];
}

export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/**
 * The app exactly as bin/app.ts builds it (settings from context, the stack, cdk-nag's
 * AwsSolutions checks as a validation plugin), synthesized into its own temporary folder.
 */
export class LoginFlowApp {
  readonly outdir = mkdtempSync(join(tmpdir(), 'login-flow-synth-'));
  readonly app: App;
  readonly stack: LoginFlowStack;

  constructor(context: Record<string, unknown>, options: { bundle?: boolean } = {}) {
    this.app = new App({ outdir: this.outdir, context: { ...context, ...(options.bundle === false ? SKIP_BUNDLING : {}) } });
    this.stack = new LoginFlowStack(this.app, STACK_ID, { options: readStackOptions(this.app.node) });
    Validations.of(this.app).addPlugins(new AwsSolutionsChecks(this.app, { verbose: true }));
  }

  /** Synthesizes (cdk-nag runs here and throws on any unacknowledged finding) and returns the stack's template. */
  synth(): Template {
    const assembly = this.app.synth();
    return Template.fromJSON(assembly.getStackArtifact(this.stack.artifactId).template);
  }

  validationReport(): ValidationReport {
    return JSON.parse(readFileSync(join(this.outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  }

  /** Every `Validations.acknowledge` in the app, with where it was made and the reason given. */
  acknowledgements(): Acknowledgement[] {
    return this.app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ path: construct.node.path, id, reason }))),
    );
  }

  /** The CloudFormation logical id of a construct's main resource, to follow Refs and GetAtts exactly. */
  logicalId(construct: IConstruct): string {
    return this.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  }

  remove(): void {
    rmSync(this.outdir, { recursive: true, force: true });
  }
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
