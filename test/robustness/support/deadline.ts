import { FUNCTION_TIMEOUT_SECONDS } from '../../../lambdas/core/contract.js';

export const FUNCTION_TIMEOUT_MS = FUNCTION_TIMEOUT_SECONDS * 1000;

export class FunctionTimeoutExceeded extends Error {
  override readonly name = 'FunctionTimeoutExceeded';
}

/**
 * Lambda kills a function at its timeout, and the client then gets no 503 and no Retry-After.
 * So every answer a suite waits for must come before it; this fails the suite with that reason
 * instead of hanging until Jest's own timeout.
 */
export async function withinFunctionTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FunctionTimeoutExceeded(`${what} did not answer within the function timeout (${FUNCTION_TIMEOUT_SECONDS} s)`)),
      FUNCTION_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
