import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { PendingTransaction } from '../core/authorization-request.js';
import type { StoredTransactionState } from '../core/authorization-response.js';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../core/contract.js';

/**
 * Every DynamoDB expression of the flow lives here. A transaction is written once, pending, by the
 * login, and consumed once by the callback in a single conditional write that also records the
 * outcome: there is no read-then-write, so there is nothing to race.
 */

export const TransactionStatus = {
  pending: 'pending',
  codeReceived: 'code_received',
  providerError: 'provider_error',
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

export type ConsumeResult =
  | { readonly consumed: true; readonly returnTo: string | undefined }
  | { readonly consumed: false; readonly stored: StoredTransactionState | undefined };

/** The store could not answer (throttled, timed out, down): the caller answers 503 and nothing was consumed by us. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(readonly causeName: string) {
    super(`transaction store unavailable: ${causeName}`);
  }
}

export interface TransactionStore {
  savePending(transaction: PendingTransaction): Promise<void>;
  consume(request: ConsumeRequest): Promise<ConsumeResult>;
}

function storeFault(error: unknown): StoreUnavailableError {
  return new StoreUnavailableError(error instanceof Error ? error.name : 'UnknownError');
}

function readStoredState(item: Record<string, AttributeValue> | undefined): StoredTransactionState | undefined {
  const status = item?.status?.S;
  const expiresAt = item?.[TABLE_TTL_ATTRIBUTE]?.N;
  const bindingHash = item?.bindingHash?.S;
  if (status === undefined || expiresAt === undefined || bindingHash === undefined) return undefined;
  const code = item?.code?.S;
  return { status, expiresAt: Number(expiresAt), bindingHash, ...(code === undefined ? {} : { code }) };
}

export function createTransactionStore(client: DynamoDBClient, tableName: string): TransactionStore {
  return {
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
        names['#code'] = 'code';
        values[':code'] = { S: request.outcome.code };
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
        const result = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { [TABLE_PARTITION_KEY]: { S: request.transactionId } },
            // Expiry is enforced here, not by TTL: DynamoDB deletes expired items lazily, often days
            // later, and serves them until then (developer guide, "Working with expired items").
            ConditionExpression: '#status = :pending AND #expiresAt > :now AND #bindingHash = :bindingHash',
            UpdateExpression: `SET ${assignments.join(', ')}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { consumed: true, returnTo: result.Attributes?.returnTo?.S };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          return { consumed: false, stored: readStoredState(error.Item) };
        }
        throw storeFault(error);
      }
    },
  };
}
