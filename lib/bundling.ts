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

const stub = (name: string): string => fileURLToPath(new URL(`./bundle-stubs/${name}.ts`, import.meta.url));

/**
 * SDK modules the functions' DynamoDB client imports but can never run, swapped at build time for
 * stubs that throw if they ever do run (lib/bundle-stubs). Together they are over half of an
 * unaliased bundle; `npm run bench` shows the metafile breakdown and checks none of them comes back.
 */
export const SDK_ALIASES = {
  /** The default credential chain and the STS/SSO clients it carries: the client is always given Lambda's env credentials. */
  '@aws-sdk/credential-provider-node': stub('credential-provider-node'),
  /** Imported lazily by the protocol for event-stream payloads, which DynamoDB does not have. */
  '@smithy/core/event-streams': stub('event-streams'),
  /** Endpoint discovery's LRU cache: constructed by the client, used only by commands other than PutItem/UpdateItem. */
  '@aws-sdk/endpoint-cache': stub('endpoint-cache'),
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
  alias: SDK_ALIASES,
} as const;
