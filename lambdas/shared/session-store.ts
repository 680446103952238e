import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SESSION_ATTRIBUTES, SESSION_SID_INDEX, SESSION_SUB_INDEX, TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../core/contract.js';
import type { SealedTokens, SessionRecord } from '../core/session/session.js';
import type { RefreshLease } from '../core/token/session-tokens.js';
import type { ClaimValue } from '../core/token/id-token.js';
import { keyOf, readProjected, storeFault, warmUpWith, WARM_UP_KEY, type WarmUp } from './store-common.js';

/** The sessions table's DynamoDB expressions. */

/** The attributes a session read needs: nothing else is fetched. */
export type StoredSession = Pick<SessionRecord, 'id' | 'sub' | 'sid' | 'claims' | 'lastSeenAt' | 'absoluteExpiresAt'>;

/** The authorizer's one operation: a single read. */
export interface SessionReader extends WarmUp {
  find(sessionId: string): Promise<StoredSession | undefined>;
}

export interface EndedSession {
  readonly existed: boolean;
  readonly sid: string | undefined;
  /** The sealed tokens' ciphertext (token-sealing.ts). */
  readonly sealedTokens: string | undefined;
}

export interface SessionStore extends SessionReader {
  /** Moves the idle deadline; false when the session no longer exists (signed out meanwhile). */
  touch(sessionId: string, lastSeenAt: number, expiresAt: number): Promise<boolean>;
  /** Idempotent; returns the ended session's `sid` and sealed tokens (for the provider's logout), if it existed. */
  remove(sessionId: string): Promise<EndedSession>;
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
    ...(session.tokens === undefined ? {} : tokenItem(session.tokens, FIRST_TOKEN_VERSION)),
  };
}

const FIRST_TOKEN_VERSION = 1;

function tokenItem(tokens: SealedTokens, version: number): Record<string, AttributeValue> {
  return {
    tokens: { S: tokens.sealed },
    accessTokenExpiresAt: { N: String(tokens.facts.accessTokenExpiresAt) },
    scope: { S: tokens.facts.scope },
    tokenVersion: { N: String(version) },
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

/** The callback's part of its sign-in transaction: the new session, never overwriting one. */
export function sessionCreation(tableName: string, session: SessionRecord): TransactWriteItem {
  return {
    Put: {
      TableName: tableName,
      Item: sessionItem(session),
      ConditionExpression: 'attribute_not_exists(#id)',
      ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY },
    },
  };
}

/** Eventually consistent, unlike the reads it warms: the answer is never used, and it costs half as much. */
function warmUpSessionRead(client: DynamoDBClient, tableName: string): Promise<void> {
  return warmUpWith((options) =>
    client.send(
      new GetItemCommand({ TableName: tableName, Key: keyOf(WARM_UP_KEY), ProjectionExpression: '#id', ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY } }),
      options,
    ),
  );
}

/** What every session read needs to judge the session: whose it is and its two deadlines. */
function sessionBasics(item: Record<string, AttributeValue> | undefined): { sub: string; lastSeenAt: number; absoluteExpiresAt: number } | undefined {
  const sub = item?.sub?.S;
  const lastSeenAt = item?.lastSeenAt?.N;
  const absoluteExpiresAt = item?.absoluteExpiresAt?.N;
  if (sub === undefined || lastSeenAt === undefined || absoluteExpiresAt === undefined) return undefined;
  return { sub, lastSeenAt: Number(lastSeenAt), absoluteExpiresAt: Number(absoluteExpiresAt) };
}

export function createSessionReader(client: DynamoDBClient, tableName: string): SessionReader {
  return {
    warmUp: () => warmUpSessionRead(client, tableName),

    async find(sessionId) {
      // Consistent: a session ended a moment ago must not be served from a stale replica.
      const item = await readProjected(client, tableName, sessionId, SESSION_ATTRIBUTES.read);
      const basics = sessionBasics(item);
      if (item === undefined || basics === undefined) return undefined;
      return { id: sessionId, ...basics, sid: item.sid?.S, claims: parseClaims(item.claims?.S) };
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
      // What the provider's logout needs first, then a delete that says whether there was anything to end.
      const ending = await readProjected(client, tableName, sessionId, ['sid', 'tokens']);
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: keyOf(sessionId),
            ConditionExpression: 'attribute_exists(#id)',
            ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY },
          }),
        );
        return { existed: true, sid: ending?.sid?.S, sealedTokens: ending?.tokens?.S };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { existed: false, sid: undefined, sealedTokens: undefined };
        throw storeFault(error);
      }
    },
  };
}

/** Back-channel logout's half on the sessions table: finding a user's sessions by index and ending them. */
export interface SessionFinder {
  /** The ids of the sessions with this `sid` (and this `sub`, when given), or else of every session of `sub`. */
  findSessions(match: { readonly sid: string | undefined; readonly sub: string | undefined }): Promise<string[]>;
  removeSessions(sessionIds: readonly string[]): Promise<void>;
}

