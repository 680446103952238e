import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BINDING_COOKIE_NAME } from '../lambdas/core/binding.js';
import { DEFAULT_SESSION_IDLE_SECONDS, SETTINGS } from '../lambdas/core/config.js';
import { AUTHORIZER_MODE_ENV, CLIENT_SECRET_ENV, LOGOUT_TOKEN_TABLE_NAME_ENV, SESSION_TABLE_NAME_ENV } from '../lambdas/core/contract.js';
import { randomToken } from '../lambdas/core/encoding.js';
import { SESSION_COOKIE_NAME } from '../lambdas/core/session/session.js';
import { BACKCHANNEL_LOGOUT_ROUTE } from '../lambdas/backchannel-logout/app.js';
import { CALLBACK_ROUTE } from '../lambdas/callback/app.js';
import { HELLO_ROUTE } from '../lambdas/demo/app.js';
import { LOGIN_ROUTE } from '../lambdas/login/app.js';
import { LOGOUT_POST_ROUTE } from '../lambdas/logout/app.js';
import { ME_ROUTE } from '../lambdas/session/app.js';
import type { FunctionName } from '../lib/bundling.js';
import { BENCH_BUILD_DIR, FUNCTION_NAMES, buildBundles, buildProbes, type Bundles, type Probes, type Variant } from './build.js';
import { BUNDLE_BUDGET_BYTES, DYNAMODB_COMMANDS } from './bundle-report.js';
import { ServiceGroup, startProviderService, startStubService, type ProviderService, type StubService } from './child.js';
import {
  COLD_RUNS,
  WARM_INVOCATIONS,
  WARM_UP_INVOCATIONS,
  measureColdStarts,
  measureWarm,
  summarizeColdStarts,
  type ColdSummary,
  type WarmSummary,
} from './measure.js';
import { costPerMillionColdStarts, costPerMillionFlows } from './prices.js';
import type { ColdReport, InvocationSpec } from './probes/messages.js';
import { JWKS_PATH, TOKEN_PATH } from './provider-stub.js';
import { renderMarkdown, type BenchResults, type FunctionResult, type RedemptionResult, type TargetCheck } from './report.js';
import { readFunctionSettings, type FunctionSettings } from './stack-settings.js';
import { median } from './stats.js';
import { LOAD, measureThroughput, type LoadTarget, type ThroughputResult } from './throughput.js';

/** Ignored by git: a run's report is a measurement of one machine at one moment; the README keeps the recorded one. */
const RESULTS_DIR = fileURLToPath(new URL('../.build/bench/', import.meta.url));
const TABLE_NAME = 'bench-transactions';
const SESSIONS_TABLE_NAME = 'bench-sessions';
const LOGOUT_TOKENS_TABLE_NAME = 'bench-logout-tokens';
const ISSUER_URL = 'https://tenant.example.test/';
const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-client-secret';
const SERVICE_TIMEOUT_MS = 30_000;
const VARIANTS: readonly Variant[] = ['optimized', 'naive'];
/**
 * The functions timed here. Not yet the token-handler proxy (its invocation needs a session holding
 * sealed tokens and an API behind it, which the DynamoDB stub does not serve) nor the demo API (it
 * needs the JWT authorizer's claims); their bundles are still checked against their budgets
 * (test/bench/bundle-contents.test.ts).
 */
type TimedFunction = Exclude<FunctionName, 'apiProxy' | 'demoApi'>;
const TIMED_FUNCTIONS = FUNCTION_NAMES.filter((name): name is TimedFunction => name !== 'apiProxy' && name !== 'demoApi');
/** Each function's answer on the success path: an HTTP status code, or the authorizer's verdict. */
const EXPECTED_OUTCOME: Record<TimedFunction, string> = {
  login: '302',
  callback: '303',
  session: '200',
  logout: '302',
  authorizer: 'authorized',
  backchannelLogout: '200',
  demo: '200',
};
/**
 * The functions load-tested through the API Gateway adapter on their own routes. The authorizer is
 * not a route, the demo app is only reached through it, and each back-channel logout needs a
 * logout token of its own, which a load generator replaying one request cannot send.
 */
