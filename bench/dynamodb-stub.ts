import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { DEFAULT_SESSION_ABSOLUTE_SECONDS } from '../lambdas/core/config.js';
import { SESSION_SID_INDEX, TABLE_PARTITION_KEY } from '../lambdas/core/contract.js';
import { WARM_UP_KEY } from '../lambdas/shared/store-common.js';
import { stubCounters, type StubStats } from './stub-counters.js';

/**
 * A loopback stand-in for DynamoDB that speaks its JSON protocol (awsJson1_0) for the operations
 * the functions send, so the timed path runs the real SDK: serialize, sign, send over a kept-alive
 * connection, parse. It checks each request looks like what the SDK sends (target, content type,
 * SigV4 header, table, key) and answers success: a stateless stand-in for timing, not an emulator
 * (correctness is tested against DynamoDB Local). The one item it knows is missing is the stores'
 * warm-up key, which it answers as DynamoDB does, so that each function's init sends what it would
 * in Lambda and gets the same answer. `GET /ping` answers the bench's bare round trip.
 */

const TARGET_PREFIX = 'DynamoDB_20120810.';
const JSON_1_0 = 'application/x-amz-json-1.0';
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/dynamodb\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/;
const OPERATIONS = ['PutItem', 'UpdateItem', 'GetItem', 'DeleteItem', 'TransactWriteItems', 'Query'] as const;

type Operation = (typeof OPERATIONS)[number];

interface AttributeValue {
  readonly S?: string;
  readonly N?: string;
}

type Item = Readonly<Record<string, AttributeValue>>;

interface RequestBody {
  readonly TableName?: unknown;
  readonly Item?: Item;
  readonly Key?: Item;
  readonly UpdateExpression?: unknown;
  readonly IndexName?: unknown;
  readonly KeyConditionExpression?: unknown;
  readonly ExpressionAttributeValues?: Item;
  readonly TransactItems?: readonly { readonly Update?: RequestBody; readonly Put?: RequestBody }[];
}

export interface DynamoDbStubOptions {
  readonly transactionsTable: string;
  readonly sessionsTable: string;
  /** Where the back-channel logout records each logout token it accepts. */
  readonly logoutTokensTable: string;
  /**
   * What every consumed transaction carries, so that a callback with a client secret redeems its
   * code: the token endpoint's stand-in expects this verifier and signs this nonce.
   */
  readonly consumed: { readonly codeVerifier: string; readonly nonce: string };
}

export interface DynamoDbStub {
  readonly server: Server;
  stats(): StubStats;
  reset(): void;
}

/** `status` 400 with a DynamoDB error as payload: an answer DynamoDB gives well-formed requests too. */
type Answer = { ok: true; payload: object; status?: number } | { ok: false; reason: string };

/** What DynamoDB answers a conditional write whose condition does not hold. */
const CONDITION_FAILED: Answer = {
  ok: true,
  status: 400,
  payload: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' },
};

const keyOf = (body: RequestBody | undefined): string | undefined => body?.Key?.[TABLE_PARTITION_KEY]?.S;

/**
 * The session /me reads: active (seen just now, the default lifetime ahead), so no touch is due
 * either; with the provider's `sid`, so the logout that reads it ends the provider's session too.
 */
function activeSession(id: string): Item {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return {
    [TABLE_PARTITION_KEY]: { S: id },
    sub: { S: 'bench|user' },
    sid: { S: 'bench-provider-session' },
    claims: { S: JSON.stringify({ name: 'Bench User', email: 'bench@example.test' }) },
    lastSeenAt: { N: String(nowSeconds) },
    absoluteExpiresAt: { N: String(nowSeconds + DEFAULT_SESSION_ABSOLUTE_SECONDS) },
  };
}

/** The one session a back-channel logout's `sid` names: the bench's logout tokens all carry the same `sid`. */
const LOGGED_OUT_SESSION_ID = 'bench-session-ended-by-the-provider';

