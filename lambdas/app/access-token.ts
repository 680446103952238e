import type { AccessTokenOutcome, AccessTokenSource } from '../core/token/access-token-outcome.js';
import { accessTokenSourceFromEnv } from '../shared/access-token-source.js';

/**
 * What `accessTokenFor` reads of an HTTP API (payload 2.0) event, declared here so that an app
 * needs no type package: `aws-lambda`'s `APIGatewayProxyEventV2` fits it.
 */
export interface HttpApiCookieEvent {
  readonly cookies?: readonly string[] | undefined;
}

let source: Promise<AccessTokenSource> | undefined;

/**
 * The access token for the request's session, for a function given `login.grantAccessTokens(fn)`:
 * refreshed under the same per-session lease as the token-handler proxy's, so a backend and the
 * proxy never present one refresh token twice. The keys, the client secret and the table are read
 * once per execution environment, on the first call.
 */
export async function accessTokenFor(event: HttpApiCookieEvent): Promise<AccessTokenOutcome> {
  const current = source ?? (source = accessTokenSourceFromEnv(process.env));
  let ready: AccessTokenSource;
  try {
    ready = await current;
  } catch (error) {
    // A failed read (the extension not up yet, a throttled secret) is retried by the next request.
    if (source === current) source = undefined;
    throw error;
  }
  return ready.forRequest(event.cookies);
}
