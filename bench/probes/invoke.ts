import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { toApiGatewayEvent, type LambdaHttpHandler } from '../../local/api-gateway-adapter.js';
import type { InvocationOutcome, InvocationSpec } from './messages.js';

export const BENCH_DOMAIN = 'login.example.test';

/** What a probe invokes a function with: a route's event, or the event of the route's authorizer. */
export type BenchEvent = APIGatewayProxyEventV2 | APIGatewayRequestAuthorizerEventV2;
/** Any function's handler; what it answers is read by its shape (invoke). */
export type BenchHandler = (event: BenchEvent) => Promise<unknown>;

/** Imports a module by path; the elapsed time is what a cold start spends loading it. */
export async function importModule(file: string): Promise<unknown> {
  return import(pathToFileURL(file).href);
}

function exportedHandler(module: unknown, file: string): unknown {
  const handler = typeof module === 'object' && module !== null && 'handler' in module ? module.handler : undefined;
  if (typeof handler !== 'function') throw new Error(`${file} exports no handler function`);
  return handler;
}

/** The `handler` export of a route's function bundle, as Lambda would look it up. */
export function handlerOf(module: unknown, file: string): LambdaHttpHandler {
  return exportedHandler(module, file) as LambdaHttpHandler;
}

/** The `handler` export of any function bundle, the session authorizer included. */
export function benchHandlerOf(module: unknown, file: string): BenchHandler {
  return exportedHandler(module, file) as BenchHandler;
}

/** The authorizer's view of the request, as API Gateway builds it: payload 2.0, type REQUEST, the cookie header as identity source. */
function authorizerEvent(event: APIGatewayProxyEventV2, spec: InvocationSpec): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:us-east-1:123456789012:bench/$default/${event.routeKey.replace(' ', '')}`,
    identitySource: spec.cookieHeader === undefined ? [] : [spec.cookieHeader],
    routeKey: event.routeKey,
    rawPath: event.rawPath,
    rawQueryString: event.rawQueryString,
    cookies: event.cookies ?? [],
    headers: event.headers,
    requestContext: event.requestContext,
  };
}

/**
 * A fresh payload 2.0 event for this request, as the HTTP API builds one per request, and parsed
 * from JSON, as Lambda's runtime hands it to the handler (flat strings: no later flattening skews
 * the heap figures). `body` overrides the spec's own (one of a bodies file's lines).
 */
export function eventFor(spec: InvocationSpec, body: string | undefined = spec.body): BenchEvent {
  const [method = 'GET', path = '/'] = spec.routeKey.split(' ');
  const event = toApiGatewayEvent({
    method,
    url: spec.rawQueryString === '' ? path : `${path}?${spec.rawQueryString}`,
    headers: {
      host: BENCH_DOMAIN,
      'user-agent': 'bench',
      ...(spec.cookieHeader === undefined ? {} : { cookie: spec.cookieHeader }),
      ...(spec.contentType === undefined ? {} : { 'content-type': spec.contentType }),
    },
    sourceIp: '127.0.0.1',
    routeKey: spec.routeKey,
    domainName: BENCH_DOMAIN,
    ...(body === undefined ? {} : { body: Buffer.from(body) }),
  });
  if (spec.authorizerContext !== undefined) {
    (event.requestContext as { authorizer?: unknown }).authorizer = { lambda: spec.authorizerContext };
  }
  const delivered = spec.target === 'authorizer' ? authorizerEvent(event, spec) : event;
  return JSON.parse(JSON.stringify(delivered)) as BenchEvent;
}

/** `count` events from the `offset`-th on, each with its own body when the spec has a bodies file. */
export function eventsFor(spec: InvocationSpec, bodies: readonly string[] | undefined, offset: number, count: number): BenchEvent[] {
  return Array.from({ length: count }, (_, i) => {
    if (bodies === undefined) return eventFor(spec);
    const body = bodies[offset + i];
    if (body === undefined) throw new Error(`${spec.bodiesFile} holds ${bodies.length} bodies; invocation ${offset + i + 1} needs one more`);
    return eventFor(spec, body);
  });
}

function field(result: unknown, name: string): unknown {
  return typeof result === 'object' && result !== null ? (result as Record<string, unknown>)[name] : undefined;
}

/** An authorizer's verdict (`isAuthorized`) or an HTTP response's status, location and cookies. */
function outcomeOf(result: unknown, ms: number): InvocationOutcome {
  const isAuthorized = field(result, 'isAuthorized');
  if (typeof isAuthorized === 'boolean') return { ms, outcome: isAuthorized ? 'authorized' : 'refused' };
  const statusCode = field(result, 'statusCode');
  const code = typeof statusCode === 'number' ? statusCode : 200;
  const location = field(field(result, 'headers'), 'location');
  const cookies = field(result, 'cookies');
  return {
    ms,
    outcome: String(code),
    statusCode: code,
    ...(location === undefined ? {} : { location: String(location) }),
    ...(Array.isArray(cookies) ? { cookies: cookies.map(String) } : {}),
  };
}

/** Invokes the handler once with a ready event: only the handler call is timed. */
export async function invoke(handler: BenchHandler, event: BenchEvent): Promise<InvocationOutcome> {
  const started = performance.now();
  const result = await handler(event);
  const ms = performance.now() - started;
  return outcomeOf(result, ms);
}

/** The invocation a probe should make, passed by the bench as JSON in argv. */
export function parseSpec(json: string | undefined): InvocationSpec | undefined {
  return json === undefined ? undefined : (JSON.parse(json) as InvocationSpec);
}
