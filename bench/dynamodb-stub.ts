import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TABLE_PARTITION_KEY } from '../lambdas/core/contract.js';

/**
 * A loopback stand-in for DynamoDB that speaks its JSON protocol (awsJson1_0) for the two
 * operations the functions send, so the timed path runs the real SDK: serialize, sign, send over a
 * kept-alive connection, parse. It checks each request looks like what the SDK sends (target,
 * content type, SigV4 header, table, key) and answers success: a stateless stand-in for timing,
 * not an emulator (correctness is tested against DynamoDB Local). `GET /ping` answers the bench's
 * bare round trip.
 */

const TARGET_PREFIX = 'DynamoDB_20120810.';
const JSON_1_0 = 'application/x-amz-json-1.0';
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/dynamodb\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/;

type Operation = 'PutItem' | 'UpdateItem';

interface AttributeValue {
  readonly S?: string;
}

interface RequestBody {
  readonly TableName?: unknown;
  readonly Item?: Record<string, AttributeValue>;
  readonly Key?: Record<string, AttributeValue>;
  readonly UpdateExpression?: unknown;
  readonly ExpressionAttributeValues?: Record<string, AttributeValue>;
}

export interface DynamoDbStub {
  readonly server: Server;
  stats(): { connections: number; requests: Record<string, number>; rejected: number };
  reset(): void;
}

/** The answer for a well-formed request, or the reason it is not one. */
function answer(operation: Operation, body: RequestBody, tableName: string): { ok: true; payload: object } | { ok: false; reason: string } {
  if (body.TableName !== tableName) return { ok: false, reason: `unexpected table ${String(body.TableName)}` };
  if (operation === 'PutItem') {
    if (typeof body.Item?.[TABLE_PARTITION_KEY]?.S !== 'string') return { ok: false, reason: 'PutItem without a string key' };
    return { ok: true, payload: {} };
  }
  const key = body.Key?.[TABLE_PARTITION_KEY]?.S;
  if (typeof key !== 'string' || typeof body.UpdateExpression !== 'string') return { ok: false, reason: 'UpdateItem without key or expression' };
  // ReturnValues ALL_NEW: enough of the new item for the callback to read (no returnTo: /signed-in).
  const status = body.ExpressionAttributeValues?.[':outcome']?.S ?? 'code_received';
  return { ok: true, payload: { Attributes: { [TABLE_PARTITION_KEY]: { S: key }, status: { S: status } } } };
}

function operationOf(request: IncomingMessage): Operation | undefined {
  const target = request.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) return undefined;
  const operation = target.slice(TARGET_PREFIX.length);
  return operation === 'PutItem' || operation === 'UpdateItem' ? operation : undefined;
}

export function createDynamoDbStub(tableName: string): DynamoDbStub {
  let connections = 0;
  let rejected = 0;
  let requests: Record<string, number> = {};
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
    rejected += 1;
    reply(response, 400, { __type: 'com.amazon.coral.validate#ValidationException', message });
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // The bench's bare round trip (probes/loopback-handler.ts): no SDK, no work, for the floor.
      if (request.method === 'GET' && request.url === '/ping') {
        requests.ping = (requests.ping ?? 0) + 1;
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
      const result = answer(operation, body, tableName);
      if (!result.ok) return reject(response, result.reason);
      requests[operation] = (requests[operation] ?? 0) + 1;
      return reply(response, 200, result.payload);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });

  return {
    server,
    stats: () => ({ connections, requests: { ...requests }, rejected }),
    reset: () => {
      connections = 0;
      rejected = 0;
      requests = {};
    },
  };
}
