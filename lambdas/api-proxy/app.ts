import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiProxyConfig } from '../core/config.js';
import { jsonResponse, proxiedResponse, type HttpResponse } from '../core/http.js';
import { MAX_REQUEST_BODY_BYTES, REFRESH_RETRY_AFTER_SECONDS } from '../core/proxy/limits.js';
import { browserResponseHeaders, passesCsrfCheck, upstreamRequestHeaders } from '../core/proxy/proxy-headers.js';
import { upstreamTarget } from '../core/proxy/upstream-target.js';
import { clearedSessionCookie } from '../core/session/session.js';
import type { AccessTokenOutcome, AccessTokenSource } from '../core/token/access-token-outcome.js';
import { HttpResponseTooLargeError, HttpTimeoutError, type HttpFetch } from '../shared/http-client.js';
import { runRequest, type RequestResult, type RunnerDependencies } from '../shared/request-runner.js';

/**
 * The token-handler proxy (IETF draft "OAuth 2.0 for Browser-Based Applications" §6.1): the
 * browser calls `/api/…` with its session cookie, and the API gets the session's access token in
 * its place. It decides about the session itself rather than behind the session authorizer, so a
 * browser app gets JSON it can act on (401 sign in, 403 refused) instead of API Gateway's bare 403.
 */
export const API_PROXY_ROUTE = 'ANY /api/{proxy+}';

export interface ApiProxyDependencies extends RunnerDependencies {
  readonly config: Pick<ApiProxyConfig, 'baseUrl' | 'apiUrl'>;
  readonly tokens: AccessTokenSource;
  /** A bounded client that follows no redirect (lambdas/shared/http-client.ts). */
  readonly upstream: HttpFetch;
}

function refused(statusCode: number, error: string, reason: string, headers: Record<string, string> = {}): RequestResult {
  return { response: jsonResponse(statusCode, { error }, headers), outcome: 'refused', reason };
}

/** Every outcome but a token, as the browser app sees it (the same answers `accessTokenFor` gives a backend). */
function withoutToken(outcome: Exclude<AccessTokenOutcome, { kind: 'token' }>): RequestResult {
  switch (outcome.kind) {
    case 'unauthenticated':
      return refused(401, 'unauthenticated', 'unauthenticated');
    case 'reauthenticate': {
      const result = refused(401, 'reauthenticate', outcome.sessionEnded ? 'session_ended' : 'token_expired');
      return outcome.sessionEnded ? { ...result, response: { ...result.response, cookies: [clearedSessionCookie()] } } : result;
    }
    case 'provider_unavailable':
      return refused(502, 'provider_unavailable', 'provider_unavailable');
    case 'refresh_in_progress':
      return refused(503, 'refresh_in_progress', 'refresh_in_progress', { 'retry-after': String(REFRESH_RETRY_AFTER_SECONDS) });
  }
}

function requestBody(event: APIGatewayProxyEventV2): Buffer | undefined {
  const method = event.requestContext.http.method;
  if (event.body === undefined || method === 'GET' || method === 'HEAD') return undefined;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

function upstreamFailure(error: unknown): RequestResult {
  if (error instanceof HttpTimeoutError) return refused(504, 'upstream_timeout', 'upstream_timeout');
  if (error instanceof HttpResponseTooLargeError) return refused(502, 'upstream_response_too_large', 'upstream_response_too_large');
  return refused(502, 'upstream_unavailable', 'upstream_unavailable');
}

export function createApiProxyHandler(deps: ApiProxyDependencies): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const { config } = deps;
  const appOrigin = new URL(config.baseUrl).origin;

  const forward = async (event: APIGatewayProxyEventV2): Promise<RequestResult> => {
    const method = event.requestContext.http.method;
    const target = upstreamTarget(config.apiUrl, event.rawPath, event.rawQueryString);
    if (!target.forward) return refused(400, 'bad_path', target.reason);
    if (!passesCsrfCheck(method, event.headers, appOrigin)) return refused(403, 'csrf_check_failed', 'csrf');
    const body = requestBody(event);
    if (body !== undefined && body.length > MAX_REQUEST_BODY_BYTES) return refused(413, 'payload_too_large', 'payload_too_large');

    const outcome = await deps.tokens.forRequest(event.cookies);
    if (outcome.kind !== 'token') return withoutToken(outcome);

    let answer: Response;
    let answerBody: Buffer;
    try {
      answer = await deps.upstream(target.url, { method, headers: upstreamRequestHeaders(event.headers, outcome.accessToken), body: body ?? null });
      answerBody = Buffer.from(await answer.arrayBuffer());
    } catch (error) {
      return upstreamFailure(error);
    }
    return { response: proxiedResponse(answer.status, browserResponseHeaders(answer.headers), answerBody), outcome: 'forwarded' };
  };

  return (event) => runRequest(API_PROXY_ROUTE, event, deps, `${config.baseUrl}/login`, () => forward(event), 'json');
}
