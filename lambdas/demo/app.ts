import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signedInUser, signInRedirect } from '../app/signed-in-user.js';
import { jsonResponse, type HttpResponse } from '../core/http.js';
import { pageResponse } from '../core/pages.js';

/**
 * The demo app the stack guards: what a user's own function looks like behind the sign-in.
 * `GET /hello` is an API (the authorizer refuses a request without a session); `GET /hello/page`
 * is a page (the authorizer lets it through anonymously, and the page sends the browser to sign in).
 */
export const HELLO_ROUTE = 'GET /hello';
export const HELLO_PAGE_PATH = '/hello/page';
export const HELLO_PAGE_ROUTE = `GET ${HELLO_PAGE_PATH}`;

export function createDemoHandler(baseUrl: string): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  return async (event) => {
    const user = signedInUser(event);
    const name = user === undefined ? undefined : typeof user.claims.name === 'string' ? user.claims.name : user.sub;
    if (event.routeKey === HELLO_PAGE_ROUTE) {
      if (user === undefined) return signInRedirect(event, baseUrl);
      return pageResponse(200, {
        title: `Hello, ${name ?? user.sub}`,
        paragraphs: ['This page is served by the demo app, behind the session authorizer.'],
        links: [{ href: `${baseUrl}/signed-in`, label: 'Your session' }],
      });
    }
    // Unreachable behind the `require` authorizer; answered anyway so the function is safe on any route.
    if (user === undefined) return jsonResponse(401, { error: 'unauthenticated' });
    return jsonResponse(200, { message: `Hello, ${name ?? user.sub}!`, sub: user.sub, name: name ?? null });
  };
}
