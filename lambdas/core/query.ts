/**
 * Strict parsing of a raw query string (API Gateway's `rawQueryString`), because the parsed
 * `queryStringParameters` silently comma-join duplicates and hide malformed encoding.
 */
export const MAX_QUERY_LENGTH = 8192;
const MAX_PARAMETERS = 32;

export type QueryProblem = 'query_too_long' | 'too_many_parameters' | 'malformed_encoding' | 'duplicate_parameter';

export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(readonly problem: QueryProblem, readonly parameter?: string) {
    super(parameter === undefined ? problem : `${problem}: ${parameter}`);
  }
}

/** application/x-www-form-urlencoded decoding that reports bad percent-encoding instead of throwing URIError. */
function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    throw new QueryError('malformed_encoding');
  }
}

/** Every parameter once; a name sent twice is rejected (oauth4webapi does the same). */
export function parseQuery(rawQueryString: string | undefined): ReadonlyMap<string, string> {
  const params = new Map<string, string>();
  if (rawQueryString === undefined || rawQueryString === '') return params;
  if (rawQueryString.length > MAX_QUERY_LENGTH) throw new QueryError('query_too_long');
  const pieces = rawQueryString.split('&').filter((piece) => piece !== '');
  if (pieces.length > MAX_PARAMETERS) throw new QueryError('too_many_parameters');
  for (const piece of pieces) {
    const separator = piece.indexOf('=');
    const name = decodeComponent(separator < 0 ? piece : piece.slice(0, separator));
    const value = separator < 0 ? '' : decodeComponent(piece.slice(separator + 1));
    if (params.has(name)) throw new QueryError('duplicate_parameter', name);
    params.set(name, value);
  }
  return params;
}
