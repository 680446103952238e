import { ConfigError, readEnvSettings } from '../lambdas/core/config.js';
import { JavaMissingError } from './dynamodb-local.js';
import { DEFAULT_STATE_FILE, PortInUseError, startLocalStack, type LocalStack } from './local-stack.js';

/**
 * `npm start`: the local stack on PORT (default 3000), until Ctrl-C or SIGTERM. Function settings
 * come from the same environment variables as a deployed function's (ISSUER_URL, CLIENT_ID, ...).
 */
const DEFAULT_PORT = 3000;

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

function readyMessage(stack: LocalStack, startedMs: number): string {
  const provider = stack.embeddedProvider
    ? `embedded OpenID provider at ${stack.issuer} (any user name and password)`
    : `OpenID provider ${stack.issuer}`;
  return [
    `Local stack ready in ${((performance.now() - startedMs) / 1000).toFixed(1)} s.`,
    `  Sign in:   ${stack.loginUrl}`,
    `  About:     ${stack.baseUrl}/`,
    `  Provider:  ${provider}`,
    `  Table:     ${stack.tableName} in DynamoDB Local at ${stack.dynamoDbEndpoint}`,
    '  Results:   npm run results',
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

  try {
    stack = await startLocalStack({
      port: parsePort(process.env.PORT),
      settings: readEnvSettings(process.env),
      stateFile: DEFAULT_STATE_FILE,
      onRequest: (method, path, status, elapsedMs) => console.log(`${method} ${path} ${status} ${Math.round(elapsedMs)} ms`),
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
