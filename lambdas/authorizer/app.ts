import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { readCookie } from '../core/binding.js';
import { Metric } from '../core/metrics.js';
import { fromVerifiedOrigin } from '../core/origin-verify.js';
import { signedInContext, type SessionContext } from '../core/session/authorizer-context.js';
import { SESSION_COOKIE_NAME, evaluateSession, sessionIdFromCookie } from '../core/session/session.js';
import type { AuthorizerDependencies } from '../shared/dependencies.js';

export const AUTHORIZER_LOG_ROUTE = 'AUTHORIZER';

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<SessionContext>;

/**
 * The session authorizer for the app's routes: one consistent GetItem of the session by the hash
 * of the cookie's secret, idle and absolute expiry enforced here, and never a write (the idle
 * deadline moves only through /me and /signed-in). A store fault throws, so API Gateway answers 500:
 * it fails closed.
 */
export function createAuthorizer(deps: AuthorizerDependencies): (event: APIGatewayRequestAuthorizerEventV2) => Promise<AuthorizerResult> {
  const anonymous: AuthorizerResult =
    deps.mode === 'optional' ? { isAuthorized: true, context: { authenticated: false } } : { isAuthorized: false, context: { authenticated: false } };

  return async (event) => {
    const started = performance.now();
    const log = (status: number, outcome: string, reason?: string): void =>
      deps.log({
        route: AUTHORIZER_LOG_ROUTE,
        requestId: event.requestContext?.requestId ?? 'unknown',
        status,
        outcome,
        ...(reason === undefined ? {} : { reason }),
        metric: status === 200 ? Metric.requestsAuthorized : Metric.requestsDenied,
        latencyMs: performance.now() - started,
      });
    const refuse = (reason: string): AuthorizerResult => {
      log(deps.mode === 'optional' ? 200 : 403, 'anonymous', reason);
      return anonymous;
    };

    // Denied in either mode: a page reached around the rate-limited edge gets no anonymous pass either.
    if (!fromVerifiedOrigin(event.headers, deps.originSecret)) {
      log(403, 'refused', 'origin_not_verified');
      return { isAuthorized: false, context: { authenticated: false } };
    }
    const sessionId = sessionIdFromCookie(readCookie(event.cookies, SESSION_COOKIE_NAME));
    if (sessionId === undefined) return refuse('no_session_cookie');
    let session;
    try {
      session = await deps.sessions.find(sessionId);
    } catch (error) {
      log(500, 'store_fault', error instanceof Error ? error.name : 'UnknownError');
      throw error;
    }
    if (session === undefined) return refuse('unknown_session');
    const verdict = evaluateSession(session, deps.config, deps.now());
    if (verdict.status !== 'active') return refuse(verdict.status);
    log(200, 'authenticated');
    return { isAuthorized: true, context: signedInContext(session.sub, session.claims, verdict.expiresAt) };
  };
}
