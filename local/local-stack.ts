import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CALLBACK_ROUTE } from '../lambdas/callback/app.js';
import { envLabel, parseConfig, SETTINGS, settingsToEnv, type FlowConfig, type RawSettings } from '../lambdas/core/config.js';
import { CLIENT_SECRET_ENV, SESSION_TABLE_NAME_ENV, TABLE_NAME_ENV } from '../lambdas/core/contract.js';
import { randomToken } from '../lambdas/core/encoding.js';
import { pageResponse } from '../lambdas/core/pages.js';
import { LOGIN_ROUTE } from '../lambdas/login/app.js';
import { LOGOUT_POST_ROUTE, LOGOUT_ROUTE, SIGNED_OUT_ROUTE } from '../lambdas/logout/app.js';
import { ME_ROUTE, SIGNED_IN_ROUTE } from '../lambdas/session/app.js';
import type { FunctionName } from '../lib/bundling.js';
import { createApiGatewayListener, type LambdaHttpHandler } from './api-gateway-adapter.js';
import { closeServer } from './close-server.js';
import { BUILD_ROOT, buildLocal, type LocalBuild } from './build.js';
import { assertJavaAvailable, createFlowTable, LOCAL_AWS_ENV, startDynamoDbLocal } from './dynamodb-local.js';
import { findFreePort } from './free-port.js';
import type { FunctionHostData, HostMessage, Invocation } from './function-host.js';
import { startEmbeddedProvider } from './oidc-provider.js';

/**
 * The whole flow on one machine: the functions' bundles (built exactly as for Lambda) each in a
 * worker thread with only its own environment, behind the payload 2.0 adapter, with DynamoDB Local
 * and, unless ISSUER_URL points at a real tenant, an embedded OpenID provider.
 */
export interface LocalStackOptions {
  /** On 127.0.0.1. @default a free port */
  readonly port?: number;
  /**
   * The functions' settings, named and validated as for a deployed function. Without `issuerUrl`
   * the embedded provider stands in; `baseUrl` defaults to `http://localhost:<port>`.
   */
  readonly settings?: RawSettings;
  /**
   * The client secret the callback redeems codes with. With the embedded provider a random one is
   * made when absent; with a real provider (`issuerUrl` set) and no secret, the flow stops at the
   * recorded code, as a deployment without a secret does.
   */
  readonly clientSecret?: string;
  /** One call per answered request; the path never includes the query string. */
  readonly onRequest?: (method: string, path: string, status: number, elapsedMs: number) => void;
  /** Each line a function writes to stdout (its request log), as CloudWatch would receive it. */
  readonly onFunctionLog?: (name: FunctionName, line: string) => void;
  /** Written once ready and removed on stop, so `npm run results` can find this stack. */
  readonly stateFile?: string;
}

export interface LocalStack {
  readonly baseUrl: string;
  readonly loginUrl: string;
  readonly issuer: string;
  /** True when the embedded provider answers for `issuer`. */
  readonly embeddedProvider: boolean;
  readonly tableName: string;
  readonly sessionTableName: string;
  /** Whether the callback redeems codes and makes sessions (a client secret is configured). */
  readonly signsIn: boolean;
  readonly dynamoDbEndpoint: string;
  /** The bundles being served (removed on stop) and their esbuild metafile. */
  readonly build: LocalBuild;
  /** Stops everything this stack started; safe to call twice. */
  stop(): Promise<void>;
}

/** What `npm run results` needs to read a running stack's table. */
export interface LocalStackState {
  readonly pid: number;
  readonly baseUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
}

export const DEFAULT_STATE_FILE = join(BUILD_ROOT, 'local-stack.json');
export const LOCAL_TABLE_NAME = 'login-transactions';
export const LOCAL_SESSION_TABLE_NAME = 'login-sessions';
/** Registered with the embedded provider when CLIENT_ID is not set. */
export const LOCAL_CLIENT_ID = 'local-demo';
const HOST = '127.0.0.1';

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(readonly port: number) {
    super(`Port ${port} on ${HOST} is already in use; set PORT to a free port`);
  }
}

