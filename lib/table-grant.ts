import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';

/**
 * Item actions on the table itself. `Table.grant` would add `<table>/index/*` as soon as a table has
 * an index: a wildcard no item action needs.
 */
export function grantItemActions(grantee: IGrantable, table: ITable, ...actions: string[]): void {
  Grant.addToPrincipal({ grantee, actions: actions.map((action) => `dynamodb:${action}`), resourceArns: [table.tableArn] });
}
