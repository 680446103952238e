/**
 * The flow's settings, validated once: at synth time from CDK context, at cold start from the
 * function's environment. Every problem is reported at once, each naming the setting the way its
 * source spells it.
 */
export interface LoginSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string | undefined;
  readonly scope: string;
  readonly authorizationEndpoint: string;
  readonly stateTtlSeconds: number;
  readonly retentionDays: number;
  /** RFC 9207: set when the provider advertises `authorization_response_iss_parameter_supported`. */
  readonly requireIss: boolean;
}

/** Where the API is served: an origin (a host of its own), without a trailing slash. */
export interface PublicUrls {
  readonly baseUrl: string;
  readonly redirectUri: string;
}

/** What the login function needs, and all it validates: it never redeems, verifies or keeps sessions. */
export type LoginConfig = LoginSettings & PublicUrls;

/** What the steps after the login add: redeeming the code, verifying tokens, sessions. */
export interface SignInSettings {
  /**
   * Where the client secret lives for a deployed function (Secrets Manager). Without it, and
   * without a local `CLIENT_SECRET`, the flow stops at the recorded code.
   */
  readonly clientSecretArn: string | undefined;
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  readonly endSessionEndpoint: string;
  /** RFC 7009: where logout revokes the refresh token. */
  readonly revocationEndpoint: string;
  /** The only `alg` values an ID token may carry; never `none` or an HMAC algorithm. */
  readonly idTokenSigningAlgs: readonly IdTokenSigningAlg[];
  readonly sessionIdleSeconds: number;
  readonly sessionAbsoluteSeconds: number;
  /** ID-token claims copied into the session and the login record, besides `sub` and `sid`. */
  readonly profileClaims: readonly string[];
  /**
   * The API the token-handler proxy forwards `/api/…` to, without a trailing slash; it may have a
   * base path, below which every forwarded request stays. Undefined: no proxy.
   */
  readonly apiUrl: string | undefined;
  /**
   * The Secrets Manager secret holding the key ring that seals the session's tokens (token-sealing.ts).
   * Without it, and without a local `TOKEN_KEYS`, the sign-in keeps no tokens.
   */
  readonly tokenKeySecretArn: string | undefined;
  /** An access token this close to its expiry is refreshed before use. */
  readonly tokenRefreshLeewaySeconds: number;
}

export type FlowConfig = LoginConfig & SignInSettings;

export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_post', 'client_secret_basic'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];

/**
 * Asymmetric algorithms only. `none` and HS* are refused here, at configuration time, so a token
 * can never pick an algorithm that turns the provider's public key into an HMAC secret.
 */
export const ID_TOKEN_SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type IdTokenSigningAlg = (typeof ID_TOKEN_SIGNING_ALGS)[number];

export interface SettingSpec {
  readonly contextKey: string;
  readonly envVar: string;
}

