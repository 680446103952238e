import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import type { PendingTransaction } from '../core/authorization-request.js';
import { recordedCode, type StoredTransactionState } from '../core/authorization-response.js';
import { DYNAMODB_REQUEST_TIMEOUT_MS, SESSION_ATTRIBUTES, SESSION_SID_INDEX, SESSION_SUB_INDEX, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../core/contract.js';
import type { SessionRecord } from '../core/session/session.js';
import type { ClaimValue } from '../core/token/id-token.js';

/**
 * Every DynamoDB expression of the flow lives here. A transaction is written once, pending, by the
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

/** The store could not answer (throttled, timed out, down): the caller answers 503 and nothing was consumed by us. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(readonly causeName: string) {
    super(`transaction store unavailable: ${causeName}`);
  }
}

/**
 * The key every warm-up names. No item ever has it: transaction, session and logout-token ids are
 * all 43-character base64url tokens or digests.
 */
export const WARM_UP_KEY = 'warm-up';

/**
 * A client's first send does lazily what every later one reuses: Node loads its HTTP and web-stream
 * modules, the SDK reads its settings (environment, shared config files) and resolves the endpoint,
 * derives the signing key, runs the command's middleware and codec for the first time, and opens
 * the connection (npm run bench: 35 to 40 ms of a fresh process's first request).
 * The handler awaits `warmUp` at top level, so that work happens during init and not on a user's
 * first request. It sends one request through the same client and command as that request would,
 * on the reserved key, which reads nothing and writes nothing (see each store's). In production
 * each cold start pays for it: a conditional write whose condition fails writes no item and
 * consumes one write unit (DynamoDB charges a failed conditional write by the existing item's
 * size, at least one unit, and there is none), and is counted in the table's
 * ConditionalCheckFailedRequests metric; an eventually consistent read of a missing item consumes
 * half a read unit.
 */
export interface WarmUp {
  /**
   * Never rejects and is bounded by one request timeout: a store that cannot answer must not fail
   * or hold init, and the first request then pays as it did without one.
   */
  readonly warmUp: () => Promise<void>;
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

/** The attributes a session read needs: nothing else is fetched. */
export type StoredSession = Pick<SessionRecord, 'id' | 'sub' | 'sid' | 'claims' | 'lastSeenAt' | 'absoluteExpiresAt'>;

/** The authorizer's one operation: a single read. */
export interface SessionReader extends WarmUp {
  find(sessionId: string): Promise<StoredSession | undefined>;
}

export interface SessionStore extends SessionReader {
  /** Moves the idle deadline; false when the session no longer exists (signed out meanwhile). */
  touch(sessionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean>;
  /** Idempotent; returns the ended session's `sid` (for the provider's logout), if it existed. */
  remove(sessionId: string): Promise<{ readonly existed: boolean; readonly sid: string | undefined }>;
}

function storeFault(error: unknown): StoreUnavailableError {
  return new StoreUnavailableError(error instanceof Error ? error.name : 'UnknownError');
}

/**
 * The warm-up's write: on an item that does not exist, `attribute_exists` fails, so nothing is
 * written and ConditionalCheckFailedException is the expected answer. It names only the key,
 * which every function's attribute list holds, and asks nothing back.
 */
const FAILING_CONDITION = {
  ConditionExpression: 'attribute_exists(#id)',
  ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY },
  ReturnValues: 'NONE',
} as const;

async function warmUpWith(send: (options: { abortSignal: AbortSignal }) => Promise<unknown>): Promise<void> {
  try {
    await send({ abortSignal: AbortSignal.timeout(DYNAMODB_REQUEST_TIMEOUT_MS) });
  } catch {
    // Expected for the conditional writes; anything else only means the first request warms up instead.
  }
}

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
            Key: { [TABLE_PARTITION_KEY]: { S: request.transactionId } },
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
                  Key: { [TABLE_PARTITION_KEY]: { S: record.transactionId } },
                  ConditionExpression: '#status = :codeReceived',
                  UpdateExpression: `SET ${assignments.join(', ')} REMOVE #codeVerifier, #nonce`,
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: values,
                },
              },
              {
                Put: {
                  TableName: sessionsTableName,
                  Item: sessionItem(record.session),
                  ConditionExpression: 'attribute_not_exists(#id)',
                  ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY },
                },
              },
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
            Key: { [TABLE_PARTITION_KEY]: { S: record.transactionId } },
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

