import {
  ConfigError,
  ID_TOKEN_SIGNING_ALGS,
  SETTINGS,
  contextLabel,
  loadApiProxyConfigFromEnv,
  loadConfigFromEnv,
  parseConfig,
  settingsToEnv,
  type FlowConfig,
  type RawSettings,
  type SettingName,
} from '../../lambdas/core/config.js';
import { DEFAULT_FLOW_SETTINGS, DEFAULT_SETTINGS_ENV, REQUIRED_SETTINGS } from '../support/settings.js';

const REQUIRED: RawSettings = { ...REQUIRED_SETTINGS, baseUrl: 'https://login.example.test' };
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:oidc/client-secret-AbCdEf';
const TOKEN_KEY_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:oidc/token-keys-AbCdEf';
const ALGS = 'RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA';

function envFor(raw: RawSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(raw) as [SettingName, string][]) env[SETTINGS[name].envVar] = value;
  return env;
}

/** Both sources a setting can come from: the function's environment and the stack's CDK context. */
const FLAVOURS = [
  { flavour: 'env', load: (raw: RawSettings) => loadConfigFromEnv(envFor(raw)), label: (name: SettingName) => SETTINGS[name].envVar },
  { flavour: 'CDK context', load: (raw: RawSettings) => parseConfig(raw, contextLabel), label: (name: SettingName) => `context "${SETTINGS[name].contextKey}"` },
] as const;

function errorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe.each(FLAVOURS)('settings from $flavour', ({ load, label }) => {
  test('only the required settings: every other one takes its documented default', () => {
    expect(load(REQUIRED)).toEqual<FlowConfig>({
      ...DEFAULT_FLOW_SETTINGS,
      baseUrl: 'https://login.example.test',
      redirectUri: 'https://login.example.test/callback',
    });
  });

  test('every setting given: each is used as configured', () => {
    expect(
      load({
        ...REQUIRED,
        audience: 'https://api.example.test',
        scope: 'openid',
        authorizationEndpoint: 'https://tenant.example.test/oauth2/authorize',
        stateTtlSeconds: '900',
        baseUrl: 'https://auth.example.test/',
        retentionDays: '30',
        requireIss: 'true',
        clientSecretArn: SECRET_ARN,
        tokenEndpointAuthMethod: 'client_secret_basic',
        tokenEndpoint: 'https://tenant.example.test/oauth2/token',
        jwksUri: 'https://keys.example.test/jwks',
        endSessionEndpoint: 'https://tenant.example.test/v2/logout',
        revocationEndpoint: 'https://tenant.example.test/oauth2/revoke',
        idTokenSigningAlgs: 'PS256 ES256',
        sessionIdleSeconds: '1800',
        sessionAbsoluteSeconds: '43200',
        profileClaims: 'name https://example.test/roles',
        apiUrl: 'https://api.example.test/svc/v1/',
        tokenKeySecretArn: TOKEN_KEY_ARN,
        tokenRefreshLeewaySeconds: '30',
      }),
    ).toEqual<FlowConfig>({
      issuer: 'https://tenant.example.test/',
      clientId: 'client-123',
      audience: 'https://api.example.test',
      scope: 'openid',
      authorizationEndpoint: 'https://tenant.example.test/oauth2/authorize',
      stateTtlSeconds: 900,
      baseUrl: 'https://auth.example.test',
      redirectUri: 'https://auth.example.test/callback',
      retentionDays: 30,
      requireIss: true,
      clientSecretArn: SECRET_ARN,
      tokenEndpointAuthMethod: 'client_secret_basic',
      tokenEndpoint: 'https://tenant.example.test/oauth2/token',
      jwksUri: 'https://keys.example.test/jwks',
      endSessionEndpoint: 'https://tenant.example.test/v2/logout',
      revocationEndpoint: 'https://tenant.example.test/oauth2/revoke',
      idTokenSigningAlgs: ['PS256', 'ES256'],
      sessionIdleSeconds: 1800,
      sessionAbsoluteSeconds: 43_200,
      profileClaims: ['name', 'https://example.test/roles'],
      apiUrl: 'https://api.example.test/svc/v1',
      tokenKeySecretArn: TOKEN_KEY_ARN,
      tokenRefreshLeewaySeconds: 30,
    });
  });

  test('the issuer is kept byte for byte (iss is compared exactly); the default endpoint adds the slash Auth0 needs', () => {
    const config = load({ ...REQUIRED, issuerUrl: 'https://tenant.example.test' });
    expect(config.issuer).toBe('https://tenant.example.test');
    expect(config.authorizationEndpoint).toBe('https://tenant.example.test/authorize');
    expect(config.tokenEndpoint).toBe('https://tenant.example.test/oauth/token');
    expect(config.jwksUri).toBe('https://tenant.example.test/.well-known/jwks.json');
    expect(config.endSessionEndpoint).toBe('https://tenant.example.test/oidc/logout');
    expect(config.revocationEndpoint).toBe('https://tenant.example.test/oauth/revoke');
  });

  test('an issuer with a path puts the default endpoints under it', () => {
    const config = load({ ...REQUIRED, issuerUrl: 'https://idp.example.test/realms/main/' });
    expect(config).toMatchObject({
      authorizationEndpoint: 'https://idp.example.test/realms/main/authorize',
      tokenEndpoint: 'https://idp.example.test/realms/main/oauth/token',
      jwksUri: 'https://idp.example.test/realms/main/.well-known/jwks.json',
      endSessionEndpoint: 'https://idp.example.test/realms/main/oidc/logout',
      revocationEndpoint: 'https://idp.example.test/realms/main/oauth/revoke',
    });
  });

  test.each<[SettingName, string, Partial<FlowConfig>]>([
    ['sessionIdleSeconds', '60', { sessionIdleSeconds: 60 }],
    ['sessionAbsoluteSeconds', '60', { sessionAbsoluteSeconds: 60, sessionIdleSeconds: 60 }],
    ['sessionAbsoluteSeconds', '34560000', { sessionAbsoluteSeconds: 34_560_000, sessionIdleSeconds: 86_400 }],
    ['sessionIdleSeconds', '604800', { sessionIdleSeconds: 604_800 }],
    ['tokenEndpointAuthMethod', 'client_secret_post', { tokenEndpointAuthMethod: 'client_secret_post' }],
    ['idTokenSigningAlgs', 'RS256,ES256, PS256 RS256', { idTokenSigningAlgs: ['RS256', 'ES256', 'PS256'] }],
    ['idTokenSigningAlgs', 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA', { idTokenSigningAlgs: [...ID_TOKEN_SIGNING_ALGS] }],
    ['profileClaims', 'email,email email_verified', { profileClaims: ['email', 'email_verified'] }],
    ['profileClaims', Array.from({ length: 20 }, (_, index) => `claim${index}`).join(' '), { profileClaims: Array.from({ length: 20 }, (_, index) => `claim${index}`) }],
    ['profileClaims', 'c'.repeat(64), { profileClaims: ['c'.repeat(64)] }],
    ['clientSecretArn', 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:oidc/client_secret+v2=x.y@z-AbCdEf', {
      clientSecretArn: 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:oidc/client_secret+v2=x.y@z-AbCdEf',
    }],
    ['clientSecretArn', 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:s', {
      clientSecretArn: 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:s',
    }],
  ])('%s = %j is accepted', (setting, value, expected) => {
    expect(load({ ...REQUIRED, [setting]: value })).toMatchObject(expected);
  });

  test('the default idle timeout shrinks to a shorter absolute lifetime', () => {
    expect(load({ ...REQUIRED, sessionAbsoluteSeconds: '3600' })).toMatchObject({ sessionAbsoluteSeconds: 3600, sessionIdleSeconds: 3600 });
  });

  test('an idle timeout equal to the absolute lifetime is accepted', () => {
    expect(load({ ...REQUIRED, sessionAbsoluteSeconds: '3600', sessionIdleSeconds: '3600' })).toMatchObject({
      sessionAbsoluteSeconds: 3600,
      sessionIdleSeconds: 3600,
    });
  });

  test('an idle timeout longer than the absolute lifetime is refused, naming the idle setting', () => {
    const error = errorOf(() => load({ ...REQUIRED, sessionAbsoluteSeconds: '3600', sessionIdleSeconds: '3601' }));
    expect(error.message).toBe(`${label('sessionIdleSeconds')} (3601) must not exceed ${label('sessionAbsoluteSeconds')} (3600)`);
  });

  test('an idle timeout longer than the default absolute lifetime is refused', () => {
    const error = errorOf(() => load({ ...REQUIRED, sessionIdleSeconds: '604801' }));
    expect(error.message).toBe(`${label('sessionIdleSeconds')} (604801) must not exceed ${label('sessionAbsoluteSeconds')} (604800)`);
  });

  test.each([
    ['stateTtlSeconds', '1', 'stateTtlSeconds', 1],
    ['stateTtlSeconds', '3600', 'stateTtlSeconds', 3600],
    ['retentionDays', '1', 'retentionDays', 1],
    ['retentionDays', '3650', 'retentionDays', 3650],
    ['requireIss', 'false', 'requireIss', false],
  ] as const)('%s accepts the bound %s', (setting, value, field, expected) => {
    expect(load({ ...REQUIRED, [setting]: value })[field]).toBe(expected);
  });

  test.each(['http://localhost:3000/', 'http://127.0.0.1:3000/', 'http://[::1]:3000/'])(
    'plain http is allowed on loopback (%s) for the local stack',
    (url) => {
      const config = load({ issuerUrl: url, clientId: 'c', baseUrl: url, authorizationEndpoint: `${url}authorize` });
      expect(config.issuer).toBe(url);
      expect(config.authorizationEndpoint).toBe(`${url}authorize`);
      expect(config.baseUrl).toBe(url.slice(0, -1));
    },
  );

  test.each(['issuerUrl', 'clientId', 'baseUrl'] as const)('a missing %s is named', (setting) => {
    const raw: RawSettings = { ...REQUIRED };
    delete raw[setting];
    const error = errorOf(() => load(raw));
    expect(error.message).toBe(`${label(setting)} is not set`);
  });

  test.each<[SettingName, string, string]>([
    ['issuerUrl', 'tenant.example.test', ' is not a valid URL: "tenant.example.test"'],
    ['issuerUrl', 'http://tenant.example.test/', ' must use https (http is allowed only for localhost): "http://tenant.example.test/"'],
    ['issuerUrl', 'http://localhost.evil.test/', ' must use https (http is allowed only for localhost): "http://localhost.evil.test/"'],
    ['issuerUrl', 'ftp://tenant.example.test/', ' must use https (http is allowed only for localhost): "ftp://tenant.example.test/"'],
    ['issuerUrl', 'https://tenant.example.test/?x=1', ' must not contain a query, fragment or credentials: "https://tenant.example.test/?x=1"'],
    ['issuerUrl', 'https://tenant.example.test/#top', ' must not contain a query, fragment or credentials: "https://tenant.example.test/#top"'],
    ['issuerUrl', 'https://user:pw@tenant.example.test/', ' must not contain a query, fragment or credentials: "https://user:pw@tenant.example.test/"'],
    ['clientId', 'client 123', ' must be 1-256 visible ASCII characters'],
    ['clientId', 'c'.repeat(257), ' must be 1-256 visible ASCII characters'],
    ['clientId', 'clïent', ' must be 1-256 visible ASCII characters'],
    ['audience', 'a'.repeat(513), ' must be 1-512 printable ASCII characters'],
    ['audience', 'api\u0001', ' must be 1-512 printable ASCII characters'],
    ['scope', 'openid  profile', ' must be space-separated scope tokens (RFC 6749 §3.3)'],
    ['scope', 'openid "profile"', ' must be space-separated scope tokens (RFC 6749 §3.3)'],
    ['scope', 'openid\\profile', ' must be space-separated scope tokens (RFC 6749 §3.3)'],
    ['authorizationEndpoint', 'http://tenant.example.test/authorize', ' must use https (http is allowed only for localhost): "http://tenant.example.test/authorize"'],
    [
      'authorizationEndpoint',
      'https://tenant.example.test/authorize?connection=x',
      ' must not contain a query, fragment or credentials: "https://tenant.example.test/authorize?connection=x"',
    ],
    ['stateTtlSeconds', '0', ' must be from 1 to 3600, got 0'],
    ['stateTtlSeconds', '3601', ' must be from 1 to 3600, got 3601'],
    ['stateTtlSeconds', '-1', ' must be a whole number from 1 to 3600, got "-1"'],
    ['stateTtlSeconds', '10.5', ' must be a whole number from 1 to 3600, got "10.5"'],
    ['stateTtlSeconds', '1e3', ' must be a whole number from 1 to 3600, got "1e3"'],
    ['stateTtlSeconds', 'ten', ' must be a whole number from 1 to 3600, got "ten"'],
    ['retentionDays', '0', ' must be from 1 to 3650, got 0'],
    ['retentionDays', '3651', ' must be from 1 to 3650, got 3651'],
    ['retentionDays', 'week', ' must be a whole number from 1 to 3650, got "week"'],
    ['requireIss', 'yes', ' must be "true" or "false", got "yes"'],
    ['requireIss', 'TRUE', ' must be "true" or "false", got "TRUE"'],
    ['baseUrl', 'http://login.example.test', ' must use https (http is allowed only for localhost): "http://login.example.test"'],
    ['baseUrl', 'https://login.example.test/?next=x', ' must not contain a query, fragment or credentials: "https://login.example.test/?next=x"'],
    [
      'baseUrl',
      'https://example.test/auth',
      ' must be an origin without a path (the API needs a host of its own: its cookies are scoped to the host), got "https://example.test/auth"',
    ],
    ['clientSecretArn', 'oidc/client-secret', ' must be a Secrets Manager secret ARN, got "oidc/client-secret"'],
    ['clientSecretArn', 'arn:aws:sns:eu-west-1:123456789012:topic', ' must be a Secrets Manager secret ARN, got "arn:aws:sns:eu-west-1:123456789012:topic"'],
    [
      'clientSecretArn',
      'arn:aws:secretsmanager:eu-west-1:12345678901:secret:s',
      ' must be a Secrets Manager secret ARN, got "arn:aws:secretsmanager:eu-west-1:12345678901:secret:s"',
    ],
    [
      'clientSecretArn',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:',
      ' must be a Secrets Manager secret ARN, got "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"',
    ],
    [
      'clientSecretArn',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:a b',
      ' must be a Secrets Manager secret ARN, got "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a b"',
    ],
    ['tokenEndpointAuthMethod', 'private_key_jwt', ' must be one of client_secret_post, client_secret_basic, got "private_key_jwt"'],
    ['tokenEndpointAuthMethod', 'none', ' must be one of client_secret_post, client_secret_basic, got "none"'],
    ['tokenEndpointAuthMethod', 'CLIENT_SECRET_POST', ' must be one of client_secret_post, client_secret_basic, got "CLIENT_SECRET_POST"'],
    ['tokenEndpoint', 'oauth/token', ' is not a valid URL: "oauth/token"'],
    ['tokenEndpoint', 'http://tenant.example.test/oauth/token', ' must use https (http is allowed only for localhost): "http://tenant.example.test/oauth/token"'],
    ['tokenEndpoint', 'https://tenant.example.test/oauth/token?x=1', ' must not contain a query, fragment or credentials: "https://tenant.example.test/oauth/token?x=1"'],
    ['jwksUri', 'http://tenant.example.test/.well-known/jwks.json', ' must use https (http is allowed only for localhost): "http://tenant.example.test/.well-known/jwks.json"'],
    ['jwksUri', 'https://u:p@tenant.example.test/jwks', ' must not contain a query, fragment or credentials: "https://u:p@tenant.example.test/jwks"'],
    ['endSessionEndpoint', 'http://tenant.example.test/oidc/logout', ' must use https (http is allowed only for localhost): "http://tenant.example.test/oidc/logout"'],
    ['endSessionEndpoint', 'https://tenant.example.test/v2/logout#x', ' must not contain a query, fragment or credentials: "https://tenant.example.test/v2/logout#x"'],
    ['idTokenSigningAlgs', 'none', ` may list only ${ALGS} (never none or HS*), got "none"`],
    ['idTokenSigningAlgs', 'HS256', ` may list only ${ALGS} (never none or HS*), got "HS256"`],
    ['idTokenSigningAlgs', 'RS256 HS512', ` may list only ${ALGS} (never none or HS*), got "HS512"`],
    ['idTokenSigningAlgs', 'rs256', ` may list only ${ALGS} (never none or HS*), got "rs256"`],
    ['idTokenSigningAlgs', ', ,', ' must list at least one algorithm'],
    ['sessionIdleSeconds', '59', ' must be from 60 to 34560000, got 59'],
    ['sessionIdleSeconds', 'day', ' must be a whole number from 60 to 34560000, got "day"'],
    ['sessionAbsoluteSeconds', '59', ' must be from 60 to 34560000, got 59'],
    ['sessionAbsoluteSeconds', '34560001', ' must be from 60 to 34560000, got 34560001'],
    ['sessionAbsoluteSeconds', '1w', ' must be a whole number from 60 to 34560000, got "1w"'],
    ['profileClaims', 'name nonce', ' must not list "nonce": it describes the token, not the user'],
    ['profileClaims', 'sub', ' must not list "sub": it describes the token, not the user'],
    ['profileClaims', 'email,sid', ' must not list "sid": it describes the token, not the user'],
    ['profileClaims', 'name$', ' has an invalid claim name "name$"'],
    ['profileClaims', 'c'.repeat(65), ` has an invalid claim name "${'c'.repeat(65)}"`],
    ['profileClaims', ', ,', ' must list at least one claim (sub is always kept)'],
    ['profileClaims', Array.from({ length: 21 }, (_, index) => `claim${index}`).join(' '), ' may list at most 20 claims'],
  ])('%s = %j is rejected with an error that names it', (setting, value, problem) => {
    const error = errorOf(() => load({ ...REQUIRED, [setting]: value }));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe(`${label(setting)}${problem}`);
  });
});