const LOADED_FUNCTIONS: readonly TimedFunction[] = ['login', 'callback', 'session', 'logout'];
/** Logout tokens asked of the provider's stand-in at a time, so each request ends well inside its timeout. */
const LOGOUT_TOKENS_PER_REQUEST = 1000;
/** The functions a sign-in runs, which the cost model prices. */
const FLOW_FUNCTIONS: readonly FunctionName[] = ['login', 'callback'];

/** The issue's targets besides the bundle budgets (bundle-report.ts). */
const TARGETS = { coldExtraP50Ms: 60, firstInvocationP50Ms: 10, warmP50Ms: 2, warmP99Ms: 5, providerConnections: 1, jwksFetches: 1 } as const;

/** What the DynamoDB stub's consumed transactions carry and the provider's stand-in expects and signs. */
interface ConsumedSecrets {
  readonly codeVerifier: string;
  readonly nonce: string;
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/**
 * The environment Lambda gives a function, with the stack's settings, pointed at the stub. The
 * credentials are placeholders: the stub checks the SigV4 header's shape, not the key.
 */
function functionEnvironment(endpoint: string, providerOrigin: string, deployed: FunctionSettings): Record<string, string> {
  return {
    ISSUER_URL,
    CLIENT_ID,
    BASE_URL: 'https://login.example.test',
    TABLE_NAME,
    [SESSION_TABLE_NAME_ENV]: SESSIONS_TABLE_NAME,
    [LOGOUT_TOKEN_TABLE_NAME_ENV]: LOGOUT_TOKENS_TABLE_NAME,
    [AUTHORIZER_MODE_ENV]: 'require',
    // The stack gives every function the provider's settings; the back-channel logout fetches its keys here.
    [SETTINGS.jwksUri.envVar]: `${providerOrigin}${JWKS_PATH}`,
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIABENCHEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_EXECUTION_ENV: `AWS_Lambda_${deployed.runtime}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.memoryMb),
    // Lambda runs Node 24; on an older local Node the SDK would print a warning the functions never print.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/**
 * What each function is invoked with. The stub answers every well-formed request with success, so
 * a callback only needs a well-formed state, code and binding cookie to take the full success path,
 * and any well-formed session cookie names an active session (for the authorizer too, which is
 * invoked as API Gateway invokes it before GET /hello). The demo app gets the context the
 * authorizer gives a signed-in user. The back-channel logout's body, a logout token used once, is
 * added per phase (withLogoutToken, withLogoutTokens).
 */
function invocations(): Record<TimedFunction, InvocationSpec> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return {
    login: { routeKey: LOGIN_ROUTE, rawQueryString: 'returnTo=%2Fdashboard' },
    callback: {
      routeKey: CALLBACK_ROUTE,
      rawQueryString: `code=bench-authorization-code&state=${randomToken()}`,
      cookieHeader: `${BINDING_COOKIE_NAME}=${randomToken()}`,
    },
    session: { routeKey: ME_ROUTE, rawQueryString: '', cookieHeader: `${SESSION_COOKIE_NAME}=${randomToken()}` },
    logout: { routeKey: LOGOUT_POST_ROUTE, rawQueryString: '', cookieHeader: `${SESSION_COOKIE_NAME}=${randomToken()}` },
    authorizer: { target: 'authorizer', routeKey: HELLO_ROUTE, rawQueryString: '', cookieHeader: `${SESSION_COOKIE_NAME}=${randomToken()}` },
    backchannelLogout: { routeKey: BACKCHANNEL_LOGOUT_ROUTE, rawQueryString: '', contentType: 'application/x-www-form-urlencoded' },
    demo: {
      routeKey: HELLO_ROUTE,
      rawQueryString: '',
      authorizerContext: { authenticated: true, sub: 'bench|user', name: 'Bench User', sessionExpiresAt: nowSeconds + DEFAULT_SESSION_IDLE_SECONDS },
    },
  };
}

const logoutForm = (token: string): string => new URLSearchParams({ logout_token: token }).toString();

/** `count` logout tokens signed now by the provider's stand-in, a request at a time. */
async function logoutTokens(provider: ProviderService, count: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < count) tokens.push(...(await provider.logoutTokens(Math.min(LOGOUT_TOKENS_PER_REQUEST, count - tokens.length))));
  return tokens;
}

/** The invocation with a logout token of its own, signed just now: a cold start's first. */
async function withLogoutToken(spec: InvocationSpec, provider: ProviderService): Promise<InvocationSpec> {
  const [token] = await provider.logoutTokens(1);
  if (token === undefined) throw new Error("the provider's stand-in signed no logout token");
  return { ...spec, body: logoutForm(token) };
}

/**
 * A warm run's invocations, each with its own logout token, signed just before the run by the
 * provider's stand-in: signing is the provider's work, never in the function's time or CPU.
 */
async function withLogoutTokens(spec: InvocationSpec, provider: ProviderService, count: number): Promise<InvocationSpec> {
  const bodiesFile = join(BENCH_BUILD_DIR, 'logout-tokens.txt');
  await writeFile(bodiesFile, `${(await logoutTokens(provider, count)).map(logoutForm).join('\n')}\n`);
  return { ...spec, bodiesFile };
}

/** What every timed phase works with. */
interface Context {
  readonly probes: Probes;
  readonly bundles: Bundles;
  readonly specs: Record<TimedFunction, InvocationSpec>;
  /** Each function's environment, pointed at the stub. */
  readonly env: Record<string, string>;
  readonly stub: StubService;
  /** The provider's stand-in: token endpoint, JWKS, and the signer of logout tokens. */
  readonly provider: ProviderService;
}

const keyOf = (variant: Variant, name: FunctionName): string => `${variant}/${name}`;

function required<T>(map: ReadonlyMap<string, T>, key: string): T {
  const value = map.get(key);
  if (value === undefined) throw new Error(`no result for ${key}`);
  return value;
}

/** Cold starts of every bundle and of the empty module, interleaved round by round. */
async function coldStarts({ probes, bundles, specs, env, provider }: Context) {
  progress(`cold starts: ${COLD_RUNS} rounds`);
  // Each back-channel logout's first invocation gets a token signed just before its process starts.
  const firstInvocation = (name: TimedFunction): InvocationSpec | (() => Promise<InvocationSpec>) =>
    name === 'backchannelLogout' ? () => withLogoutToken(specs[name], provider) : specs[name];
  const cold = await measureColdStarts(
    probes,
    [
      { key: 'empty', file: probes.emptyModule },
      ...VARIANTS.flatMap((variant) =>
        TIMED_FUNCTIONS.map((name) => ({ key: keyOf(variant, name), file: bundles[variant][name].file, firstInvocation: firstInvocation(name) })),
      ),
    ],
    env,
    COLD_RUNS,
  );
  const empty: readonly ColdReport[] = required(cold, 'empty');
  const summaries = new Map<string, ColdSummary>();
  for (const variant of VARIANTS) {
    for (const name of TIMED_FUNCTIONS) {
      const summary = summarizeColdStarts(required(cold, keyOf(variant, name)), empty);
      if (summary.firstInvocationOutcomes.some((outcome) => outcome !== EXPECTED_OUTCOME[name])) {
        throw new Error(`${variant} ${name}: first invocations answered ${summary.firstInvocationOutcomes.join(', ')}`);
      }
      summaries.set(keyOf(variant, name), summary);
    }
  }
  return { summaries, emptyImportP50Ms: median(empty.map((report) => report.importMs)) };
}

const methodOf = (spec: InvocationSpec): string => spec.routeKey.split(' ')[0] ?? 'GET';
const pathOf = (spec: InvocationSpec): string => {
  const path = spec.routeKey.split(' ')[1] ?? '/';
  return spec.rawQueryString === '' ? path : `${path}?${spec.rawQueryString}`;
};

/**
 * Both variants' functions behind the adapter, the login with its write skipped, and the Express
 * baseline: all running while autocannon takes them in turns.
 */
async function throughputs({ probes, bundles, specs, env, stub }: Context) {
  progress(`throughput: ${LOAD.rounds} runs of ${LOAD.secondsPerRound} s per target, in turns`);
  const services = new ServiceGroup();
  try {
    const targets: LoadTarget[] = [];
    for (const variant of VARIANTS) {
      const adapter = await services.start(probes.scripts['adapter-server'], {
        args: LOADED_FUNCTIONS.map((name) => `${specs[name].routeKey}=${bundles[variant][name].file}`),
        env,
        timeoutMs: SERVICE_TIMEOUT_MS,
      });
      for (const name of LOADED_FUNCTIONS) {
        const spec = specs[name];
        targets.push({
          key: keyOf(variant, name),
          url: `http://127.0.0.1:${adapter.port}${pathOf(spec)}`,
          method: methodOf(spec),
          ...(spec.cookieHeader === undefined ? {} : { headers: { cookie: spec.cookieHeader } }),
          expectedStatus: Number(EXPECTED_OUTCOME[name]),
          cpuMeters: { server: adapter.cpuMicros, dynamoDbStub: stub.cpuMicros },
        });
      }
    }
    const withoutStore = await services.start(probes.scripts['adapter-server'], {
      args: [`${specs.login.routeKey}=${probes.scripts['login-without-store']}`],
      env,
      timeoutMs: SERVICE_TIMEOUT_MS,
    });
    targets.push({ key: 'login-without-store', url: `http://127.0.0.1:${withoutStore.port}${pathOf(specs.login)}`, expectedStatus: 302, cpuMeters: { server: withoutStore.cpuMicros } });
    const express = await services.start(probes.scripts['express-server'], { env: {}, timeoutMs: SERVICE_TIMEOUT_MS });
    targets.push({ key: 'express/login', url: `http://127.0.0.1:${express.port}/login`, expectedStatus: 302, cpuMeters: { server: express.cpuMicros } });
    return await measureThroughput(targets);
  } finally {
    await services.stopAll();
  }
}

