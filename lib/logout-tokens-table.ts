import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { grantItemActions } from './table-grant.js';
import { LOGOUT_TOKEN_ATTRIBUTES, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../lambdas/core/contract.js';

export interface LogoutTokensTableProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** One item per back-channel logout token seen, keyed by a hash of issuer and `jti`, kept only as long as the token could be replayed. */
export class LogoutTokensTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: LogoutTokensTableProps = {}) {
    super(scope, id);
    this.table = new Table(this, 'table', {
      partitionKey: { name: TABLE_PARTITION_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }

  /** Record a token once (conditional put), and forget it again when its sessions could not be ended. */
  grantRecord(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, ['PutItem', 'DeleteItem'], { kind: 'write', attributes: LOGOUT_TOKEN_ATTRIBUTES });
  }
}