describe('settings from the environment only', () => {
  test('values are trimmed and blank variables count as unset', () => {
    const config = loadConfigFromEnv({
      ...envFor(REQUIRED),
      CLIENT_ID: '  client-123\n',
      STATE_TTL_SECONDS: ' 120 ',
      AUDIENCE: '   ',
      SCOPE: '',
    });
    expect(config.clientId).toBe('client-123');
    expect(config.stateTtlSeconds).toBe(120);
    expect(config.audience).toBeUndefined();
    expect(config.scope).toBe('openid profile email');
  });

  test('a blank required variable is reported as not set', () => {
    expect(errorOf(() => loadConfigFromEnv({ ...envFor(REQUIRED), ISSUER_URL: '  ' })).message).toBe('ISSUER_URL is not set');
  });

  test('settingsToEnv writes exactly what loadConfigFromEnv reads back (what the stack gives each function)', () => {
    const config = loadConfigFromEnv({ ...envFor(REQUIRED), AUDIENCE: 'https://api.example.test', REQUIRE_ISS: 'true' });
    const { baseUrl, redirectUri, ...settings } = config;
    expect(redirectUri).toBe(`${baseUrl}/callback`);
    expect(loadConfigFromEnv({ ...settingsToEnv(settings), BASE_URL: baseUrl })).toEqual(config);
  });

  test('settingsToEnv round-trips every new setting given a non-default value', () => {
    const config = loadConfigFromEnv({
      ...envFor(REQUIRED),
      CLIENT_SECRET_ARN: SECRET_ARN,
      TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_basic',
      TOKEN_ENDPOINT: 'https://tenant.example.test/oauth2/token',
      JWKS_URI: 'https://keys.example.test/jwks',
      END_SESSION_ENDPOINT: 'https://tenant.example.test/v2/logout',
      REVOCATION_ENDPOINT: 'https://tenant.example.test/oauth2/revoke',
      ID_TOKEN_SIGNING_ALGS: 'ES256,PS256',
      SESSION_IDLE_SECONDS: '1800',
      SESSION_ABSOLUTE_SECONDS: '43200',
      PROFILE_CLAIMS: 'name, https://example.test/roles',
      API_URL: 'http://localhost:3000/api-demo',
    });
    const { baseUrl, redirectUri: _redirectUri, ...settings } = config;
    expect(loadConfigFromEnv({ ...settingsToEnv(settings), BASE_URL: baseUrl })).toEqual(config);
  });

  test('settingsToEnv turns CDK context into the environment that rebuilds the same settings', () => {
    const config = parseConfig(
      { ...REQUIRED, clientSecretArn: SECRET_ARN, idTokenSigningAlgs: 'RS256 EdDSA', sessionAbsoluteSeconds: '7200', profileClaims: 'email' },
      contextLabel,
    );
    const { baseUrl, redirectUri: _redirectUri, ...settings } = config;
    expect(loadConfigFromEnv({ ...settingsToEnv(settings), BASE_URL: baseUrl })).toEqual(config);
  });

  test('settingsToEnv omits AUDIENCE and CLIENT_SECRET_ARN when there are none', () => {
    const { baseUrl: _baseUrl, redirectUri: _redirectUri, ...settings } = loadConfigFromEnv(envFor(REQUIRED));
    expect(settingsToEnv(settings)).toEqual(DEFAULT_SETTINGS_ENV);
  });
});