async function warmRuns({ probes, bundles, specs, env, stub, provider }: Context) {
  const summaries = new Map<string, WarmSummary>();
  for (const variant of VARIANTS) {
    for (const name of TIMED_FUNCTIONS) {
      const spec = name === 'backchannelLogout' ? await withLogoutTokens(specs[name], provider, WARM_UP_INVOCATIONS + WARM_INVOCATIONS) : specs[name];
      progress(`warm: ${variant} ${name}, ${WARM_INVOCATIONS} invocations`);
      const warm = await measureWarm(probes, bundles[variant][name].file, spec, env, stub);
      if (Object.keys(warm.outcomes).some((outcome) => outcome !== EXPECTED_OUTCOME[name]) || warm.stubRejected > 0) {
        throw new Error(`${variant} ${name}: unexpected outcomes ${JSON.stringify(warm.outcomes)}, ${warm.stubRejected} rejected by the stub`);
      }
      summaries.set(keyOf(variant, name), warm);
    }
  }
  progress('warm: bare loopback round trip (the floor), and the login without its write');
  const floor = await measureWarm(probes, probes.scripts['loopback-handler'], { routeKey: 'GET /ping', rawQueryString: '' }, env, stub);
  const withoutStore = await measureWarm(probes, probes.scripts['login-without-store'], specs.login, env, stub);
  return { summaries, floor, withoutStore };
}

