/**
 * Why a consumed authorization code did not become a session. Each value is a fixed label: it is
 * what the login record, the log line and the metric dimension carry, never a token or free text
 * from the provider.
 */
export type SignInFailureReason =
  | 'token_endpoint_unreachable'
  | 'token_endpoint_timeout'
  | 'token_endpoint_error'
  | 'invalid_token_response'
  | 'jwks_unavailable'
  | 'id_token_malformed'
  | 'id_token_signature'
  | 'id_token_unknown_key'
  | 'id_token_alg'
  | 'id_token_iss'
  | 'id_token_aud'
  | 'id_token_azp'
  | 'id_token_expired'
  | 'id_token_not_yet_valid'
  | 'id_token_iat'
  | 'id_token_nonce'
  | 'id_token_org'
  | 'id_token_claims';

export class SignInFailure extends Error {
  override readonly name = 'SignInFailure';
  constructor(
    readonly reason: SignInFailureReason,
    /** For `token_endpoint_error`: the RFC 6749 §5.2 code when it is a known one, else `other`. */
    readonly providerError?: string,
  ) {
    super(providerError === undefined ? reason : `${reason}: ${providerError}`);
  }
}
