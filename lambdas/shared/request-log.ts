import { METRICS_NAMESPACE, REASON_DIMENSION, type MetricName } from '../core/metrics.js';

/**
 * One JSON line per request, which is also a CloudWatch embedded-metric-format record, so the
 * metric and its log line can never disagree. Only labels and numbers go in: never a code, state,
 * verifier, nonce or cookie value.
 */
export interface RequestLogEntry {
  readonly route: string;
  readonly requestId: string;
  readonly status: number;
  readonly outcome: string;
  readonly reason?: string;
  readonly metric?: MetricName;
  readonly latencyMs: number;
}

export type RequestLogger = (entry: RequestLogEntry) => void;

export function formatRequestLog(entry: RequestLogEntry, timestampMs: number): string {
  const dimensions = entry.reason === undefined ? [[]] : [[REASON_DIMENSION], []];
  return JSON.stringify({
    level: entry.status >= 500 ? 'error' : entry.status >= 400 ? 'warn' : 'info',
    route: entry.route,
    requestId: entry.requestId,
    status: entry.status,
    outcome: entry.outcome,
    ...(entry.reason === undefined ? {} : { reason: entry.reason, [REASON_DIMENSION]: entry.reason }),
    latencyMs: Math.round(entry.latencyMs * 100) / 100,
    ...(entry.metric === undefined
      ? {}
      : {
          [entry.metric]: 1,
          _aws: {
            Timestamp: timestampMs,
            CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: dimensions, Metrics: [{ Name: entry.metric, Unit: 'Count' }] }],
          },
        }),
  });
}

export const writeRequestLog: RequestLogger = (entry) => {
  process.stdout.write(`${formatRequestLog(entry, Date.now())}\n`);
};