/**
 * The callback with a client secret, which the stack deploys when one is configured: each
 * invocation consumes the transaction, redeems the code at the provider's stand-in (a freshly
 * signed ID token each time), verifies it against the cached JWKS and writes the sign-in and the
 * session in one transaction. Only the optimized bundle: the naive one runs the same code.
 */
async function redemptionRun({ probes, bundles, specs, env, stub, provider }: Context): Promise<RedemptionResult> {
  progress(`warm: callback with redemption, ${WARM_INVOCATIONS} invocations`);
  const redeeming = {
    ...env,
    [SETTINGS.tokenEndpoint.envVar]: `http://127.0.0.1:${provider.port}${TOKEN_PATH}`,
    [CLIENT_SECRET_ENV]: CLIENT_SECRET,
  };
  await provider.request({ command: 'reset' });
  const cpuBefore = await provider.cpuMicros();
  const warm = await measureWarm(probes, bundles.optimized.callback.file, specs.callback, redeeming, stub);
  const providerCpuMicros = (await provider.cpuMicros()) - cpuBefore;
  const stats = await provider.request({ command: 'stats' });
  const signedIn = warm.cookiesSet[SESSION_COOKIE_NAME] ?? 0;
  if (Object.keys(warm.outcomes).some((outcome) => outcome !== EXPECTED_OUTCOME.callback) || signedIn !== warm.invocations || warm.stubRejected + stats.rejected > 0) {
    throw new Error(
      `callback with redemption: answered ${JSON.stringify(warm.outcomes)}, ${signedIn} session cookies set, ` +
        `${warm.stubRejected} requests rejected by the DynamoDB stub, ${stats.rejected} by the provider's stand-in`,
    );
  }
  const tokenRequests = stats.requests.token ?? 0;
  return {
    warm,
    providerConnections: stats.connections,
    tokenRequests,
    jwksFetches: stats.requests.jwks ?? 0,
    providerCpuMicrosPerTokenRequest: providerCpuMicros / tokenRequests,
  };
}

