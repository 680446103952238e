import { ConfigError, ID_TOKEN_SIGNING_ALGS, TOKEN_ENDPOINT_AUTH_METHODS, type RawSettings } from './config.js';

/**
 * OpenID Connect Discovery 1.0: the provider's own description of its endpoints and abilities,
 * turned into the settings the functions run with. Read once, when `npm run discover` or
 * `npm start` runs, never per request; settings given explicitly still win.
 */

/** The settings a discovery document can supply. */
export const DISCOVERED_SETTINGS = [
  'authorizationEndpoint',
  'tokenEndpoint',
  'jwksUri',
  'endSessionEndpoint',
  'revocationEndpoint',
  'requireIss',
  'idTokenSigningAlgs',
  'tokenEndpointAuthMethod',
] as const;
export type DiscoveredSettings = Partial<Pick<RawSettings, (typeof DISCOVERED_SETTINGS)[number]>>;

export class DiscoveryError extends ConfigError {
  constructor(issuer: string, problem: string) {
    super(`OpenID provider discovery for ${issuer} failed: ${problem}`);
  }
}

/** A URL the functions may call: https, or http on loopback; no query, fragment or credentials. */
function checkedUrl(issuer: string, field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DiscoveryError(issuer, `${field} is not a URL: "${value}"`);
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback))) {
    throw new DiscoveryError(issuer, `${field} must use https (http only for localhost): "${value}"`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new DiscoveryError(issuer, `${field} must not carry a query, fragment or credentials: "${value}"`);
  }
  return value;
}

/** §4: the issuer with any trailing slash removed, then `/.well-known/openid-configuration`. */
export function discoveryUrl(issuer: string): string {
  checkedUrl(issuer, 'the issuer', issuer);
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

function endpoint(document: Record<string, unknown>, issuer: string, field: string, required: boolean): string | undefined {
  const value = document[field];
  if (value === undefined) {
    if (required) throw new DiscoveryError(issuer, `the document has no "${field}"`);
    return undefined;
  }
  if (typeof value !== 'string') throw new DiscoveryError(issuer, `"${field}" is not a string`);
  return checkedUrl(issuer, `"${field}"`, value);
}

function stringList(document: Record<string, unknown>, issuer: string, field: string): string[] | undefined {
  const value = document[field];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new DiscoveryError(issuer, `"${field}" is not a list of strings`);
  }
  return value;
}

/**
 * RS256 when the provider offers it (OIDC's mandatory algorithm, and what Auth0 signs with), so an
 * advertised HS256 never widens what we accept; otherwise every advertised asymmetric algorithm.
 */
function signingAlgorithms(document: Record<string, unknown>, issuer: string): string {
  const field = 'id_token_signing_alg_values_supported';
  const advertised = stringList(document, issuer, field);
  if (advertised === undefined) throw new DiscoveryError(issuer, `the document has no "${field}"`);
  if (advertised.includes('RS256')) return 'RS256';
  const usable = ID_TOKEN_SIGNING_ALGS.filter((algorithm) => advertised.includes(algorithm));
  if (usable.length === 0) {
    throw new DiscoveryError(issuer, `"${field}" offers none of ${ID_TOKEN_SIGNING_ALGS.join(', ')} (got ${advertised.join(', ') || 'none'})`);
  }
  return usable.join(' ');
}

/** Our default (client_secret_post) when offered; the spec's default, client_secret_basic, when the field is absent. */
function authMethod(document: Record<string, unknown>, issuer: string): string {
  const field = 'token_endpoint_auth_methods_supported';
  const advertised = stringList(document, issuer, field) ?? ['client_secret_basic'];
  const usable = TOKEN_ENDPOINT_AUTH_METHODS.find((method) => advertised.includes(method));
  if (usable === undefined) throw new DiscoveryError(issuer, `"${field}" offers neither ${TOKEN_ENDPOINT_AUTH_METHODS.join(' nor ')}`);
  return usable;
}

/**
 * Validates a discovery document for `issuer` (exactly as configured) and returns the settings it
 * yields. Refuses a document for another issuer (mix-up), a provider without PKCE S256, and any
 * required field missing or malformed, each named with the issuer.
 */
export function settingsFromDiscovery(issuer: string, document: unknown): DiscoveredSettings {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new DiscoveryError(issuer, 'the document is not a JSON object');
  }
  const fields = document as Record<string, unknown>;
  if (fields.issuer !== issuer) {
    throw new DiscoveryError(issuer, `the document's "issuer" is ${JSON.stringify(fields.issuer) ?? 'missing'}, not exactly the configured issuer`);
  }
  const challengeMethods = stringList(fields, issuer, 'code_challenge_methods_supported');
  if (challengeMethods === undefined || !challengeMethods.includes('S256')) {
    throw new DiscoveryError(issuer, '"code_challenge_methods_supported" does not include S256: the sign-in requires PKCE with S256');
  }
  const issParameter = fields.authorization_response_iss_parameter_supported;
  if (issParameter !== undefined && typeof issParameter !== 'boolean') {
    throw new DiscoveryError(issuer, '"authorization_response_iss_parameter_supported" is not true or false');
  }
  const discovered: Record<string, string | undefined> = {
    authorizationEndpoint: endpoint(fields, issuer, 'authorization_endpoint', true),
    tokenEndpoint: endpoint(fields, issuer, 'token_endpoint', true),
    jwksUri: endpoint(fields, issuer, 'jwks_uri', true),
    endSessionEndpoint: endpoint(fields, issuer, 'end_session_endpoint', false),
    revocationEndpoint: endpoint(fields, issuer, 'revocation_endpoint', false),
    requireIss: issParameter === true ? 'true' : undefined,
    idTokenSigningAlgs: signingAlgorithms(fields, issuer),
    tokenEndpointAuthMethod: authMethod(fields, issuer),
  };
  return Object.fromEntries(Object.entries(discovered).filter(([, value]) => value !== undefined));
}

/** The discovered settings under the explicit ones: a setting given by the user always wins. */
export function withDiscoveredSettings(explicit: RawSettings, discovered: DiscoveredSettings): RawSettings {
  return { ...discovered, ...Object.fromEntries(Object.entries(explicit).filter(([, value]) => value !== undefined)) };
}

/** Where `npm run discover` caches an issuer's settings in the CDK context (`cdk.context.json`), as CDK keys its own look-ups. */
export function discoveryContextKey(issuer: string): string {
  return `oidc-discovery:issuer=${issuer}`;
}

/** A cached entry read back at synth time: only discovered settings, as strings, or it was not written by `npm run discover`. */
export function parseCachedDiscovery(value: unknown, key: string): DiscoveredSettings {
  const invalid = new ConfigError(`context "${key}" is not what "npm run discover" writes: run it again`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid;
  const known: readonly string[] = DISCOVERED_SETTINGS;
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.every(([name, setting]) => known.includes(name) && typeof setting === 'string')) throw invalid;
  return Object.fromEntries(entries) as DiscoveredSettings;
}
