import { bindingMatches } from './binding.js';
import { constantTimeEqual, isRandomToken, sha256Base64Url } from './encoding.js';
import type { LoginConfig } from './config.js';
import { QueryError, parseQuery } from './query.js';
import { transactionIdForState } from './authorization-request.js';

/** RFC 6749 Appendix A.11: code = 1*VSCHAR; capped so a hostile value cannot bloat the table. */
export const MAX_CODE_LENGTH = 2048;
/**
 * Codes up to this length (Auth0's, Okta's, Google's, Cognito's, Keycloak's) are recorded as they
 * are; a longer one (some providers issue ~1 KB codes) is recorded as its SHA-256, so no record
 * needs more than one DynamoDB write unit, whatever a forged callback sends. A longer code is still
 * redeemed, in the same request, when a client secret is configured.
 */
export const MAX_RECORDED_CODE_LENGTH = 256;
const VSCHAR = /^[\x20-\x7e]+$/;
/** RFC 6749 Appendix A.7/A.8: error and error_description are NQSCHAR (no `"` or `\`). */
const NQSCHAR = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
/** The longest registered error code is 26 characters; 64 leaves room for provider-specific ones. */
const MAX_ERROR_LENGTH = 64;
/** Longer descriptions are dropped (the `error` itself is kept), so a record stays within one write unit. */
const MAX_ERROR_DESCRIPTION_LENGTH = 256;

export type CallbackRejection =
  | 'malformed_query'
  | 'duplicate_parameter'
  | 'missing_state'
  | 'invalid_state'
  | 'invalid_code'
  | 'invalid_error'
  | 'ambiguous_response'
  | 'missing_response'
  | 'issuer_mismatch'
  | 'missing_issuer'
  | 'missing_binding'
  | 'unknown_state'
  | 'already_used'
  | 'already_completed'
  | 'expired'
  | 'binding_mismatch';

export class CallbackError extends Error {
  override readonly name = 'CallbackError';
  constructor(readonly reason: CallbackRejection) {
    super(reason);
  }
}

export type AuthorizationResponse =
  | { readonly kind: 'code'; readonly transactionId: string; readonly code: string }
  | {
      readonly kind: 'error';
      readonly transactionId: string;
      readonly error: string;
      readonly errorDescription: string | undefined;
    };

/**
 * The error codes of RFC 6749 §4.1.2.1 and OIDC Core §3.1.2.6. A provider's `error` is free text
 * to us: anything else is labelled `other` in logs and metrics, so a forged value can neither put
 * attacker-chosen text in the logs nor mint a new metric dimension per request.
 */
const KNOWN_PROVIDER_ERRORS = new Set([
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
]);

export function providerErrorLabel(error: string): string {
  return KNOWN_PROVIDER_ERRORS.has(error) ? error : 'other';
}

function queryOrReject(rawQueryString: string | undefined): ReadonlyMap<string, string> {
  try {
    return parseQuery(rawQueryString);
  } catch (error) {
    if (error instanceof QueryError) {
      throw new CallbackError(error.problem === 'duplicate_parameter' ? 'duplicate_parameter' : 'malformed_query');
    }
    throw error;
  }
}

/**
 * Checks everything that can be checked without the store, in oauth4webapi's order: state and
 * issuer before acting on `error` (RFC 9700 §4.4 mix-up defense, RFC 9207).
 */
export function validateAuthorizationResponse(rawQueryString: string | undefined, config: LoginConfig): AuthorizationResponse {
  const params = queryOrReject(rawQueryString);
  const state = params.get('state');
  if (state === undefined) throw new CallbackError('missing_state');
  if (!isRandomToken(state)) throw new CallbackError('invalid_state');

  const iss = params.get('iss');
  if (iss === undefined && config.requireIss) throw new CallbackError('missing_issuer');
  if (iss !== undefined && iss !== config.issuer) throw new CallbackError('issuer_mismatch');

  const transactionId = transactionIdForState(state);
  const code = params.get('code');
  const error = params.get('error');
  if (code !== undefined && error !== undefined) throw new CallbackError('ambiguous_response');
  if (error !== undefined) {
    if (error.length > MAX_ERROR_LENGTH || !NQSCHAR.test(error)) throw new CallbackError('invalid_error');
    const description = params.get('error_description');
    const errorDescription =
      description !== undefined && description.length <= MAX_ERROR_DESCRIPTION_LENGTH && NQSCHAR.test(description)
        ? description
        : undefined;
    return { kind: 'error', transactionId, error, errorDescription };
  }
  if (code === undefined) throw new CallbackError('missing_response');
  if (code.length > MAX_CODE_LENGTH || !VSCHAR.test(code)) throw new CallbackError('invalid_code');
  return { kind: 'code', transactionId, code };
}

/** The stored attributes that explain why the consuming write's condition failed. */
export interface StoredTransactionState {
  readonly status: string;
  readonly expiresAt: number;
  readonly bindingHash: string;
  /** The recorded code, once the transaction completed with one ... */
  readonly code?: string;
  /** ... or its hash, for a code too long to record as it is. */
  readonly codeHash?: string;
}

/** What the record keeps of a code: the code, or for a long one its hash (see MAX_RECORDED_CODE_LENGTH). */
export function recordedCode(code: string): { readonly code: string } | { readonly codeHash: string } {
  return code.length <= MAX_RECORDED_CODE_LENGTH ? { code } : { codeHash: sha256Base64Url(`code:${code}`) };
}

function isRecordedCode(presented: string, stored: StoredTransactionState): boolean {
  if (stored.code !== undefined) return constantTimeEqual(presented, stored.code);
  if (stored.codeHash !== undefined) return constantTimeEqual(sha256Base64Url(`code:${presented}`), stored.codeHash);
  return false;
}

/**
 * Names the reason the store refused to consume a transaction. The store's condition already
 * decided; this only labels the outcome for the page, logs and metrics. Binding comes first so a
 * foreign browser learns nothing about whether the rightful user finished. The same browser
 * presenting the very code that was recorded is told its sign-in is already complete: that is the
 * retry after a 503 whose write had in fact landed, not an attack.
 */
export function classifyRefusedConsume(
  stored: StoredTransactionState | undefined,
  bindingSecret: string,
  nowSeconds: number,
  presentedCode?: string,
): CallbackRejection {
  if (stored === undefined) return 'unknown_state';
  if (!bindingMatches(bindingSecret, stored.bindingHash)) return 'binding_mismatch';
  if (stored.status !== 'pending') {
    const sameCode = presentedCode !== undefined && isRecordedCode(presentedCode, stored);
    return sameCode ? 'already_completed' : 'already_used';
  }
  if (stored.expiresAt <= nowSeconds) return 'expired';
  return 'unknown_state';
}
