import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { CALLBACK_ROUTE } from '../lambdas/callback/app.js';
import { envLabel, parseConfig, SETTINGS, settingsToEnv, type FlowConfig, type RawSettings } from '../lambdas/core/config.js';
import {
  APP_PAGE_PATH_ENV,
  AUTHORIZER_MODE_ENV,
  CLIENT_SECRET_ENV,
  LOGOUT_TOKEN_TABLE_NAME_ENV,
  SESSION_TABLE_NAME_ENV,
  TABLE_NAME_ENV,
  TOKEN_KEYS_ENV,
} from '../lambdas/core/contract.js';
import { API_PROXY_ROUTE } from '../lambdas/api-proxy/app.js';
import { DEMO_API_PATH, WHOAMI_ROUTE } from '../lambdas/demo-api/app.js';
import { BACKCHANNEL_LOGOUT_ROUTE } from '../lambdas/backchannel-logout/app.js';
import { HELLO_PAGE_PATH, HELLO_PAGE_ROUTE, HELLO_ROUTE } from '../lambdas/demo/app.js';
import { randomToken } from '../lambdas/core/encoding.js';
import { pageResponse } from '../lambdas/core/pages.js';
import { LOGIN_ROUTE } from '../lambdas/login/app.js';
import { LOGOUT_POST_ROUTE, LOGOUT_ROUTE, SIGNED_OUT_ROUTE } from '../lambdas/logout/app.js';
import { ME_ROUTE, NOT_FOUND_ROUTE, SIGNED_IN_ROUTE } from '../lambdas/session/app.js';
import type { FunctionName } from '../lib/bundling.js';
import {
  createApiGatewayListener,
  type AuthorizerContext,
  type LambdaAuthorizerHandler,
  type LambdaHttpHandler,
  type LocalAuthorizer,
  type RouteTarget,
} from './api-gateway-adapter.js';
import { closeServer } from './close-server.js';
import { BUILD_ROOT, buildLocal, type LocalBuild } from './build.js';
import { assertJavaAvailable, createFlowTable, createSessionsTable, LOCAL_AWS_ENV, startDynamoDbLocal } from './dynamodb-local.js';
import { findFreePort } from './free-port.js';
import { startFunctionPool, type FunctionPool } from './function-pool.js';
import { LOCAL_AUDIENCE, LOCAL_SCOPE, startEmbeddedProvider } from './oidc-provider.js';
import { generateTokenKeyRing } from '../lambdas/core/token/token-sealing.js';

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
  /**
   * A folder where, once ready, the stack writes `<port>.json` (removed on stop), so
   * `npm run results -- --port <port>` finds this stack among several.
   */
  readonly stateDirectory?: string;
  /** Most execution environments per function, as Lambda's concurrency limit. @default DEFAULT_MAX_ENVIRONMENTS */
  readonly maxEnvironments?: number;
  /** Each cold start of a function's execution environment. */
  readonly onColdStart?: (name: FunctionName | 'pageAuthorizer', environment: number, initMs: number) => void;
  /** The embedded provider's access-token lifetime, short to watch a refresh happen. @default DEFAULT_ACCESS_TOKEN_TTL_SECONDS */
  readonly accessTokenTtlSeconds?: number;
  /** Seconds the session authorizer's answers are cached per Cookie header, as the stack's `authorizerCacheTtl`. @default 0 */
  readonly authorizerCacheTtlSeconds?: number;
}

export interface LocalStack {
  /** On 127.0.0.1 and, where the machine has it, [::1]. */
  readonly port: number;
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
  readonly port: number;
  readonly baseUrl: string;
  readonly dynamoDbEndpoint: string;
  readonly tableName: string;
}

export const DEFAULT_STATE_DIRECTORY = join(BUILD_ROOT, 'stacks');

