import { fileURLToPath } from 'node:url';

/**
 * The one definition of how a function is built, used by the stack (NodejsFunction) and by the
 * local stack (esbuild directly), so what runs on a laptop is what runs in Lambda.
 */
export const FUNCTION_ENTRIES = {
  login: fileURLToPath(new URL('../lambdas/login/handler.ts', import.meta.url)),
  callback: fileURLToPath(new URL('../lambdas/callback/handler.ts', import.meta.url)),
} as const;

export type FunctionName = keyof typeof FUNCTION_ENTRIES;

export const LAMBDA_BUILD = {
  /** Matches the deployed runtime (nodejs24.x). */
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: false,
  /** Prefer the SDK's ES module builds, which tree-shake. */
  mainFields: ['module', 'main'],
  /** Bundled dependencies that still `require()` a Node built-in need it inside an ES module. */
  banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
  legalComments: 'none',
} as const;
