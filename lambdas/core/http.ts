import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** One place for the headers every answer carries (RFC 9700 §4.2.4, RFC 6749 §10.3/§10.12). */
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Ignored by browsers over plain http, so harmless for the local stack.
  'strict-transport-security': 'max-age=31536000',
} as const;

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

export function redirect(statusCode: 302 | 303, location: string, cookies?: readonly string[]): HttpResponse {
  return {
    statusCode,
    headers: { ...COMMON_HEADERS, location },
    ...(cookies === undefined ? {} : { cookies: [...cookies] }),
    body: '',
  };
}

export function htmlResponse(statusCode: number, html: string, contentSecurityPolicy: string, extraHeaders: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: {
      ...COMMON_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy,
      ...extraHeaders,
    },
    body: html,
  };
}

/** For the JSON routes (`/me`): no HTML, so no CSP beyond refusing everything. */
export function jsonResponse(statusCode: number, body: unknown, extraHeaders: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: {
      ...COMMON_HEADERS,
      'content-type': 'application/json',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  };
}

/**
 * Served on the sign-in's own origin, so the API's answer is never a document that runs there:
 * sandboxed, nothing loads, nothing frames it, whatever type the API gave it.
 */
export const PROXIED_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** The API's answer, binary-safe: its own headers (already filtered) under ours, which always win. */
export function proxiedResponse(statusCode: number, upstreamHeaders: Record<string, string>, body: Buffer): HttpResponse {
  return {
    statusCode,
    headers: { ...upstreamHeaders, ...COMMON_HEADERS, 'content-security-policy': PROXIED_CONTENT_SECURITY_POLICY },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}
