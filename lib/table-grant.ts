import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';

/** What a grant's requests may name: writes ask for no return values; reads name their attributes. */
export interface AttributeAccess {
  readonly kind: 'write' | 'read';
  /** Every attribute the function's requests name (written, compared or read), key included. */
  readonly attributes: readonly string[];
}

/**
 * Item actions on the table (or the given index ARNs), limited to the named attributes. `Table.grant`
 * would add `<table>/index/*` as soon as a table has an index, and allow every attribute of every
 * item; here a function may touch only what its code names (DynamoDB's fine-grained access control:
 * `dynamodb:Attributes`, with `dynamodb:ReturnValues` NONE for writes so no whole item comes back,
 * and `dynamodb:Select` SPECIFIC_ATTRIBUTES for reads so no unnamed attribute does).
 */
export function grantItemActions(
  grantee: IGrantable,
  table: ITable,
  actions: readonly string[],
  access: AttributeAccess,
  resourceArns: readonly string[] = [table.tableArn],
): void {
  Grant.addToPrincipal({
    grantee,
    actions: actions.map((action) => `dynamodb:${action}`),
    resourceArns: [...resourceArns],
    conditions: {
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...access.attributes] },
      StringEqualsIfExists: access.kind === 'write' ? { 'dynamodb:ReturnValues': 'NONE' } : { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
    },
  });
}
