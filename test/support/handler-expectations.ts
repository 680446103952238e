import type { HttpResponse } from '../../lambdas/core/http.js';
import { lastLog } from './logs.js';
import { TEST_BASE_URL } from './flow.js';
import { expectSecurePage } from './responses.js';

/**
 * A rejected request: a 4xx page with the security headers, a link to start again, and one log
 * line naming the reason.
 */
export function expectRejection(response: HttpResponse, logs: readonly string[], statusCode: number, reason: string): void {
  expectSecurePage(response, statusCode);
  expect(response.body).toContain(`<a href="${TEST_BASE_URL}/login">Start a new sign-in</a>`);
  expect(response).not.toHaveProperty('cookies');
  expect(lastLog(logs)).toMatchObject({ status: statusCode, outcome: 'rejected', reason });
}
