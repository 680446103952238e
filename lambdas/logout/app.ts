import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readCookie } from '../core/binding.js';
import { redirect, type HttpResponse } from '../core/http.js';
import { Metric } from '../core/metrics.js';
import { pageResponse } from '../core/pages.js';
import { SESSION_COOKIE_NAME, clearedSessionCookie, endSessionUrl, sessionIdFromCookie } from '../core/session/session.js';
import { openSessionTokens } from '../core/token/token-sealing.js';
import type { LogoutDependencies } from '../shared/dependencies.js';
import { runRequest, type RequestResult } from '../shared/request-runner.js';

export const LOGOUT_ROUTE = 'GET /logout';
export const LOGOUT_POST_ROUTE = 'POST /logout';
export const SIGNED_OUT_ROUTE = 'GET /signed-out';

/**
 * Logout CSRF: only a request from one of our own pages may end the session at once. A link,
 * a redirect or an auto-submitted form from anywhere else (another site, a sibling subdomain, a
 * typed address) is asked to confirm with a POST from our own page. Fetch Metadata decides when
 * the browser sends it; else the `Origin` a browser puts on every POST; a GET with neither is
 * not known to be ours either.
 */
function comesFromOwnPage(event: APIGatewayProxyEventV2, ownOrigin: string): boolean {
  const site = event.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = event.headers.origin;
  if (origin !== undefined) return origin === ownOrigin;
  return event.requestContext.http.method === 'POST';
}

export function createLogoutHandler(deps: LogoutDependencies): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const { config } = deps;
  const loginUrl = `${config.baseUrl}/login`;
  const signedOutUrl = `${config.baseUrl}/signed-out`;
  const providerOrigin = new URL(config.endSessionEndpoint).origin;
  const ownOrigin = new URL(config.baseUrl).origin;

  const confirm = (): RequestResult => ({
    response: pageResponse(200, {
      title: 'Sign out?',
      paragraphs: ['Signing out takes a click on this page. Sign out only if you meant to.'],
      form: { action: `${config.baseUrl}/logout`, label: 'Sign out', redirectTargets: [providerOrigin] },
      links: [{ href: `${config.baseUrl}/signed-in`, label: 'Stay signed in' }],
    }),
    outcome: 'confirm',
  });

  /**
   * Ends our session first (the part we control), then sends the browser to end the provider's.
   * Clears only a cookie the request carried: a browser that sent none (SameSite kept it back, or
   * it has none) must not lose one it holds.
   */
  const logOut = async (event: APIGatewayProxyEventV2): Promise<RequestResult> => {
    const cookie = readCookie(event.cookies, SESSION_COOKIE_NAME);
    const cleared = cookie === undefined ? undefined : [clearedSessionCookie()];
    const sessionId = sessionIdFromCookie(cookie);
    if (sessionId === undefined) return { response: redirect(302, signedOutUrl, cleared), outcome: 'no_session' };
    const ended = await deps.sessions.remove(sessionId);
    if (!ended.existed) return { response: redirect(302, signedOutUrl, cleared), outcome: 'no_session' };
    const held = ended.sealedTokens === undefined || deps.keyRing === undefined ? undefined : openSessionTokens(deps.keyRing, sessionId, ended.sealedTokens);
    if (held?.refreshToken !== undefined) await deps.revoker?.revoke(held.refreshToken);
    const location = endSessionUrl(config, { sid: ended.sid, idToken: held?.idToken });
    return { response: redirect(302, location, cleared), outcome: 'signed_out', metric: Metric.sessionsEnded };
  };

  const confirmOrLogOut = async (event: APIGatewayProxyEventV2): Promise<RequestResult> => (comesFromOwnPage(event, ownOrigin) ? logOut(event) : confirm());

  const signedOut = (): RequestResult => ({
    response: pageResponse(200, {
      title: 'Signed out',
      paragraphs: ['You are signed out.'],
      links: [{ href: loginUrl, label: 'Sign in again' }],
    }),
    outcome: 'page',
  });

  return (event) => {
    switch (event.routeKey) {
      case SIGNED_OUT_ROUTE:
        return runRequest(SIGNED_OUT_ROUTE, event, deps, loginUrl, async () => signedOut());
      case LOGOUT_POST_ROUTE:
        return runRequest(LOGOUT_POST_ROUTE, event, deps, loginUrl, () => confirmOrLogOut(event));
      default:
        return runRequest(LOGOUT_ROUTE, event, deps, loginUrl, () => confirmOrLogOut(event));
    }
  };
}
