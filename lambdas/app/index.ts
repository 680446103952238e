/** `serverless-oidc-login/app`: what the functions of an app behind the sign-in use. */
export { signedInUser, signInRedirect } from './signed-in-user.js';
export type { HttpApiEvent, SignedInUser } from './signed-in-user.js';
export { accessTokenFor } from './access-token.js';
export type { HttpApiCookieEvent } from './access-token.js';
export type { AccessTokenOutcome } from '../core/token/access-token-outcome.js';
export type { ClaimValue } from '../core/token/claim-value.js';