export const SETTINGS = {
  issuerUrl: { contextKey: 'issuerUrl', envVar: 'ISSUER_URL' },
  clientId: { contextKey: 'clientId', envVar: 'CLIENT_ID' },
  audience: { contextKey: 'audience', envVar: 'AUDIENCE' },
  scope: { contextKey: 'scope', envVar: 'SCOPE' },
  authorizationEndpoint: { contextKey: 'authorizationEndpoint', envVar: 'AUTHORIZATION_ENDPOINT' },
  stateTtlSeconds: { contextKey: 'stateTtlSeconds', envVar: 'STATE_TTL_SECONDS' },
  baseUrl: { contextKey: 'baseUrl', envVar: 'BASE_URL' },
  retentionDays: { contextKey: 'retentionDays', envVar: 'RETENTION_DAYS' },
  requireIss: { contextKey: 'requireIss', envVar: 'REQUIRE_ISS' },
  clientSecretArn: { contextKey: 'clientSecretArn', envVar: 'CLIENT_SECRET_ARN' },
  tokenEndpointAuthMethod: { contextKey: 'tokenEndpointAuthMethod', envVar: 'TOKEN_ENDPOINT_AUTH_METHOD' },
  tokenEndpoint: { contextKey: 'tokenEndpoint', envVar: 'TOKEN_ENDPOINT' },
  jwksUri: { contextKey: 'jwksUri', envVar: 'JWKS_URI' },
  endSessionEndpoint: { contextKey: 'endSessionEndpoint', envVar: 'END_SESSION_ENDPOINT' },
  revocationEndpoint: { contextKey: 'revocationEndpoint', envVar: 'REVOCATION_ENDPOINT' },
  idTokenSigningAlgs: { contextKey: 'idTokenSigningAlgs', envVar: 'ID_TOKEN_SIGNING_ALGS' },
  sessionIdleSeconds: { contextKey: 'sessionIdleSeconds', envVar: 'SESSION_IDLE_SECONDS' },
  sessionAbsoluteSeconds: { contextKey: 'sessionAbsoluteSeconds', envVar: 'SESSION_ABSOLUTE_SECONDS' },
  profileClaims: { contextKey: 'profileClaims', envVar: 'PROFILE_CLAIMS' },
  apiUrl: { contextKey: 'apiUrl', envVar: 'API_URL' },
  tokenKeySecretArn: { contextKey: 'tokenKeySecretArn', envVar: 'TOKEN_KEY_SECRET_ARN' },
  tokenRefreshLeewaySeconds: { contextKey: 'tokenRefreshLeewaySeconds', envVar: 'TOKEN_REFRESH_LEEWAY_SECONDS' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

export const DEFAULT_SCOPE = 'openid profile email';
export const DEFAULT_STATE_TTL_SECONDS = 600;
export const MAX_STATE_TTL_SECONDS = 3600;
export const DEFAULT_RETENTION_DAYS = 7;
const MAX_RETENTION_DAYS = 3650;
export const DEFAULT_SESSION_IDLE_SECONDS = 86_400;
export const DEFAULT_SESSION_ABSOLUTE_SECONDS = 604_800;
/** Browsers cap a cookie's lifetime at 400 days (RFC 6265bis), so a longer session could not be kept anyway. */
const MAX_SESSION_SECONDS = 400 * 86_400;
const MIN_SESSION_SECONDS = 60;
export const DEFAULT_PROFILE_CLAIMS = ['name', 'email', 'email_verified', 'picture', 'org_id'] as const;
/** Claims that describe the token rather than the user, so keeping them in a session would only mislead. */
const TOKEN_CLAIMS = new Set(['iss', 'aud', 'azp', 'exp', 'iat', 'nbf', 'nonce', 'jti', 'auth_time', 'at_hash', 'c_hash', 'sub', 'sid']);
/** Names the session authorizer puts in the route's context next to the claims. */
export const AUTHORIZER_CONTEXT_KEYS = ['authenticated', 'sessionExpiresAt'] as const;
const MAX_PROFILE_CLAIMS = 20;
export const DEFAULT_TOKEN_REFRESH_LEEWAY_SECONDS = 60;
const MAX_TOKEN_REFRESH_LEEWAY_SECONDS = 3600;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** How a source names a setting in messages: `ISSUER_URL` for env, `issuerUrl` for CDK context. */
export type SettingLabel = (spec: SettingSpec) => string;
export const envLabel: SettingLabel = (spec) => spec.envVar;
export const contextLabel: SettingLabel = (spec) => `context "${spec.contextKey}"`;

export type RawSettings = Partial<Record<SettingName, string>>;

export function readEnvSettings(env: NodeJS.ProcessEnv): RawSettings {
  const raw: RawSettings = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    const value = env[spec.envVar];
    if (value !== undefined && value.trim() !== '') raw[name] = value.trim();
  }
  return raw;
}

export function loadConfigFromEnv(env: NodeJS.ProcessEnv): FlowConfig {
  return parseConfig(readEnvSettings(env), envLabel);
}

export function loadLoginConfigFromEnv(env: NodeJS.ProcessEnv): LoginConfig {
  const raw = readEnvSettings(env);
  return collectProblems((problems) => ({ ...parseLoginSettings(raw, envLabel, problems), ...parsePublicUrls(raw, envLabel, problems) }));
}

/** Everything but the public base URL, which a stack may only know as a deploy-time token. */
export type FlowSettings = LoginSettings & SignInSettings;

/** Collects every problem, so one run names them all; the parse result is used only when there are none. */
export class Problems {
  readonly messages: string[] = [];

  check<T>(parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.messages.push(error.message);
      return fallback;
    }
  }
}

