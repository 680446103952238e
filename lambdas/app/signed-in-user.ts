import type { ClaimValue } from '../core/token/claim-value.js';

/**
 * What the helpers read of an HTTP API (payload 2.0) event, declared here so that an app needs no
 * type package: `aws-lambda`'s `APIGatewayProxyEventV2` and its authorizer variants fit it.
 */
export interface HttpApiEvent {
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly requestContext: object;
}

/**
 * For the functions of an app behind the sign-in: who signed in, as the session authorizer put it
 * in the request context (which API Gateway fills from the authorizer's answer, never from the
 * request), and the redirect that sends a browser without a session to sign in and back.
 */
export interface SignedInUser {
  readonly sub: string;
  /** The profile claims the sign-in keeps (`name`, `email`, ... as configured). */
  readonly claims: Readonly<Record<string, ClaimValue>>;
  /** Epoch seconds when the session ends unless used (idle) or at the latest (absolute). */
  readonly sessionExpiresAt: number;
}

function isClaimValue(value: unknown): value is ClaimValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** The signed-in user, or undefined when the route's authorizer let the request through anonymously. */
export function signedInUser(event: Pick<HttpApiEvent, 'requestContext'>): SignedInUser | undefined {
  const context: unknown = (event.requestContext as { authorizer?: { lambda?: unknown } }).authorizer?.lambda;
  if (typeof context !== 'object' || context === null) return undefined;
  const { authenticated, sub, sessionExpiresAt, ...rest } = context as Record<string, unknown>;
  if (authenticated !== true || typeof sub !== 'string' || typeof sessionExpiresAt !== 'number') return undefined;
  const claims: Record<string, ClaimValue> = {};
  for (const [name, value] of Object.entries(rest)) if (isClaimValue(value)) claims[name] = value;
  return { sub, claims, sessionExpiresAt };
}

/**
 * 302 to `<baseUrl>/login?returnTo=<this page>`: after signing in the browser comes back here. Only
 * the path and query go in, and /login keeps them only if they are a plain same-origin path.
 */
export function signInRedirect(event: HttpApiEvent, baseUrl: string): { statusCode: 302; headers: Record<string, string>; body: string } {
  const page = event.rawQueryString === '' ? event.rawPath : `${event.rawPath}?${event.rawQueryString}`;
  return {
    statusCode: 302,
    headers: { location: `${baseUrl}/login?returnTo=${encodeURIComponent(page)}`, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    body: '',
  };
}