/** Every timed phase, one after another, against one DynamoDB stub process and one provider stand-in. */
async function measureAll(probes: Probes, bundles: Bundles, specs: Record<TimedFunction, InvocationSpec>, deployed: FunctionSettings) {
  const consumed: ConsumedSecrets = { codeVerifier: randomToken(), nonce: randomToken() };
  const services = { env: {}, timeoutMs: SERVICE_TIMEOUT_MS };
  const stub = await startStubService(probes.scripts['dynamodb-stub'], {
    ...services,
    args: [TABLE_NAME, SESSIONS_TABLE_NAME, LOGOUT_TOKENS_TABLE_NAME, consumed.codeVerifier, consumed.nonce],
  });
  const provider = await startProviderService(probes.scripts['provider-stub'], {
    ...services,
    args: [ISSUER_URL, CLIENT_ID, CLIENT_SECRET, consumed.codeVerifier, consumed.nonce],
  }).catch(async (error: unknown) => {
    await stub.stop();
    throw error;
  });
  try {
    const env = functionEnvironment(`http://127.0.0.1:${stub.port}`, `http://127.0.0.1:${provider.port}`, deployed);
    const context: Context = { probes, bundles, specs, env, stub, provider };
    return {
      cold: await coldStarts(context),
      throughput: await throughputs(context),
      warm: await warmRuns(context),
      redemption: await redemptionRun(context),
    };
  } finally {
    await Promise.all([stub.stop(), provider.stop()]);
  }
}

function checkTargets(functions: readonly FunctionResult[], expressLogin: ThroughputResult, redemption: RedemptionResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const { variant, name, bundle, cold, warm, throughput } of functions) {
    if (variant !== 'optimized') continue;
    const budget = BUNDLE_BUDGET_BYTES[name];
    // One kept-alive connection to DynamoDB throughout; none for a function that never calls it.
    const connections = DYNAMODB_COMMANDS[name].length === 0 ? 0 : 1;
    checks.push(
      { label: `${name}: bundle size`, value: `${(bundle.bytes / 1024).toFixed(1)} KB`, target: `≤ ${budget / 1024} KB`, met: bundle.bytes <= budget },
      { label: `${name}: unneeded SDK parts`, value: bundle.unneeded.map((part) => part.label).join(', ') || 'none', target: 'none', met: bundle.unneeded.length === 0 },
      { label: `${name}: cold init over empty, p50`, value: `${cold.extraP50Ms.toFixed(1)} ms`, target: '≤ 60 ms', met: cold.extraP50Ms <= TARGETS.coldExtraP50Ms },
      {
        label: `${name}: first invocation after init, p50`,
        value: `${cold.firstInvocationP50Ms.toFixed(1)} ms`,
        target: `≤ ${TARGETS.firstInvocationP50Ms} ms`,
        met: cold.firstInvocationP50Ms <= TARGETS.firstInvocationP50Ms,
      },
      { label: `${name}: warm p50`, value: `${warm.p50Ms.toFixed(2)} ms`, target: '≤ 2 ms', met: warm.p50Ms <= TARGETS.warmP50Ms },
      { label: `${name}: warm p99`, value: `${warm.p99Ms.toFixed(2)} ms`, target: '≤ 5 ms', met: warm.p99Ms <= TARGETS.warmP99Ms },
      { label: `${name}: TCP connections, warm`, value: String(warm.tcpConnections), target: String(connections), met: warm.tcpConnections === connections },
    );
    if (name === 'login' && throughput !== undefined) {
      checks.push({
        label: 'login: req/s through the adapter vs express-openid-connect',
        value: `${throughput.requestsPerSecond.toFixed(0)} vs ${expressLogin.requestsPerSecond.toFixed(0)}`,
        target: '≥ 1×',
        met: throughput.requestsPerSecond >= expressLogin.requestsPerSecond,
      });
    }
  }
  checks.push(
    {
      label: 'callback with redemption: TCP connections to the token endpoint, warm',
      value: String(redemption.providerConnections),
      target: String(TARGETS.providerConnections),
      met: redemption.providerConnections === TARGETS.providerConnections,
    },
    {
      label: 'callback with redemption: JWKS fetches, warm',
      value: String(redemption.jwksFetches),
      target: String(TARGETS.jwksFetches),
      met: redemption.jwksFetches === TARGETS.jwksFetches,
    },
  );
  return checks;
}

