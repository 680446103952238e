import { METRICS_NAMESPACE, Metric } from '../../lambdas/core/metrics.js';
import { formatRequestLog, type RequestLogEntry } from '../../lambdas/shared/request-log.js';
import { parseLogLine } from '../support/logs.js';

const TIMESTAMP = 1_750_000_000_000;

describe('formatRequestLog', () => {
  test('a rejection: one JSON line that is also an EMF record, by reason and in aggregate', () => {
    const line = formatRequestLog(
      { route: 'GET /callback', requestId: 'req-1', status: 409, outcome: 'rejected', reason: 'already_used', metric: Metric.callbacksRejected, latencyMs: 12.3456 },
      TIMESTAMP,
    );
    expect(parseLogLine(line)).toEqual({
      level: 'warn',
      route: 'GET /callback',
      requestId: 'req-1',
      status: 409,
      outcome: 'rejected',
      reason: 'already_used',
      Reason: 'already_used',
      latencyMs: 12.35,
      CallbacksRejected: 1,
      _aws: {
        Timestamp: TIMESTAMP,
        CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['Reason'], []], Metrics: [{ Name: 'CallbacksRejected', Unit: 'Count' }] }],
      },
    });
  });

  test('without a reason: the metric has only the aggregate (dimensionless) series', () => {
    const line = formatRequestLog({ route: 'GET /login', requestId: 'req-2', status: 302, outcome: 'started', metric: Metric.loginsStarted, latencyMs: 3 }, TIMESTAMP);
    expect(parseLogLine(line)).toEqual({
      level: 'info',
      route: 'GET /login',
      requestId: 'req-2',
      status: 302,
      outcome: 'started',
      latencyMs: 3,
      LoginsStarted: 1,
      _aws: {
        Timestamp: TIMESTAMP,
        CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [[]], Metrics: [{ Name: 'LoginsStarted', Unit: 'Count' }] }],
      },
    });
  });

  test('without a metric: a plain log line, no EMF block', () => {
    const line = formatRequestLog({ route: 'GET /signed-in', requestId: 'req-3', status: 200, outcome: 'page', latencyMs: 0.5 }, TIMESTAMP);
    expect(parseLogLine(line)).toEqual({ level: 'info', route: 'GET /signed-in', requestId: 'req-3', status: 200, outcome: 'page', latencyMs: 0.5 });
  });

  test.each([
    [200, 'info'],
    [303, 'info'],
    [400, 'warn'],
    [499, 'warn'],
    [500, 'error'],
    [503, 'error'],
  ])('status %i logs at level %s', (status, level) => {
    expect(parseLogLine(formatRequestLog({ route: 'r', requestId: 'q', status, outcome: 'o', latencyMs: 1 }, TIMESTAMP)).level).toBe(level);
  });

  test('writes only the fields it knows: a secret smuggled into the entry never reaches the log', () => {
    const secrets = { code: 'SECRET-CODE', state: 'SECRET-STATE', cookie: 'SECRET-COOKIE', codeVerifier: 'SECRET-VERIFIER' };
    const entry: RequestLogEntry = { route: 'GET /callback', requestId: 'req-4', status: 303, outcome: 'completed', latencyMs: 1, ...secrets };
    expect(formatRequestLog(entry, TIMESTAMP)).not.toContain('SECRET');
  });
});