/** The answer for a well-formed request, or the reason it is not one. */
function answer(operation: Operation, body: RequestBody, options: DynamoDbStubOptions): Answer {
  const { transactionsTable, sessionsTable, logoutTokensTable } = options;
  const expectTable = (table: string): string | undefined => (body.TableName === table ? undefined : `${operation} on unexpected table ${String(body.TableName)}`);
  switch (operation) {
    case 'PutItem': {
      // The login's pending transaction, or the back-channel logout's record of a logout token.
      if (body.TableName !== transactionsTable && body.TableName !== logoutTokensTable) return { ok: false, reason: `PutItem on unexpected table ${String(body.TableName)}` };
      const key = body.Item?.[TABLE_PARTITION_KEY]?.S;
      if (typeof key !== 'string') return { ok: false, reason: 'PutItem without a string key' };
      // The warm-up's put, conditional on the item existing.
      return key === WARM_UP_KEY ? CONDITION_FAILED : { ok: true, payload: {} };
    }
    case 'UpdateItem': {
      const wrongTable = expectTable(transactionsTable);
      if (wrongTable !== undefined) return { ok: false, reason: wrongTable };
      const key = keyOf(body);
      // The warm-up's update, conditional on the item existing, has no update expression.
      if (key === WARM_UP_KEY) return CONDITION_FAILED;
      if (key === undefined || typeof body.UpdateExpression !== 'string') return { ok: false, reason: 'UpdateItem without key or expression' };
      return { ok: true, payload: {} };
    }
    case 'GetItem': {
      const key = keyOf(body);
      if (key === undefined) return { ok: false, reason: 'GetItem without a string key' };
      if (key === WARM_UP_KEY) return { ok: true, payload: {} };
      // The callback's read after consuming: what redeeming needs (no returnTo: /signed-in).
      if (body.TableName === transactionsTable) {
        const { codeVerifier, nonce } = options.consumed;
        return { ok: true, payload: { Item: { codeVerifier: { S: codeVerifier }, nonce: { S: nonce } } } };
      }
      const wrongTable = expectTable(sessionsTable);
      if (wrongTable !== undefined) return { ok: false, reason: wrongTable };
      return { ok: true, payload: { Item: activeSession(key) } };
    }
    case 'DeleteItem': {
      const wrongTable = expectTable(sessionsTable);
      if (wrongTable !== undefined) return { ok: false, reason: wrongTable };
      const key = keyOf(body);
      if (key === undefined) return { ok: false, reason: 'DeleteItem without a string key' };
      return { ok: true, payload: {} };
    }
    case 'Query': {
      // The back-channel logout's sessions of the logout token's `sid`, through the sessions table's index.
      const wrongTable = expectTable(sessionsTable);
      if (wrongTable !== undefined) return { ok: false, reason: wrongTable };
      if (body.IndexName !== SESSION_SID_INDEX || typeof body.KeyConditionExpression !== 'string' || body.ExpressionAttributeValues?.[':key']?.S === undefined) {
        return { ok: false, reason: `Query is not a key condition on ${SESSION_SID_INDEX}` };
      }
      return { ok: true, payload: { Items: [{ [TABLE_PARTITION_KEY]: { S: LOGGED_OUT_SESSION_ID } }], Count: 1, ScannedCount: 1 } };
    }
    case 'TransactWriteItems': {
      // The callback's sign-in: the consumed transaction updated, the session put.
      const [first, second, ...rest] = body.TransactItems ?? [];
      const update = first?.Update;
      const put = second?.Put;
      const wellFormed =
        rest.length === 0 &&
        update?.TableName === transactionsTable &&
        keyOf(update) !== undefined &&
        typeof update.UpdateExpression === 'string' &&
        put?.TableName === sessionsTable &&
        typeof put.Item?.[TABLE_PARTITION_KEY]?.S === 'string';
      return wellFormed ? { ok: true, payload: {} } : { ok: false, reason: 'TransactWriteItems is not a transaction update plus a session put' };
    }
  }
}

function operationOf(request: IncomingMessage): Operation | undefined {
  const target = request.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) return undefined;
  const operation = target.slice(TARGET_PREFIX.length);
  return OPERATIONS.find((known) => known === operation);
}

export function createDynamoDbStub(options: DynamoDbStubOptions): DynamoDbStub {
  let requestId = 0;

  const reply = (response: ServerResponse, status: number, payload: object): void => {
    const body = JSON.stringify(payload);
    response.writeHead(status, {
      'content-type': JSON_1_0,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': `stub-${++requestId}`,
    });
    response.end(body);
  };

  const reject = (response: ServerResponse, message: string): void => {
    counters.reject();
    reply(response, 400, { __type: 'com.amazon.coral.validate#ValidationException', message });
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // The bench's bare round trip (probes/loopback-handler.ts): no SDK, no work, for the floor.
      if (request.method === 'GET' && request.url === '/ping') {
        counters.count('ping');
        return reply(response, 200, {});
      }
      const operation = operationOf(request);
      if (request.method !== 'POST' || operation === undefined) return reject(response, 'unsupported operation');
      if (request.headers['content-type'] !== JSON_1_0) return reject(response, 'not awsJson1_0');
      if (!SIGV4.test(request.headers.authorization ?? '')) return reject(response, 'missing or malformed SigV4 authorization');
      let body: RequestBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RequestBody;
      } catch {
        return reject(response, 'body is not JSON');
      }
      const result = answer(operation, body, options);
      if (!result.ok) return reject(response, result.reason);
      counters.count(operation);
      return reply(response, result.status ?? 200, result.payload);
    });
  });
  const counters = stubCounters(server);

  return { server, stats: counters.stats, reset: counters.reset };
}
