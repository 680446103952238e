import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readCookie } from '../core/binding.js';
import { jsonResponse, type HttpResponse } from '../core/http.js';
import { pageResponse } from '../core/pages.js';
import { apiCallWidget } from '../core/api-call-widget.js';
import { SESSION_COOKIE_NAME, displayName, evaluateSession, sessionIdFromCookie } from '../core/session/session.js';
import type { SessionDependencies } from '../shared/dependencies.js';
import { runRequest, type RequestResult } from '../shared/request-runner.js';
import type { StoredSession } from '../shared/session-store.js';

export const ME_ROUTE = 'GET /me';
export const SIGNED_IN_ROUTE = 'GET /signed-in';
/** API Gateway's catch-all: every path no other route claims, answered with our headers. */
export const NOT_FOUND_ROUTE = '$default';

type SessionLookup =
  | { readonly found: true; readonly session: StoredSession; readonly expiresAt: number }
  | { readonly found: false; readonly reason: string };

/**
 * Reads the browser's session: one consistent read, expiry decided in code, and a rolling write at
 * most once per touch interval, conditional on the session still existing (a sign-out racing this
 * read wins).
 */
async function lookUpSession(event: APIGatewayProxyEventV2, deps: SessionDependencies): Promise<SessionLookup> {
  const sessionId = sessionIdFromCookie(readCookie(event.cookies, SESSION_COOKIE_NAME));
  if (sessionId === undefined) return { found: false, reason: 'no_session_cookie' };
  const session = await deps.sessions.find(sessionId);
  if (session === undefined) return { found: false, reason: 'unknown_session' };
  const nowMs = deps.now();
  const verdict = evaluateSession(session, deps.config, nowMs);
  if (verdict.status !== 'active') return { found: false, reason: verdict.status };
  if (verdict.touch !== undefined && !(await deps.sessions.touch(sessionId, verdict.touch.lastSeenAt, verdict.touch.expiresAt))) {
    return { found: false, reason: 'unknown_session' };
  }
  return { found: true, session, expiresAt: verdict.expiresAt };
}

export function createSessionHandler(deps: SessionDependencies): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const { config } = deps;
  const loginUrl = `${config.baseUrl}/login`;

  const me = async (event: APIGatewayProxyEventV2): Promise<RequestResult> => {
    const lookup = await lookUpSession(event, deps);
    if (!lookup.found) {
      return { response: jsonResponse(401, { error: 'unauthenticated' }), outcome: 'unauthenticated', reason: lookup.reason };
    }
    const { session } = lookup;
    return { response: jsonResponse(200, { ...session.claims, sub: session.sub, expiresAt: lookup.expiresAt }), outcome: 'authenticated' };
  };

  const signedIn = async (event: APIGatewayProxyEventV2): Promise<RequestResult> => {
    const lookup = await lookUpSession(event, deps);
    if (!lookup.found) {
      return {
        response: pageResponse(200, {
          title: 'Not signed in',
          paragraphs: ['This browser is not signed in.'],
          links: [{ href: loginUrl, label: 'Sign in' }],
        }),
        outcome: 'unauthenticated',
        reason: lookup.reason,
      };
    }
    return {
      response: pageResponse(200, {
        title: 'Signed in',
        paragraphs: [`Signed in as ${displayName(lookup.session.claims, lookup.session.sub)}.`],
        widget: apiCallWidget('/api/whoami', 'Call the API'),
        form: { action: `${config.baseUrl}/logout`, label: 'Sign out', redirectTargets: [new URL(config.endSessionEndpoint).origin] },
        links: [
          ...(deps.appPagePath === undefined ? [] : [{ href: `${config.baseUrl}${deps.appPagePath}`, label: 'Open the app' }]),
          { href: `${config.baseUrl}/me`, label: 'Your session as JSON (/me)' },
        ],
      }),
      outcome: 'authenticated',
    };
  };

  const notFound = async (): Promise<RequestResult> => ({
    response: pageResponse(404, { title: 'Not found', paragraphs: ['There is no page here.'], links: [{ href: loginUrl, label: 'Sign in' }] }),
    outcome: 'not_found',
  });

  return (event) => {
    switch (event.routeKey) {
      case ME_ROUTE:
        return runRequest(ME_ROUTE, event, deps, loginUrl, () => me(event), 'json');
      case SIGNED_IN_ROUTE:
        return runRequest(SIGNED_IN_ROUTE, event, deps, loginUrl, () => signedIn(event));
      default:
        return runRequest(NOT_FOUND_ROUTE, event, deps, loginUrl, notFound);
    }
  };
}
