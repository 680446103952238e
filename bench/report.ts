import type { FunctionName } from '../lib/bundling.js';
import type { Variant } from './build.js';
import type { BundleContents } from './bundle-report.js';
import type { ColdSummary, WarmSummary } from './measure.js';
import { PRICES_USD, type FlowCost } from './prices.js';
import type { FunctionSettings } from './stack-settings.js';
import type { ThroughputResult } from './throughput.js';

export interface FunctionResult {
  readonly variant: Variant;
  readonly name: FunctionName;
  readonly bundle: BundleContents;
  readonly cold: ColdSummary;
  readonly warm: WarmSummary;
  /** Through the API Gateway adapter under load; only for the functions load-tested on their own routes. */
  readonly throughput: ThroughputResult | undefined;
}

/** The callback with a client secret set: it redeems each code at the token endpoint's stand-in. */
export interface RedemptionResult {
  readonly warm: WarmSummary;
  /** TCP connections the provider's stand-in (token endpoint and JWKS, one origin) accepted, warm-up included. */
  readonly providerConnections: number;
  readonly tokenRequests: number;
  readonly jwksFetches: number;
  /** The stand-in's own CPU per token request, mostly signing the ID token: part of each latency, not of the function's CPU. */
  readonly providerCpuMicrosPerTokenRequest: number;
}

export interface TargetCheck {
  readonly label: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean;
}

export interface BenchResults {
  readonly generatedAt: string;
  readonly machine: {
    readonly cpuModel: string;
    readonly cpus: number;
    readonly node: string;
    readonly platform: string;
    /** One-minute load average before and after: other work on the machine skews every figure. */
    readonly loadAverageStart: number;
    readonly loadAverageEnd: number;
  };
  readonly deployed: FunctionSettings;
  readonly method: {
    readonly coldRuns: number;
    readonly warmInvocations: number;
    readonly warmUpInvocations: number;
    readonly load: { readonly connections: number; readonly rounds: number; readonly secondsPerRound: number; readonly warmupSeconds: number };
  };
  readonly emptyModuleImportP50Ms: number;
  readonly functions: readonly FunctionResult[];
  /** A bare HTTP round trip to the stub through the same warm loop: the machine's floor. */
  readonly loopbackFloor: WarmSummary;
  /** The login handler with its DynamoDB write replaced by a no-op: the project's own code alone. */
  readonly loginWithoutStore: { readonly warm: WarmSummary; readonly throughput: ThroughputResult };
  readonly expressLogin: ThroughputResult;
  readonly callbackWithRedemption: RedemptionResult;
  readonly cost: Readonly<Record<Variant, { readonly billedMsPerFlow: number; readonly perMillionFlows: FlowCost; readonly perMillionColdStartsUsd: number }>>;
  readonly targets: readonly TargetCheck[];
}

const KIB = 1024;
const fixed = (value: number, digits = 1): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const kib = (bytes: number): string => `${fixed(bytes / KIB)} KB`;
const ms = (value: number, digits = 2): string => `${fixed(value, digits)} ms`;
const usd = (value: number): string => `$${fixed(value, 4)}`;
const micros = (value: number | undefined): string => (value === undefined ? '–' : `${fixed(value, 0)} µs`);
/** The baseline's figure over this project's: above 1 means the baseline is bigger, slower or costlier. */
const ratio = (baseline: number, ours: number): string => `${fixed(baseline / ours)}×`;

