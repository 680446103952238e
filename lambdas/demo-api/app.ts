import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { jsonResponse, type HttpResponse } from '../core/http.js';

/**
 * The demo API behind API Gateway's JWT authorizer: the API an access token is for. By the time a
 * request gets here, API Gateway has checked the token's signature, issuer, audience and lifetime;
 * this answers who called and with which scopes, from the claims the authorizer hands over.
 */
export const WHOAMI_ROUTE = 'GET /api-demo/whoami';
export const DEMO_API_PATH = '/api-demo';

/** API Gateway passes `scope` as the token's space-separated string; `scopes` is set only when the route lists some. */
function scopesOf(jwt: APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer']['jwt']): string[] {
  const claim = jwt.claims.scope;
  if (typeof claim === 'string') return claim.split(' ').filter((scope) => scope !== '');
  return jwt.scopes ?? [];
}

export async function whoami(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<HttpResponse> {
  const jwt = event.requestContext.authorizer?.jwt;
  const sub = jwt?.claims.sub;
  // Unreachable behind the JWT authorizer; answered anyway so the function is safe on any route.
  if (jwt === undefined || typeof sub !== 'string') return jsonResponse(401, { error: 'unauthenticated' });
  return jsonResponse(200, { sub, scopes: scopesOf(jwt) });
}
