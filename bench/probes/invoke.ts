import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toApiGatewayEvent, type LambdaHttpHandler } from '../../local/api-gateway-adapter.js';
import type { InvocationOutcome, InvocationSpec } from './messages.js';

export const BENCH_DOMAIN = 'login.example.test';

/** Imports a module by path; the elapsed time is what a cold start spends loading it. */
export async function importModule(file: string): Promise<unknown> {
  return import(pathToFileURL(file).href);
}

/** The `handler` export of a function bundle, as Lambda would look it up. */
export function handlerOf(module: unknown, file: string): LambdaHttpHandler {
  const handler = typeof module === 'object' && module !== null && 'handler' in module ? module.handler : undefined;
  if (typeof handler !== 'function') throw new Error(`${file} exports no handler function`);
  return handler as LambdaHttpHandler;
}

/**
 * A fresh payload 2.0 event for this request, as the HTTP API builds one per request, and parsed
 * from JSON, as Lambda's runtime hands it to the handler (flat strings: no later flattening skews
 * the heap figures).
 */
export function eventFor(spec: InvocationSpec): APIGatewayProxyEventV2 {
  const [method = 'GET', path = '/'] = spec.routeKey.split(' ');
  const event = toApiGatewayEvent({
    method,
    url: spec.rawQueryString === '' ? path : `${path}?${spec.rawQueryString}`,
    headers: { host: BENCH_DOMAIN, 'user-agent': 'bench', ...(spec.cookieHeader === undefined ? {} : { cookie: spec.cookieHeader }) },
    sourceIp: '127.0.0.1',
    routeKey: spec.routeKey,
    domainName: BENCH_DOMAIN,
  });
  return JSON.parse(JSON.stringify(event)) as APIGatewayProxyEventV2;
}

/** Invokes the handler once with a ready event: only the handler call is timed. */
export async function invoke(handler: LambdaHttpHandler, event: APIGatewayProxyEventV2): Promise<InvocationOutcome> {
  const started = performance.now();
  const result = await handler(event);
  const ms = performance.now() - started;
  const location = result.headers?.location;
  return {
    ms,
    statusCode: result.statusCode ?? 200,
    ...(location === undefined ? {} : { location: String(location) }),
    ...(result.cookies === undefined ? {} : { cookies: result.cookies }),
  };
}

/** The invocation a probe should make, passed by the bench as JSON in argv. */
export function parseSpec(json: string | undefined): InvocationSpec | undefined {
  return json === undefined ? undefined : (JSON.parse(json) as InvocationSpec);
}
