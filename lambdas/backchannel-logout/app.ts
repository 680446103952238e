import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { JWTVerifyGetKey } from 'jose';
import { sha256Base64Url } from '../core/encoding.js';
import { jsonResponse, type HttpResponse } from '../core/http.js';
import { Metric } from '../core/metrics.js';
import { QueryError, parseQuery } from '../core/query.js';
import { LogoutTokenError, verifyLogoutToken } from '../core/token/logout-token.js';
import type { BackchannelDependencies } from '../shared/dependencies.js';
import { runRequest, type RequestResult } from '../shared/request-runner.js';

export const BACKCHANNEL_LOGOUT_ROUTE = 'POST /backchannel-logout';

/** A logout token is a few hundred bytes; a body this large is not one. */
const MAX_BODY_BYTES = 16 * 1024;

export interface BackchannelHandlerDependencies extends BackchannelDependencies {
  /** The provider's keys (the JWKS cache of this execution environment). */
  readonly keys: JWTVerifyGetKey;
}

function refuse(reason: string, description: string): RequestResult {
  return {
    // Back-Channel Logout §2.8: 400 with an OAuth-style error body; never a token or key material.
    response: jsonResponse(400, { error: 'invalid_request', error_description: description }),
    outcome: 'rejected',
    reason,
    metric: Metric.backchannelLogoutsRejected,
  };
}

function formBody(event: APIGatewayProxyEventV2): string | undefined {
  const contentType = event.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (contentType !== 'application/x-www-form-urlencoded' || event.body === undefined) return undefined;
  const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return Buffer.byteLength(body) > MAX_BODY_BYTES ? undefined : body;
}

/**
 * OpenID Connect Back-Channel Logout 1.0 §2.5-2.8: the provider POSTs a `logout_token`; once it
 * verifies and its `jti` has not been seen (a conditional write whose record expires with the
 * token), every session it names ends at once: those with its `sid`, or all of its `sub`.
 */
export function createBackchannelLogoutHandler(deps: BackchannelHandlerDependencies): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const { config } = deps;

  const handle = async (event: APIGatewayProxyEventV2): Promise<RequestResult> => {
    const body = formBody(event);
    if (body === undefined) return refuse('not_a_form', 'expected an application/x-www-form-urlencoded body');
    let token: string | undefined;
    try {
      token = parseQuery(body).get('logout_token');
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      return refuse('malformed_body', 'the body is not a well-formed form');
    }
    if (token === undefined || token === '') return refuse('missing_logout_token', 'logout_token is missing');

    let verified;
    try {
      verified = await verifyLogoutToken(token, deps.keys, {
        issuer: config.issuer,
        clientId: config.clientId,
        algorithms: config.idTokenSigningAlgs,
        nowSeconds: Math.floor(deps.now() / 1000),
      });
    } catch (error) {
      if (!(error instanceof LogoutTokenError)) throw error;
      return refuse(`logout_token_${error.problem}`, 'the logout token did not verify');
    }

    const tokenId = sha256Base64Url(`logout-token:${config.issuer}:${verified.jti}`);
    if (!(await deps.store.recordLogoutToken(tokenId, verified.replayWindowEndsAt))) {
      return refuse('logout_token_replayed', 'this logout token was already used');
    }
    try {
      const sessionIds = await deps.store.findSessions({ sid: verified.sid, sub: verified.sub });
      await deps.store.removeSessions(sessionIds);
      return {
        response: jsonResponse(200, {}),
        outcome: sessionIds.length === 0 ? 'no_session' : 'sessions_ended',
        metric: Metric.backchannelLogouts,
      };
    } catch (error) {
      // The sessions may still be there: forget the token, so the provider's retry is not refused as a replay.
      await deps.store.forgetLogoutToken(tokenId).catch(() => undefined);
      throw error;
    }
  };

  return (event) => runRequest(BACKCHANNEL_LOGOUT_ROUTE, event, deps, `${config.baseUrl}/login`, () => handle(event), 'json');
}