export function createSessionFinder(client: DynamoDBClient, sessionsTableName: string): SessionFinder {
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

/** A session as whatever uses its access token sees it: the sealed tokens, their version and the refresh lease. */
export interface TokenSession {
  readonly sub: string;
  readonly lastSeenAt: number;
  readonly absoluteExpiresAt: number;
  /** Undefined for a session signed in without tokens kept (or before they were). */
  readonly tokens: SealedTokens | undefined;
  readonly tokenVersion: number;
  readonly lease: RefreshLease | undefined;
}

/**
 * The refresh's operations on the session item. Every write is conditional: the lease is taken only
 * when free or past its deadline, and refreshed tokens are written, with the version incremented
 * and the lease released, only by the lease's owner and only over the version it refreshed.
 */
export interface TokenSessionStore extends WarmUp {
  /** Consistent: a refresh written a moment ago by another instance is seen. */
  read(sessionId: string): Promise<TokenSession | undefined>;
  /** False when another caller holds an unexpired lease, or the session is gone. */
  takeLease(sessionId: string, lease: RefreshLease, nowMs: number): Promise<boolean>;
  /** False when the lease was lost (taken over after its deadline) or the version moved: nothing written. */
  completeRefresh(sessionId: string, owner: string, refreshedVersion: number, tokens: SealedTokens): Promise<boolean>;
  /** Lets the next caller try at once instead of at the deadline; a lost lease is left alone. */
  releaseLease(sessionId: string, owner: string): Promise<void>;
  /** The grant ended at the provider: the session ends with it. */
  remove(sessionId: string): Promise<void>;
}

export function createTokenSessionStore(client: DynamoDBClient, tableName: string): TokenSessionStore {
  const conditionalUpdate = async (input: Omit<UpdateItemCommandInput, 'TableName' | 'ReturnValues'>): Promise<boolean> => {
    try {
      await client.send(new UpdateItemCommand({ TableName: tableName, ReturnValues: 'NONE', ...input }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw storeFault(error);
    }
  };
  return {
    warmUp: () => warmUpSessionRead(client, tableName),

    async read(sessionId) {
      const item = await readProjected(client, tableName, sessionId, SESSION_ATTRIBUTES.tokens);
      const basics = sessionBasics(item);
      if (item === undefined || basics === undefined) return undefined;
      const sealed = item.tokens?.S;
      const accessTokenExpiresAt = item.accessTokenExpiresAt?.N;
      const leaseOwner = item.leaseOwner?.S;
      const leaseUntil = item.leaseUntil?.N;
      return {
        ...basics,
        tokens:
          sealed === undefined || accessTokenExpiresAt === undefined
            ? undefined
            : { sealed, facts: { accessTokenExpiresAt: Number(accessTokenExpiresAt), scope: item.scope?.S ?? '' } },
        tokenVersion: Number(item.tokenVersion?.N ?? 0),
        lease: leaseOwner === undefined || leaseUntil === undefined ? undefined : { owner: leaseOwner, until: Number(leaseUntil) },
      };
    },

    takeLease: (sessionId, lease, nowMs) =>
      conditionalUpdate({
        Key: keyOf(sessionId),
        ConditionExpression: 'attribute_exists(#id) AND (attribute_not_exists(#leaseUntil) OR #leaseUntil <= :now)',
        UpdateExpression: 'SET #leaseOwner = :owner, #leaseUntil = :until',
        ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY, '#leaseOwner': 'leaseOwner', '#leaseUntil': 'leaseUntil' },
        ExpressionAttributeValues: { ':owner': { S: lease.owner }, ':until': { N: String(lease.until) }, ':now': { N: String(nowMs) } },
      }),

    completeRefresh: (sessionId, owner, refreshedVersion, tokens) => {
      const { tokens: sealed, accessTokenExpiresAt, scope, tokenVersion } = tokenItem(tokens, refreshedVersion + 1);
      return conditionalUpdate({
        Key: keyOf(sessionId),
        ConditionExpression: '#leaseOwner = :owner AND #tokenVersion = :refreshedVersion',
        UpdateExpression:
          'SET #tokens = :tokens, #accessTokenExpiresAt = :accessTokenExpiresAt, #scope = :scope, #tokenVersion = :tokenVersion REMOVE #leaseOwner, #leaseUntil',
        ExpressionAttributeNames: {
          '#leaseOwner': 'leaseOwner',
          '#leaseUntil': 'leaseUntil',
          '#tokens': 'tokens',
          '#accessTokenExpiresAt': 'accessTokenExpiresAt',
          '#scope': 'scope',
          '#tokenVersion': 'tokenVersion',
        },
        ExpressionAttributeValues: {
          ':owner': { S: owner },
          ':refreshedVersion': { N: String(refreshedVersion) },
          ':tokens': sealed as AttributeValue,
          ':accessTokenExpiresAt': accessTokenExpiresAt as AttributeValue,
          ':scope': scope as AttributeValue,
          ':tokenVersion': tokenVersion as AttributeValue,
        },
      });
    },

    async releaseLease(sessionId, owner) {
      await conditionalUpdate({
        Key: keyOf(sessionId),
        ConditionExpression: '#leaseOwner = :owner',
        UpdateExpression: 'REMOVE #leaseOwner, #leaseUntil',
        ExpressionAttributeNames: { '#leaseOwner': 'leaseOwner', '#leaseUntil': 'leaseUntil' },
        ExpressionAttributeValues: { ':owner': { S: owner } },
      });
    },

    async remove(sessionId) {
      try {
        await client.send(new DeleteItemCommand({ TableName: tableName, Key: keyOf(sessionId) }));
      } catch (error) {
        throw storeFault(error);
      }
    },
  };
}