/**
 * One item's named attributes, consistently read. The roles may read only the attributes their
 * code names (IAM `dynamodb:Attributes` with `dynamodb:Select` SPECIFIC_ATTRIBUTES), never whole items.
 */
async function readProjected(
  client: DynamoDBClient,
  tableName: string,
  id: string,
  attributes: readonly string[],
): Promise<Record<string, AttributeValue> | undefined> {
  try {
    const result = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: keyOf(id),
        ProjectionExpression: attributes.map((_, index) => `#a${index}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(attributes.map((name, index) => [`#a${index}`, name])),
        ConsistentRead: true,
      }),
    );
    return result.Item;
  } catch (error) {
    throw storeFault(error);
  }
}

export function createTransactionStore(client: DynamoDBClient, tableName: string, sessionsTableName?: string): TransactionStore {
  return { ...createPendingStore(client, tableName), ...createCallbackStore(client, tableName, sessionsTableName) };
}

function sessionItem(session: SessionRecord): Record<string, AttributeValue> {
  return {
    [TABLE_PARTITION_KEY]: { S: session.id },
    sub: { S: session.sub },
    ...(session.sid === undefined ? {} : { sid: { S: session.sid } }),
    claims: { S: JSON.stringify(session.claims) },
    createdAt: { N: String(session.createdAt) },
    lastSeenAt: { N: String(session.lastSeenAt) },
    absoluteExpiresAt: { N: String(session.absoluteExpiresAt) },
    [TABLE_TTL_ATTRIBUTE]: { N: String(session.expiresAt) },
  };
}

function parseClaims(value: string | undefined): Record<string, ClaimValue> {
  if (value === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const claims: Record<string, ClaimValue> = {};
    for (const [name, claim] of Object.entries(parsed)) {
      if (typeof claim === 'string' || typeof claim === 'number' || typeof claim === 'boolean') claims[name] = claim;
    }
    return claims;
  } catch {
    return {};
  }
}


const keyOf = (id: string): Record<string, AttributeValue> => ({ [TABLE_PARTITION_KEY]: { S: id } });

export function createSessionReader(client: DynamoDBClient, tableName: string): SessionReader {
  return {
    // Eventually consistent, unlike `find`: the answer is never used, and it costs half as much.
    warmUp: () =>
      warmUpWith((options) =>
        client.send(
          new GetItemCommand({ TableName: tableName, Key: keyOf(WARM_UP_KEY), ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY } }),
          options,
        ),
      ),

    async find(sessionId) {
      // Consistent: a session ended a moment ago must not be served from a stale replica.
      const item = await readProjected(client, tableName, sessionId, SESSION_ATTRIBUTES.read);
      const sub = item?.sub?.S;
      const lastSeenAt = item?.lastSeenAt?.N;
      const absoluteExpiresAt = item?.absoluteExpiresAt?.N;
      if (item === undefined || sub === undefined || lastSeenAt === undefined || absoluteExpiresAt === undefined) return undefined;
      return {
        id: sessionId,
        sub,
        sid: item.sid?.S,
        claims: parseClaims(item.claims?.S),
        lastSeenAt: Number(lastSeenAt),
        absoluteExpiresAt: Number(absoluteExpiresAt),
      };
    },
  };
}

