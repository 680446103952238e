import type { ClaimValue } from '../token/id-token.js';

/**
 * What the session authorizer hands a route (`event.requestContext.authorizer.lambda`): set by API
 * Gateway from the authorizer's answer, never from the request, so a client cannot forge it (the
 * ALB-header mistake). Flat, because HTTP API context values are strings, numbers and booleans.
 */
export type SignedInContext = { readonly authenticated: true; readonly sub: string; readonly sessionExpiresAt: number } & Readonly<
  Record<string, ClaimValue>
>;
export type AnonymousContext = { readonly authenticated: false };
export type SessionContext = SignedInContext | AnonymousContext;

export function signedInContext(sub: string, claims: Readonly<Record<string, ClaimValue>>, sessionExpiresAt: number): SignedInContext {
  return { ...claims, authenticated: true, sub, sessionExpiresAt };
}
