import { GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_REQUEST_TIMEOUT_MS, TABLE_PARTITION_KEY } from '../core/contract.js';

/** The store could not answer (throttled, timed out, down): the caller answers 503 and nothing was consumed by us. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(readonly causeName: string) {
    super(`transaction store unavailable: ${causeName}`);
  }
}

export function storeFault(error: unknown): StoreUnavailableError {
  return new StoreUnavailableError(error instanceof Error ? error.name : 'UnknownError');
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

/**
 * The warm-up's write: on an item that does not exist, `attribute_exists` fails, so nothing is
 * written and ConditionalCheckFailedException is the expected answer. It names only the key,
 * which every function's attribute list holds, and asks nothing back.
 */
export const FAILING_CONDITION = {
  ConditionExpression: 'attribute_exists(#id)',
  ExpressionAttributeNames: { '#id': TABLE_PARTITION_KEY },
  ReturnValues: 'NONE',
} as const;

export async function warmUpWith(send: (options: { abortSignal: AbortSignal }) => Promise<unknown>): Promise<void> {
  try {
    await send({ abortSignal: AbortSignal.timeout(DYNAMODB_REQUEST_TIMEOUT_MS) });
  } catch {
    // Expected for the conditional writes; anything else only means the first request warms up instead.
  }
}

export const keyOf = (id: string): Record<string, AttributeValue> => ({ [TABLE_PARTITION_KEY]: { S: id } });

/**
 * One item's named attributes, consistently read. The roles may read only the attributes their
 * code names (IAM `dynamodb:Attributes` with `dynamodb:Select` SPECIFIC_ATTRIBUTES), never whole items.
 */
export async function readProjected(
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
