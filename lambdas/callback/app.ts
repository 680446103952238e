import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  CallbackError,
  classifyRefusedConsume,
  providerErrorLabel,
  validateAuthorizationResponse,
  type AuthorizationResponse,
  type CallbackRejection,
} from '../core/authorization-response.js';
import { BINDING_COOKIE_NAME, hashBindingSecret, readCookie } from '../core/binding.js';
import { isRandomToken } from '../core/encoding.js';
import { redirect, type HttpResponse } from '../core/http.js';
import { Metric } from '../core/metrics.js';
import { pageResponse } from '../core/pages.js';
import { landingUrl, sanitizeReturnTo } from '../core/return-to.js';
import { createSession, SESSION_COOKIE_NAME, sessionCookie, sessionIdFromCookie } from '../core/session/session.js';
import { accessTokenExpiry } from '../core/token/session-tokens.js';
import { sealSessionTokens } from '../core/token/token-sealing.js';
import { SignInFailure } from '../core/token/sign-in-failure.js';
import { runRequest, type RequestResult } from '../shared/request-runner.js';
import type { CallbackDependencies } from '../shared/dependencies.js';
import type { ConsumedTransaction } from '../shared/transaction-store.js';

export const CALLBACK_ROUTE = 'GET /callback';
const SECONDS_PER_DAY = 86_400;

const MALFORMED = 'The sign-in response was malformed, so it was not used.';
const REJECTION_MESSAGES: Record<CallbackRejection, { status: number; message: string }> = {
  malformed_query: { status: 400, message: MALFORMED },
  duplicate_parameter: { status: 400, message: MALFORMED },
  missing_state: { status: 400, message: MALFORMED },
  invalid_state: { status: 400, message: MALFORMED },
  invalid_code: { status: 400, message: MALFORMED },
  invalid_error: { status: 400, message: MALFORMED },
  ambiguous_response: { status: 400, message: MALFORMED },
  missing_response: { status: 400, message: MALFORMED },
  issuer_mismatch: { status: 400, message: 'The sign-in response did not come from the expected identity provider.' },
  missing_issuer: { status: 400, message: 'The sign-in response did not say which identity provider sent it.' },
  missing_binding: {
    status: 400,
    message: 'This browser has no record of starting this sign-in. Cookies must be enabled for sign-in to work.',
  },
  binding_mismatch: { status: 403, message: 'This sign-in was started in a different browser, so it cannot be finished here.' },
  unknown_state: { status: 400, message: 'This sign-in response does not match any sign-in in progress.' },
  already_used: { status: 409, message: 'This sign-in response has already been used. Each one works only once.' },
  already_completed: { status: 409, message: 'This sign-in already finished and its result is recorded. There is nothing more to do.' },
  expired: { status: 410, message: 'This sign-in took too long and expired.' },
};

/**
 * OIDC Core §3.1.2.6: what a provider answers `prompt=none` with when it cannot sign the user in
 * silently. An app's silent SSO check ends there, so the browser goes back to its page, unsigned.
 */
const SILENT_SIGN_IN_UNAVAILABLE = new Set(['login_required', 'consent_required', 'interaction_required', 'account_selection_required']);
/** Refusals of a response this browser already used: a replay, e.g. the back button after signing in. */
const REPLAYED = new Set<CallbackRejection>(['already_used', 'already_completed']);

