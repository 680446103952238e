import { fileURLToPath } from 'node:url';

/**
 * The one definition of how a function is built, used by the stack (NodejsFunction) and by the
 * local stack (esbuild directly), so what runs on a laptop is what runs in Lambda.
 */
export const FUNCTION_ENTRIES = {
  login: fileURLToPath(new URL('../lambdas/login/handler.ts', import.meta.url)),
  callback: fileURLToPath(new URL('../lambdas/callback/handler.ts', import.meta.url)),
  session: fileURLToPath(new URL('../lambdas/session/handler.ts', import.meta.url)),
  logout: fileURLToPath(new URL('../lambdas/logout/handler.ts', import.meta.url)),
  authorizer: fileURLToPath(new URL('../lambdas/authorizer/handler.ts', import.meta.url)),
  backchannelLogout: fileURLToPath(new URL('../lambdas/backchannel-logout/handler.ts', import.meta.url)),
  demo: fileURLToPath(new URL('../lambdas/demo/handler.ts', import.meta.url)),
  apiProxy: fileURLToPath(new URL('../lambdas/api-proxy/handler.ts', import.meta.url)),
  demoApi: fileURLToPath(new URL('../lambdas/demo-api/handler.ts', import.meta.url)),
} as const;

export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/**
 * The folder, beside the compiled `lib/`, that holds every function bundled when the package was
 * packed (bin/build-package.ts), one `<name>/index.mjs` each. Run from this repository's sources
 * there is none, and NodejsFunction bundles the entries above instead.
 */
export const PACKAGED_FUNCTIONS_DIR = 'function-bundles';

const replacement = (name: string): string => fileURLToPath(new URL(`./bundle-aliases/${name}.ts`, import.meta.url));

/**
 * Modules the bundled SDK imports, swapped at build time (lib/bundle-aliases). The first three the
 * functions' DynamoDB client can never run: their stand-ins throw if they ever do. Together they
 * were over half of each bundle; `npm run bench` shows the metafile breakdown and checks that none
 * of them comes back.
 */
export const BUILD_ALIASES = {
  /** The default credential chain and the STS/SSO clients it carries: the client is always given Lambda's env credentials. */
  '@aws-sdk/credential-provider-node': replacement('credential-provider-node'),
  /** Imported lazily by the protocol for event-stream payloads, which DynamoDB does not have. */
  '@smithy/core/event-streams': replacement('event-streams'),
  /** Endpoint discovery's LRU cache: constructed by the client, used only by commands other than PutItem/UpdateItem. */
  '@aws-sdk/endpoint-cache': replacement('endpoint-cache'),
  /** The same values, read from the `process` global: the built-in's ES module facade is slow to load. */
  'node:process': replacement('node-process'),
} as const;

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
  alias: BUILD_ALIASES,
} as const;
