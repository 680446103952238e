/**
 * Facts the functions and the infrastructure must agree on, kept free of AWS imports so the stack,
 * the local stack and the functions can all read them.
 */
export const TABLE_PARTITION_KEY = 'id';
/** Epoch seconds; the table's TTL attribute, and checked again in the consuming write's condition. */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';
export const TABLE_NAME_ENV = 'TABLE_NAME';

/**
 * Bounded so that the SDK's retries always end inside the function's timeout: at most
 * MAX_ATTEMPTS x (connect + request timeout) plus backoff stays well under FUNCTION_TIMEOUT_SECONDS.
 */
export const DYNAMODB_MAX_ATTEMPTS = 3;
export const DYNAMODB_CONNECTION_TIMEOUT_MS = 1000;
export const DYNAMODB_REQUEST_TIMEOUT_MS = 2000;
export const FUNCTION_TIMEOUT_SECONDS = 10;
