import { errors } from 'jose';

/** What was wrong with a JWT, as one fixed word per kind of failure jose reports. */
export type JwtProblem = 'iss' | 'aud' | 'not_yet_valid' | 'iat' | 'claims' | 'expired' | 'alg' | 'signature' | 'unknown_key' | 'malformed';

/** jose's typed errors, mapped to a label; anything unexpected is a malformed token, never a 500. */
export function joseProblem(error: unknown): JwtProblem {
  // maxTokenAge reports a token issued too long ago as expired, naming `iat`.
  if (error instanceof errors.JWTExpired) return error.claim === 'iat' ? 'iat' : 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return 'iss';
      case 'aud':
        return 'aud';
      case 'nbf':
        return 'not_yet_valid';
      case 'iat':
        return 'iat';
      default:
        return 'claims';
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'alg';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof errors.JWKSNoMatchingKey) return 'unknown_key';
  return 'malformed';
}
