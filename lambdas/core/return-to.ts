/**
 * Where to land after login. An open-redirect risk (RFC 9700 §4.11; oauth2-proxy CVE-2020-5233),
 * so only a plain same-origin path survives; anything doubtful is dropped, not repaired.
 */
export const MAX_RETURN_TO_LENGTH = 1024;

/** Path, query and fragment characters of RFC 3986, minus backslash, whitespace and controls. */
const SAFE_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%#]*$/;
const MAX_DECODE_ROUNDS = 4;

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

export function sanitizeReturnTo(candidate: string | undefined, baseUrl: string): string | undefined {
  if (candidate === undefined || candidate.length === 0 || candidate.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (!SAFE_PATH.test(candidate)) return undefined;
  let decoded = candidate;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round += 1) {
    if (looksLikeAnotherOrigin(decoded)) return undefined;
    const next = decodeOnce(decoded);
    if (next === undefined) return undefined;
    if (next === decoded) break;
    decoded = next;
  }
  if (looksLikeAnotherOrigin(decoded)) return undefined;
  const origin = new URL(baseUrl).origin;
  const resolved = new URL(candidate, origin);
  return resolved.origin === origin ? candidate : undefined;
}
