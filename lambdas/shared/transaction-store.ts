import {
  ConditionalCheckFailedException,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { PendingTransaction } from '../core/authorization-request.js';
import { recordedCode, type StoredTransactionState } from '../core/authorization-response.js';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../core/contract.js';
import type { SessionRecord } from '../core/session/session.js';
import type { ClaimValue } from '../core/token/id-token.js';
import { sessionCreation } from './session-store.js';
import { FAILING_CONDITION, keyOf, readProjected, storeFault, warmUpWith, WARM_UP_KEY, type WarmUp } from './store-common.js';

/**
 * The transactions table's DynamoDB expressions. A transaction is written once, pending, by the
 * login, and consumed once by the callback in a single conditional write that also records the
 * outcome: there is no read-then-write, so there is nothing to race. A redeemed code then becomes a
 * session in one DynamoDB transaction, or a failure label on the record: never half of either.
 */

export const TransactionStatus = {
  pending: 'pending',
  codeReceived: 'code_received',
  providerError: 'provider_error',
  signedIn: 'signed_in',
  signInFailed: 'sign_in_failed',
} as const;

export type TransactionOutcome =
  | { readonly kind: 'code'; readonly code: string }
  | { readonly kind: 'error'; readonly error: string; readonly errorDescription: string | undefined };

export interface ConsumeRequest {
  readonly transactionId: string;
  readonly bindingHash: string;
  readonly outcome: TransactionOutcome;
  readonly issuer: string;
  readonly nowMs: number;
  /** Epoch seconds until which the completed record is kept (the TTL attribute again). */
  readonly retainUntil: number;
}

/** What the callback needs from the consumed record to redeem its code. */
export interface ConsumedTransaction {
  readonly returnTo: string | undefined;
  readonly codeVerifier: string | undefined;
  readonly nonce: string | undefined;
  readonly organization: string | undefined;
  /** Epoch milliseconds when /login wrote the record. */
  readonly createdAt: number | undefined;
}

export type ConsumeResult =
  | ({ readonly consumed: true } & ConsumedTransaction)
  | { readonly consumed: false; readonly stored: StoredTransactionState | undefined };

export interface SignInRecord {
  readonly transactionId: string;
  readonly sub: string;
  readonly claims: Readonly<Record<string, ClaimValue>>;
  readonly scope: string | undefined;
  readonly nowMs: number;
  readonly session: SessionRecord;
  /** The session the browser's cookie named, if any: a new sign-in in the same browser ends it. */
  readonly replacesSessionId: string | undefined;
}

export interface SignInFailureRecord {
  readonly transactionId: string;
  readonly reason: string;
  readonly nowMs: number;
}

/** The login function's one operation. */
export interface PendingStore extends WarmUp {
  savePending(transaction: PendingTransaction): Promise<void>;
}

/** The callback function's operations. */
export interface CallbackStore extends WarmUp {
  consume(request: ConsumeRequest): Promise<ConsumeResult>;
  /**
   * One DynamoDB transaction: the record says who signed in (verifier removed), the session exists
   * and the one it replaces does not, or none of it.
   */
  completeSignIn(record: SignInRecord): Promise<void>;
  /** Labels a consumed record whose code did not become a session; the verifier goes with it. */
  recordSignInFailure(record: SignInFailureRecord): Promise<void>;
}

export type TransactionStore = PendingStore & CallbackStore;

function readStoredState(item: Record<string, AttributeValue> | undefined): StoredTransactionState | undefined {
  const status = item?.status?.S;
  const expiresAt = item?.[TABLE_TTL_ATTRIBUTE]?.N;
  const bindingHash = item?.bindingHash?.S;
  if (status === undefined || expiresAt === undefined || bindingHash === undefined) return undefined;
  const code = item?.code?.S;
  const codeHash = item?.codeHash?.S;
  return { status, expiresAt: Number(expiresAt), bindingHash, ...(code === undefined ? {} : { code }), ...(codeHash === undefined ? {} : { codeHash }) };
}

/**
 * One factory per function, so each bundle carries only the commands its function may run: the
 * login's holds PutItem alone.
 */
export function createPendingStore(client: DynamoDBClient, tableName: string): PendingStore {
  return {
    warmUp: () => warmUpWith((options) => client.send(new PutItemCommand({ TableName: tableName, Item: keyOf(WARM_UP_KEY), ...FAILING_CONDITION }), options)),

    async savePending(transaction) {
      const item: Record<string, AttributeValue> = {
        [TABLE_PARTITION_KEY]: { S: transaction.id },
        status: { S: TransactionStatus.pending },
        codeVerifier: { S: transaction.codeVerifier },
        bindingHash: { S: transaction.bindingHash },
        createdAt: { N: String(transaction.createdAt) },
        [TABLE_TTL_ATTRIBUTE]: { N: String(transaction.expiresAt) },
      };
      if (transaction.nonce !== undefined) item.nonce = { S: transaction.nonce };
      if (transaction.returnTo !== undefined) item.returnTo = { S: transaction.returnTo };
      if (transaction.organization !== undefined) item.organization = { S: transaction.organization };
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY },
          }),
        );
      } catch (error) {
        // Only a store failure can land here: a collision of 256-bit random ids would mean a broken
        // RNG, and a fresh login (what the 503 page offers) draws a new state anyway.
        throw storeFault(error);
      }
    },
  };
}

