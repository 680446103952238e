import { TransactWriteItemsCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSession, SESSION_COOKIE_NAME, type SessionRecord } from '../../lambdas/core/session/session.js';
import type { SessionTokens } from '../../lambdas/core/token/session-tokens.js';
import { generateTokenKeyRing, parseTokenKeyRing, sealSessionTokens, type TokenKeyRing } from '../../lambdas/core/token/token-sealing.js';
import { sessionCreation } from '../../lambdas/shared/session-store.js';

export const testKeyRing = (): TokenKeyRing => parseTokenKeyRing(generateTokenKeyRing(), 'test keys');

export interface SeededSession {
  readonly record: SessionRecord;
  /** The `cookies` array a browser's request carries. */
  readonly cookies: string[];
}

/** A session with sealed tokens, written as the callback writes one; `expiresInSeconds` may be negative (already expired). */
export async function seedTokenSession(
  client: DynamoDBClient,
  tableName: string,
  keyRing: TokenKeyRing,
  tokens: SessionTokens,
  options: { readonly expiresInSeconds: number; readonly scope?: string; readonly nowMs?: number },
): Promise<SeededSession> {
  const nowMs = options.nowMs ?? Date.now();
  const { secret, record } = createSession({ sub: 'user-1', sid: 'sid-1', claims: {} }, { sessionIdleSeconds: 3600, sessionAbsoluteSeconds: 7200 }, nowMs);
  const withTokens: SessionRecord = {
    ...record,
    tokens: sealSessionTokens(keyRing, record.id, tokens, {
      accessTokenExpiresAt: Math.floor(nowMs / 1000) + options.expiresInSeconds,
      scope: options.scope ?? 'openid offline_access read:whoami',
    }),
  };
  await client.send(new TransactWriteItemsCommand({ TransactItems: [sessionCreation(tableName, withTokens)] }));
  return { record: withTokens, cookies: [`${SESSION_COOKIE_NAME}=${secret}`] };
}
