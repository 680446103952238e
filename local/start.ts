import { ConfigError, readEnvSettings, type RawSettings } from '../lambdas/core/config.js';
import { withDiscoveredSettings } from '../lambdas/core/discovery.js';
import { CLIENT_SECRET_ENV } from '../lambdas/core/contract.js';
import { discoverProvider } from '../lambdas/shared/discovery-client.js';
import { JavaMissingError } from './dynamodb-local.js';
import { DEFAULT_STATE_DIRECTORY, PortInUseError, startLocalStack, type LocalStack } from './local-stack.js';

/**
 * `npm start`: the local stack on PORT (default 3000), until Ctrl-C or SIGTERM. Function settings
 * come from the same environment variables as a deployed function's (ISSUER_URL, CLIENT_ID, ...).
 */
const DEFAULT_PORT = 3000;

/** As the stack's `authorizerCacheTtl`: 0 (off) unless set, at most API Gateway's 3600. */
function parseAuthorizerCacheTtl(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0;
  if (!/^\d{1,4}$/.test(value.trim()) || Number(value) > 3600) {
    throw new ConfigError(`AUTHORIZER_CACHE_TTL_SECONDS must be a whole number from 0 to 3600, got "${value}"`);
  }
  return Number(value);
}

/** The embedded provider's access-token lifetime: short (e.g. 90) to watch a refresh happen. */
function parseAccessTokenTtl(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d{1,5}$/.test(value.trim()) || Number(value) < 1 || Number(value) > 86_400) {
    throw new ConfigError(`ACCESS_TOKEN_TTL_SECONDS must be a whole number from 1 to 86400, got "${value}"`);
  }
  return Number(value);
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port < 1 || port > 65_535) throw new ConfigError(`PORT must be a port number from 1 to 65535, got "${value}"`);
  return port;
}

/** Errors the user can fix from the message alone: one line, no stack trace. */
function isUserError(error: unknown): error is Error {
  return error instanceof ConfigError || error instanceof JavaMissingError || error instanceof PortInUseError;
}

/** A real provider's endpoints come from its discovery document, read once now; what the user set wins. */
async function withDiscovery(settings: RawSettings): Promise<RawSettings> {
  if (settings.issuerUrl === undefined) return settings;
  return withDiscoveredSettings(settings, await discoverProvider(settings.issuerUrl));
}

function readyMessage(stack: LocalStack, startedMs: number): string {
  const provider = stack.embeddedProvider
    ? `embedded OpenID provider at ${stack.issuer} (any user name and password)`
    : `OpenID provider ${stack.issuer}`;
  const noSecret = stack.signsIn
    ? []
    : [`  Warning:   ${CLIENT_SECRET_ENV} is not set, so sign-in stops at the recorded code (no token request, no session): set ${CLIENT_SECRET_ENV} to sign in.`];
  return [
    `Local stack ready in ${((performance.now() - startedMs) / 1000).toFixed(1)} s.`,
    `  Sign in:   ${stack.loginUrl}`,
    `  About:     ${stack.baseUrl}/`,
    `  Demo app:  ${stack.baseUrl}/hello/page (a page) and ${stack.baseUrl}/hello (an API), behind the session authorizer`,
    `  Provider:  ${provider}`,
    `  Table:     ${stack.tableName} in DynamoDB Local at ${stack.dynamoDbEndpoint}`,
    `  Results:   npm run results -- --port ${stack.port}`,
    ...noSecret,
    'Press Ctrl-C to stop.',
  ].join('\n');
}

async function main(): Promise<void> {
  // The SDK (creating the local table) warns that later releases need Node 22; nothing to act on locally.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const startedMs = performance.now();
  let stack: LocalStack | undefined;
  let stopRequested = false;
  const stop = (running: LocalStack): void => {
    running.stop().then(
      () => console.log('Stopped.'),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  // Installed before starting: a signal mid-start must still stop Java, not orphan it.
  const onSignal = (signal: NodeJS.Signals): void => {
    // Ctrl-C can arrive twice (from the terminal and forwarded by npm); stopping takes a few seconds at most.
    if (stopRequested) return;
    stopRequested = true;
    console.log(`${signal}: stopping`);
    if (stack !== undefined) stop(stack);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const clientSecret = process.env[CLIENT_SECRET_ENV]?.trim() || undefined;
  try {
    const accessTokenTtlSeconds = parseAccessTokenTtl(process.env.ACCESS_TOKEN_TTL_SECONDS);
    stack = await startLocalStack({
      ...(accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds }),
      port: parsePort(process.env.PORT),
      authorizerCacheTtlSeconds: parseAuthorizerCacheTtl(process.env.AUTHORIZER_CACHE_TTL_SECONDS),
      settings: await withDiscovery(readEnvSettings(process.env)),
      ...(clientSecret === undefined ? {} : { clientSecret }),
      stateDirectory: DEFAULT_STATE_DIRECTORY,
      onRequest: (method, path, status, elapsedMs) => console.log(`${method} ${path} ${status} ${Math.round(elapsedMs)} ms`),
      // Lambda's cold starts, visible: each new execution environment and how long its init took.
      onColdStart: (name, environment, initMs) => console.log(`  cold start: ${name} environment ${environment}, init ${Math.round(initMs)} ms`),
    });
  } catch (error) {
    if (!isUserError(error)) throw error;
    console.error(error.message);
    process.exitCode = 1;
    return;
  }
  if (stopRequested) stop(stack);
  else console.log(readyMessage(stack, startedMs));
}

await main();
