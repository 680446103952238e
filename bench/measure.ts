import { runProbe, type StubService } from './child.js';
import type { Probes } from './build.js';
import type { ColdReport, InvocationSpec } from './probes/messages.js';
import { meanBilledMs } from './prices.js';
import { median, percentile } from './stats.js';

export const COLD_RUNS = 30;
export const WARM_INVOCATIONS = 10_000;
/** Invocations before measuring, so that the JIT has compiled the hot path, as in a warm Lambda. */
export const WARM_UP_INVOCATIONS = 500;
const COLD_TIMEOUT_MS = 30_000;
const WARM_TIMEOUT_MS = 180_000;

export interface ColdTarget {
  readonly key: string;
  readonly file: string;
  /**
   * The first invocation to make once imported; none for the empty module. A function of the round
   * when each round needs its own (a logout token, signed just before, used once).
   */
  readonly firstInvocation?: InvocationSpec | ((run: number) => Promise<InvocationSpec>);
}

/**
 * `runs` rounds; each round starts one fresh process per target, in turn, so a slow moment of the
 * machine hits every target of that round rather than one target's whole sample.
 */
export async function measureColdStarts(
  probes: Probes,
  targets: readonly ColdTarget[],
  env: Readonly<Record<string, string>>,
  runs: number,
): Promise<Map<string, ColdReport[]>> {
  const reports = new Map<string, ColdReport[]>(targets.map((target) => [target.key, []]));
  for (let run = 0; run < runs; run += 1) {
    for (const target of targets) {
      const spec = typeof target.firstInvocation === 'function' ? await target.firstInvocation(run) : target.firstInvocation;
      const args = spec === undefined ? [target.file] : [target.file, JSON.stringify(spec)];
      const report = await runProbe('cold', probes.scripts.cold, { args, env, timeoutMs: COLD_TIMEOUT_MS });
      reports.get(target.key)?.push(report);
    }
  }
  return reports;
}

export interface ColdSummary {
  readonly importP50Ms: number;
  readonly importP90Ms: number;
  /** Import time minus the empty module's import time in the same round. */
  readonly extraP50Ms: number;
  readonly extraP90Ms: number;
  readonly firstInvocationP50Ms: number;
  readonly firstInvocationP90Ms: number;
  /** Each distinct outcome of the first invocations (see InvocationOutcome). */
  readonly firstInvocationOutcomes: readonly string[];
}

export function summarizeColdStarts(bundle: readonly ColdReport[], empty: readonly ColdReport[]): ColdSummary {
  const imports = bundle.map((report) => report.importMs);
  const extras = bundle.map((report, round) => report.importMs - (empty[round]?.importMs ?? Number.NaN));
  const first = bundle.map((report) => report.firstInvocation).filter((outcome) => outcome !== undefined);
  return {
    importP50Ms: median(imports),
    importP90Ms: percentile(imports, 90),
    extraP50Ms: median(extras),
    extraP90Ms: percentile(extras, 90),
    firstInvocationP50Ms: median(first.map((outcome) => outcome.ms)),
    firstInvocationP90Ms: percentile(first.map((outcome) => outcome.ms), 90),
    firstInvocationOutcomes: [...new Set(first.map((outcome) => outcome.outcome))],
  };
}

export interface WarmSummary {
  readonly invocations: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanBilledMs: number;
  /** Process CPU (user + system, all threads: includes GC helpers) per measured invocation. */
  readonly cpuMicrosPerInvocation: number;
  /** Connections the stub accepted during warm-up and measurement: one means the socket was reused throughout. */
  readonly tcpConnections: number;
  readonly heapGrowthBytes: number;
  /** Growth over the second half only: warm-up effects (compiled code, caches) are over, a leak is not. */
  readonly heapGrowthSecondHalfBytes: number;
  /** Measured invocations by outcome: HTTP status code, or an authorizer's verdict. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Measured responses that set each cookie to a value, by name. */
  readonly cookiesSet: Readonly<Record<string, number>>;
  readonly stubRejected: number;
}

/** One process, one handler, `WARM_INVOCATIONS` sequential invocations against the stub. */
export async function measureWarm(
  probes: Probes,
  file: string,
  invocation: InvocationSpec,
  env: Readonly<Record<string, string>>,
  stub: StubService,
): Promise<WarmSummary> {
  await stub.request({ command: 'reset' });
  const report = await runProbe('warm', probes.scripts.warm, {
    args: [file, JSON.stringify(invocation), String(WARM_INVOCATIONS), String(WARM_UP_INVOCATIONS)],
    env,
    nodeFlags: ['--expose-gc'],
    timeoutMs: WARM_TIMEOUT_MS,
  });
  const stats = await stub.request({ command: 'stats' });
  return {
    invocations: report.latenciesMs.length,
    p50Ms: median(report.latenciesMs),
    p99Ms: percentile(report.latenciesMs, 99),
    meanBilledMs: meanBilledMs(report.latenciesMs),
    cpuMicrosPerInvocation: (report.cpuUserMicros + report.cpuSystemMicros) / report.latenciesMs.length,
    tcpConnections: stats.connections,
    heapGrowthBytes: report.heapAfterBytes - report.heapBeforeBytes,
    heapGrowthSecondHalfBytes: report.heapAfterBytes - report.heapHalfwayBytes,
    outcomes: report.outcomes,
    cookiesSet: report.cookiesSet,
    stubRejected: stats.rejected,
  };
}
