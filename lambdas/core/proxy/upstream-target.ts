/**
 * Where a `/api/…` request goes upstream, decided without trusting any normalisation: the rest of
 * the path is forwarded byte for byte below the API's base path, or refused. Nothing is ever
 * rewritten into a different path, because an upstream (or a WAF, or a framework) may decode and
 * normalise differently from us, and a request it reads as `../admin` must never leave here.
 */
export const API_PROXY_PREFIX = '/api/';

export type TargetDecision =
  | { readonly forward: true; readonly url: string }
  | { readonly forward: false; readonly reason: PathRefusal };

export type PathRefusal = 'outside_prefix' | 'empty_path' | 'empty_segment' | 'dot_segment' | 'forbidden_character' | 'encoded_separator' | 'bad_escape' | 'bad_query' | 'not_canonical';

/** Characters a path segment may carry as they are (RFC 3986 pchar), minus `;` (Tomcat-style `..;/` tricks) and `%` (checked below). */
const PLAIN_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,=:@%]+$/;
/** What a query may hold as sent: visible ASCII, no `#`. */
const PLAIN_QUERY = /^[\x21\x22\x24-\x7e]*$/;

function refuse(reason: PathRefusal): TargetDecision {
  return { forward: false, reason };
}

/**
 * A segment whose decoded form is a separator, a dot segment, an escape of its own (double
 * encoding), or a control character could be read as something else by a server that decodes once
 * more than we do, so it is refused here rather than passed on.
 */
function segmentProblem(segment: string): PathRefusal | undefined {
  if (!PLAIN_SEGMENT.test(segment)) return 'forbidden_character';
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return 'bad_escape';
  }
  if (/[/\\%;]/.test(decoded)) return 'encoded_separator';
  if (/[\x00-\x1f\x7f]/.test(decoded)) return 'forbidden_character';
  // Compatibility forms too (a fullwidth full stop is "." to a server that applies NFKC), and
  // dots with whitespace: URL parsers trim it and Windows servers drop trailing dots and spaces.
  // The ideographic full stop is a dot to URL host parsing, so it counts as one here as well.
  const folded = decoded.normalize('NFKC');
  if (/^[.\u3002\s]+$/.test(folded)) return 'dot_segment';
  if (/[/\\]/.test(folded)) return 'encoded_separator';
  return undefined;
}

/**
 * `rawPath` is API Gateway's, still percent-encoded as the browser sent it. `apiUrl` is the
 * validated setting (no trailing slash). The query string is passed through as sent.
 */
export function upstreamTarget(apiUrl: string, rawPath: string, rawQueryString: string): TargetDecision {
  if (!rawPath.startsWith(API_PROXY_PREFIX)) return refuse('outside_prefix');
  const rest = rawPath.slice(API_PROXY_PREFIX.length);
  if (rest === '') return refuse('empty_path');
  const segments = rest.split('/');
  for (const [index, segment] of segments.entries()) {
    // A trailing slash is a path of its own to most APIs; an empty segment anywhere else is `//`.
    if (segment === '') {
      if (index === segments.length - 1) continue;
      return refuse('empty_segment');
    }
    const problem = segmentProblem(segment);
    if (problem !== undefined) return refuse(problem);
  }
  if (!PLAIN_QUERY.test(rawQueryString)) return refuse('bad_query');
  const url = `${apiUrl}/${rest}${rawQueryString === '' ? '' : `?${rawQueryString}`}`;
  // The URL parser must read back exactly what was built: had it normalised anything, the request
  // would go somewhere other than what was checked.
  const parsed = new URL(url);
  const basePath = new URL(apiUrl).pathname.replace(/\/$/, '');
  if (parsed.href !== url || !parsed.pathname.startsWith(`${basePath}/`)) return refuse('not_canonical');
  return { forward: true, url };
}
