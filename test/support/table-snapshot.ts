import type { TestFlow } from './flow.js';
import { scanAll, type StoredItem } from './dynamodb.js';

/** Every item of the flow's table, in key order, for "this request changed nothing" assertions. */
export async function snapshotTable(flow: TestFlow): Promise<StoredItem[]> {
  const items = await scanAll(flow.client, flow.tableName);
  return items.sort((a, b) => (a.id?.S ?? '').localeCompare(b.id?.S ?? ''));
}

/** Runs a request and checks that the table is exactly as it was before. */
export async function expectNothingWritten<T>(flow: TestFlow, request: () => Promise<T>): Promise<T> {
  const before = await snapshotTable(flow);
  const result = await request();
  expect(await snapshotTable(flow)).toEqual(before);
  return result;
}
