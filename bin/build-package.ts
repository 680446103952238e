import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FUNCTION_ENTRIES, PACKAGED_FUNCTIONS_DIR } from '../lib/bundling.js';
import { functionBuildOptions } from '../local/build.js';

/**
 * What `npm pack` ships (the `prepare` script): the construct and the app helpers compiled to
 * JavaScript with their types, and every function bundled as the stack bundles it, one
 * `<name>/index.mjs` each, where the compiled construct looks for them. An app installing the
 * package then needs no TypeScript runner, no esbuild and no Docker.
 */
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

await rm(DIST, { recursive: true, force: true });
await build({
  ...functionBuildOptions(),
  entryPoints: Object.fromEntries(Object.entries(FUNCTION_ENTRIES).map(([name, entry]) => [`${name}/index`, entry])),
  outdir: fileURLToPath(new URL(`../dist/${PACKAGED_FUNCTIONS_DIR}/`, import.meta.url)),
});
// tsc reports its errors on stdout; inherited, they reach whoever ran npm pack.
const compiled = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);