export function stateFileFor(stateDirectory: string, port: number): string {
  return join(stateDirectory, `${port}.json`);
}
export const LOCAL_TABLE_NAME = 'login-transactions';
export const LOCAL_SESSION_TABLE_NAME = 'login-sessions';
export const LOCAL_LOGOUT_TOKEN_TABLE_NAME = 'logout-tokens';
/** Enough for a thousand concurrent sign-ins on two cores; Lambda's own default limit is higher. */
export const DEFAULT_MAX_ENVIRONMENTS = 8;
/** Registered with the embedded provider when CLIENT_ID is not set. */
export const LOCAL_CLIENT_ID = 'local-demo';
const HOST = '127.0.0.1';
const IPV6_LOOPBACK = '::1';

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(readonly port: number, host: string = HOST) {
    super(`Port ${port} on ${host.includes(':') ? `[${host}]` : host} is already in use; set PORT to a free port`);
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
export async function readLocalStackState(stateFile: string): Promise<LocalStackState | undefined> {
  let parsed: Partial<LocalStackState>;
  try {
    parsed = JSON.parse(await readFile(stateFile, 'utf8')) as Partial<LocalStackState>;
  } catch {
    return undefined;
  }
  const { pid, port, baseUrl, dynamoDbEndpoint, tableName } = parsed;
  if (typeof pid !== 'number' || typeof port !== 'number' || typeof baseUrl !== 'string' || typeof dynamoDbEndpoint !== 'string' || typeof tableName !== 'string') {
    return undefined;
  }
  return isProcessAlive(pid) ? { pid, port, baseUrl, dynamoDbEndpoint, tableName } : undefined;
}

/** Every stack still running that published its state in this folder, by port. */
export async function listLocalStacks(stateDirectory: string): Promise<LocalStackState[]> {
  let entries: string[];
  try {
    entries = await readdir(stateDirectory);
  } catch {
    return [];
  }
  const states = await Promise.all(entries.filter((entry) => /^\d+\.json$/.test(entry)).map((entry) => readLocalStackState(join(stateDirectory, entry))));
  return states.filter((state): state is LocalStackState => state !== undefined).sort((a, b) => a.port - b.port);
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

/** Listens on one address; an optional one (IPv6 loopback) may be missing from the machine, but never taken. */
async function listen(server: Server, port: number, host: string, { optional = false } = {}): Promise<boolean> {
  // A deep accept queue, so a burst of connections waits for the event loop instead of being refused.
  server.listen({ port, host, backlog: 4096 });
  try {
    await once(server, 'listening');
    return true;
  } catch (error) {
    // Not `instanceof Error`: errors from Node's own modules may come from another realm (a test runner's sandbox).
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'EADDRINUSE') throw new PortInUseError(port, host);
    if (optional && code === 'EADDRNOTAVAIL') return false;
    throw error;
  }
}

/** The settings the functions run with: the caller's, plus the embedded provider's issuer when it stands in. */
function resolveConfig(settings: RawSettings, port: number, embeddedIssuer: string | undefined): FlowConfig {
  const baseUrl = settings.baseUrl ?? `http://localhost:${port}`;
  // The proxy forwards to the demo API on this stack unless API_URL names another.
  const withDefaults: RawSettings = { ...settings, baseUrl, apiUrl: settings.apiUrl ?? `${baseUrl.replace(/\/+$/, '')}${DEMO_API_PATH}` };
  return parseConfig(
    embeddedIssuer === undefined
      ? withDefaults
      : {
          ...withDefaults,
          issuerUrl: embeddedIssuer,
          clientId: settings.clientId ?? LOCAL_CLIENT_ID,
          // The embedded provider's API and the demo's permissions, with a refresh token.
          audience: settings.audience ?? LOCAL_AUDIENCE,
          scope: settings.scope ?? LOCAL_SCOPE,
          // Derived from the issuer, so it always points at the embedded provider's /authorize.
          authorizationEndpoint: undefined,
          // The embedded provider advertises authorization_response_iss_parameter_supported.
          requireIss: 'true',
        },
    envLabel,
  );
}

type PooledFunction = FunctionName | 'pageAuthorizer';

/** Each function gets only what its deployed twin gets: its tables, and the secret for the callback alone. */
function functionEnvironments(config: FlowConfig, dynamoDbEndpoint: string, clientSecret: string | undefined, tokenKeys: string): Record<PooledFunction, Record<string, string>> {
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
  const secret: Record<string, string> = clientSecret === undefined ? {} : { [CLIENT_SECRET_ENV]: clientSecret };
  // Local only: a deployed function reads its key ring from Secrets Manager and refuses this variable.
  const keys = { [TOKEN_KEYS_ENV]: tokenKeys };
  return {
    login: { ...common, ...transactions },
    callback: { ...common, ...transactions, ...sessions, ...secret, ...keys },
    session: { ...common, ...sessions, [APP_PAGE_PATH_ENV]: HELLO_PAGE_PATH },
    logout: { ...common, ...sessions, ...secret, ...keys },
    authorizer: { ...common, ...sessions, [AUTHORIZER_MODE_ENV]: 'require' },
    pageAuthorizer: { ...common, ...sessions, [AUTHORIZER_MODE_ENV]: 'optional' },
    backchannelLogout: { ...common, ...sessions, [LOGOUT_TOKEN_TABLE_NAME_ENV]: LOCAL_LOGOUT_TOKEN_TABLE_NAME },
    demo: { [SETTINGS.baseUrl.envVar]: config.baseUrl },
    apiProxy: { ...common, ...sessions, ...secret, ...keys },
    demoApi: {},
  };
}

/** The bundle each pooled function runs: the page authorizer is the authorizer bundle in its other mode. */
const BUNDLE_OF: Record<PooledFunction, FunctionName> = {
  login: 'login',
  callback: 'callback',
  session: 'session',
  logout: 'logout',
  authorizer: 'authorizer',
  pageAuthorizer: 'authorizer',
  backchannelLogout: 'backchannelLogout',
  demo: 'demo',
  apiProxy: 'apiProxy',
  demoApi: 'demoApi',
};

function httpHandler(pool: FunctionPool): LambdaHttpHandler {
  return async (event) => (await pool.invoke(event)) as APIGatewayProxyStructuredResultV2;
}

function authorizerHandler(pool: FunctionPool): LambdaAuthorizerHandler {
  return async (event) => {
    const result = (await pool.invoke(event)) as Partial<APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>>;
    if (typeof result?.isAuthorized !== 'boolean') throw new Error('the authorizer answered something other than a simple response');
    return { isAuthorized: result.isAuthorized, context: result.context ?? {} };
  };
}

function homePage(config: FlowConfig, embeddedProvider: boolean): LambdaHttpHandler {
  const response = pageResponse(200, {
    title: 'Serverless OIDC login, running locally',
    paragraphs: [
      'This is the sign-in of the AWS deployment running on this machine: the same function bundles, behind a stand-in for API Gateway (authorizers included), with DynamoDB Local as the tables.',
      embeddedProvider
        ? 'An embedded OpenID provider stands in for Auth0: sign in with any user name and password, then approve the consent screen.'
        : `Sign-in happens at ${config.issuer}.`,
      'You land back on a page that says who signed in, with a button to sign out. /me answers the session as JSON; /hello is the demo app\'s API behind the session authorizer, /hello/page its page. Run "npm run results" in a terminal to see what was recorded.',
    ],
    links: [{ href: `${config.baseUrl}/login`, label: 'Sign in' }],
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
    const routes = new Map<string, RouteTarget>();
    let ready = false;
    const listener = createApiGatewayListener({ routes, domainName: new URL(config.baseUrl).hostname, onResponse: options.onRequest });
    const servers = [HOST, IPV6_LOOPBACK].map(() =>
      createServer((request, response) => {
        // Until every route works, say so rather than answer 404 to a health check or an eager script.
        if (!ready) {
          response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', 'cache-control': 'no-store' });
          response.end(JSON.stringify({ message: 'Service Unavailable' }));
          return;
        }
        listener(request, response);
      }),
    );
    // First, so a taken port fails in milliseconds rather than after DynamoDB Local has started.
    // Both loopback addresses: a browser's `localhost` may be either, and another app on one of them would take its requests.
    const [ipv4Server, ipv6Server] = servers as [Server, Server];
    await listen(ipv4Server, port, HOST);
    cleanups.push(() => closeServer(ipv4Server));
    if (await listen(ipv6Server, port, IPV6_LOOPBACK, { optional: true })) cleanups.push(() => closeServer(ipv6Server));

    const outdir = await createBuildDirectory();
    cleanups.push(() => rm(outdir, { recursive: true, force: true }));

    const [dynamoDbStart, buildStart, providerStart] = await Promise.allSettled([
      started(cleanups, startDynamoDbLocal(), (instance) => instance.stop).then(async (instance) => {
        await Promise.all([
          createFlowTable(instance.endpoint, LOCAL_TABLE_NAME),
          createSessionsTable(instance.endpoint, LOCAL_SESSION_TABLE_NAME),
          createFlowTable(instance.endpoint, LOCAL_LOGOUT_TOKEN_TABLE_NAME),
        ]);
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
              backchannelLogoutUri: `${config.baseUrl}/backchannel-logout`,
              port: providerPort,
              ...(config.audience === undefined ? {} : { audience: config.audience }),
              ...(options.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
            }),
            (provider) => provider.stop,
          ),
    ]);
    const dynamoDb = settledValue(dynamoDbStart);
    const build = settledValue(buildStart);
    settledValue(providerStart);

    const environments = functionEnvironments(config, dynamoDb.endpoint, clientSecret, generateTokenKeyRing());
    const names = Object.keys(BUNDLE_OF) as PooledFunction[];
    const startPool = (name: PooledFunction): Promise<FunctionPool> =>
      started(
        cleanups,
        startFunctionPool({
          name: BUNDLE_OF[name],
          build,
          env: environments[name],
          maxEnvironments: options.maxEnvironments ?? DEFAULT_MAX_ENVIRONMENTS,
          ...(options.onFunctionLog === undefined ? {} : { onLog: options.onFunctionLog }),
          ...(options.onColdStart === undefined ? {} : { onColdStart: (_bundle, environment, initMs) => options.onColdStart?.(name, environment, initMs) }),
        }),
        (pool) => pool.stop,
      );
    const startedPools = (await Promise.allSettled(names.map(startPool))).map(settledValue);
    const pools = new Map(names.map((name, index) => [name, startedPools[index]]));
    const pool = (name: PooledFunction): FunctionPool => {
      const found = pools.get(name);
      if (found === undefined) throw new Error(`no pool for ${name}`);
      return found;
    };
    const sessionAuthorizer: LocalAuthorizer = {
      handler: authorizerHandler(pool('authorizer')),
      identitySource: ['$request.header.Cookie'],
      cacheTtlSeconds: options.authorizerCacheTtlSeconds ?? 0,
    };
    const pageAuthorizer: LocalAuthorizer = { handler: authorizerHandler(pool('pageAuthorizer')), identitySource: ['$context.requestId'], cacheTtlSeconds: 0 };
    routes.set('GET /', homePage(config, embeddedProvider));
    routes.set(LOGIN_ROUTE, httpHandler(pool('login')));
    routes.set(CALLBACK_ROUTE, httpHandler(pool('callback')));
    for (const route of [ME_ROUTE, SIGNED_IN_ROUTE, NOT_FOUND_ROUTE]) routes.set(route, httpHandler(pool('session')));
    for (const route of [LOGOUT_ROUTE, LOGOUT_POST_ROUTE, SIGNED_OUT_ROUTE]) routes.set(route, httpHandler(pool('logout')));
    routes.set(BACKCHANNEL_LOGOUT_ROUTE, httpHandler(pool('backchannelLogout')));
    routes.set(HELLO_ROUTE, { handler: httpHandler(pool('demo')), authorizer: sessionAuthorizer });
    routes.set(HELLO_PAGE_ROUTE, { handler: httpHandler(pool('demo')), authorizer: pageAuthorizer });
    routes.set(API_PROXY_ROUTE, httpHandler(pool('apiProxy')));
    if (config.audience !== undefined) {
      routes.set(WHOAMI_ROUTE, { handler: httpHandler(pool('demoApi')), jwtAuthorizer: { issuer: config.issuer, audience: [config.audience], jwksUri: config.jwksUri } });
    }
    ready = true;

    if (options.stateDirectory !== undefined) {
      cleanups.push(
        await publishState(stateFileFor(options.stateDirectory, port), {
          pid: process.pid,
          port,
          baseUrl: config.baseUrl,
          dynamoDbEndpoint: dynamoDb.endpoint,
          tableName: LOCAL_TABLE_NAME,
        }),
      );
    }
    return {
      port,
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
