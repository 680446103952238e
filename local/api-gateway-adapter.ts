import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * A faithful stand-in for API Gateway HTTP API (payload format 2.0) in front of Lambda handlers:
 * the raw query string as sent, comma-joined duplicates in the parsed parameters, cookies moved
 * out of the headers into `cookies`, lower-case header names, and response `cookies` turned into
 * one Set-Cookie each.
 */
export type LambdaHttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface IncomingRequestParts {
  readonly method: string;
  /** Path plus optional `?query`, exactly as on the request line. */
  readonly url: string;
  /** Each header's values as received (`headersDistinct`), so duplicates join the way API Gateway joins them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly sourceIp: string;
  readonly routeKey: string;
  readonly domainName: string;
}

function joinedHeaders(headers: IncomingRequestParts['headers']): Record<string, string> {
  const joined: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'cookie') continue;
    joined[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return joined;
}

function splitCookies(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const cookies = (Array.isArray(header) ? header : [header])
    .flatMap((line) => line.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
  return cookies.length === 0 ? undefined : cookies;
}

function lenientDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}

/** API Gateway's own parsing: duplicates comma-joined, bad escapes passed through undecoded. */
function parsedQueryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const piece of rawQueryString.split('&')) {
    if (piece === '') continue;
    const separator = piece.indexOf('=');
    const name = lenientDecode(separator < 0 ? piece : piece.slice(0, separator));
    const value = separator < 0 ? '' : lenientDecode(piece.slice(separator + 1));
    parameters[name] = parameters[name] === undefined ? value : `${parameters[name]},${value}`;
  }
  return parameters;
}

export function toApiGatewayEvent(request: IncomingRequestParts, nowMs: number = Date.now()): APIGatewayProxyEventV2 {
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart < 0 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart < 0 ? '' : request.url.slice(queryStart + 1);
  const headers = joinedHeaders(request.headers);
  const cookies = splitCookies(request.headers.cookie);
  const queryStringParameters = parsedQueryParameters(rawQueryString);
  return {
    version: '2.0',
    routeKey: request.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies === undefined ? {} : { cookies }),
    headers,
    ...(queryStringParameters === undefined ? {} : { queryStringParameters }),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: request.domainName,
      domainPrefix: request.domainName.split('.')[0] ?? request.domainName,
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: request.routeKey,
      stage: '$default',
      time: new Date(nowMs).toUTCString(),
      timeEpoch: nowMs,
    },
    isBase64Encoded: false,
  };
}

export function writeApiGatewayResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | number | boolean | string[]> = { ...(result.headers ?? {}) };
  if (result.cookies !== undefined && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8');
  response.writeHead(result.statusCode ?? 200, Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, typeof value === 'boolean' ? String(value) : value])));
  response.end(body);
}

/** What API Gateway answers itself, without calling a function. */
function gatewayError(response: ServerResponse, statusCode: number, message: string): void {
  response.writeHead(statusCode, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message }));
}

export interface AdapterOptions {
  /** `routeKey` ("GET /login") to handler, like the HTTP API's routes. */
  readonly routes: ReadonlyMap<string, LambdaHttpHandler>;
  /** Public host name put in `requestContext.domainName`. */
  readonly domainName: string;
  readonly onResponse?: (method: string, path: string, status: number, elapsedMs: number) => void;
}

/** A `node:http` request listener that routes like the HTTP API and speaks payload format 2.0 to handlers. */
export function createApiGatewayListener(options: AdapterOptions): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const started = performance.now();
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    const path = url.split('?', 1)[0] ?? '/';
    const routeKey = `${method} ${path}`;
    response.on('finish', () => options.onResponse?.(method, path, response.statusCode, performance.now() - started));
    const handler = options.routes.get(routeKey);
    if (handler === undefined) {
      gatewayError(response, 404, 'Not Found');
      return;
    }
    const event = toApiGatewayEvent({
      method,
      url,
      headers: request.headersDistinct,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      routeKey,
      domainName: options.domainName,
    });
    // Like API Gateway: a function that throws becomes a bare 500, never a stack trace.
    handler(event).then(
      (result) => writeApiGatewayResult(response, result),
      () => gatewayError(response, 500, 'Internal Server Error'),
    );
  };
}