/** `sessionsTableName` is where a redeemed code becomes a session; without it the callback only records codes. */
export function createCallbackStore(client: DynamoDBClient, tableName: string, sessionsTableName?: string): CallbackStore {
  return {
    // No update expression either: even on an existing item this would change nothing.
    warmUp: () => warmUpWith((options) => client.send(new UpdateItemCommand({ TableName: tableName, Key: keyOf(WARM_UP_KEY), ...FAILING_CONDITION }), options)),

    async consume(request) {
      const names: Record<string, string> = {
        '#status': 'status',
        '#expiresAt': TABLE_TTL_ATTRIBUTE,
        '#bindingHash': 'bindingHash',
        '#completedAt': 'completedAt',
        '#issuer': 'issuer',
      };
      const values: Record<string, AttributeValue> = {
        ':pending': { S: TransactionStatus.pending },
        ':now': { N: String(Math.floor(request.nowMs / 1000)) },
        ':bindingHash': { S: request.bindingHash },
        ':completedAt': { N: String(request.nowMs) },
        ':issuer': { S: request.issuer },
        ':retainUntil': { N: String(request.retainUntil) },
      };
      const assignments = ['#status = :outcome', '#completedAt = :completedAt', '#issuer = :issuer', '#expiresAt = :retainUntil'];
      if (request.outcome.kind === 'code') {
        values[':outcome'] = { S: TransactionStatus.codeReceived };
        const recorded = recordedCode(request.outcome.code);
        names['#code'] = 'code' in recorded ? 'code' : 'codeHash';
        values[':code'] = { S: 'code' in recorded ? recorded.code : recorded.codeHash };
        assignments.push('#code = :code');
      } else {
        values[':outcome'] = { S: TransactionStatus.providerError };
        names['#error'] = 'error';
        values[':error'] = { S: request.outcome.error };
        assignments.push('#error = :error');
        if (request.outcome.errorDescription !== undefined) {
          names['#errorDescription'] = 'errorDescription';
          values[':errorDescription'] = { S: request.outcome.errorDescription };
          assignments.push('#errorDescription = :errorDescription');
        }
      }
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(request.transactionId),
            // Expiry is enforced here, not by TTL: DynamoDB deletes expired items lazily, often days
            // later, and serves them until then (developer guide, "Working with expired items").
            ConditionExpression: '#status = :pending AND #expiresAt > :now AND #bindingHash = :bindingHash',
            UpdateExpression: `SET ${assignments.join(', ')}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            // Nothing back: the function's role may not ask for whole items (see readProjected).
            ReturnValues: 'NONE',
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          // Only to label the refusal: the write above has already decided.
          return { consumed: false, stored: readStoredState(await readProjected(client, tableName, request.transactionId, REFUSAL_READ)) };
        }
        throw storeFault(error);
      }
      // Read after the consuming write, so nothing races it: these were written at /login and never change.
      const consumed = await readProjected(client, tableName, request.transactionId, CONSUMED_READ);
      return {
        consumed: true,
        returnTo: consumed?.returnTo?.S,
        codeVerifier: consumed?.codeVerifier?.S,
        nonce: consumed?.nonce?.S,
        organization: consumed?.organization?.S,
        createdAt: consumed?.createdAt?.N === undefined ? undefined : Number(consumed.createdAt.N),
      };
    },

    async completeSignIn(record) {
      if (sessionsTableName === undefined) throw new Error('completeSignIn needs the sessions table');
      const values: Record<string, AttributeValue> = {
        ':codeReceived': { S: TransactionStatus.codeReceived },
        ':signedIn': { S: TransactionStatus.signedIn },
        ':sub': { S: record.sub },
        ':claims': { S: JSON.stringify(record.claims) },
        ':signedInAt': { N: String(record.nowMs) },
      };
      const assignments = ['#status = :signedIn', '#sub = :sub', '#claims = :claims', '#signedInAt = :signedInAt'];
      const names: Record<string, string> = {
        '#status': 'status',
        '#sub': 'sub',
        '#claims': 'claims',
        '#signedInAt': 'signedInAt',
        '#codeVerifier': 'codeVerifier',
        '#nonce': 'nonce',
      };
      if (record.scope !== undefined) {
        names['#scope'] = 'scope';
        values[':scope'] = { S: record.scope };
        assignments.push('#scope = :scope');
      }
      try {
        await client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tableName,
                  Key: keyOf(record.transactionId),
                  ConditionExpression: '#status = :codeReceived',
                  UpdateExpression: `SET ${assignments.join(', ')} REMOVE #codeVerifier, #nonce`,
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: values,
                },
              },
              sessionCreation(sessionsTableName, record.session),
              // Unconditional: a replaced session that already ended leaves nothing to do.
              ...(record.replacesSessionId === undefined ? [] : [{ Delete: { TableName: sessionsTableName, Key: keyOf(record.replacesSessionId) } }]),
            ],
          }),
        );
      } catch (error) {
        // A cancelled transaction wrote nothing; for the user it is the same as an outage: start again.
        throw storeFault(error);
      }
    },

    async recordSignInFailure(record) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(record.transactionId),
            ConditionExpression: '#status = :codeReceived',
            UpdateExpression: 'SET #status = :failed, #failureReason = :reason, #failedAt = :failedAt REMOVE #codeVerifier, #nonce',
            ExpressionAttributeNames: {
              '#status': 'status',
              '#failureReason': 'failureReason',
              '#failedAt': 'failedAt',
              '#codeVerifier': 'codeVerifier',
              '#nonce': 'nonce',
            },
            ExpressionAttributeValues: {
              ':codeReceived': { S: TransactionStatus.codeReceived },
              ':failed': { S: TransactionStatus.signInFailed },
              ':reason': { S: record.reason },
              ':failedAt': { N: String(record.nowMs) },
            },
          }),
        );
      } catch (error) {
        throw storeFault(error);
      }
    },
  };
}

const CONSUMED_READ = ['returnTo', 'codeVerifier', 'nonce', 'organization', 'createdAt'] as const;
const REFUSAL_READ = ['status', TABLE_TTL_ATTRIBUTE, 'bindingHash', 'code', 'codeHash'] as const;

export function createTransactionStore(client: DynamoDBClient, tableName: string, sessionsTableName?: string): TransactionStore {
  return { ...createPendingStore(client, tableName), ...createCallbackStore(client, tableName, sessionsTableName) };
}