describe.each(FLAVOURS)('every problem at once, from $flavour', ({ load, label }) => {
  test('all missing settings are named in one error, not one per run', () => {
    const error = errorOf(() => load({}));
    expect(error.message).toBe(`${label('issuerUrl')} is not set; ${label('clientId')} is not set; ${label('baseUrl')} is not set`);
  });

  test('several bad settings are each named, and a bad issuer adds no noise about the endpoints derived from it', () => {
    const error = errorOf(() => load({ ...REQUIRED, issuerUrl: 'not a url', stateTtlSeconds: '0', idTokenSigningAlgs: 'HS256' }));
    expect(error.message.split('; ')).toEqual([
      `${label('issuerUrl')} is not a valid URL: "not a url"`,
      `${label('stateTtlSeconds')} must be from 1 to 3600, got 0`,
      `${label('idTokenSigningAlgs')} may list only RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA (never none or HS*), got "HS256"`,
    ]);
  });
});

describe.each(FLAVOURS)('an Auth0 issuer, from $flavour', ({ load, label }) => {
  test.each(['https://tenant.auth0.com', 'https://tenant.eu.auth0.com'])('%s without its trailing slash is refused, with the fix in the message', (issuerUrl) => {
    expect(errorOf(() => load({ ...REQUIRED, issuerUrl })).message).toBe(
      `${label('issuerUrl')} must end with "/" for an Auth0 tenant, as Auth0's iss does: use "${issuerUrl}/"`,
    );
  });

  test('with its trailing slash it is accepted; other providers may spell theirs without one', () => {
    expect(load({ ...REQUIRED, issuerUrl: 'https://tenant.auth0.com/' }).issuer).toBe('https://tenant.auth0.com/');
    expect(load({ ...REQUIRED, issuerUrl: 'https://login.example.test/realms/main' }).issuer).toBe('https://login.example.test/realms/main');
  });
});

