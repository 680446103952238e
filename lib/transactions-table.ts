import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { flowTable, type FlowTableProps } from './flow-table.js';
import { grantItemActions } from './table-grant.js';
import { TRANSACTION_ATTRIBUTES } from '../lambdas/core/contract.js';

export type TransactionsTableProps = FlowTableProps;

/** One item per login attempt, keyed by the hash of its state; expired items age out through TTL. */
export class TransactionsTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: TransactionsTableProps = {}) {
    super(scope, id);
    this.table = flowTable(this, props);
  }

  /** The login only creates records, naming only what a pending login holds. */
  grantCreate(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, ['PutItem'], { kind: 'write', attributes: TRANSACTION_ATTRIBUTES.loginWrites });
  }

  /**
   * The callback consumes a record and records its outcome (UpdateItem), and reads back only what
   * redeeming the code or labelling a refusal needs (GetItem). It can never change `returnTo` or
   * read whole records; no function can scan.
   */
  grantConsume(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, ['UpdateItem'], { kind: 'write', attributes: TRANSACTION_ATTRIBUTES.callbackWrites });
    grantItemActions(grantee, this.table, ['GetItem'], { kind: 'read', attributes: TRANSACTION_ATTRIBUTES.callbackReads });
  }
}
