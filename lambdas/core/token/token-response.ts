import { SignInFailure } from './sign-in-failure.js';

/** RFC 6749 §5.2 and OIDC Core §3.1.3.4: the token endpoint's error codes. Anything else is labelled `other`. */
const KNOWN_TOKEN_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'server_error',
  'temporarily_unavailable',
]);

/** RFC 6749 §3.3: scope-tokens of %x21 / %x23-5B / %x5D-7E, separated by single spaces. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/** A token response larger than this is not one: Auth0's are a few kilobytes. */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

export interface TokenEndpointAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface TokenResponse {
  readonly idToken: string;
  /** RFC 6749 §5.1: always present; for the API (`audience`), never validated by this client. */
  readonly accessToken: string;
  readonly expiresIn: number | undefined;
  /** Only when granted (`offline_access`). */
  readonly refreshToken: string | undefined;
  /** RFC 6749 §5.1: present when the granted scope differs from the requested one. */
  readonly scope: string | undefined;
}

export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function tokenErrorLabel(error: unknown): string {
  return typeof error === 'string' && KNOWN_TOKEN_ERRORS.has(error) ? error : 'other';
}

/**
 * RFC 6749 §5.1/§5.2 and OIDC Core §3.1.3.3: a 200 JSON object with a Bearer `token_type` and an
 * `id_token`; an error answer yields its code as a label, never its text.
 */
export function parseTokenResponse(answer: TokenEndpointAnswer): TokenResponse {
  const json = Buffer.byteLength(answer.body, 'utf8') > MAX_TOKEN_RESPONSE_BYTES ? undefined : parseJsonObject(answer.body);
  if (answer.status !== 200) {
    if (answer.status >= 400 && answer.status < 500 && json !== undefined && typeof json.error === 'string') {
      throw new SignInFailure('token_endpoint_error', tokenErrorLabel(json.error));
    }
    throw new SignInFailure('token_endpoint_error', answer.status >= 500 ? 'server_error' : 'other');
  }
  const mediaType = answer.contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json' || json === undefined) throw new SignInFailure('invalid_token_response');
  if (typeof json.token_type !== 'string' || json.token_type.toLowerCase() !== 'bearer') throw new SignInFailure('invalid_token_response');
  if (typeof json.id_token !== 'string' || json.id_token === '') throw new SignInFailure('invalid_token_response');
  // An empty scope grants nothing beyond the request (some providers send "" then): kept as no scope.
  const scope = json.scope === '' ? undefined : json.scope;
  // Stored with the sign-in and shown by operators' tools: nothing outside the grammar is kept.
  if (scope !== undefined && (typeof scope !== 'string' || !SCOPE.test(scope))) throw new SignInFailure('invalid_token_response');
  if (typeof json.access_token !== 'string' || json.access_token === '') throw new SignInFailure('invalid_token_response');
  if (json.refresh_token !== undefined && (typeof json.refresh_token !== 'string' || json.refresh_token === '')) throw new SignInFailure('invalid_token_response');
  const expiresIn = json.expires_in;
  if (expiresIn !== undefined && !(typeof expiresIn === 'number' && Number.isInteger(expiresIn) && expiresIn > 0)) throw new SignInFailure('invalid_token_response');
  return { idToken: json.id_token, accessToken: json.access_token, expiresIn, refreshToken: json.refresh_token, scope };
}
