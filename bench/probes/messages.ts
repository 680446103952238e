/**
 * What the probe processes report to the bench over their IPC channel. Each probe sends exactly one
 * message of its kind (services: once ready); the bench checks `kind` before reading the rest.
 */

/** What a route's Lambda authorizer hands its function (`requestContext.authorizer.lambda`). */
export type AuthorizerContext = Readonly<Record<string, string | number | boolean>>;

/** One request as API Gateway would deliver it, built into a payload 2.0 event inside the probe. */
export interface InvocationSpec {
  /**
   * `authorizer`: the event API Gateway sends the route's Lambda authorizer (payload 2.0, simple
   * responses) rather than the route's function; its answer is a verdict, not an HTTP response.
   */
  readonly target?: 'authorizer';
  readonly routeKey: string;
  readonly rawQueryString: string;
  readonly cookieHeader?: string;
  readonly contentType?: string;
  /** The request body of a single invocation (a cold start's first). */
  readonly body?: string;
  /**
   * A file of request bodies, one a line, taken one per invocation in turn: for bodies that may
   * be used once, like a logout token (its `jti`). Read before anything is timed.
   */
  readonly bodiesFile?: string;
  /** What the route's authorizer put in the request context, as API Gateway passes it on. */
  readonly authorizerContext?: AuthorizerContext;
}

export interface InvocationOutcome {
  readonly ms: number;
  /** The HTTP status code as a string, or `authorized` / `refused` for an authorizer's verdict. */
  readonly outcome: string;
  /** HTTP responses only. */
  readonly statusCode?: number;
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
  /** How many invocations had each outcome (see InvocationOutcome). */
  readonly outcomes: Readonly<Record<string, number>>;
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

/** Logout tokens the provider's stand-in signed on request, each with its own `jti`. */
export interface LogoutTokens {
  readonly kind: 'logout-tokens';
  readonly tokens: readonly string[];
}

/**
 * What the bench asks a running service; `stats` and `reset` only the stubs (DynamoDB, provider)
 * answer, `logout-tokens` only the provider's stand-in.
 */
export type ServiceCommand =
  | { readonly command: 'cpu' }
  | { readonly command: 'stats' }
  | { readonly command: 'reset' }
  | { readonly command: 'logout-tokens'; readonly count: number };

export type ProbeMessage = ColdReport | WarmReport | ListeningReport | StubStats | CpuReport | LogoutTokens;
