import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { FUNCTION_ENTRIES, LAMBDA_BUILD, type FunctionName } from '../lib/bundling.js';
import { buildLocal } from '../local/build.js';
import { analyzeBundle, type BundleContents } from './bundle-report.js';

/** Where the bench builds everything; under the project so probes resolve its node_modules. Ignored by git. */
export const BENCH_BUILD_DIR = fileURLToPath(new URL('./.build/', import.meta.url));

export type Variant = 'optimized' | 'naive';
export const FUNCTION_NAMES = Object.keys(FUNCTION_ENTRIES) as FunctionName[];

export interface BuiltBundle {
  readonly variant: Variant;
  readonly name: FunctionName;
  readonly file: string;
  readonly contents: BundleContents;
}

export type Bundles = Record<Variant, Record<FunctionName, BuiltBundle>>;

function bundlesFrom(variant: Variant, files: Readonly<Record<FunctionName, string>>, metafile: Metafile): Record<FunctionName, BuiltBundle> {
  const bundles = {} as Record<FunctionName, BuiltBundle>;
  for (const name of FUNCTION_NAMES) {
    const file = files[name];
    const output = Object.keys(metafile.outputs).find((path) => resolve(path) === resolve(file));
    if (output === undefined) throw new Error(`the ${variant} metafile has no output for ${file}`);
    bundles[name] = { variant, name, file, contents: analyzeBundle(metafile, output, name) };
  }
  return bundles;
}

/**
 * Baseline (a): NodejsFunction's defaults with the SDK bundled: not minified, the SDK's CommonJS
 * build (esbuild's default main fields for Node), no aliases. ES module output, NodejsFunction's
 * other format, because the callback's top-level await (reading the client secret during init)
 * cannot be emitted as CommonJS; the CommonJS code inside needs the same `require` banner then.
 */
async function buildNaive(outdir: string): Promise<Record<FunctionName, BuiltBundle>> {
  const { metafile } = await build({
    entryPoints: FUNCTION_ENTRIES,
    bundle: true,
    platform: 'node',
    target: LAMBDA_BUILD.target,
    format: 'esm',
    banner: { js: LAMBDA_BUILD.banner },
    outdir,
    outExtension: { '.js': '.mjs' },
    metafile: true,
    logLevel: 'warning',
  });
  const files = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, join(outdir, `${name}.mjs`)])) as Record<FunctionName, string>;
  return bundlesFrom('naive', files, metafile);
}

/** This project's functions as the stack deploys them (through the local stack's build, which shares lib/bundling.ts), and the naive baseline. */
export async function buildBundles(outdir: string = BENCH_BUILD_DIR): Promise<Bundles> {
  const [optimized, naive] = await Promise.all([buildLocal(join(outdir, 'optimized')), buildNaive(join(outdir, 'naive'))]);
  return { optimized: bundlesFrom('optimized', optimized.bundles, optimized.metafile), naive };
}

const PROBE_NAMES = ['cold', 'warm', 'adapter-server', 'express-server', 'dynamodb-stub', 'provider-stub', 'loopback-handler', 'login-without-store'] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

export interface Probes {
  readonly scripts: Record<ProbeName, string>;
  /** An empty ES module: the cold-start baseline every bundle is compared with. */
  readonly emptyModule: string;
}

/**
 * The probe processes, compiled to plain ES modules so they run on `node` itself: loading them
 * through a TypeScript loader would add its cost to every cold start measured.
 */
export async function buildProbes(outdir: string = BENCH_BUILD_DIR): Promise<Probes> {
  const probeDir = join(outdir, 'probes');
  await build({
    entryPoints: PROBE_NAMES.map((name) => fileURLToPath(new URL(`./probes/${name}.ts`, import.meta.url))),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    // Loaded from node_modules at run time. Everything else is bundled, so the functions' code that
    // login-without-store reuses comes without the SDK it never calls (tree-shaken away).
    external: ['express', 'express-openid-connect'],
    outdir: probeDir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  await mkdir(outdir, { recursive: true });
  const emptyModule = join(outdir, 'empty.mjs');
  await writeFile(emptyModule, '');
  const scripts = Object.fromEntries(PROBE_NAMES.map((name) => [name, join(probeDir, `${name}.mjs`)])) as Record<ProbeName, string>;
  return { scripts, emptyModule };
}