function find(results: BenchResults, variant: Variant, name: FunctionName): FunctionResult {
  const found = results.functions.find((result) => result.variant === variant && result.name === name);
  if (found === undefined) throw new Error(`no results for ${variant} ${name}`);
  return found;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

/** The functions measured, in the order they were. */
function namesOf(results: BenchResults): FunctionName[] {
  return [...new Set(results.functions.map((result) => result.name))];
}

/** The side-by-side table: this project's functions and the naive bundles of the same code, with ratios. */
function functionsTable(results: BenchResults): string {
  const names = namesOf(results);
  const ours = names.map((name) => find(results, 'optimized', name));
  const naive = names.map((name) => find(results, 'naive', name));
  const metric = (label: string, format: (result: FunctionResult) => string, value?: (result: FunctionResult) => number | undefined): string[] => [
    label,
    ...ours.map(format),
    ...naive.map((result, i) => {
      const mine = ours[i];
      const theirs = value?.(result);
      const own = mine === undefined ? undefined : value?.(mine);
      return theirs === undefined || own === undefined ? format(result) : `${format(result)} (${ratio(theirs, own)})`;
    }),
  ];
  // '–' where a function was not load-tested on its own route (see the note under the table).
  const loaded = (format: (throughput: ThroughputResult) => string) => (r: FunctionResult): string => (r.throughput === undefined ? '–' : format(r.throughput));
  return table(
    ['', ...names, ...names.map((name) => `${name}, naive bundle (a)`)],
    [
      metric('Bundle size (minified / naive: unminified)', (r) => kib(r.bundle.bytes), (r) => r.bundle.bytes),
      metric('Unneeded SDK parts bundled', (r) => (r.bundle.unneeded.length === 0 ? 'none' : `${r.bundle.unneeded.length} (${kib(r.bundle.unneeded.reduce((sum, part) => sum + part.bytes, 0))})`)),
      metric('Cold init over empty module, p50 / p90', (r) => `${ms(r.cold.extraP50Ms, 1)} / ${ms(r.cold.extraP90Ms, 1)}`, (r) => r.cold.extraP50Ms),
      metric('First invocation after init, p50 / p90', (r) => `${ms(r.cold.firstInvocationP50Ms, 1)} / ${ms(r.cold.firstInvocationP90Ms, 1)}`, (r) => r.cold.firstInvocationP50Ms),
      metric('Warm invocation p50 / p99', (r) => `${ms(r.warm.p50Ms)} / ${ms(r.warm.p99Ms)}`, (r) => r.warm.p50Ms),
      metric('CPU per warm invocation (all threads, GC included)', (r) => `${fixed(r.warm.cpuMicrosPerInvocation, 0)} µs`, (r) => r.warm.cpuMicrosPerInvocation),
      metric(`TCP connections over ${results.method.warmInvocations.toLocaleString('en-US')} invocations`, (r) => String(r.warm.tcpConnections)),
      metric('Heap growth over those invocations (over their second half)', (r) => `${kib(r.warm.heapGrowthBytes)} (${kib(r.warm.heapGrowthSecondHalfBytes)})`),
      metric(
        'Through the adapter: req/s (p50 / p99 latency)',
        loaded((t) => `${fixed(t.requestsPerSecond, 0)} (${ms(t.latencyP50Ms, 1)} / ${ms(t.latencyP99Ms, 1)})`),
        (r) => (r.throughput === undefined ? undefined : 1 / r.throughput.requestsPerSecond),
      ),
      metric('Through the adapter: server CPU per request', loaded((t) => micros(t.cpuMicrosPerRequest.server)), (r) => r.throughput?.cpuMicrosPerRequest.server),
    ],
  );
}

/**
 * The session authorizer on its own: it runs before every guarded request, so its warm latency
 * and CPU are added to each of them (with API Gateway's authorizer caching off, the stack's default).
 */
function authorizerTable(results: BenchResults): string {
  const { bundle, cold, warm } = find(results, 'optimized', 'authorizer');
  return table(
    ['Session authorizer (before every guarded request)', 'This project'],
    [
      ['Warm invocation p50 / p99', `${ms(warm.p50Ms)} / ${ms(warm.p99Ms)}`],
      ['CPU per warm invocation (all threads, GC included)', micros(warm.cpuMicrosPerInvocation)],
      ['Bundle size', kib(bundle.bytes)],
      ['Cold init over empty module, p50 / p90', `${ms(cold.extraP50Ms, 1)} / ${ms(cold.extraP90Ms, 1)}`],
      ['DynamoDB commands bundled', bundle.dynamoDbCommands.join(', ')],
      [`TCP connections to DynamoDB over ${results.method.warmInvocations.toLocaleString('en-US')} invocations`, String(warm.tcpConnections)],
    ],
  );
}

function loginComparisonTable(results: BenchResults): string {
  const ours = find(results, 'optimized', 'login').throughput;
  if (ours === undefined) throw new Error('the login was not load-tested');
  const express = results.expressLogin;
  const line = (label: string, result: ThroughputResult): string[] => [
    label,
    fixed(result.requestsPerSecond, 0),
    ms(result.latencyP50Ms, 1),
    ms(result.latencyP99Ms, 1),
    micros(result.cpuMicrosPerRequest.server),
    micros(result.cpuMicrosPerRequest.dynamoDbStub),
  ];
  return table(
    ['GET /login', 'req/s', 'latency p50', 'latency p99', 'server CPU per request', 'DynamoDB stub CPU per request'],
    [
      line('This project: adapter + login bundle, one DynamoDB write each', ours),
      line('The same login with its write skipped (adapter + handler alone)', results.loginWithoutStore.throughput),
      line('Express + express-openid-connect (b): state in an encrypted cookie, no write', express),
      ['Ratio, this project / (b)', `${fixed(ours.requestsPerSecond / express.requestsPerSecond, 2)}×`, '', '', `${fixed((ours.cpuMicrosPerRequest.server ?? 0) / (express.cpuMicrosPerRequest.server ?? 1), 2)}×`, ''],
    ],
  );
}

function redemptionTable(results: BenchResults): string {
  const redemption = results.callbackWithRedemption;
  const { warm } = redemption;
  const invocations = `${results.method.warmInvocations.toLocaleString('en-US')} invocations (and ${results.method.warmUpInvocations} warm-up ones)`;
  return table(
    ['Callback with redemption (client secret set)', 'This project'],
    [
      ['Warm invocation p50 / p99', `${ms(warm.p50Ms)} / ${ms(warm.p99Ms)}`],
      ['CPU per warm invocation (all threads, GC included)', micros(warm.cpuMicrosPerInvocation)],
      [`TCP connections to the token endpoint over ${invocations}`, String(redemption.providerConnections)],
      [`JWKS fetches over those invocations (token requests: ${redemption.tokenRequests.toLocaleString('en-US')})`, String(redemption.jwksFetches)],
      ['TCP connections to DynamoDB over those invocations', String(warm.tcpConnections)],
      ['Heap growth over the timed invocations (over their second half)', `${kib(warm.heapGrowthBytes)} (${kib(warm.heapGrowthSecondHalfBytes)})`],
      ["The token endpoint's stand-in: CPU per token request (signing the ID token), inside each latency above", micros(redemption.providerCpuMicrosPerTokenRequest)],
    ],
  );
}

function costTable(results: BenchResults): string {
  const { optimized, naive } = results.cost;
  const line = (label: string, pick: (cost: FlowCost) => number): string[] => [label, usd(pick(optimized.perMillionFlows)), usd(pick(naive.perMillionFlows))];
  return table(
    ['Per million login + callback flows', 'This project', 'Naive bundle (a)'],
    [
      line(`HTTP API (2 requests × $${PRICES_USD.httpApiPerMillionRequests}/M)`, (c) => c.apiGatewayUsd),
      line(`Lambda requests (2 × $${PRICES_USD.lambdaPerMillionRequests}/M)`, (c) => c.lambdaRequestsUsd),
      [
        `Lambda duration (${results.deployed.memoryMb} MB ${results.deployed.architecture}; billed ms per flow: ${fixed(optimized.billedMsPerFlow, 2)} vs ${fixed(naive.billedMsPerFlow, 2)})`,
        usd(optimized.perMillionFlows.lambdaDurationUsd),
        usd(naive.perMillionFlows.lambdaDurationUsd),
      ],
      line(`DynamoDB (2 writes × $${PRICES_USD.dynamoDbPerMillionWriteUnits}/M)`, (c) => c.dynamoDbUsd),
      line('**Total**', (c) => c.totalUsd),
      ['Per million cold starts of both functions: the bundles\' own init (p50), which Lambda bills', usd(optimized.perMillionColdStartsUsd), usd(naive.perMillionColdStartsUsd)],
    ],
  );
}

function contributorsTable(results: BenchResults): string {
  const names = namesOf(results);
  const bundles = names.map((name) => find(results, 'optimized', name).bundle);
  const bytesOf = (module: string, bundle: (typeof bundles)[number]): number => bundle.contributors.find((other) => other.module === module)?.bytes ?? 0;
  const totals = new Map<string, number>();
  for (const bundle of bundles) for (const { module, bytes } of bundle.contributors) totals.set(module, (totals.get(module) ?? 0) + bytes);
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return table(
    ['Top contributors (esbuild metafile), by their bytes over all functions', ...names],
    top.map(([module]) => [module, ...bundles.map((bundle) => kib(bytesOf(module, bundle)))]),
  );
}

export function renderMarkdown(results: BenchResults): string {
  const { machine, deployed, method } = results;
  const floor = results.loopbackFloor;
  return [
    `## Performance`,
    '',
    `Measured by \`npm run bench\` on ${results.generatedAt.slice(0, 10)}: ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node} (${machine.platform}), ` +
      `load average ${fixed(machine.loadAverageStart, 2)} before and ${fixed(machine.loadAverageEnd, 2)} after. ` +
      `Deployed functions: ${deployed.runtime}, ${deployed.architecture}, ${deployed.memoryMb} MB (read from the synthesized stack). ` +
      `Sizes in KB of 1,024 bytes, as esbuild and \`cdk synth\` print them.`,
    '',
    authorizerTable(results),
    '',
    'The authorizer is invoked as API Gateway invokes it before GET /hello (payload 2.0, simple responses, the session cookie as identity source): ' +
      'one consistent GetItem of an active session, answered `isAuthorized: true` with the signed-in context. Method as for every function, below.',
    '',
    functionsTable(results),
    '',
    'Ratios in brackets compare the naive bundle with this project: above 1× means the naive bundle is bigger, slower or costlier.',
    '',
    `Invocations: GET /login; GET /callback without a client secret (the flow stops at the recorded code; with one, below); GET /me and POST /logout with a session cookie; ` +
      `the authorizer as above; POST /backchannel-logout with a form-encoded RS256 logout token, a fresh one (its own \`jti\`) per invocation, signed beforehand by the provider's loopback stand-in ` +
      `(so signing is in neither the latency nor the CPU figures), verified against that stand-in's JWKS, then recorded (PutItem), its \`sid\`'s session found (Query) and ended (DeleteItem); ` +
      `GET /hello to the demo app with the context the authorizer gives a signed-in user (no AWS call). ` +
      `Throughput (–): only the functions with routes of their own that a replayed request can drive; the authorizer is no route, the demo app sits behind it, and a logout token is good once. ` +
      `Cold init: ${method.coldRuns} fresh Node processes per bundle, each importing it (which builds the DynamoDB client and awaits its store's warm-up request) ` +
      `and then making one invocation, timed on its own as the first invocation after init; ` +
      `the empty module's import took ${ms(results.emptyModuleImportP50Ms, 2)} (p50). ` +
      `Warm: ${method.warmInvocations.toLocaleString('en-US')} sequential invocations per function after ${method.warmUpInvocations} warm-up ones, ` +
      `against a loopback DynamoDB stub in its own process (real SDK path: serialize, sign, send, parse). ` +
      `A bare HTTP round trip to that stub through the same loop takes ${ms(floor.p50Ms)} p50 / ${ms(floor.p99Ms)} p99 and ${micros(floor.cpuMicrosPerInvocation)} of CPU on this machine; ` +
      `the login handler with its write skipped takes ${ms(results.loginWithoutStore.warm.p50Ms)} p50 and ${micros(results.loginWithoutStore.warm.cpuMicrosPerInvocation)}: the rest of a login is the write through the AWS SDK. ` +
      `Throughput: autocannon, ${method.load.connections} connections, ${method.load.rounds} runs of ${method.load.secondsPerRound} s per target taken in turns, after ${method.load.warmupSeconds} s of warm-up each.`,
    '',
    redemptionTable(results),
    '',
    `With a client secret set, each callback consumes the transaction, redeems the code at a loopback stand-in for the token endpoint (client_secret_post, ` +
      `through the functions' keep-alive HTTP client), which answers with a freshly signed RS256 ID token carrying the consumed transaction's nonce, ` +
      `verifies it against the JWKS (one stand-in origin, like the provider's), and writes the sign-in and the session in one DynamoDB transaction. ` +
      `Every timed invocation answered 303 with a session cookie.`,
    '',
    loginComparisonTable(results),
    '',
    costTable(results),
    '',
    contributorsTable(results),
    '',
    table(
      ['Check', 'Measured', 'Target', 'Met'],
      results.targets.map((check) => [check.label, check.value, check.target, check.met ? 'yes' : '**no**']),
    ),
    '',
  ].join('\n');
}
