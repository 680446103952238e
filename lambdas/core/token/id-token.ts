import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { constantTimeEqual } from '../encoding.js';
import type { ClaimValue } from './claim-value.js';
import { SignInFailure, type SignInFailureReason } from './sign-in-failure.js';

/** Clock skew tolerated on `exp`, `nbf` and `iat` (OIDC Core §3.1.3.7 leaves it to the client; 60 s is common). */
export const CLOCK_LEEWAY_SECONDS = 60;

/** What the ID token must match: everything comes from configuration or from the stored login, never from the token. */
export interface IdTokenExpectations {
  readonly issuer: string;
  readonly clientId: string;
  readonly algorithms: readonly string[];
  /** The nonce sent at /login; an ID token without exactly this nonce is refused. */
  readonly nonce: string;
  /** The `organization` sent at /login (Auth0 Organizations), if any. */
  readonly organization: string | undefined;
  /** When /login started this sign-in (epoch seconds): a token issued before it is not for this sign-in. */
  readonly loginStartedSeconds: number;
  readonly nowSeconds: number;
}

export type { ClaimValue };

export interface VerifiedIdToken {
  readonly sub: string;
  readonly sid: string | undefined;
  readonly payload: JWTPayload;
}

function claimFailure(claim: string | undefined): SignInFailureReason {
  switch (claim) {
    case 'iss':
      return 'id_token_iss';
    case 'aud':
      return 'id_token_aud';
    case 'nbf':
      return 'id_token_not_yet_valid';
    case 'iat':
      return 'id_token_iat';
    default:
      return 'id_token_claims';
  }
}

/** jose's typed errors, mapped to our labels; anything unexpected is a malformed token, not a 500. */
function failureOf(error: unknown): SignInFailure {
  if (error instanceof SignInFailure) return error;
  if (error instanceof errors.JWTExpired) return new SignInFailure('id_token_expired');
  if (error instanceof errors.JWTClaimValidationFailed) return new SignInFailure(claimFailure(error.claim));
  if (error instanceof errors.JOSEAlgNotAllowed) return new SignInFailure('id_token_alg');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new SignInFailure('id_token_signature');
  if (error instanceof errors.JWKSNoMatchingKey) return new SignInFailure('id_token_unknown_key');
  return new SignInFailure('id_token_malformed');
}

/**
 * Auth0 sends `organization` as an id (`org_...`), matched against `org_id`, or as a name, matched
 * case-insensitively against `org_name` (Auth0's guidance for validating Organizations tokens).
 */
function organizationMatches(payload: JWTPayload, organization: string): boolean {
  if (organization.startsWith('org_')) return typeof payload.org_id === 'string' && constantTimeEqual(payload.org_id, organization);
  return typeof payload.org_name === 'string' && payload.org_name.toLowerCase() === organization.toLowerCase();
}

/**
 * OIDC Core §3.1.3.7, every step, for an ID token from the token endpoint: the signature is checked
 * even though it came over TLS (it costs microseconds and makes a mis-pointed token endpoint
 * harmless). jose verifies the signature with a key from the JWKS, the `alg` against our allow-list
 * (so `none` and HS* over an RSA key are refused), `iss`, `aud`, `exp` and `nbf`; the rest is here.
 */
export async function verifyIdToken(idToken: string, keys: JWTVerifyGetKey, expected: IdTokenExpectations): Promise<VerifiedIdToken> {
  try {
    const { payload } = await jwtVerify(idToken, keys, {
      algorithms: [...expected.algorithms],
      issuer: expected.issuer,
      audience: expected.clientId,
      clockTolerance: CLOCK_LEEWAY_SECONDS,
      currentDate: new Date(expected.nowSeconds * 1000),
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255) throw new SignInFailure('id_token_claims');
    // With several audiences the token must name us as the party it was issued to; when present at all, it must be us.
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (audiences.length > 1 && payload.azp === undefined) throw new SignInFailure('id_token_azp');
    if (payload.azp !== undefined && payload.azp !== expected.clientId) throw new SignInFailure('id_token_azp');
    if (typeof payload.iat !== 'number' || payload.iat > expected.nowSeconds + CLOCK_LEEWAY_SECONDS) throw new SignInFailure('id_token_iat');
    if (payload.iat < expected.loginStartedSeconds - CLOCK_LEEWAY_SECONDS) throw new SignInFailure('id_token_iat');
    if (typeof payload.nonce !== 'string' || !constantTimeEqual(payload.nonce, expected.nonce)) throw new SignInFailure('id_token_nonce');
    if (expected.organization !== undefined && !organizationMatches(payload, expected.organization)) throw new SignInFailure('id_token_org');
    if (payload.sid !== undefined && (typeof payload.sid !== 'string' || payload.sid === '' || payload.sid.length > 255)) {
      throw new SignInFailure('id_token_claims');
    }
    return { sub: payload.sub, sid: payload.sid, payload };
  } catch (error) {
    throw failureOf(error);
  }
}

const MAX_CLAIM_STRING_LENGTH = 512;

/** The configured profile claims that are plain values of a sensible size; objects, arrays and huge strings are left out. */
export function pickProfileClaims(payload: JWTPayload, names: readonly string[]): Record<string, ClaimValue> {
  const kept: Record<string, ClaimValue> = {};
  for (const name of names) {
    const value = payload[name];
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) kept[name] = value;
    else if (typeof value === 'string' && value.length <= MAX_CLAIM_STRING_LENGTH) kept[name] = value;
  }
  return kept;
}