describe.each(FLAVOURS)('the API the proxy forwards to, from $flavour', ({ load, label }) => {
  test.each([
    ['https://api.example.test', 'https://api.example.test'],
    ['https://api.example.test/', 'https://api.example.test'],
    ['https://api.example.test/svc/v1', 'https://api.example.test/svc/v1'],
    ['http://localhost:3000/api-demo', 'http://localhost:3000/api-demo'],
    ['http://127.0.0.1:8080/a/b/', 'http://127.0.0.1:8080/a/b'],
  ])('%s is kept as %s (a base path allowed, without its trailing slash)', (apiUrl, expected) => {
    expect(load({ ...REQUIRED, apiUrl }).apiUrl).toBe(expected);
  });

  test.each([
    ['http://api.example.test/v1', 'must use https'],
    ['https://api.example.test/v1?key=1', 'must not contain a query, fragment or credentials'],
    ['https://api.example.test/v1#x', 'must not contain a query, fragment or credentials'],
    ['https://user:pw@api.example.test/v1', 'must not contain a query, fragment or credentials'],
    ['https://api.example.test/a/../b', 'must be a plain URL'],
    ['https://api.example.test/a/./b', 'must be a plain URL'],
    ['https://api.example.test/a%2Fb', 'must be a plain URL'],
    ['https://api.example.test//a', 'must be a plain URL'],
    ['https://api.example.test/a\\b', 'must be a plain URL'],
    ['https://API.example.test/a', 'must be a plain URL'],
    ['not a url', 'is not a valid URL'],
  ])('%s is refused (%s)', (apiUrl, problem) => {
    const message = errorOf(() => load({ ...REQUIRED, apiUrl })).message;
    expect(message.startsWith(label('apiUrl'))).toBe(true);
    expect(message).toContain(problem);
  });
});

describe('the proxy\'s settings', () => {
  test('API_URL is required there, named with every other problem at once', () => {
    expect(errorOf(() => loadApiProxyConfigFromEnv({ CLIENT_ID: 'x' })).message).toBe('ISSUER_URL is not set; BASE_URL is not set; API_URL is not set');
    expect(errorOf(() => loadApiProxyConfigFromEnv({ ...envFor(REQUIRED), API_URL: 'http://api.example.test' })).message).toBe(
      'API_URL must use https (http is allowed only for localhost): "http://api.example.test"',
    );
  });

  test('with it, the proxy gets the whole flow\'s settings and the API', () => {
    const config = loadApiProxyConfigFromEnv({ ...envFor(REQUIRED), API_URL: 'https://api.example.test/v1' });
    expect(config).toEqual({ ...loadConfigFromEnv(envFor(REQUIRED)), apiUrl: 'https://api.example.test/v1' });
  });
});
