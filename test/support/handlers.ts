import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCallbackHandler } from '../../lambdas/callback/app.js';
import type { FlowConfig } from '../../lambdas/core/config.js';
import type { HttpResponse } from '../../lambdas/core/http.js';
import { createLoginHandler } from '../../lambdas/login/app.js';
import type { FlowDependencies } from '../../lambdas/shared/dependencies.js';
import { formatRequestLog, type RequestLogger } from '../../lambdas/shared/request-log.js';
import { createDynamoDbClient } from '../../lambdas/shared/dynamodb-client.js';
import { createTransactionStore, type TransactionStore } from '../../lambdas/shared/store.js';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';

/**
 * Both functions wired to a store on `client`, handing out the handlers themselves, so a suite can
 * call them directly (createTestFlow), put them behind a real HTTP server or feed them arbitrary events.
 */
export interface HandlerOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly config: FlowConfig;
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
  /** Every request log line, formatted as the functions write it. */
  readonly logs: string[];
  /** The most requests the handlers were working on at the same moment. */
  peakInFlight(): number;
}

export function wireHandlers(options: HandlerOptions): WiredHandlers {
  const logs: string[] = [];
  const store = createTransactionStore(options.client, options.tableName);
  const now = options.now ?? Date.now;
  const deps: FlowDependencies = {
    config: options.config,
    store: options.wrapStore?.(store) ?? store,
    now,
    log: (entry) => {
      logs.push(formatRequestLog(entry, now()));
      options.log?.(entry);
    },
  };
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
    callback: counted(createCallbackHandler(deps)),
    logs,
    peakInFlight: () => peak,
  };
}

/** The SDK client exactly as the functions build it (retries, timeouts), pointed at `endpoint`. */
export function productionClient(endpoint: string): DynamoDBClient {
  return createDynamoDbClient({ ...LOCAL_AWS_ENV, DYNAMODB_ENDPOINT: endpoint });
}