export function collectProblems<T>(parse: (problems: Problems) => T): T {
  const problems = new Problems();
  const result = parse(problems);
  if (problems.messages.length > 0) throw new ConfigError(problems.messages.join('; '));
  return result;
}

/** Auth0's `iss` always ends with `/`; an issuer configured without it would refuse every sign-in. */
function checkAuth0Issuer(issuer: string, label: string): void {
  const url = new URL(issuer);
  if (/(^|\.)auth0\.com$/.test(url.hostname) && !issuer.endsWith('/')) {
    throw new ConfigError(`${label} must end with "/" for an Auth0 tenant, as Auth0's iss does: use "${issuer}/"`);
  }
}

function parseLoginSettings(raw: RawSettings, label: SettingLabel, problems: Problems): LoginSettings {
  const name = (setting: SettingName): string => label(SETTINGS[setting]);
  // Kept exactly as configured: `iss` is compared with it byte for byte (RFC 9207).
  const issuer = problems.check(() => {
    const value = parseHttpUrl(required(raw.issuerUrl, name('issuerUrl')), name('issuerUrl'));
    checkAuth0Issuer(value, name('issuerUrl'));
    return value;
  }, '');
  const clientId = problems.check(() => {
    const value = required(raw.clientId, name('clientId'));
    if (!/^[\x21-\x7e]{1,256}$/.test(value)) throw new ConfigError(`${name('clientId')} must be 1-256 visible ASCII characters`);
    return value;
  }, '');
  const scope = problems.check(() => {
    const value = raw.scope ?? DEFAULT_SCOPE;
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(value)) {
      throw new ConfigError(`${name('scope')} must be space-separated scope tokens (RFC 6749 §3.3)`);
    }
    return value;
  }, '');
  const audience = problems.check(() => {
    if (raw.audience !== undefined && !/^[\x20-\x7e]{1,512}$/.test(raw.audience)) {
      throw new ConfigError(`${name('audience')} must be 1-512 printable ASCII characters`);
    }
    return raw.audience;
  }, undefined);
  return {
    issuer,
    clientId,
    audience,
    scope,
    // Derived from the issuer unless set; an issuer already reported adds no second complaint here.
    authorizationEndpoint:
      raw.authorizationEndpoint === undefined && issuer === ''
        ? ''
        : problems.check(() => parseHttpUrl(raw.authorizationEndpoint ?? `${issuerPrefix(issuer)}authorize`, name('authorizationEndpoint')), ''),
    stateTtlSeconds: problems.check(() => parseInteger(raw.stateTtlSeconds, DEFAULT_STATE_TTL_SECONDS, 1, MAX_STATE_TTL_SECONDS, name('stateTtlSeconds')), 0),
    retentionDays: problems.check(() => parseInteger(raw.retentionDays, DEFAULT_RETENTION_DAYS, 1, MAX_RETENTION_DAYS, name('retentionDays')), 0),
    requireIss: problems.check(() => parseBoolean(raw.requireIss, name('requireIss')), false),
  };
}

function issuerPrefix(issuer: string): string {
  return issuer.endsWith('/') ? issuer : `${issuer}/`;
}

