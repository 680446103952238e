import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { flowTable, type FlowTableProps } from './flow-table.js';
import { grantItemActions } from './table-grant.js';
import { LOGOUT_TOKEN_ATTRIBUTES } from '../lambdas/core/contract.js';

export type LogoutTokensTableProps = FlowTableProps;

/** One item per back-channel logout token seen, keyed by a hash of issuer and `jti`, kept only as long as the token could be replayed. */
export class LogoutTokensTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: LogoutTokensTableProps = {}) {
    super(scope, id);
    this.table = flowTable(this, props);
  }

  /** Record a token once (conditional put), and forget it again when its sessions could not be ended. */
  grantRecord(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, ['PutItem', 'DeleteItem'], { kind: 'write', attributes: LOGOUT_TOKEN_ATTRIBUTES });
  }
}
