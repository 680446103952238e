import { readFileSync } from 'node:fs';
import { benchHandlerOf, eventsFor, importModule, invoke, parseSpec, type BenchEvent, type BenchHandler } from './invoke.js';
import { reportAndExit } from './report.js';

/**
 * Warm cost of one function: after a warm-up, `count` sequential invocations in one process (one
 * Lambda execution environment), each with its own event, built beforehand so that the timer and
 * the CPU counter see only the handler. Run with --expose-gc: heap figures follow a full collection,
 * taken before, halfway (outside the timed and counted parts) and after.
 */
const [file, specJson, countText, warmupText] = process.argv.slice(2);
const spec = parseSpec(specJson);
const count = Number(countText);
const warmup = Number(warmupText);
if (file === undefined || spec === undefined || !(count > 1) || !(warmup >= 0)) throw new Error('usage: warm <bundle> <invocation JSON> <count> <warm-up>');
const { gc } = globalThis;
if (gc === undefined) throw new Error('run with --expose-gc');
const heapAfterGc = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};
// One body per invocation, warm-up ones first, when each may be used only once (a logout token's jti).
const bodies = spec.bodiesFile === undefined ? undefined : readFileSync(spec.bodiesFile, 'utf8').split('\n').filter((line) => line !== '');

const handler = benchHandlerOf(await importModule(file), file);
for (const event of eventsFor(spec, bodies, 0, warmup)) await invoke(handler, event);

const latenciesMs: number[] = [];
const outcomes: Record<string, number> = {};
const cookiesSet: Record<string, number> = {};
let cpuUserMicros = 0;
let cpuSystemMicros = 0;

async function measure(target: BenchHandler, events: readonly BenchEvent[]): Promise<void> {
  const before = process.cpuUsage();
  for (const event of events) {
    const outcome = await invoke(target, event);
    latenciesMs.push(outcome.ms);
    outcomes[outcome.outcome] = (outcomes[outcome.outcome] ?? 0) + 1;
    for (const cookie of outcome.cookies ?? []) {
      const separator = cookie.indexOf('=');
      if (separator > 0 && separator + 1 < cookie.length && cookie[separator + 1] !== ';') {
        const name = cookie.slice(0, separator);
        cookiesSet[name] = (cookiesSet[name] ?? 0) + 1;
      }
    }
  }
  const cpu = process.cpuUsage(before);
  cpuUserMicros += cpu.user;
  cpuSystemMicros += cpu.system;
}

const half = Math.floor(count / 2);
const firstHalf = eventsFor(spec, bodies, warmup, half);
const secondHalf = eventsFor(spec, bodies, warmup + half, count - half);
// Both halves' events stay referenced throughout, so every heap figure includes them alike.
const heapBeforeBytes = heapAfterGc();
await measure(handler, firstHalf);
const heapHalfwayBytes = heapAfterGc();
await measure(handler, secondHalf);
const heapAfterBytes = heapAfterGc();

await reportAndExit({ kind: 'warm', latenciesMs, cpuUserMicros, cpuSystemMicros, heapBeforeBytes, heapHalfwayBytes, heapAfterBytes, outcomes, cookiesSet });