export function createSessionStore(client: DynamoDBClient, tableName: string): SessionStore {
  return {
    ...createSessionReader(client, tableName),

    async touch(sessionId, lastSeenAt, expiresAt) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(sessionId),
            ConditionExpression: 'attribute_exists(#id)',
            UpdateExpression: 'SET #lastSeenAt = :lastSeenAt, #expiresAt = :expiresAt',
            ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY, '#lastSeenAt': 'lastSeenAt', '#expiresAt': TABLE_TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':lastSeenAt': { N: String(lastSeenAt) }, ':expiresAt': { N: String(expiresAt) } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw storeFault(error);
      }
    },

    async remove(sessionId) {
      // The sid first (all the provider's logout needs), then a delete that says whether there was anything to end.
      const sid = (await readProjected(client, tableName, sessionId, ['sid']))?.sid?.S;
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: keyOf(sessionId),
            ConditionExpression: 'attribute_exists(#id)',
            ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY },
          }),
        );
        return { existed: true, sid };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { existed: false, sid: undefined };
        throw storeFault(error);
      }
    },
  };
}

/** The back-channel logout function's operations: a replay record per logout token, and ending a user's sessions. */
export interface BackchannelStore extends WarmUp {
  /** False when this token was seen before (a replay). */
  recordLogoutToken(tokenId: string, keepUntil: number): Promise<boolean>;
  /** Undoes the record when the sessions could not be ended, so the provider's retry is not taken for a replay. */
  forgetLogoutToken(tokenId: string): Promise<void>;
  /** The ids of the sessions with this `sid` (and this `sub`, when given), or else of every session of `sub`. */
  findSessions(match: { readonly sid: string | undefined; readonly sub: string | undefined }): Promise<string[]>;
  removeSessions(sessionIds: readonly string[]): Promise<void>;
}

export function createBackchannelStore(client: DynamoDBClient, sessionsTableName: string, logoutTokensTableName: string): BackchannelStore {
  const query = async (indexName: string, attribute: 'sid' | 'sub', value: string, alsoSub: string | undefined): Promise<string[]> => {
    const ids: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const result = await client.send(
        new QueryCommand({
          TableName: sessionsTableName,
          IndexName: indexName,
          KeyConditionExpression: '#key = :key',
          ProjectionExpression: '#id',
          ...(alsoSub === undefined ? {} : { FilterExpression: '#sub = :sub' }),
          ExpressionAttributeNames: { '#key': attribute, '#id': TABLE_PARTITION_KEY, ...(alsoSub === undefined ? {} : { '#sub': 'sub' }) },
          ExpressionAttributeValues: { ':key': { S: value }, ...(alsoSub === undefined ? {} : { ':sub': { S: alsoSub } }) },
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of result.Items ?? []) {
        const id = item[TABLE_PARTITION_KEY]?.S;
        if (id !== undefined) ids.push(id);
      }
      startKey = result.LastEvaluatedKey;
    } while (startKey !== undefined);
    return ids;
  };
  return {
    warmUp: () =>
      warmUpWith((options) => client.send(new PutItemCommand({ TableName: logoutTokensTableName, Item: keyOf(WARM_UP_KEY), ...FAILING_CONDITION }), options)),

    async recordLogoutToken(tokenId, keepUntil) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: logoutTokensTableName,
            Item: { [TABLE_PARTITION_KEY]: { S: tokenId }, [TABLE_TTL_ATTRIBUTE]: { N: String(keepUntil) } },
            ConditionExpression: 'attribute_not_exists(#id)',
            ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw storeFault(error);
      }
    },

    async forgetLogoutToken(tokenId) {
      try {
        await client.send(new DeleteItemCommand({ TableName: logoutTokensTableName, Key: keyOf(tokenId) }));
      } catch (error) {
        throw storeFault(error);
      }
    },

    async findSessions({ sid, sub }) {
      try {
        if (sid !== undefined) return await query(SESSION_SID_INDEX, 'sid', sid, sub);
        if (sub !== undefined) return await query(SESSION_SUB_INDEX, 'sub', sub, undefined);
        return [];
      } catch (error) {
        throw storeFault(error);
      }
    },

    async removeSessions(sessionIds) {
      try {
        await Promise.all(sessionIds.map((id) => client.send(new DeleteItemCommand({ TableName: sessionsTableName, Key: keyOf(id) }))));
      } catch (error) {
        throw storeFault(error);
      }
    },
  };
}