function parseSignInSettings(raw: RawSettings, label: SettingLabel, issuer: string, problems: Problems): SignInSettings {
  const name = (setting: SettingName): string => label(SETTINGS[setting]);
  // Derived from the issuer unless set; an issuer already reported adds no second complaint here.
  const endpoint = (setting: 'tokenEndpoint' | 'jwksUri' | 'endSessionEndpoint' | 'revocationEndpoint', path: string): string =>
    raw[setting] === undefined && issuer === '' ? '' : problems.check(() => parseHttpUrl(raw[setting] ?? `${issuerPrefix(issuer)}${path}`, name(setting)), '');
  const sessionAbsoluteSeconds = problems.check(() => parseInteger(
    raw.sessionAbsoluteSeconds,
    DEFAULT_SESSION_ABSOLUTE_SECONDS,
    MIN_SESSION_SECONDS,
    MAX_SESSION_SECONDS,
    name('sessionAbsoluteSeconds'),
  ), DEFAULT_SESSION_ABSOLUTE_SECONDS);
  const sessionIdleSeconds = problems.check(() => {
    const value = parseInteger(raw.sessionIdleSeconds, Math.min(DEFAULT_SESSION_IDLE_SECONDS, sessionAbsoluteSeconds), MIN_SESSION_SECONDS, MAX_SESSION_SECONDS, name('sessionIdleSeconds'));
    if (value > sessionAbsoluteSeconds) {
      throw new ConfigError(`${name('sessionIdleSeconds')} (${value}) must not exceed ${name('sessionAbsoluteSeconds')} (${sessionAbsoluteSeconds})`);
    }
    return value;
  }, 0);
  return {
    clientSecretArn: problems.check(() => parseSecretArn(raw.clientSecretArn, name('clientSecretArn')), undefined),
    tokenEndpointAuthMethod: problems.check(() => parseChoice(raw.tokenEndpointAuthMethod, TOKEN_ENDPOINT_AUTH_METHODS, name('tokenEndpointAuthMethod')), 'client_secret_post'),
    tokenEndpoint: endpoint('tokenEndpoint', 'oauth/token'),
    jwksUri: endpoint('jwksUri', '.well-known/jwks.json'),
    endSessionEndpoint: endpoint('endSessionEndpoint', 'oidc/logout'),
    revocationEndpoint: endpoint('revocationEndpoint', 'oauth/revoke'),
    idTokenSigningAlgs: problems.check(() => parseAlgorithms(raw.idTokenSigningAlgs, name('idTokenSigningAlgs')), []),
    sessionIdleSeconds,
    sessionAbsoluteSeconds,
    profileClaims: problems.check(() => parseProfileClaims(raw.profileClaims, name('profileClaims')), []),
    apiUrl: problems.check(() => (raw.apiUrl === undefined ? undefined : parseApiUrl(raw.apiUrl, name('apiUrl'))), undefined),
    tokenKeySecretArn: problems.check(() => parseSecretArn(raw.tokenKeySecretArn, name('tokenKeySecretArn')), undefined),
    tokenRefreshLeewaySeconds: problems.check(
      () => parseInteger(raw.tokenRefreshLeewaySeconds, DEFAULT_TOKEN_REFRESH_LEEWAY_SECONDS, 0, MAX_TOKEN_REFRESH_LEEWAY_SECONDS, name('tokenRefreshLeewaySeconds')),
      0,
    ),
  };
}

function parseAllSettings(raw: RawSettings, label: SettingLabel, problems: Problems): FlowSettings {
  const login = parseLoginSettings(raw, label, problems);
  return { ...login, ...parseSignInSettings(raw, label, login.issuer, problems) };
}

export function parseFlowSettings(raw: RawSettings, label: SettingLabel): FlowSettings {
  return collectProblems((problems) => parseAllSettings(raw, label, problems));
}

function parsePublicUrls(raw: RawSettings, label: SettingLabel, problems: Problems): PublicUrls {
  const baseUrl = problems.check(() => parseBaseUrl(raw.baseUrl, label(SETTINGS.baseUrl)), '');
  return { baseUrl, redirectUri: `${baseUrl}/callback` };
}

/**
 * The base URL without a trailing slash; the redirect URI is always `<base URL>/callback`. No path:
 * the `__Host-` cookies are scoped to the host, so anything else served on the same host (another
 * path, another port) could read and overwrite them; the API needs a host of its own.
 */
