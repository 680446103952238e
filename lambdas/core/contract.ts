/**
 * Facts the functions and the infrastructure must agree on, kept free of AWS imports so the stack,
 * the local stack and the functions can all read them.
 */
export const TABLE_PARTITION_KEY = 'id';
/** Epoch seconds; the table's TTL attribute, and checked again in the consuming write's condition. */
export const TABLE_TTL_ATTRIBUTE = 'expiresAt';
export const TABLE_NAME_ENV = 'TABLE_NAME';
/** The sessions table: same key and TTL attribute names as the transactions table. */
export const SESSION_TABLE_NAME_ENV = 'SESSION_TABLE_NAME';
/**
 * Every attribute each function's DynamoDB requests name (write, compare or read back), per table.
 * The store builds its expressions from nothing else, and the stack's IAM policies allow exactly
 * these (`dynamodb:Attributes`), so a function cannot touch an attribute its code never names.
 */
export const TRANSACTION_ATTRIBUTES = {
  /** The login's PutItem. */
  loginWrites: ['id', 'status', 'codeVerifier', 'nonce', 'bindingHash', 'returnTo', 'organization', 'createdAt', 'expiresAt'],
  /** The callback's UpdateItems: consuming the state, then recording the sign-in or its failure. */
  callbackWrites: [
    'id', 'status', 'expiresAt', 'bindingHash', 'completedAt', 'issuer', 'code', 'codeHash', 'error', 'errorDescription',
    'sub', 'claims', 'scope', 'signedInAt', 'codeVerifier', 'nonce', 'failureReason', 'failedAt',
  ],
  /** The callback's GetItems: after the consuming write, what redeeming needs; after a refused one, what labels it. */
  callbackReads: ['id', 'returnTo', 'codeVerifier', 'nonce', 'organization', 'createdAt', 'status', 'expiresAt', 'bindingHash', 'code', 'codeHash'],
} as const;

/**
 * The session's token attributes: the sealed tokens, their facts in the clear (never a token), the
 * version every refresh increments, and the refresh lease. Only the functions that use tokens may
 * name them; the session authorizer's list holds none.
 */
export const TOKEN_ATTRIBUTES = {
  stored: ['tokens', 'accessTokenExpiresAt', 'scope', 'tokenVersion'],
  lease: ['leaseOwner', 'leaseUntil'],
} as const;

/**
 * The token attributes are spelled out in these lists, not spread in: esbuild keeps a spread
 * literal even in a bundle that never reads it (the login's), so a spread costs every function.
 * test/core/contract.test.ts holds the lists to TOKEN_ATTRIBUTES.
 */
export const SESSION_ATTRIBUTES = {
  /** The callback's PutItem of a new session. */
  create: ['id', 'sub', 'sid', 'claims', 'createdAt', 'lastSeenAt', 'absoluteExpiresAt', 'expiresAt', 'tokens', 'accessTokenExpiresAt', 'scope', 'tokenVersion'],
  /** The callback's DeleteItem, in the same transaction, of the session this browser's cookie named. */
  replace: ['id'],
  /** The session function's and the authorizers' GetItem. */
  read: ['id', 'sub', 'sid', 'claims', 'lastSeenAt', 'absoluteExpiresAt'],
  /** The session function's UpdateItem moving the idle deadline. */
  touch: ['id', 'lastSeenAt', 'expiresAt'],
  /**
   * The logout function's GetItem (the provider session to end, the ID token for its hint and the
   * refresh token to revoke) and DeleteItem.
   */
  end: ['id', 'sid', 'tokens'],
  /**
   * Whatever uses the session's access token (the token-handler proxy, `accessTokenFor`): reads the
   * session and its tokens, takes and releases the refresh lease, writes refreshed tokens, and
   * deletes a session whose grant ended.
   */
  tokens: ['id', 'sub', 'lastSeenAt', 'absoluteExpiresAt', 'tokens', 'accessTokenExpiresAt', 'scope', 'tokenVersion', 'leaseOwner', 'leaseUntil'],
  /** Back-channel logout's Query on the indexes and DeleteItem. */
  findAndEnd: ['id', 'sid', 'sub'],
} as const;

export const LOGOUT_TOKEN_ATTRIBUTES = ['id', 'expiresAt'] as const;

/** Indexes of the sessions table, so a back-channel logout finds a user's sessions without a scan. */
export const SESSION_SID_INDEX = 'by-sid';
export const SESSION_SUB_INDEX = 'by-sub';
/**
 * The session authorizer's mode: `require` denies a request without a valid session (API Gateway
 * answers 403); `optional` lets it through as anonymous, so a page's function can send the browser
 * to sign in (an HTTP API authorizer cannot redirect).
 */
export const AUTHORIZER_MODES = ['require', 'optional'] as const;
export type AuthorizerMode = (typeof AUTHORIZER_MODES)[number];
export const AUTHORIZER_MODE_ENV = 'AUTHORIZER_MODE';
/** One item per logout token seen (keyed by a hash of issuer and `jti`), to refuse replays. */
export const LOGOUT_TOKEN_TABLE_NAME_ENV = 'LOGOUT_TOKEN_TABLE_NAME';
/**
 * Where the app's own page is, for the signed-in page to link (the project's demo page); only a
 * stack that has such a page sets it, so a user's deployment never links a page it lacks.
 */
export const APP_PAGE_PATH_ENV = 'APP_PAGE_PATH';
/**
 * The token key ring itself (token-sealing.ts), for the local stack only: a deployed function reads
 * it from the Secrets Manager secret TOKEN_KEY_SECRET_ARN names, and refuses this variable.
 */
export const TOKEN_KEYS_ENV = 'TOKEN_KEYS';
/** The client secret itself, for the local stack only; a deployed function reads it from Secrets Manager. */
export const CLIENT_SECRET_ENV = 'CLIENT_SECRET';
/**
 * With the rate-limited edge in front, CloudFront adds this header, carrying a secret, to every
 * request it forwards. The functions refuse a request without it, so the API's own endpoint is no
 * way around the per-client limit. Unset without the edge: nothing is checked.
 */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';
export const ORIGIN_VERIFY_SECRET_ENV = 'ORIGIN_VERIFY_SECRET';

/**
 * Bounded so that the SDK's retries always end inside the function's timeout and the user gets a
 * 503 rather than a Lambda timeout. The request timer runs from the start of the attempt, so it
 * covers connecting too: the worst case is MAX_ATTEMPTS x REQUEST_TIMEOUT (4.5 s) plus the
 * standard retry strategy's back-off (at most about 3 s for throttling errors), under 10 s.
 * DynamoDB answers single-item writes in milliseconds, so 1.5 s only ever cuts a stuck request.
 */
export const DYNAMODB_MAX_ATTEMPTS = 3;
export const DYNAMODB_CONNECTION_TIMEOUT_MS = 500;
export const DYNAMODB_REQUEST_TIMEOUT_MS = 1500;
export const FUNCTION_TIMEOUT_SECONDS = 10;
/**
 * The callback may also wait on the token endpoint (5 s at most) and write twice more; this keeps
 * its worst case inside the function and under API Gateway's 30 s integration limit.
 */
export const CALLBACK_TIMEOUT_SECONDS = 25;
