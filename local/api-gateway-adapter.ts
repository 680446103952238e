import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';

/**
 * A faithful stand-in for API Gateway HTTP API (payload format 2.0) in front of Lambda handlers:
 * the raw query string as sent, comma-joined duplicates in the parsed parameters, cookies moved
 * out of the headers into `cookies`, lower-case header names, and response `cookies` turned into
 * one Set-Cookie each.
 */
export type LambdaHttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export type AuthorizerContext = Record<string, string | number | boolean>;
export type LambdaAuthorizerHandler = (event: APIGatewayRequestAuthorizerEventV2) => Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>>;

/** A Lambda authorizer with simple responses, configured as on an HTTP API route. */
export interface LocalAuthorizer {
  readonly handler: LambdaAuthorizerHandler;
  /** `$request.header.<name>`, `$request.querystring.<name>` or `$context.requestId`, as in the stack. */
  readonly identitySource: readonly string[];
  /** 0 turns caching off, as the stack's default does. */
  readonly cacheTtlSeconds: number;
}

/**
 * API Gateway's native JWT authorizer (HttpJwtAuthorizer), as it runs before a route: the bearer
 * token's signature against the issuer's JWKS, `iss`, `aud`, `exp` and `nbf`, then the route's
 * authorization scopes against the token's `scope`. No function runs for it.
 */
export interface LocalJwtAuthorizer {
  readonly issuer: string;
  /** At least one must be in the token's `aud`. */
  readonly audience: readonly string[];
  readonly jwksUri: string;
  /** The route's authorization scopes: the token needs one of them. @default none: any valid token passes */
  readonly scopes?: readonly string[];
}

/** A route's target: its function, and the authorizer API Gateway runs first, when it has one. */
export type RouteTarget =
  | LambdaHttpHandler
  | { readonly handler: LambdaHttpHandler; readonly authorizer: LocalAuthorizer }
  | { readonly handler: LambdaHttpHandler; readonly jwtAuthorizer: LocalJwtAuthorizer };

export interface IncomingRequestParts {
  readonly method: string;
  /** Path plus optional `?query`, exactly as on the request line. */
  readonly url: string;
  /** Each header's values as received (`headersDistinct`), so duplicates join the way API Gateway joins them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly sourceIp: string;
  readonly routeKey: string;
  readonly domainName: string;
  readonly body?: Buffer;
  /** `{proxy+}`'s value on a greedy route, decoded as API Gateway decodes it. */
  readonly pathParameters?: Record<string, string>;
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

/** HTTP APIs pass text bodies as they are and base64-encode the rest (form posts included). */
function isTextContent(contentType: string | undefined): boolean {
  const type = contentType?.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type.startsWith('text/') || type === 'application/json' || type === 'application/xml' || type === 'application/javascript';
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
    ...(request.pathParameters === undefined ? {} : { pathParameters: request.pathParameters }),
    ...(request.body === undefined || request.body.length === 0
      ? {}
      : isTextContent(headers['content-type'])
        ? { body: request.body.toString('utf8') }
        : { body: request.body.toString('base64') }),
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
    isBase64Encoded: request.body !== undefined && request.body.length > 0 && !isTextContent(headers['content-type']),
  };
}

