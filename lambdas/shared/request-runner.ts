import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../core/http.js';
import { Metric, type MetricName } from '../core/metrics.js';
import { pageResponse } from '../core/pages.js';
import type { RequestLogger } from './request-log.js';
import { StoreUnavailableError } from './transaction-store.js';

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
}

export const RETRY_AFTER_SECONDS = 2;

function storeUnavailable(startOver: string): HttpResponse {
  return pageResponse(
    503,
    {
      title: 'Temporarily unavailable',
      paragraphs: ['Sign-in is briefly unavailable. Nothing was lost: please try again in a moment.'],
      link: { href: startOver, label: 'Try again' },
    },
    { 'retry-after': String(RETRY_AFTER_SECONDS) },
  );
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
): Promise<HttpResponse> {
  const elapsed = deps.elapsedMs ?? (() => performance.now());
  const started = elapsed();
  let result: RequestResult;
  try {
    result = await handle();
  } catch (error) {
    result =
      error instanceof StoreUnavailableError
        ? { response: storeUnavailable(startOver), outcome: 'store_fault', reason: error.causeName, metric: Metric.storeFaults }
        : {
            response: pageResponse(500, {
              title: 'Something went wrong',
              paragraphs: ['The request could not be completed.'],
              link: { href: startOver, label: 'Start again' },
            }),
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