type Cleanup = () => Promise<void>;

/** Runs every cleanup at once (the parts are independent), and all of them even when one fails. */
async function unwind(cleanups: Cleanup[]): Promise<void> {
  const outcomes = await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
  const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  if (failures.length > 0) throw new AggregateError(failures, 'the local stack did not stop cleanly');
}

/** Registers the cleanup the moment its resource is up, so a failure elsewhere still stops it. */
async function started<T>(cleanups: Cleanup[], start: Promise<T>, cleanupOf: (value: T) => Cleanup): Promise<T> {
  const value = await start;
  cleanups.push(cleanupOf(value));
  return value;
}

/** Used after `Promise.allSettled`, which waits for every start, so nothing is still starting when this throws. */
function settledValue<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

const BUILD_DIRECTORY_PATTERN = /^stack-(\d+)-/;

/** A build folder of its own, named after this process so that one left by a killed process can be recognised and removed. */
async function createBuildDirectory(): Promise<string> {
  await mkdir(BUILD_ROOT, { recursive: true });
  for (const entry of await readdir(BUILD_ROOT)) {
    const owner = BUILD_DIRECTORY_PATTERN.exec(entry)?.[1];
    if (owner !== undefined && !isProcessAlive(Number(owner))) await rm(join(BUILD_ROOT, entry), { recursive: true, force: true });
  }
  return mkdtemp(join(BUILD_ROOT, `stack-${process.pid}-`));
}

/** The state of a stack that is still running, or undefined (no file, unreadable, or its process is gone). */
export async function readLocalStackState(stateFile: string = DEFAULT_STATE_FILE): Promise<LocalStackState | undefined> {
  let parsed: Partial<LocalStackState>;
  try {
    parsed = JSON.parse(await readFile(stateFile, 'utf8')) as Partial<LocalStackState>;
  } catch {
    return undefined;
  }
  const { pid, baseUrl, dynamoDbEndpoint, tableName } = parsed;
  if (typeof pid !== 'number' || typeof baseUrl !== 'string' || typeof dynamoDbEndpoint !== 'string' || typeof tableName !== 'string') {
    return undefined;
  }
  return isProcessAlive(pid) ? { pid, baseUrl, dynamoDbEndpoint, tableName } : undefined;
}

/** Claims the state file unless another live stack holds it; the returned cleanup removes it only if still ours. */
async function publishState(stateFile: string, state: LocalStackState): Promise<Cleanup> {
  const current = await readLocalStackState(stateFile);
  if (current !== undefined && current.pid !== state.pid) return async () => {};
  await mkdir(join(stateFile, '..'), { recursive: true });
  await writeFile(stateFile, `${JSON.stringify(state)}\n`);
  return async () => {
    if ((await readLocalStackState(stateFile))?.pid === state.pid) await rm(stateFile, { force: true });
  };
}

async function listen(server: Server, port: number): Promise<void> {
  server.listen(port, HOST);
  try {
    await once(server, 'listening');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') throw new PortInUseError(port);
    throw error;
  }
}

interface FunctionWorker {
  readonly handler: LambdaHttpHandler;
  stop(): Promise<void>;
}

