import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_PARTITION_KEY, TABLE_TTL_ATTRIBUTE } from '../core/contract.js';
import { createSessionFinder, type SessionFinder } from './session-store.js';
import { FAILING_CONDITION, keyOf, storeFault, warmUpWith, WARM_UP_KEY, type WarmUp } from './store-common.js';

/** The logout tokens table's DynamoDB expressions, and the back-channel logout's store built on them. */

/** The back-channel logout function's operations: a replay record per logout token, and ending a user's sessions. */
export interface BackchannelStore extends WarmUp, SessionFinder {
  /** False when this token was seen before (a replay). */
  recordLogoutToken(tokenId: string, keepUntil: number): Promise<boolean>;
  /** Undoes the record when the sessions could not be ended, so the provider's retry is not taken for a replay. */
  forgetLogoutToken(tokenId: string): Promise<void>;
}

export function createBackchannelStore(client: DynamoDBClient, sessionsTableName: string, logoutTokensTableName: string): BackchannelStore {
  return {
    ...createSessionFinder(client, sessionsTableName),
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

  };
}
