/**
 * What the probe processes report to the bench over their IPC channel. Each probe sends exactly one
 * message of its kind (services: once ready); the bench checks `kind` before reading the rest.
 */

/** One request as API Gateway would deliver it, built into a payload 2.0 event inside the probe. */
export interface InvocationSpec {
  readonly routeKey: string;
  readonly rawQueryString: string;
  readonly cookieHeader?: string;
}

export interface InvocationOutcome {
  readonly ms: number;
  readonly statusCode: number;
  readonly location?: string;
  readonly cookies?: readonly string[];
}

export interface ColdReport {
  readonly kind: 'cold';
  /** `await import()` of the module, which for a handler bundle includes building its DynamoDB client. */
  readonly importMs: number;
  readonly firstInvocation?: InvocationOutcome;
}

export interface WarmReport {
  readonly kind: 'warm';
  readonly latenciesMs: readonly number[];
  readonly cpuUserMicros: number;
  readonly cpuSystemMicros: number;
  /** Heap in use after a full GC: before, halfway through and after the measured invocations. */
  readonly heapBeforeBytes: number;
  readonly heapHalfwayBytes: number;
  readonly heapAfterBytes: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Responses that set each cookie to a value (clearing ones not counted), by cookie name. */
  readonly cookiesSet: Readonly<Record<string, number>>;
}

export interface ListeningReport {
  readonly kind: 'listening';
  readonly port: number;
}

/** The DynamoDB stub's or the provider stand-in's counters. */
export interface StubStats {
  readonly kind: 'stub-stats';
  /** TCP connections accepted since the last reset. */
  readonly connections: number;
  readonly requests: Readonly<Record<string, number>>;
  /** Requests that did not look like what the functions send (answered 400 or 404). */
  readonly rejected: number;
}

/** A service's own CPU time so far (user + system, all threads), for CPU per request under load. */
export interface CpuReport {
  readonly kind: 'cpu';
  readonly micros: number;
}

/** What the bench asks a running service; `stats` and `reset` only the stubs (DynamoDB, provider) answer. */
export type ServiceCommand = { readonly command: 'cpu' } | { readonly command: 'stats' } | { readonly command: 'reset' };

export type ProbeMessage = ColdReport | WarmReport | ListeningReport | StubStats | CpuReport;
