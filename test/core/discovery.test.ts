import { envLabel, parseConfig, type RawSettings } from '../../lambdas/core/config.js';
import {
  DiscoveryError,
  discoveryContextKey,
  discoveryUrl,
  parseCachedDiscovery,
  settingsFromDiscovery,
  withDiscoveredSettings,
} from '../../lambdas/core/discovery.js';

const AUTH0 = 'https://tenant.eu.auth0.com/';
/** The fields of an Auth0 tenant's discovery document that discovery reads, as Auth0 publishes them. */
const AUTH0_DOCUMENT = {
  issuer: AUTH0,
  authorization_endpoint: `${AUTH0}authorize`,
  token_endpoint: `${AUTH0}oauth/token`,
  jwks_uri: `${AUTH0}.well-known/jwks.json`,
  end_session_endpoint: `${AUTH0}oidc/logout`,
  revocation_endpoint: `${AUTH0}oauth/revoke`,
  userinfo_endpoint: `${AUTH0}userinfo`,
  response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token'],
  code_challenge_methods_supported: ['S256', 'plain'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['HS256', 'RS256', 'PS256'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
};
const STANDARD = 'https://id.example.test/realms/main';
/** A provider on the library defaults' paths (as oidc-provider and Glewlwyd lay them out), advertising RFC 9207. */
const STANDARD_DOCUMENT = {
  issuer: STANDARD,
  authorization_endpoint: `${STANDARD}/auth`,
  token_endpoint: `${STANDARD}/token`,
  jwks_uri: `${STANDARD}/jwks`,
  end_session_endpoint: `${STANDARD}/session/end`,
  revocation_endpoint: `${STANDARD}/token/revocation`,
  authorization_response_iss_parameter_supported: true,
  code_challenge_methods_supported: ['S256'],
  id_token_signing_alg_values_supported: ['ES256', 'PS256'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
};

const BASE = { clientId: 'client-123', baseUrl: 'https://login.example.test' };
const config = (raw: RawSettings) => parseConfig({ ...BASE, ...raw }, envLabel);

function problemOf(issuer: string, document: unknown): string {
  try {
    settingsFromDiscovery(issuer, document);
  } catch (error) {
    if (error instanceof DiscoveryError) return error.message;
    throw error;
  }
  throw new Error('the document was accepted');
}

describe('the discovery URL (OIDC Discovery 1.0 §4)', () => {
  test.each([
    ['https://tenant.eu.auth0.com/', 'https://tenant.eu.auth0.com/.well-known/openid-configuration'],
    ['https://id.example.test/realms/main', 'https://id.example.test/realms/main/.well-known/openid-configuration'],
    ['https://id.example.test/realms/main/', 'https://id.example.test/realms/main/.well-known/openid-configuration'],
    ['http://127.0.0.1:4000/', 'http://127.0.0.1:4000/.well-known/openid-configuration'],
  ])('%s: the issuer without its trailing slash, then the well-known path', (issuer, url) => {
    expect(discoveryUrl(issuer)).toBe(url);
  });

  test.each(['http://id.example.test/', 'not a url', 'https://id.example.test/?tenant=1'])('an issuer the functions could not use (%s) is refused before anything is fetched', (issuer) => {
    expect(() => discoveryUrl(issuer)).toThrow(`OpenID provider discovery for ${issuer} failed: the issuer`);
  });
});

describe('settings from a discovery document', () => {
  test("Auth0's document yields exactly today's defaults, so nothing changes for Auth0 users", () => {
    const discovered = settingsFromDiscovery(AUTH0, AUTH0_DOCUMENT);
    expect(config(withDiscoveredSettings({ issuerUrl: AUTH0 }, discovered))).toEqual(config({ issuerUrl: AUTH0 }));
  });

  test("another standard provider's paths, iss requirement, algorithms and client authentication come from its document", () => {
    expect(settingsFromDiscovery(STANDARD, STANDARD_DOCUMENT)).toEqual({
      authorizationEndpoint: `${STANDARD}/auth`,
      tokenEndpoint: `${STANDARD}/token`,
      jwksUri: `${STANDARD}/jwks`,
      endSessionEndpoint: `${STANDARD}/session/end`,
      revocationEndpoint: `${STANDARD}/token/revocation`,
      requireIss: 'true',
      idTokenSigningAlgs: 'PS256 ES256',
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
  });

  test('optional endpoints absent are left to the settings; no token_endpoint_auth_methods_supported means client_secret_basic (its spec default)', () => {
    const { end_session_endpoint: _end, revocation_endpoint: _revoke, token_endpoint_auth_methods_supported: _methods, ...minimal } = STANDARD_DOCUMENT;
    const discovered = settingsFromDiscovery(STANDARD, minimal);
    expect(discovered).not.toHaveProperty('endSessionEndpoint');
    expect(discovered).not.toHaveProperty('revocationEndpoint');
    expect(discovered.tokenEndpointAuthMethod).toBe('client_secret_basic');
  });

  test('explicit settings win over discovered ones', () => {
    const discovered = settingsFromDiscovery(STANDARD, STANDARD_DOCUMENT);
    const merged = withDiscoveredSettings({ issuerUrl: STANDARD, tokenEndpoint: 'https://proxy.example.test/token', requireIss: 'false' }, discovered);
    expect(merged).toMatchObject({ tokenEndpoint: 'https://proxy.example.test/token', requireIss: 'false', jwksUri: `${STANDARD}/jwks` });
  });

  test('a document for another issuer is refused, even one differing only by its trailing slash (mix-up defence)', () => {
    expect(problemOf(`${STANDARD}/`, STANDARD_DOCUMENT)).toBe(
      `OpenID provider discovery for ${STANDARD}/ failed: the document's "issuer" is "${STANDARD}", not exactly the configured issuer`,
    );
    expect(problemOf(STANDARD, { ...STANDARD_DOCUMENT, issuer: 'https://evil.example.test' })).toContain('not exactly the configured issuer');
  });

  test.each<[string, unknown, string]>([
    ['not an object', ['issuer'], 'the document is not a JSON object'],
    ['no issuer', { ...STANDARD_DOCUMENT, issuer: undefined }, `the document's "issuer" is missing, not exactly the configured issuer`],
    ['no authorization_endpoint', { ...STANDARD_DOCUMENT, authorization_endpoint: undefined }, 'the document has no "authorization_endpoint"'],
    ['no token_endpoint', { ...STANDARD_DOCUMENT, token_endpoint: undefined }, 'the document has no "token_endpoint"'],
    ['no jwks_uri', { ...STANDARD_DOCUMENT, jwks_uri: undefined }, 'the document has no "jwks_uri"'],
    ['a plain-http token_endpoint', { ...STANDARD_DOCUMENT, token_endpoint: 'http://id.example.test/token' }, '"token_endpoint" must use https (http only for localhost): "http://id.example.test/token"'],
    ['a jwks_uri that is a number', { ...STANDARD_DOCUMENT, jwks_uri: 42 }, '"jwks_uri" is not a string'],
    ['no code_challenge_methods_supported', { ...STANDARD_DOCUMENT, code_challenge_methods_supported: undefined }, '"code_challenge_methods_supported" does not include S256'],
    ['PKCE plain only', { ...STANDARD_DOCUMENT, code_challenge_methods_supported: ['plain'] }, '"code_challenge_methods_supported" does not include S256'],
    ['no id_token_signing_alg_values_supported', { ...STANDARD_DOCUMENT, id_token_signing_alg_values_supported: undefined }, 'the document has no "id_token_signing_alg_values_supported"'],
    ['HMAC-only ID tokens', { ...STANDARD_DOCUMENT, id_token_signing_alg_values_supported: ['HS256', 'none'] }, '"id_token_signing_alg_values_supported" offers none of'],
    ['private_key_jwt only', { ...STANDARD_DOCUMENT, token_endpoint_auth_methods_supported: ['private_key_jwt'] }, '"token_endpoint_auth_methods_supported" offers neither client_secret_post nor client_secret_basic'],
    ['a non-boolean iss flag', { ...STANDARD_DOCUMENT, authorization_response_iss_parameter_supported: 'yes' }, '"authorization_response_iss_parameter_supported" is not true or false'],
  ])('%s: refused, naming the issuer and the field', (_label, document, problem) => {
    const message = problemOf(STANDARD, document);
    expect(message.startsWith(`OpenID provider discovery for ${STANDARD} failed: `)).toBe(true);
    expect(message).toContain(problem);
  });
});

describe('the cached discovery in the CDK context', () => {
  test('is keyed by the exact issuer, so a cache for one tenant never configures another', () => {
    expect(discoveryContextKey(AUTH0)).toBe('oidc-discovery:issuer=https://tenant.eu.auth0.com/');
    expect(discoveryContextKey(STANDARD)).not.toBe(discoveryContextKey(`${STANDARD}/`));
  });

  test('reads back what discovery produced, and refuses anything else', () => {
    const discovered = settingsFromDiscovery(STANDARD, STANDARD_DOCUMENT);
    expect(parseCachedDiscovery(JSON.parse(JSON.stringify(discovered)), 'key')).toEqual(discovered);
    for (const bad of [null, 'x', [], { clientId: 'other' }, { tokenEndpoint: 42 }]) {
      expect(() => parseCachedDiscovery(bad, 'key')).toThrow('context "key" is not what "npm run discover" writes: run it again');
    }
  });
});