export function parseBaseUrl(value: string | undefined, label: string): string {
  const url = parseHttpUrl(required(value, label), label);
  if (new URL(url).pathname !== '/') {
    throw new ConfigError(`${label} must be an origin without a path (the API needs a host of its own: its cookies are scoped to the host), got "${value}"`);
  }
  return url.replace(/\/+$/, '');
}

/** What the token-handler proxy runs with: the whole flow's settings, and an API to forward to. */
export type ApiProxyConfig = FlowConfig & { readonly apiUrl: string };

export function loadApiProxyConfigFromEnv(env: NodeJS.ProcessEnv): ApiProxyConfig {
  const raw = readEnvSettings(env);
  return collectProblems((problems) => {
    const settings = parseAllSettings(raw, envLabel, problems);
    const urls = parsePublicUrls(raw, envLabel, problems);
    // Checked in the same pass, so a missing API_URL is named alongside every other problem.
    const apiUrl = raw.apiUrl === undefined ? problems.check(() => required(undefined, envLabel(SETTINGS.apiUrl)), '') : (settings.apiUrl ?? '');
    return { ...settings, ...urls, apiUrl };
  });
}

/**
 * https (http on loopback), an optional base path, no query, fragment or credentials, and written
 * the way a URL parser writes it: no dot segments, no percent-escapes, no backslashes, no empty
 * segments, so the base path the proxy keeps requests below is exactly the one configured.
 */
export function parseApiUrl(value: string, label: string): string {
  parseHttpUrl(value, label);
  const trimmed = value.replace(/\/+$/, '');
  const url = new URL(trimmed);
  const canonical = `${url.origin}${url.pathname === '/' ? '' : url.pathname}`;
  if (canonical !== trimmed || trimmed.includes('%') || url.pathname.includes('//')) {
    throw new ConfigError(`${label} must be a plain URL with an optional base path (no dot segments, escapes or empty segments), such as "${canonical}": got "${value}"`);
  }
  return trimmed;
}

export function parseConfig(raw: RawSettings, label: SettingLabel): FlowConfig {
  return collectProblems((problems) => ({ ...parseAllSettings(raw, label, problems), ...parsePublicUrls(raw, label, problems) }));
}

/** The environment a deployed or local function needs to rebuild exactly this config. */
export function settingsToEnv(config: FlowSettings): Record<string, string> {
  const env: Record<string, string> = {
    [SETTINGS.issuerUrl.envVar]: config.issuer,
    [SETTINGS.clientId.envVar]: config.clientId,
    [SETTINGS.scope.envVar]: config.scope,
    [SETTINGS.authorizationEndpoint.envVar]: config.authorizationEndpoint,
    [SETTINGS.stateTtlSeconds.envVar]: String(config.stateTtlSeconds),
    [SETTINGS.retentionDays.envVar]: String(config.retentionDays),
    [SETTINGS.requireIss.envVar]: String(config.requireIss),
  };
  if (config.audience !== undefined) env[SETTINGS.audience.envVar] = config.audience;
  if (config.clientSecretArn !== undefined) env[SETTINGS.clientSecretArn.envVar] = config.clientSecretArn;
  if (config.apiUrl !== undefined) env[SETTINGS.apiUrl.envVar] = config.apiUrl;
  if (config.tokenKeySecretArn !== undefined) env[SETTINGS.tokenKeySecretArn.envVar] = config.tokenKeySecretArn;
  Object.assign(env, {
    [SETTINGS.tokenEndpointAuthMethod.envVar]: config.tokenEndpointAuthMethod,
    [SETTINGS.tokenEndpoint.envVar]: config.tokenEndpoint,
    [SETTINGS.jwksUri.envVar]: config.jwksUri,
    [SETTINGS.endSessionEndpoint.envVar]: config.endSessionEndpoint,
    [SETTINGS.revocationEndpoint.envVar]: config.revocationEndpoint,
    [SETTINGS.idTokenSigningAlgs.envVar]: config.idTokenSigningAlgs.join(' '),
    [SETTINGS.sessionIdleSeconds.envVar]: String(config.sessionIdleSeconds),
    [SETTINGS.sessionAbsoluteSeconds.envVar]: String(config.sessionAbsoluteSeconds),
    [SETTINGS.profileClaims.envVar]: config.profileClaims.join(' '),
    [SETTINGS.tokenRefreshLeewaySeconds.envVar]: String(config.tokenRefreshLeewaySeconds),
  });
  return env;
}

