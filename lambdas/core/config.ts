/**
 * The flow's settings, validated once: at synth time from CDK context, at cold start from the
 * function's environment. Each error names the setting the way its source spells it.
 */
export interface FlowConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string | undefined;
  readonly scope: string;
  readonly authorizationEndpoint: string;
  readonly stateTtlSeconds: number;
  /** Origin plus optional path, without a trailing slash. */
  readonly baseUrl: string;
  readonly redirectUri: string;
  readonly retentionDays: number;
  /** RFC 9207: set when the provider advertises `authorization_response_iss_parameter_supported`. */
  readonly requireIss: boolean;
}

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
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof SETTINGS;

export const DEFAULT_SCOPE = 'openid profile email';
export const DEFAULT_STATE_TTL_SECONDS = 600;
export const MAX_STATE_TTL_SECONDS = 3600;
export const DEFAULT_RETENTION_DAYS = 7;
const MAX_RETENTION_DAYS = 3650;

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

/** Everything but the public base URL, which a stack may only know as a deploy-time token. */
export type FlowSettings = Omit<FlowConfig, 'baseUrl' | 'redirectUri'>;

export function parseFlowSettings(raw: RawSettings, label: SettingLabel): FlowSettings {
  const name = (setting: SettingName): string => label(SETTINGS[setting]);
  // Kept exactly as configured: `iss` is compared with it byte for byte (RFC 9207).
  const issuer = parseHttpUrl(required(raw.issuerUrl, name('issuerUrl')), name('issuerUrl'));
  const clientId = required(raw.clientId, name('clientId'));
  if (!/^[\x21-\x7e]{1,256}$/.test(clientId)) {
    throw new ConfigError(`${name('clientId')} must be 1-256 visible ASCII characters`);
  }
  const scope = raw.scope ?? DEFAULT_SCOPE;
  if (!/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/.test(scope)) {
    throw new ConfigError(`${name('scope')} must be space-separated scope tokens (RFC 6749 §3.3)`);
  }
  const audience = raw.audience;
  if (audience !== undefined && !/^[\x20-\x7e]{1,512}$/.test(audience)) {
    throw new ConfigError(`${name('audience')} must be 1-512 printable ASCII characters`);
  }
  return {
    issuer,
    clientId,
    audience,
    scope,
    authorizationEndpoint: parseHttpUrl(
      raw.authorizationEndpoint ?? `${issuer.endsWith('/') ? issuer : `${issuer}/`}authorize`,
      name('authorizationEndpoint'),
    ),
    stateTtlSeconds: parseInteger(raw.stateTtlSeconds, DEFAULT_STATE_TTL_SECONDS, 1, MAX_STATE_TTL_SECONDS, name('stateTtlSeconds')),
    retentionDays: parseInteger(raw.retentionDays, DEFAULT_RETENTION_DAYS, 1, MAX_RETENTION_DAYS, name('retentionDays')),
    requireIss: parseBoolean(raw.requireIss, name('requireIss')),
  };
}

/** The base URL without a trailing slash; the redirect URI is always `<base URL>/callback`. */
export function parseBaseUrl(value: string | undefined, label: string): string {
  return parseHttpUrl(required(value, label), label).replace(/\/+$/, '');
}

export function parseConfig(raw: RawSettings, label: SettingLabel): FlowConfig {
  const settings = parseFlowSettings(raw, label);
  const baseUrl = parseBaseUrl(raw.baseUrl, label(SETTINGS.baseUrl));
  return { ...settings, baseUrl, redirectUri: `${baseUrl}/callback` };
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
