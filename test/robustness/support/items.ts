import type { StoredItem } from '../../support/dynamodb.js';

/**
 * A consumed transaction must carry its whole outcome, because one conditional write both
 * consumes it and records the outcome. Anything else is half-written: consumed but unusable.
 */
export function isHalfWritten(item: StoredItem): boolean {
  const status = item.status?.S;
  const completed = item.completedAt?.N !== undefined && item.issuer?.S !== undefined;
  switch (status) {
    case 'pending':
      return completed || item.code !== undefined || item.error !== undefined;
    case 'code_received':
      return !completed || item.code?.S === undefined;
    case 'provider_error':
      return !completed || item.error?.S === undefined;
    default:
      return true;
  }
}

export function itemsByCode(items: readonly StoredItem[]): Map<string, StoredItem[]> {
  const byCode = new Map<string, StoredItem[]>();
  for (const item of items) {
    const code = item.code?.S;
    if (code !== undefined) byCode.set(code, [...(byCode.get(code) ?? []), item]);
  }
  return byCode;
}
