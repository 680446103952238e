import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { LoginRequestError, createAuthorizationRequest, parseLoginQuery, type LoginRequest } from '../core/authorization-request.js';
import { BINDING_COOKIE_NAME, bindingCookie, readCookie } from '../core/binding.js';
import type { LoginConfig } from '../core/config.js';
import { redirect, type HttpResponse } from '../core/http.js';
import { Metric } from '../core/metrics.js';
import { pageResponse } from '../core/pages.js';
import { runRequest, type RequestResult } from '../shared/request-runner.js';
import type { LoginDependencies } from '../shared/dependencies.js';

export const LOGIN_ROUTE = 'GET /login';

function rejectLogin(error: LoginRequestError, config: LoginConfig): RequestResult {
  return {
    response: pageResponse(400, {
      title: 'Invalid sign-in link',
      paragraphs: [
        error.reason === 'invalid_parameter' && error.parameter !== undefined
          ? `The sign-in link has an invalid "${error.parameter}" parameter.`
          : 'The sign-in link is malformed.',
      ],
      links: [{ href: `${config.baseUrl}/login`, label: 'Start a new sign-in' }],
    }),
    outcome: 'rejected',
    reason: error.reason,
    metric: Metric.loginsRejected,
  };
}

export function createLoginHandler(deps: LoginDependencies): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  const { config } = deps;
  return (event) =>
    runRequest(LOGIN_ROUTE, event, deps, `${config.baseUrl}/login`, async () => {
      let request: LoginRequest;
      try {
        request = parseLoginQuery(event.rawQueryString, config);
      } catch (error) {
        if (error instanceof LoginRequestError) return rejectLogin(error, config);
        throw error;
      }
      const existingSecret = readCookie(event.cookies, BINDING_COOKIE_NAME);
      const authorization = createAuthorizationRequest(config, request, existingSecret, deps.now());
      await deps.store.savePending(authorization.transaction);
      // Re-sent even when reused, so the cookie outlives every transaction it is bound to.
      const cookie = bindingCookie(authorization.binding.secret, config.stateTtlSeconds);
      return {
        response: redirect(302, authorization.authorizeUrl, [cookie]),
        outcome: 'started',
        metric: Metric.loginsStarted,
      };
    });
}
