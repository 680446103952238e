import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Figures go to test-output/robustness/<suite>.json (gitignored) and to the console, for the README. */
const OUTPUT_DIRECTORY = fileURLToPath(new URL('../../../test-output/robustness/', import.meta.url));

export type Figures = Record<string, number | string | boolean>;

/** Nearest-rank percentile (p in 0-100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function reportFigures(suite: string, figures: Figures): void {
  mkdirSync(OUTPUT_DIRECTORY, { recursive: true });
  writeFileSync(`${OUTPUT_DIRECTORY}${suite}.json`, `${JSON.stringify({ suite, measuredAt: new Date().toISOString(), ...figures }, null, 2)}\n`);
  console.log(`[figures] ${suite} ${JSON.stringify(figures)}`);
}