/** The authorizer's view of the request: payload format 2.0, type REQUEST. */
function toAuthorizerEvent(event: APIGatewayProxyEventV2, identitySource: string[]): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:local:local/$default/${event.routeKey.replace(' ', '')}`,
    identitySource,
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    ...(event.queryStringParameters === undefined ? {} : { queryStringParameters: event.queryStringParameters }),
    requestContext: event.requestContext,
  };
}

function identityValue(expression: string, event: APIGatewayProxyEventV2, cookieHeader: string | undefined): string | undefined {
  const header = /^\$request\.header\.(.+)$/i.exec(expression)?.[1]?.toLowerCase();
  if (header !== undefined) return header === 'cookie' ? cookieHeader : event.headers[header];
  const query = /^\$request\.querystring\.(.+)$/.exec(expression)?.[1];
  if (query !== undefined) return event.queryStringParameters?.[query];
  if (expression === '$context.requestId') return event.requestContext.requestId;
  throw new Error(`identity source ${expression} is not supported locally`);
}

type AuthorizerOutcome = { readonly allowed: true; readonly context: AuthorizerContext } | { readonly allowed: false; readonly status: 401 | 403 | 500 };

/**
 * What API Gateway does before a guarded route: a missing identity source is 401 without calling the
 * authorizer; `isAuthorized: false` is 403; an authorizer that fails is 500; an allowed request
 * reaches the route with the authorizer's context. Answers are cached per identity when configured.
 */
function createAuthorizerRunner(authorizer: LocalAuthorizer): (event: APIGatewayProxyEventV2, cookieHeader: string | undefined) => Promise<AuthorizerOutcome> {
  const cache = new Map<string, { readonly outcome: AuthorizerOutcome; readonly expiresAtMs: number }>();
  return async (event, cookieHeader) => {
    const identity = authorizer.identitySource.map((expression) => identityValue(expression, event, cookieHeader));
    if (identity.some((value) => value === undefined || value === '')) return { allowed: false, status: 401 };
    const values = identity as string[];
    const key = JSON.stringify(values);
    const cached = cache.get(key);
    if (cached !== undefined && cached.expiresAtMs > Date.now()) return cached.outcome;
    let outcome: AuthorizerOutcome;
    try {
      const result = await authorizer.handler(toAuthorizerEvent(event, values));
      outcome = result.isAuthorized ? { allowed: true, context: result.context } : { allowed: false, status: 403 };
    } catch {
      return { allowed: false, status: 500 };
    }
    if (authorizer.cacheTtlSeconds > 0) cache.set(key, { outcome, expiresAtMs: Date.now() + authorizer.cacheTtlSeconds * 1000 });
    return outcome;
  };
}

const GATEWAY_MESSAGES = { 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error' } as const;

/** What the JWT authorizer hands the route: every claim as a string (arrays as `[a b]`), as API Gateway does. */
function gatewayClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [name, Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'string' ? value : JSON.stringify(value)]),
  );
}

type JwtOutcome = { readonly allowed: true; readonly jwt: { claims: Record<string, string>; scopes: string[] | null } } | { readonly allowed: false; readonly status: 401 | 403 };

function createJwtAuthorizerRunner(authorizer: LocalJwtAuthorizer): (authorization: string | undefined) => Promise<JwtOutcome> {
  // Fetched once and cached, refetched for an unknown `kid`, as API Gateway caches the issuer's keys.
  const keys = createRemoteJWKSet(new URL(authorizer.jwksUri));
  return async (authorization) => {
    const token = /^Bearer ([^\s]+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return { allowed: false, status: 401 };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: authorizer.issuer,
        audience: [...authorizer.audience],
        // API Gateway's JWT authorizer verifies RSA signatures only, and needs an expiry.
        algorithms: ['RS256', 'RS384', 'RS512'],
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return { allowed: false, status: 401 };
      throw error;
    }
    const granted = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    const required = authorizer.scopes ?? [];
    if (required.length > 0 && !required.some((scope) => granted.includes(scope))) return { allowed: false, status: 403 };
    return { allowed: true, jwt: { claims: gatewayClaims(payload), scopes: required.length > 0 ? granted : null } };
  };
}

/** API Gateway's own limit on a request body. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  if (request.method === 'GET' || request.method === 'HEAD') return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => (size > MAX_BODY_BYTES ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks))));
    request.on('error', reject);
  });
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
  /** `routeKey` ("GET /login") to handler (and authorizer), like the HTTP API's routes. */
  readonly routes: ReadonlyMap<string, RouteTarget>;
  /** Public host name put in `requestContext.domainName`. */
  readonly domainName: string;
  readonly onResponse?: (method: string, path: string, status: number, elapsedMs: number) => void;
}

interface MatchedRoute {
  readonly routeKey: string;
  readonly target: RouteTarget;
  readonly pathParameters?: Record<string, string>;
}

const GREEDY_ROUTE = /^(\S+) (\/.*)\/\{proxy\+\}$/;

/**
 * As an HTTP API picks a route: the exact method and path, then `ANY` on that path, then a greedy
 * `{proxy+}` route whose prefix the path extends (the longest prefix first), then `$default`.
 */
function matchRoute(routes: ReadonlyMap<string, RouteTarget>, method: string, path: string): MatchedRoute | undefined {
  for (const routeKey of [`${method} ${path}`, `ANY ${path}`]) {
    const target = routes.get(routeKey);
    if (target !== undefined) return { routeKey, target };
  }
  const greedy = [...routes.entries()]
    .map(([routeKey, target]) => ({ routeKey, target, parts: GREEDY_ROUTE.exec(routeKey) }))
    .filter(({ parts }) => parts !== null && (parts[1] === method || parts[1] === 'ANY') && path.startsWith(`${parts[2]}/`) && path.length > (parts[2]?.length ?? 0) + 1)
    .sort((a, b) => (b.parts?.[2]?.length ?? 0) - (a.parts?.[2]?.length ?? 0))[0];
  if (greedy !== undefined) {
    const rest = path.slice((greedy.parts?.[2]?.length ?? 0) + 1);
    let proxy: string;
    try {
      proxy = decodeURIComponent(rest);
    } catch {
      proxy = rest;
    }
    return { routeKey: greedy.routeKey, target: greedy.target, pathParameters: { proxy } };
  }
  const fallback = routes.get('$default');
  return fallback === undefined ? undefined : { routeKey: '$default', target: fallback };
}

/** `make` called once per distinct key, its result reused for that key after. */
function onePer<K, V>(make: (key: K) => V): (key: K) => V {
  const made = new Map<K, V>();
  return (key) => {
    const existing = made.get(key);
    if (existing !== undefined) return existing;
    const value = make(key);
    made.set(key, value);
    return value;
  };
}

/** A `node:http` request listener that routes like the HTTP API and speaks payload format 2.0 to handlers. */
export function createApiGatewayListener(options: AdapterOptions): (request: IncomingMessage, response: ServerResponse) => void {
  // One runner (and cache) per authorizer, however many routes share it, as on an HTTP API.
  const runners = onePer(createAuthorizerRunner);
  const jwtRunner = onePer(createJwtAuthorizerRunner);
  return (request, response) => {
    const started = performance.now();
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    const path = url.split('?', 1)[0] ?? '/';
    response.on('finish', () => options.onResponse?.(method, path, response.statusCode, performance.now() - started));
    const matched = matchRoute(options.routes, method, path);
    if (matched === undefined) {
      gatewayError(response, 404, 'Not Found');
      return;
    }
    const { target, routeKey } = matched;
    const handler = typeof target === 'function' ? target : target.handler;
    const authorize = typeof target === 'function' || !('authorizer' in target) ? undefined : runners(target.authorizer);
    const verifyJwt = typeof target === 'function' || !('jwtAuthorizer' in target) ? undefined : jwtRunner(target.jwtAuthorizer);
    const serve = async (): Promise<void> => {
      let body: Buffer | undefined;
      try {
        body = await readBody(request);
      } catch (error) {
        if (!(error instanceof BodyTooLargeError)) throw error;
        gatewayError(response, 413, 'Request Entity Too Large');
        return;
      }
      const event = toApiGatewayEvent({
        method,
        url,
        headers: request.headersDistinct,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        routeKey,
        domainName: options.domainName,
        ...(matched.pathParameters === undefined ? {} : { pathParameters: matched.pathParameters }),
        ...(body === undefined ? {} : { body }),
      });
      if (verifyJwt !== undefined) {
        const outcome = await verifyJwt(event.headers.authorization);
        if (!outcome.allowed) {
          gatewayError(response, outcome.status, GATEWAY_MESSAGES[outcome.status]);
          return;
        }
        (event.requestContext as { authorizer?: unknown }).authorizer = { jwt: outcome.jwt };
      }
      if (authorize !== undefined) {
        const cookieHeader = request.headersDistinct.cookie?.join('; ');
        const outcome = await authorize(event, cookieHeader);
        if (!outcome.allowed) {
          gatewayError(response, outcome.status, GATEWAY_MESSAGES[outcome.status]);
          return;
        }
        (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: outcome.context };
      }
      writeApiGatewayResult(response, await handler(event));
    };
    // Like API Gateway: a function that throws becomes a bare 500, never a stack trace.
    serve().catch(() => {
      if (!response.headersSent) gatewayError(response, 500, 'Internal Server Error');
    });
  };
}