/** One function in its own worker thread: its own environment, module instance and cold start, like a Lambda instance. */
async function startFunction(
  name: FunctionName,
  build: LocalBuild,
  env: Record<string, string>,
  onLog: LocalStackOptions['onFunctionLog'],
): Promise<FunctionWorker> {
  const worker = new Worker(build.host, {
    env,
    execArgv: [],
    stdout: true,
    workerData: { bundleUrl: pathToFileURL(build.bundles[name]).href } satisfies FunctionHostData,
  });
  createInterface({ input: worker.stdout }).on('line', (line) => onLog?.(name, line));
  const pending = new Map<number, { resolve: (result: APIGatewayProxyStructuredResultV2) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  // Once the worker is gone, later requests fail at once instead of waiting on a dead thread.
  let failure: Error | undefined;
  const failAll = (error: Error): void => {
    failure = error;
    for (const invocation of pending.values()) invocation.reject(error);
    pending.clear();
  };
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: HostMessage) => {
      if (message.kind === 'ready') {
        resolve();
        return;
      }
      const invocation = pending.get(message.id);
      pending.delete(message.id);
      if (message.result === undefined) invocation?.reject(new Error(`the ${name} function threw`));
      else invocation?.resolve(message.result);
    });
    worker.once('error', (error) => {
      const failure = new Error(`the ${name} function failed: ${error.message}`);
      reject(failure);
      failAll(failure);
    });
    worker.once('exit', (code) => {
      const failure = new Error(`the ${name} function stopped (exit code ${code})`);
      reject(failure);
      failAll(failure);
    });
  });
  try {
    await ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return {
    handler: (event) =>
      new Promise((resolve, reject) => {
        if (failure !== undefined) {
          reject(failure);
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, event } satisfies Invocation);
      }),
    stop: async () => {
      await worker.terminate();
    },
  };
}

/** The settings the functions run with: the caller's, plus the embedded provider's issuer when it stands in. */
function resolveConfig(settings: RawSettings, port: number, embeddedIssuer: string | undefined): FlowConfig {
  const withDefaults: RawSettings = { ...settings, baseUrl: settings.baseUrl ?? `http://localhost:${port}` };
  return parseConfig(
    embeddedIssuer === undefined
      ? withDefaults
      : {
          ...withDefaults,
          issuerUrl: embeddedIssuer,
          clientId: settings.clientId ?? LOCAL_CLIENT_ID,
          // Derived from the issuer, so it always points at the embedded provider's /authorize.
          authorizationEndpoint: undefined,
          // The embedded provider advertises authorization_response_iss_parameter_supported.
          requireIss: 'true',
        },
    envLabel,
  );
}