export function createCallbackHandler(deps: CallbackDependencies): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const { config } = deps;
  const startOver = `${config.baseUrl}/login`;
  const signedInUrl = `${config.baseUrl}/signed-in`;

  const reject = (reason: CallbackRejection, sessionCookieValue?: string): RequestResult => {
    // Only a cookie of our session's shape; /signed-in itself checks that the session is live.
    if (REPLAYED.has(reason) && sessionIdFromCookie(sessionCookieValue) !== undefined) {
      return { response: redirect(303, signedInUrl), outcome: 'rejected', reason, metric: Metric.callbacksRejected };
    }
    const { status, message } = REJECTION_MESSAGES[reason];
    return {
      response: pageResponse(status, {
        title: 'Sign-in not completed',
        paragraphs: [message],
        links: [{ href: startOver, label: 'Start a new sign-in' }],
      }),
      outcome: 'rejected',
      reason,
      metric: Metric.callbacksRejected,
    };
  };

  /**
   * After the state was consumed: redeem the code, verify the ID token, then record the sign-in and
   * create the session in one transaction. Any failure leaves a label on the record and no session.
   */
  const signIn = async (
    transactionId: string,
    code: string,
    consumed: ConsumedTransaction,
    landing: string,
    replacesSessionId: string | undefined,
  ): Promise<RequestResult> => {
    const { redeemer } = deps;
    if (redeemer === undefined) return { response: redirect(303, landing), outcome: 'completed', metric: Metric.callbacksCompleted };
    try {
      if (consumed.codeVerifier === undefined || consumed.nonce === undefined || consumed.createdAt === undefined) throw new SignInFailure('invalid_token_response');
      const identity = await redeemer.redeem({
        code,
        codeVerifier: consumed.codeVerifier,
        nonce: consumed.nonce,
        organization: consumed.organization,
        loginStartedAt: consumed.createdAt,
      });
      const nowMs = deps.now();
      const session = createSession(identity, config, nowMs);
      const record =
        deps.keyRing === undefined
          ? session.record
          : {
              ...session.record,
              tokens: sealSessionTokens(deps.keyRing, session.record.id, identity.tokens, {
                accessTokenExpiresAt: accessTokenExpiry(identity.expiresIn, nowMs),
                scope: identity.scope ?? config.scope,
              }),
            };
      await deps.store.completeSignIn({
        transactionId,
        sub: identity.sub,
        claims: identity.claims,
        scope: identity.scope,
        nowMs,
        session: record,
        replacesSessionId,
      });
      return {
        response: redirect(303, landing, [sessionCookie(session.secret, config)]),
        outcome: 'signed_in',
        metric: Metric.signInsCompleted,
      };
    } catch (error) {
      if (!(error instanceof SignInFailure)) throw error;
      const label = error.providerError === undefined ? error.reason : `${error.reason}:${error.providerError}`;
      // The page is the same whether or not the label lands: the code is spent either way.
      await deps.store.recordSignInFailure({ transactionId, reason: label, nowMs: deps.now() }).catch(() => undefined);
      return {
        response: pageResponse(502, {
          title: 'Sign-in not completed',
          paragraphs: [
            'The identity provider did not confirm this sign-in in a form that could be verified, so you are not signed in.',
          ],
          links: [{ href: startOver, label: 'Start a new sign-in' }],
        }),
        outcome: 'sign_in_failed',
        reason: label,
        metric: Metric.signInsFailed,
      };
    }
  };

  const providerErrorPage = (error: string, description: string | undefined): HttpResponse =>
    error === 'access_denied'
      ? pageResponse(200, {
          title: 'Sign-in cancelled',
          paragraphs: ['You cancelled the sign-in (or the identity provider declined it), so you are not signed in.'],
          links: [{ href: startOver, label: 'Sign in again' }],
        })
      : pageResponse(200, {
          title: 'Sign-in not completed',
          paragraphs: [`The identity provider ended the sign-in with "${error}".`, ...(description === undefined ? [] : [description])],
          links: [{ href: startOver, label: 'Try again' }],
        });

  const handleCallback = async (event: APIGatewayProxyEventV2): Promise<RequestResult> => {
    let response: AuthorizationResponse;
    try {
      response = validateAuthorizationResponse(event.rawQueryString, config);
    } catch (error) {
      if (error instanceof CallbackError) return reject(error.reason);
      throw error;
    }
    const bindingSecret = readCookie(event.cookies, BINDING_COOKIE_NAME);
    if (bindingSecret === undefined || !isRandomToken(bindingSecret)) return reject('missing_binding');

    const nowMs = deps.now();
    const result = await deps.store.consume({
      transactionId: response.transactionId,
      bindingHash: hashBindingSecret(bindingSecret),
      outcome:
        response.kind === 'code'
          ? { kind: 'code', code: response.code }
          : { kind: 'error', error: response.error, errorDescription: response.errorDescription },
      issuer: config.issuer,
      nowMs,
      retainUntil: Math.floor(nowMs / 1000) + config.retentionDays * SECONDS_PER_DAY,
    });
    if (!result.consumed) {
      const presentedCode = response.kind === 'code' ? response.code : undefined;
      const refusal = classifyRefusedConsume(result.stored, bindingSecret, Math.floor(nowMs / 1000), presentedCode);
      return reject(refusal, readCookie(event.cookies, SESSION_COOKIE_NAME));
    }

    // Sanitized again: the record came from the table, and anyone who can write the table could have put anything there.
    const returnTo = sanitizeReturnTo(result.returnTo, config.baseUrl);
    const landing = (returnTo === undefined ? undefined : landingUrl(returnTo, config.baseUrl)) ?? signedInUrl;
    if (response.kind === 'error') {
      const providerError = { outcome: 'provider_error', reason: providerErrorLabel(response.error), metric: Metric.providerErrors } as const;
      if (SILENT_SIGN_IN_UNAVAILABLE.has(response.error)) return { response: redirect(303, landing), ...providerError };
      return { response: providerErrorPage(response.error, response.errorDescription), ...providerError };
    }
    // 303 so the code leaves the address bar and history (RFC 9700 §4.2.4).
    // The new cookie replaces the old one in this browser; the session it named must not outlive it.
    return signIn(response.transactionId, response.code, result, landing, sessionIdFromCookie(readCookie(event.cookies, SESSION_COOKIE_NAME)));
  };

  return (event) => runRequest(CALLBACK_ROUTE, event, deps, startOver, () => handleCallback(event));
}
