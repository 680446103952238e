import { jwtVerify, type JWTVerifyGetKey } from 'jose';
import { CLOCK_LEEWAY_SECONDS } from './id-token.js';
import { joseProblem, type JwtProblem } from './jose-problem.js';

/** OpenID Connect Back-Channel Logout 1.0 §2.4: the event a logout token must carry. */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * A logout token issued longer ago than this is refused (§2.6 lets the RP bound `iat`): the
 * provider sends it the moment the session ends, and the `jti` replay record need not outlive it.
 */
export const MAX_LOGOUT_TOKEN_AGE_SECONDS = 300;

export type LogoutTokenProblem = JwtProblem | 'events' | 'nonce' | 'no_subject' | 'jti';

export class LogoutTokenError extends Error {
  override readonly name = 'LogoutTokenError';
  constructor(readonly problem: LogoutTokenProblem) {
    super(`invalid logout token: ${problem}`);
  }
}

export interface LogoutTokenExpectations {
  readonly issuer: string;
  readonly clientId: string;
  readonly algorithms: readonly string[];
  readonly nowSeconds: number;
}

export interface VerifiedLogoutToken {
  readonly jti: string;
  readonly sid: string | undefined;
  readonly sub: string | undefined;
  /** Epoch seconds until which a replay of this token must be refused. */
  readonly replayWindowEndsAt: number;
}

/** Absent is fine; present but not a sensible identifier is a bad token, never quietly dropped (a dropped `sid` would widen the logout to every session of the `sub`). */
function optionalIdentifier(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '' && value.length <= 255) return value;
  throw new LogoutTokenError('claims');
}

/**
 * Back-Channel Logout §2.6, in order: signature with a key from the provider's JWKS and `alg` from
 * the allow-list, `iss`, `aud`, `iat` (and `exp` when present), then the rules an ID token does not
 * have: the logout `events` member, a `sub` or a `sid`, no `nonce` (so an ID token can never pass
 * as a logout token), and a `jti` for the replay check the caller makes.
 */
export async function verifyLogoutToken(token: string, keys: JWTVerifyGetKey, expected: LogoutTokenExpectations): Promise<VerifiedLogoutToken> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: [...expected.algorithms],
      issuer: expected.issuer,
      audience: expected.clientId,
      clockTolerance: CLOCK_LEEWAY_SECONDS,
      currentDate: new Date(expected.nowSeconds * 1000),
      maxTokenAge: MAX_LOGOUT_TOKEN_AGE_SECONDS,
      requiredClaims: ['iat'],
    }));
  } catch (error) {
    throw new LogoutTokenError(joseProblem(error));
  }
  // jose has checked `iat` against maxTokenAge (and the future, with the leeway); this narrows its type.
  if (typeof payload.iat !== 'number') throw new LogoutTokenError('iat');
  const events = payload.events;
  const event = typeof events === 'object' && events !== null && !Array.isArray(events) ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new LogoutTokenError('events');
  if (payload.nonce !== undefined) throw new LogoutTokenError('nonce');
  const sid = optionalIdentifier(payload.sid);
  const sub = optionalIdentifier(payload.sub);
  if (sid === undefined && sub === undefined) throw new LogoutTokenError('no_subject');
  const jti = optionalIdentifier(payload.jti);
  if (jti === undefined) throw new LogoutTokenError('jti');
  const expiresAt = typeof payload.exp === 'number' ? payload.exp : payload.iat + MAX_LOGOUT_TOKEN_AGE_SECONDS;
  return { jti, sid, sub, replayWindowEndsAt: Math.max(expiresAt, payload.iat + MAX_LOGOUT_TOKEN_AGE_SECONDS) + CLOCK_LEEWAY_SECONDS };
}
