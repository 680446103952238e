/**
 * What a request's session yields when something must call the API as its user: the token-handler
 * proxy and `accessTokenFor(event)` both map exactly these cases, so a browser app and a backend
 * see the same answers.
 */
export type AccessTokenOutcome =
  /** A usable access token: fresh, or just refreshed under the session's lease. */
  | { readonly kind: 'token'; readonly accessToken: string; readonly expiresAt: number; readonly scope: string; readonly sub: string }
  /** No session cookie, or one naming a session that is gone or expired: 401 `{"error":"unauthenticated"}`. */
  | { readonly kind: 'unauthenticated' }
  /**
   * The access token expired and cannot be renewed (no refresh token), or the provider said
   * `invalid_grant` and the session was ended: 401 `{"error":"reauthenticate"}`. `sessionEnded`
   * tells the caller to clear the session cookie in its answer.
   */
  | { readonly kind: 'reauthenticate'; readonly sessionEnded: boolean }
  /** The refresh failed on a timeout, a 5xx or the network; the session is kept: 502. */
  | { readonly kind: 'provider_unavailable' }
  /** Another instance held the refresh lease for longer than this caller may wait: 503, retry. */
  | { readonly kind: 'refresh_in_progress' };

/** One per execution environment, built at cold start. */
export interface AccessTokenSource {
  /** `cookies` is API Gateway payload 2.0's `cookies` array, as the function received it. */
  forRequest(cookies: readonly string[] | undefined): Promise<AccessTokenOutcome>;
}
