import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../lambdas/core/contract.js';

export interface FlowTableProps {
  /** @default RemovalPolicy.RETAIN: recorded logins and sessions survive `cdk destroy` unless asked otherwise. */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How far back point-in-time recovery reaches (DynamoDB allows 1-35 days). Backups keep what TTL
   * has since removed (codes, verifiers, sessions) for this long.
   * @default 35
   */
  readonly pointInTimeRecoveryDays?: number;
}

export const DEFAULT_PITR_DAYS = 35;

/** The shape every table of the flow shares: one string key, TTL, on-demand, encrypted, recoverable. */
export function flowTable(scope: Construct, props: FlowTableProps): Table {
  return new Table(scope, 'table', {
    partitionKey: { name: TABLE_PARTITION_KEY, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: props.pointInTimeRecoveryDays ?? DEFAULT_PITR_DAYS },
    encryption: TableEncryption.AWS_MANAGED,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
}
