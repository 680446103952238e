import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { FUNCTION_ENTRIES, LAMBDA_BUILD, type FunctionName } from '../lib/bundling.js';

/** Gitignored; everything the local stack generates goes here. */
export const BUILD_ROOT = fileURLToPath(new URL('../.build/', import.meta.url));

const FUNCTION_HOST_ENTRY = fileURLToPath(new URL('./function-host.ts', import.meta.url));

export interface LocalBuild {
  /** One ES module per function, built exactly as the stack's NodejsFunction builds it. */
  readonly bundles: Readonly<Record<FunctionName, string>>;
  /** The stand-in for the Lambda runtime that loads a bundle in a worker thread. */
  readonly host: string;
  /** The functions' esbuild metafile, for bundle-size reports. */
  readonly metafile: Metafile;
}

function outputPath(outdir: string, name: string): string {
  return join(outdir, `${name}.mjs`);
}

/**
 * lib/bundling.ts as esbuild options, with what NodejsFunction always adds on top of its bundling
 * options: every build of the functions outside CDK starts from these, so its bytes are CDK's.
 */
export function functionBuildOptions(): BuildOptions {
  // Spread, not picked field by field, so a setting added to the shared definition cannot be missed here.
  const { banner, mainFields, ...shared } = LAMBDA_BUILD;
  return {
    ...shared,
    banner: { js: banner },
    mainFields: [...mainFields],
    bundle: true,
    platform: 'node',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  };
}

export async function buildLocal(outdir: string = join(BUILD_ROOT, 'lambdas')): Promise<LocalBuild> {
  const [functions] = await Promise.all([
    build({ ...functionBuildOptions(), entryPoints: FUNCTION_ENTRIES, outdir, metafile: true }),
    build({
      entryPoints: { 'function-host': FUNCTION_HOST_ENTRY },
      outdir,
      outExtension: { '.js': '.mjs' },
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
    }),
  ]);
  return {
    bundles: Object.fromEntries(Object.keys(FUNCTION_ENTRIES).map((name) => [name, outputPath(outdir, name)])) as Record<FunctionName, string>,
    host: outputPath(outdir, 'function-host'),
    metafile: functions.metafile,
  };
}
