import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { grantItemActions } from './table-grant.js';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../lambdas/core/contract.js';

export interface TransactionsTableProps {
  /** @default RemovalPolicy.RETAIN: recorded logins survive `cdk destroy` unless asked otherwise. */
  readonly removalPolicy?: RemovalPolicy;
}

/** One item per login attempt, keyed by the hash of its state; expired items age out through TTL. */
export class TransactionsTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: TransactionsTableProps = {}) {
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

  /** Exactly one action each: the login only creates, the callback only consumes. No reads, scans or wildcards. */
  grantCreate(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, 'PutItem');
  }

  grantConsume(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, 'UpdateItem');
  }
}
