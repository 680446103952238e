import { TABLE_NAME_ENV } from '../core/contract.js';
import { loadConfigFromEnv, type FlowConfig } from '../core/config.js';
import { createDynamoDbClient, requireEnv } from './dynamodb-client.js';
import { writeRequestLog, type RequestLogger } from './request-log.js';
import { createTransactionStore, type TransactionStore } from './transaction-store.js';

/** What both functions need; injected, so tests can move the clock and capture the logs. */
export interface FlowDependencies {
  readonly config: FlowConfig;
  readonly store: TransactionStore;
  /** Wall clock in epoch milliseconds. */
  readonly now: () => number;
  readonly log: RequestLogger;
}

/** Cold start: read and validate everything once, so a bad deploy fails loudly, naming the setting. */
export function dependenciesFromEnv(env: NodeJS.ProcessEnv): FlowDependencies {
  return {
    config: loadConfigFromEnv(env),
    store: createTransactionStore(createDynamoDbClient(env), requireEnv(env, TABLE_NAME_ENV)),
    now: Date.now,
    log: writeRequestLog,
  };
}