function costs(functions: readonly FunctionResult[], deployed: FunctionSettings): BenchResults['cost'] {
  const costOf = (variant: Variant) => {
    const ofVariant = functions.filter((result) => result.variant === variant && FLOW_FUNCTIONS.includes(result.name));
    const billedMsPerFlow = ofVariant.reduce((sum, result) => sum + result.warm.meanBilledMs, 0);
    return {
      billedMsPerFlow,
      perMillionFlows: costPerMillionFlows(billedMsPerFlow, deployed.memoryMb),
      perMillionColdStartsUsd: ofVariant.reduce((sum, result) => sum + costPerMillionColdStarts(result.cold.importP50Ms, deployed.memoryMb), 0),
    };
  };
  return { optimized: costOf('optimized'), naive: costOf('naive') };
}

async function main(): Promise<void> {
  const loadAverageStart = loadavg()[0] ?? 0;
  if (loadAverageStart > 0.5) progress(`load average is ${loadAverageStart.toFixed(2)}: other work on this machine will skew the figures`);
  progress('reading the deployed settings from the stack');
  const deployed = await readFunctionSettings();
  progress('building bundles and probes');
  const [bundles, probes] = await Promise.all([buildBundles(), buildProbes()]);
  const specs = invocations();

  const measured = await measureAll(probes, bundles, specs, deployed);
  const functions: FunctionResult[] = VARIANTS.flatMap((variant) =>
    TIMED_FUNCTIONS.map((name) => {
      const key = keyOf(variant, name);
      return {
        variant,
        name,
        bundle: bundles[variant][name].contents,
        cold: required(measured.cold.summaries, key),
        warm: required(measured.warm.summaries, key),
        throughput: measured.throughput.get(key),
      };
    }),
  );
  const expressLogin = required(measured.throughput, 'express/login');
  const cpu = cpus()[0];
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    machine: {
      cpuModel: cpu?.model.trim() ?? 'unknown',
      cpus: cpus().length,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverageStart,
      loadAverageEnd: loadavg()[0] ?? 0,
    },
    deployed,
    method: {
      coldRuns: COLD_RUNS,
      warmInvocations: WARM_INVOCATIONS,
      warmUpInvocations: WARM_UP_INVOCATIONS,
      load: { connections: LOAD.connections, rounds: LOAD.rounds, secondsPerRound: LOAD.secondsPerRound, warmupSeconds: LOAD.warmupSeconds },
    },
    emptyModuleImportP50Ms: measured.cold.emptyImportP50Ms,
    functions,
    loopbackFloor: measured.warm.floor,
    loginWithoutStore: { warm: measured.warm.withoutStore, throughput: required(measured.throughput, 'login-without-store') },
    expressLogin,
    callbackWithRedemption: measured.redemption,
    cost: costs(functions, deployed),
    targets: checkTargets(functions, expressLogin, measured.redemption),
  };

  const markdown = renderMarkdown(results);
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, 'latest.md'), markdown);
  await writeFile(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(markdown);
  progress(`written to ${join(RESULTS_DIR, 'latest.md')} and latest.json`);
}

await main();
