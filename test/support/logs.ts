/** One request's log line as the functions write it (see lambdas/shared/request-log.ts). */
export interface LoggedRequest {
  readonly level: string;
  readonly route: string;
  readonly requestId: string;
  readonly status: number;
  readonly outcome: string;
  readonly reason?: string;
  readonly latencyMs: number;
  readonly _aws?: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

export function parseLogLine(line: string): LoggedRequest {
  expect(line).not.toContain('\n');
  return JSON.parse(line) as LoggedRequest;
}

/** The last line written, which belongs to the request just made. */
export function lastLog(logs: readonly string[]): LoggedRequest {
  const line = logs.at(-1);
  if (line === undefined) throw new Error('no request was logged');
  return parseLogLine(line);
}
