import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCallbackHandler } from '../../lambdas/callback/app.js';
import type { FlowConfig } from '../../lambdas/core/config.js';
import type { HttpResponse } from '../../lambdas/core/http.js';
import { createLoginHandler } from '../../lambdas/login/app.js';
import { createLogoutHandler } from '../../lambdas/logout/app.js';
import { createSessionHandler } from '../../lambdas/session/app.js';
import type { TokenKeyRing } from '../../lambdas/core/token/token-sealing.js';
import type { CodeRedeemer } from '../../lambdas/shared/code-redeemer.js';
import type { TokenRevoker } from '../../lambdas/shared/token-refresher.js';
import type { BaseDependencies } from '../../lambdas/shared/dependencies.js';
import { formatRequestLog, type RequestLogger } from '../../lambdas/shared/request-log.js';
import { createDynamoDbClient } from '../../lambdas/shared/dynamodb-client.js';
import { createSessionStore, type SessionStore } from '../../lambdas/shared/session-store.js';
import { createTransactionStore, type TransactionStore } from '../../lambdas/shared/transaction-store.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';

/**
 * Both functions wired to a store on `client`, handing out the handlers themselves, so a suite can
 * call them directly (createTestFlow), put them behind a real HTTP server or feed them arbitrary events.
 */
export interface HandlerOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Where sessions go; the session and logout handlers need it, and the callback once it redeems. */
  readonly sessionTableName?: string;
  readonly config: FlowConfig;
  /** Redeems codes (a real token endpoint); without it the callback stops at the recorded code. */
  readonly redeemer?: CodeRedeemer;
  /** Seals the tokens into the session at the callback; without it the session keeps none. */
  readonly keyRing?: TokenKeyRing;
  /** Revokes the refresh token at logout. */
  readonly revoker?: TokenRevoker;
  readonly wrapSessions?: (store: SessionStore) => SessionStore;
  /** Also hands every entry to this logger, e.g. the production stdout writer. */
  readonly log?: RequestLogger;
  readonly wrapStore?: (store: TransactionStore) => TransactionStore;
  /** Wall clock in epoch milliseconds; defaults to Date.now. */
  readonly now?: () => number;
}

export type FlowHandler = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

export interface WiredHandlers {
  readonly login: FlowHandler;
  readonly callback: FlowHandler;
  /** GET /me and GET /signed-in. */
  readonly session: FlowHandler;
  /** GET and POST /logout, GET /signed-out. */
  readonly logout: FlowHandler;
  /** Every request log line, formatted as the functions write it. */
  readonly logs: string[];
  /** The most requests the handlers were working on at the same moment. */
  peakInFlight(): number;
}

export function wireHandlers(options: HandlerOptions): WiredHandlers {
  const logs: string[] = [];
  const store = createTransactionStore(options.client, options.tableName, options.sessionTableName);
  const sessions = createSessionStore(options.client, options.sessionTableName ?? 'no-sessions-table');
  const now = options.now ?? Date.now;
  const base: BaseDependencies = {
    config: options.config,
    now,
    log: (entry) => {
      logs.push(formatRequestLog(entry, now()));
      options.log?.(entry);
    },
  };
  const deps = { ...base, store: options.wrapStore?.(store) ?? store };
  const sessionDeps = { ...base, sessions: options.wrapSessions?.(sessions) ?? sessions };
  let inFlight = 0;
  let peak = 0;
  const counted =
    (handler: FlowHandler): FlowHandler =>
    async (event) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        return await handler(event);
      } finally {
        inFlight -= 1;
      }
    };
  return {
    login: counted(createLoginHandler(deps)),
    callback: counted(
      createCallbackHandler({
        ...deps,
        ...(options.redeemer === undefined ? {} : { redeemer: options.redeemer }),
        ...(options.keyRing === undefined ? {} : { keyRing: options.keyRing }),
      }),
    ),
    session: counted(createSessionHandler(sessionDeps)),
    logout: counted(
      createLogoutHandler({
        ...sessionDeps,
        ...(options.keyRing === undefined ? {} : { keyRing: options.keyRing }),
        ...(options.revoker === undefined ? {} : { revoker: options.revoker }),
      }),
    ),
    logs,
    peakInFlight: () => peak,
  };
}

/** The SDK client exactly as the functions build it (retries, timeouts), pointed at `endpoint`. */
export function productionClient(endpoint: string): DynamoDBClient {
  return createDynamoDbClient({ ...LOCAL_AWS_ENV, DYNAMODB_ENDPOINT: endpoint });
}
