/**
 * The proxy's bounds, from API Gateway's and Lambda's. A request body over API Gateway's 10 MB is
 * refused with 413 (a deployed Lambda integration refuses an event over 6 MB before any code runs,
 * so this limit binds the local stack and anything in front that allows more). An answer must fit
 * a Lambda response (6 MB) once base64-encoded (4/3) with its headers: 4 MB of body. The upstream
 * gets 20 s, so with a refresh (bounded by the token source) the answer still leaves before API
 * Gateway's 30 s.
 */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
export const MAX_UPSTREAM_RESPONSE_BYTES = 4 * 1024 * 1024;
export const UPSTREAM_CONNECT_TIMEOUT_MS = 2_000;
export const UPSTREAM_TOTAL_TIMEOUT_MS = 20_000;
/** The proxy function's own timeout: the upstream's budget and a refresh's, under API Gateway's 30 s. */
export const API_PROXY_TIMEOUT_SECONDS = 28;
/** Seconds a browser waits before retrying while another request refreshes the session's token. */
export const REFRESH_RETRY_AFTER_SECONDS = 1;