/** Each function gets only what its deployed twin gets: its tables, and the secret for the callback alone. */
function functionEnvironments(config: FlowConfig, dynamoDbEndpoint: string, clientSecret: string | undefined): Record<FunctionName, Record<string, string>> {
  const common = {
    ...settingsToEnv(config),
    [SETTINGS.baseUrl.envVar]: config.baseUrl,
    DYNAMODB_ENDPOINT: dynamoDbEndpoint,
    ...LOCAL_AWS_ENV,
    // Lambda runs Node 24; the SDK's warning about this machine's Node 20 says nothing about the functions.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const transactions = { [TABLE_NAME_ENV]: LOCAL_TABLE_NAME };
  const sessions = { [SESSION_TABLE_NAME_ENV]: LOCAL_SESSION_TABLE_NAME };
  return {
    login: { ...common, ...transactions },
    callback: { ...common, ...transactions, ...sessions, ...(clientSecret === undefined ? {} : { [CLIENT_SECRET_ENV]: clientSecret }) },
    session: { ...common, ...sessions },
    logout: { ...common, ...sessions },
  };
}

function homePage(config: FlowConfig, embeddedProvider: boolean): LambdaHttpHandler {
  const response = pageResponse(200, {
    title: 'Serverless OIDC login, running locally',
    paragraphs: [
      'This is the login flow of the AWS deployment running on this machine: the same login and callback function bundles, behind a stand-in for API Gateway, with DynamoDB Local as the table.',
      embeddedProvider
        ? 'An embedded OpenID provider stands in for Auth0: sign in with any user name and password, then approve the consent screen.'
        : `Sign-in happens at ${config.issuer}.`,
      'You land back on a page that says who signed in, with a button to sign out. /me answers the session as JSON. Run "npm run results" in a terminal to see what was recorded.',
    ],
    link: { href: `${config.baseUrl}/login`, label: 'Sign in' },
  });
  return async () => response;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const settings = options.settings ?? {};
  const embeddedProvider = settings.issuerUrl === undefined;
  const port = options.port ?? (await findFreePort());
  const providerPort = embeddedProvider ? await findFreePort() : undefined;
  // Everything that can be wrong with the configuration is reported before anything starts.
  const config = resolveConfig(settings, port, providerPort === undefined ? undefined : `http://${HOST}:${providerPort}/`);
  const clientSecret = options.clientSecret ?? (embeddedProvider ? randomToken() : undefined);
  assertJavaAvailable();

  const cleanups: Cleanup[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= unwind(cleanups));
  try {
    const routes = new Map<string, LambdaHttpHandler>();
    const server = createServer(
      createApiGatewayListener({ routes, domainName: new URL(config.baseUrl).hostname, onResponse: options.onRequest }),
    );
    // First, so a taken port fails in milliseconds rather than after DynamoDB Local has started.
    await listen(server, port);
    cleanups.push(() => closeServer(server));

    const outdir = await createBuildDirectory();
    cleanups.push(() => rm(outdir, { recursive: true, force: true }));

    const [dynamoDbStart, buildStart, providerStart] = await Promise.allSettled([
      started(cleanups, startDynamoDbLocal(), (instance) => instance.stop).then(async (instance) => {
        await Promise.all([createFlowTable(instance.endpoint, LOCAL_TABLE_NAME), createFlowTable(instance.endpoint, LOCAL_SESSION_TABLE_NAME)]);
        return instance;
      }),
      buildLocal(outdir),
      providerPort === undefined
        ? Promise.resolve(undefined)
        : started(
            cleanups,
            startEmbeddedProvider({
              clientId: config.clientId,
              clientSecret: clientSecret ?? randomToken(),
              redirectUri: config.redirectUri,
              postLogoutRedirectUri: `${config.baseUrl}/signed-out`,
              port: providerPort,
            }),
            (provider) => provider.stop,
          ),
    ]);
    const dynamoDb = settledValue(dynamoDbStart);
    const build = settledValue(buildStart);
    settledValue(providerStart);

    const environments = functionEnvironments(config, dynamoDb.endpoint, clientSecret);
    const startWorker = (name: FunctionName): Promise<FunctionWorker> =>
      started(cleanups, startFunction(name, build, environments[name], options.onFunctionLog), (worker) => worker.stop);
    const workers = await Promise.allSettled([startWorker('login'), startWorker('callback'), startWorker('session'), startWorker('logout')]);
    const [login, callback, session, logout] = workers.map(settledValue) as [FunctionWorker, FunctionWorker, FunctionWorker, FunctionWorker];
    routes.set('GET /', homePage(config, embeddedProvider));
    routes.set(LOGIN_ROUTE, login.handler);
    routes.set(CALLBACK_ROUTE, callback.handler);
    routes.set(ME_ROUTE, session.handler);
    routes.set(SIGNED_IN_ROUTE, session.handler);
    for (const route of [LOGOUT_ROUTE, LOGOUT_POST_ROUTE, SIGNED_OUT_ROUTE]) routes.set(route, logout.handler);

    if (options.stateFile !== undefined) {
      cleanups.push(
        await publishState(options.stateFile, {
          pid: process.pid,
          baseUrl: config.baseUrl,
          dynamoDbEndpoint: dynamoDb.endpoint,
          tableName: LOCAL_TABLE_NAME,
        }),
      );
    }
    return {
      baseUrl: config.baseUrl,
      loginUrl: `${config.baseUrl}/login`,
      issuer: config.issuer,
      embeddedProvider,
      tableName: LOCAL_TABLE_NAME,
      sessionTableName: LOCAL_SESSION_TABLE_NAME,
      signsIn: clientSecret !== undefined,
      dynamoDbEndpoint: dynamoDb.endpoint,
      build,
      stop,
    };
  } catch (error) {
    // The start-up failure is what the user needs to see, not a secondary failure to clean up after it.
    await stop().catch(() => undefined);
    throw error;
  }
}
