import type { HttpResponse } from '../../lambdas/core/http.js';

/** The headers every answer carries, whatever its status (RFC 9700 §4.2.4, RFC 6749 §10.3). */
export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

export function expectSecurityHeaders(response: HttpResponse): void {
  expect(response.headers).toMatchObject(SECURITY_HEADERS);
}

/** An HTML page: the common headers plus a CSP that loads nothing by default and nothing from elsewhere. */
export function expectSecurePage(response: HttpResponse, statusCode: number): void {
  expect(response.statusCode).toBe(statusCode);
  expectSecurityHeaders(response);
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  const csp = response.headers['content-security-policy'] ?? '';
  expect(csp.split('; ')[0]).toBe("default-src 'none'");
  expect(csp).not.toMatch(/https?:|\*|'unsafe-inline'|'unsafe-eval'/);
}

export function expectRedirect(response: HttpResponse, statusCode: 302 | 303, location: string): void {
  expect(response.statusCode).toBe(statusCode);
  expectSecurityHeaders(response);
  expect(response.headers.location).toBe(location);
  expect(response.body).toBe('');
}
