import type { TransactionStore } from '../../../lambdas/shared/transaction-store.js';

/** Counts what the handlers asked of the store, so a suite can prove rejected input wrote nothing. */
export interface StoreCounter {
  readonly savePendingCalls: number;
  readonly consumeCalls: number;
  /** Consumes whose condition held, i.e. that changed an item. */
  readonly consumed: number;
  /** Every call that changed the table: each PutItem plus each consume that succeeded. */
  writes(): number;
  readonly wrap: (store: TransactionStore) => TransactionStore;
}

export function createStoreCounter(): StoreCounter {
  const counter = {
    savePendingCalls: 0,
    consumeCalls: 0,
    consumed: 0,
    writes: () => counter.savePendingCalls + counter.consumed,
    wrap: (store: TransactionStore): TransactionStore => ({
      ...store,
      async savePending(transaction) {
        counter.savePendingCalls += 1;
        await store.savePending(transaction);
      },
      async consume(request) {
        counter.consumeCalls += 1;
        const result = await store.consume(request);
        if (result.consumed) counter.consumed += 1;
        return result;
      },
    }),
  };
  return counter;
}
