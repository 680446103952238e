import autocannon from 'autocannon';
import { median, percentile } from './stats.js';

/** Fixed for every target so the figures compare: bounded in time and in count. */
export const LOAD = {
  connections: 10,
  /** Each target gets this many runs, taken in turns with the other targets. */
  rounds: 3,
  secondsPerRound: 2,
  warmupSeconds: 1,
  /** Far above what this machine reaches in a round: a cap, not the expected count. */
  maxRequestsPerRun: 100_000,
  timeoutSeconds: 5,
} as const;

export interface LoadTarget {
  readonly key: string;
  readonly url: string;
  /** GET unless given. */
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Anything else (or any error) fails the bench: a fast stream of errors is not throughput. */
  readonly expectedStatus: number;
  /** Processes whose CPU time each request costs, by label: read before and after every timed run. */
  readonly cpuMeters: Readonly<Record<string, () => Promise<number>>>;
}

export interface ThroughputResult {
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly responses: number;
  /** Microseconds per request in each metered process (server, stub). */
  readonly cpuMicrosPerRequest: Readonly<Record<string, number>>;
}

interface Run {
  readonly seconds: number;
  readonly latenciesMs: readonly number[];
  readonly cpuMicros: Readonly<Record<string, number>>;
}

async function readMeters(target: LoadTarget): Promise<Record<string, number>> {
  const readings = await Promise.all(Object.entries(target.cpuMeters).map(async ([label, meter]) => [label, await meter()] as const));
  return Object.fromEntries(readings);
}

async function run(target: LoadTarget, seconds: number): Promise<Run> {
  const latenciesMs: number[] = [];
  const cpuBefore = await readMeters(target);
  const result = await autocannon({
    url: target.url,
    method: target.method ?? 'GET',
    headers: target.headers ?? {},
    connections: LOAD.connections,
    duration: seconds,
    maxOverallRequests: LOAD.maxRequestsPerRun,
    timeout: LOAD.timeoutSeconds,
  }).on('response', (_client, _status, _bytes, responseTimeMs) => latenciesMs.push(responseTimeMs));
  const unexpected = Object.keys(result.statusCodeStats).filter((code) => Number(code) !== target.expectedStatus);
  if (unexpected.length > 0 || result.errors + result.timeouts > 0 || latenciesMs.length === 0) {
    throw new Error(`${target.key}: expected only ${target.expectedStatus}, got ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors`);
  }
  const cpuAfter = await readMeters(target);
  const cpuMicros = Object.fromEntries(Object.entries(cpuAfter).map(([label, micros]) => [label, micros - (cpuBefore[label] ?? micros)]));
  return { seconds: result.duration, latenciesMs, cpuMicros };
}

/**
 * autocannon against each target, in turns: every target gets a warm-up run, then `LOAD.rounds`
 * timed runs, round by round, so a busy moment of the machine is shared by all targets rather than
 * landing on one. Latency percentiles are over every response of every timed run.
 */
export async function measureThroughput(targets: readonly LoadTarget[]): Promise<Map<string, ThroughputResult>> {
  for (const target of targets) await run(target, LOAD.warmupSeconds);
  const runs = new Map<string, Run[]>(targets.map((target) => [target.key, []]));
  for (let round = 0; round < LOAD.rounds; round += 1) {
    for (const target of targets) runs.get(target.key)?.push(await run(target, LOAD.secondsPerRound));
  }
  return new Map(
    [...runs].map(([key, timed]) => {
      const latenciesMs = timed.flatMap((r) => r.latenciesMs);
      const seconds = timed.reduce((sum, r) => sum + r.seconds, 0);
      const cpuMicrosPerRequest: Record<string, number> = {};
      for (const { cpuMicros } of timed) {
        for (const [label, micros] of Object.entries(cpuMicros)) cpuMicrosPerRequest[label] = (cpuMicrosPerRequest[label] ?? 0) + micros / latenciesMs.length;
      }
      return [
        key,
        { requestsPerSecond: latenciesMs.length / seconds, latencyP50Ms: median(latenciesMs), latencyP99Ms: percentile(latenciesMs, 99), responses: latenciesMs.length, cpuMicrosPerRequest },
      ];
    }),
  );
}
