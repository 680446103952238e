import { AttributeType, ProjectionType, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { flowTable, type FlowTableProps } from './flow-table.js';
import { grantItemActions } from './table-grant.js';
import { SESSION_ATTRIBUTES, SESSION_SID_INDEX, SESSION_SUB_INDEX } from '../lambdas/core/contract.js';

export type SessionsTableProps = FlowTableProps;

/**
 * One item per signed-in browser, keyed by the hash of its cookie's secret. A table of its own, so
 * each function's grant names exactly the table it may touch. Expired sessions age out through TTL;
 * expiry itself is enforced by the functions.
 */
export class SessionsTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string, props: SessionsTableProps = {}) {
    super(scope, id);
    this.table = flowTable(this, props);
    // A back-channel logout names a provider session (`sid`) or a user (`sub`); the indexes find
    // their sessions without a scan. `sub` rides along on the sid index to match both when both are sent.
    this.table.addGlobalSecondaryIndex({
      indexName: SESSION_SID_INDEX,
      partitionKey: { name: 'sid', type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: ['sub'],
    });
    this.table.addGlobalSecondaryIndex({
      indexName: SESSION_SUB_INDEX,
      partitionKey: { name: 'sub', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }

  /**
   * The callback creates sessions, inside the transaction that records the sign-in, and ends there
   * the one the browser's cookie named (by its key alone).
   */
  grantCreate(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, ['PutItem'], { kind: 'write', attributes: SESSION_ATTRIBUTES.create });
    grantItemActions(grantee, this.table, ['DeleteItem'], { kind: 'write', attributes: SESSION_ATTRIBUTES.replace });
  }

  /** The session function reads a session and moves its idle deadline: nothing else. */
  grantReadAndTouch(grantee: IGrantable): void {
    this.grantRead(grantee);
    grantItemActions(grantee, this.table, ['UpdateItem'], { kind: 'write', attributes: SESSION_ATTRIBUTES.touch });
  }

  /** The logout function reads a session's `sid` (for the provider's logout) and ends it. */
  grantEnd(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, ['GetItem'], { kind: 'read', attributes: SESSION_ATTRIBUTES.end });
    grantItemActions(grantee, this.table, ['DeleteItem'], { kind: 'write', attributes: SESSION_ATTRIBUTES.end });
  }

  /** The session authorizer reads, and only reads, what it hands the route. */
  grantRead(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, ['GetItem'], { kind: 'read', attributes: SESSION_ATTRIBUTES.read });
  }

  /**
   * Whatever calls the API as the user (the token-handler proxy): reads the session's tokens, takes
   * and releases the refresh lease, writes refreshed tokens, ends a session whose grant is gone.
   */
  grantUseTokens(grantee: IGrantable): void {
    grantItemActions(grantee, this.table, ['GetItem'], { kind: 'read', attributes: SESSION_ATTRIBUTES.tokens });
    grantItemActions(grantee, this.table, ['UpdateItem', 'DeleteItem'], { kind: 'write', attributes: SESSION_ATTRIBUTES.tokens });
  }

  /** Back-channel logout finds a user's sessions through the two indexes (and nothing else) and ends them. */
  grantFindAndEnd(grantee: IGrantable): void {
    const indexes = [SESSION_SID_INDEX, SESSION_SUB_INDEX].map((index) => `${this.table.tableArn}/index/${index}`);
    grantItemActions(grantee, this.table, ['Query'], { kind: 'read', attributes: SESSION_ATTRIBUTES.findAndEnd }, indexes);
    grantItemActions(grantee, this.table, ['DeleteItem'], { kind: 'write', attributes: SESSION_ATTRIBUTES.findAndEnd });
  }
}
