import { ORIGIN_VERIFY_HEADER } from '../contract.js';

/**
 * Which headers cross the proxy, each way. The browser's credentials (its cookie, any
 * Authorization it sends) stop here and the access token takes their place; connection-level
 * headers are this hop's alone (RFC 9110 §7.6.1); the API Gateway and CloudFront headers describe
 * our edge, not the caller, and the origin-verify secret is ours. Upstream, nothing may set a
 * cookie on the sign-in's origin, grant another origin CORS access to it, or loosen the headers
 * every answer of ours carries.
 */

/** Hop-by-hop in both directions (RFC 9110 §7.6.1), plus `proxy-*` and what `Connection` names. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

/** Request headers that never reach the API. `content-length` is recomputed from the body sent. */
const DROPPED_REQUEST_HEADERS = new Set([
  'cookie',
  'authorization',
  'host',
  'content-length',
  'forwarded',
  'via',
  'x-csrf',
  ORIGIN_VERIFY_HEADER,
]);
/** Set by API Gateway or CloudFront (or spoofed by a client to look like them). */
const DROPPED_REQUEST_PREFIXES = ['x-amz', 'cloudfront-', 'x-forwarded-', 'proxy-'];

/**
 * Response headers the proxy never passes on. Caching: the answer is one user's, fetched with
 * their token, so our `Cache-Control: no-store` (and `Pragma`) replaces the API's own caching
 * headers; validators (`ETag`, `Last-Modified`) pass. Security headers are always ours.
 */
const DROPPED_RESPONSE_HEADERS = new Set([
  'set-cookie',
  'set-cookie2',
  'content-length',
  'cache-control',
  'expires',
  'pragma',
  'age',
  'content-security-policy',
  'content-security-policy-report-only',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'alt-svc',
]);
const DROPPED_RESPONSE_PREFIXES = ['access-control-', 'proxy-'];

function connectionNamed(connection: string | undefined): Set<string> {
  return new Set((connection ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== ''));
}

function passes(name: string, dropped: ReadonlySet<string>, prefixes: readonly string[], named: ReadonlySet<string>): boolean {
  return !HOP_BY_HOP.has(name) && !dropped.has(name) && !named.has(name) && !prefixes.some((prefix) => name.startsWith(prefix));
}

/** `headers` as API Gateway gives them (lower-case names, duplicates comma-joined). */
export function upstreamRequestHeaders(headers: Readonly<Record<string, string | undefined>>, accessToken: string): Record<string, string> {
  const lowerCased = Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name.toLowerCase(), value] as const]));
  const named = connectionNamed(lowerCased.find(([name]) => name === 'connection')?.[1]);
  const forwarded: Record<string, string> = {};
  for (const [name, value] of lowerCased) {
    if (passes(name, DROPPED_REQUEST_HEADERS, DROPPED_REQUEST_PREFIXES, named)) forwarded[name] = value;
  }
  forwarded.authorization = `Bearer ${accessToken}`;
  return forwarded;
}

/** The API's answer headers that reach the browser, before ours are laid over them. */
export function browserResponseHeaders(headers: Iterable<readonly [string, string]>): Record<string, string> {
  const entries = [...headers].map(([name, value]) => [name.toLowerCase(), value] as const);
  const named = connectionNamed(entries.find(([name]) => name === 'connection')?.[1]);
  const passed: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (passes(name, DROPPED_RESPONSE_HEADERS, DROPPED_RESPONSE_PREFIXES, named)) passed[name] = value;
  }
  return passed;
}

/** Methods a cross-site page can make a browser send with the cookie and no preflight are the only ones that change nothing. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf';

/**
 * Every other method must come from the app's own origin and carry `x-csrf: 1`: a cross-site form
 * cannot set a header, and a cross-site fetch that sets one needs a preflight nobody approves.
 */
export function passesCsrfCheck(method: string, headers: Readonly<Record<string, string | undefined>>, appOrigin: string): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return true;
  return headers.origin === appOrigin && headers[CSRF_HEADER] === '1';
}
