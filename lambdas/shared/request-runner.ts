import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { jsonResponse, type HttpResponse } from '../core/http.js';
import { Metric, type MetricName } from '../core/metrics.js';
import { fromVerifiedOrigin } from '../core/origin-verify.js';
import { pageResponse } from '../core/pages.js';
import type { RequestLogger } from './request-log.js';
import { StoreUnavailableError } from './store-common.js';

export interface RequestResult {
  readonly response: HttpResponse;
  readonly outcome: string;
  /** Absent for requests that count towards no metric (static pages). */
  readonly metric?: MetricName;
  readonly reason?: string;
}

export interface RunnerDependencies {
  readonly log: RequestLogger;
  /** A monotonic clock for latency, separate from the wall clock the flow uses for expiry. */
  readonly elapsedMs?: () => number;
  /** The rate-limited edge's secret: a request without it is refused before anything else runs. @default none: every request is handled */
  readonly originSecret?: string | undefined;
}

export const RETRY_AFTER_SECONDS = 2;

/** JSON routes answer faults in JSON, pages in HTML; both with the same status and Retry-After. */
export type ResponseFormat = 'page' | 'json';

function storeUnavailable(startOver: string, format: ResponseFormat): HttpResponse {
  const retryAfter = { 'retry-after': String(RETRY_AFTER_SECONDS) };
  if (format === 'json') return jsonResponse(503, { error: 'temporarily_unavailable' }, retryAfter);
  return pageResponse(
    503,
    {
      title: 'Temporarily unavailable',
      paragraphs: ['Sign-in is briefly unavailable. Nothing was lost: please try again in a moment.'],
      links: [{ href: startOver, label: 'Try again' }],
    },
    retryAfter,
  );
}

function internalError(startOver: string, format: ResponseFormat): HttpResponse {
  if (format === 'json') return jsonResponse(500, { error: 'server_error' });
  return pageResponse(500, {
    title: 'Something went wrong',
    paragraphs: ['The request could not be completed.'],
    links: [{ href: startOver, label: 'Start again' }],
  });
}

/** Came around the rate-limited edge (straight to the API's own endpoint): refused before any store call. */
function notThroughEdge(startOver: string, format: ResponseFormat): RequestResult {
  const response =
    format === 'json'
      ? jsonResponse(403, { error: 'forbidden' })
      : pageResponse(403, { title: 'Forbidden', paragraphs: ['Sign-in is served at another address.'], links: [{ href: startOver, label: 'Go there' }] });
  return { response, outcome: 'refused', reason: 'origin_not_verified' };
}

/**
 * The thin edge shared by both functions: time the request, turn a store outage into 503 with
 * Retry-After, never let an exception or stack trace reach the client, and write the one log line.
 */
export async function runRequest(
  route: string,
  event: APIGatewayProxyEventV2,
  deps: RunnerDependencies,
  startOver: string,
  handle: () => Promise<RequestResult>,
  format: ResponseFormat = 'page',
): Promise<HttpResponse> {
  const elapsed = deps.elapsedMs ?? (() => performance.now());
  const started = elapsed();
  let result: RequestResult;
  try {
    result = fromVerifiedOrigin(event.headers, deps.originSecret) ? await handle() : notThroughEdge(startOver, format);
  } catch (error) {
    result =
      error instanceof StoreUnavailableError
        ? { response: storeUnavailable(startOver, format), outcome: 'store_fault', reason: error.causeName, metric: Metric.storeFaults }
        : {
            response: internalError(startOver, format),
            outcome: 'internal_error',
            reason: error instanceof Error ? error.name : 'UnknownError',
            metric: Metric.internalErrors,
          };
  }
  deps.log({
    route,
    requestId: event.requestContext?.requestId ?? 'unknown',
    status: result.response.statusCode,
    outcome: result.outcome,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    ...(result.metric === undefined ? {} : { metric: result.metric }),
    latencyMs: elapsed() - started,
  });
  return result.response;
}
