/**
 * Where to land after login. An open-redirect risk (RFC 9700 §4.11; oauth2-proxy CVE-2020-5233),
 * so only a plain same-origin path survives; anything doubtful is dropped, not repaired.
 */
/** Long enough for any page of an app; short enough that a login record stays within one write unit. */
export const MAX_RETURN_TO_LENGTH = 256;

/** Path, query and fragment characters of RFC 3986, minus backslash, whitespace and controls. */
const SAFE_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%#]*$/;
const MAX_DECODE_ROUNDS = 4;

/**
 * The flow's own routes are never a place to land: a user just signed in and sent to
 * `/callback?state=…`, `/login?prompt=none` or `/logout` is trapped in a loop or signed out again.
 */
const FLOW_ROUTES = ['/login', '/callback', '/logout', '/signed-out', '/backchannel-logout'];

function isFlowRoute(decoded: string): boolean {
  const path = (decoded.split(/[?#]/, 1)[0] ?? '').toLowerCase().replace(/\/+$/, '');
  return FLOW_ROUTES.includes(path);
}

function decodeOnce(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * `//host` and `/\host` are network-path references to another origin, and browsers strip tabs and
 * newlines, turning `/\t/host` into `//host`; checked on every decoding of the value, since a proxy
 * or app behind the landing page may decode it again. Like oauth2-proxy, a `//`, `/./` or `/../`
 * anywhere is refused too: `/https://host` or `/x/%2f%2e%2e` is a redirect waiting to be resolved.
 */
function looksLikeAnotherOrigin(value: string): boolean {
  return /[/\\](?:\s*|\.{1,2})[/\\]/.test(value) || /[\\\u0000-\u001f\u007f]|[^\S ]/.test(value);
}

/**
 * Decodes until the value stops changing, checking each form on the way; a value still changing
 * after the round limit is refused, since whatever decodes it once more could find `//host` in it.
 */
function settledDecoding(candidate: string): string | undefined {
  let decoded = candidate;
  for (let round = 0; round <= MAX_DECODE_ROUNDS; round += 1) {
    if (looksLikeAnotherOrigin(decoded)) return undefined;
    const next = decodeOnce(decoded);
    if (next === undefined) return undefined;
    if (next === decoded) return decoded;
    decoded = next;
  }
  return undefined;
}

export function sanitizeReturnTo(candidate: string | undefined, baseUrl: string): string | undefined {
  if (candidate === undefined || candidate.length === 0 || candidate.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (!SAFE_PATH.test(candidate)) return undefined;
  const decoded = settledDecoding(candidate);
  if (decoded === undefined || isFlowRoute(decoded)) return undefined;
  return landingUrl(candidate, baseUrl) === undefined ? undefined : candidate;
}

/**
 * The absolute URL to send the browser to, or undefined unless it is on the base URL's origin.
 * Applied again at the callback to what the store gives back: a stored value is only as
 * trustworthy as everyone who can write the table.
 */
export function landingUrl(returnTo: string, baseUrl: string): string | undefined {
  const origin = new URL(baseUrl).origin;
  const resolved = new URL(returnTo, origin);
  return resolved.origin === origin ? resolved.toString() : undefined;
}