function required(value: string | undefined, label: string): string {
  if (value === undefined || value === '') throw new ConfigError(`${label} is not set`);
  return value;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/** https everywhere; plain http only on loopback, for the local stack. No query, fragment or credentials. */
function parseHttpUrl(value: string, label: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${label} is not a valid URL: "${value}"`);
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!secure) throw new ConfigError(`${label} must use https (http is allowed only for localhost): "${value}"`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(`${label} must not contain a query, fragment or credentials: "${value}"`);
  }
  return value;
}

function parseInteger(value: string | undefined, fallback: number, min: number, max: number, label: string): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${label} must be a whole number from ${min} to ${max}, got "${value}"`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) throw new ConfigError(`${label} must be from ${min} to ${max}, got ${parsed}`);
  return parsed;
}

function parseBoolean(value: string | undefined, label: string): boolean {
  if (value === undefined) return false;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(`${label} must be "true" or "false", got "${value}"`);
}

function parseChoice<T extends string>(value: string | undefined, choices: readonly T[], label: string): T {
  if (value === undefined) return choices[0] as T;
  const chosen = choices.find((choice) => choice === value);
  if (chosen === undefined) throw new ConfigError(`${label} must be one of ${choices.join(', ')}, got "${value}"`);
  return chosen;
}

/** Space- or comma-separated, so the same value works in an environment variable and in `-c key=value`. */
function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter((item) => item !== '');
}

function parseAlgorithms(value: string | undefined, label: string): IdTokenSigningAlg[] {
  if (value === undefined) return ['RS256'];
  const algorithms = splitList(value);
  const allowed: IdTokenSigningAlg[] = [];
  for (const algorithm of algorithms) {
    const known = ID_TOKEN_SIGNING_ALGS.find((candidate) => candidate === algorithm);
    if (known === undefined) {
      throw new ConfigError(`${label} may list only ${ID_TOKEN_SIGNING_ALGS.join(', ')} (never none or HS*), got "${algorithm}"`);
    }
    if (!allowed.includes(known)) allowed.push(known);
  }
  if (allowed.length === 0) throw new ConfigError(`${label} must list at least one algorithm`);
  return allowed;
}

function parseProfileClaims(value: string | undefined, label: string): string[] {
  if (value === undefined) return [...DEFAULT_PROFILE_CLAIMS];
  const claims = [...new Set(splitList(value))];
  // An empty list could not be told apart from "not set" once it is an environment variable.
  if (claims.length === 0) throw new ConfigError(`${label} must list at least one claim (sub is always kept)`);
  if (claims.length > MAX_PROFILE_CLAIMS) throw new ConfigError(`${label} may list at most ${MAX_PROFILE_CLAIMS} claims`);
  for (const claim of claims) {
    if (!/^[A-Za-z0-9_.:/-]{1,64}$/.test(claim)) throw new ConfigError(`${label} has an invalid claim name "${claim}"`);
    if (TOKEN_CLAIMS.has(claim)) throw new ConfigError(`${label} must not list "${claim}": it describes the token, not the user`);
    if ((AUTHORIZER_CONTEXT_KEYS as readonly string[]).includes(claim)) {
      throw new ConfigError(`${label} must not list "${claim}": the session authorizer uses that name`);
    }
  }
  return claims;
}

function parseSecretArn(value: string | undefined, label: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/.test(value)) {
    throw new ConfigError(`${label} must be a Secrets Manager secret ARN, got "${value}"`);
  }
  return value;
}
