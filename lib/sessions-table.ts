import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../lambdas/core/contract.js';

export interface SessionsTableProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One item per signed-in browser, keyed by the hash of its cookie's secret. A table of its own, so
 * each function's grant names exactly the table it may touch. Expired sessions age out through TTL;
 * expiry itself is enforced by the functions.
 */
export class SessionsTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: SessionsTableProps = {}) {
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

  /** The callback creates sessions, inside the transaction that records the sign-in. */
  grantCreate(grantee: IGrantable): void {
    this.table.grant(grantee, 'dynamodb:PutItem');
  }

  /** The session function reads a session and moves its idle deadline. */
  grantReadAndTouch(grantee: IGrantable): void {
    this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }

  /** The logout function ends sessions. */
  grantEnd(grantee: IGrantable): void {
    this.table.grant(grantee, 'dynamodb:DeleteItem');
  }
}
