import {
  ConfigError,
  SETTINGS,
  contextLabel,
  loadConfigFromEnv,
  parseConfig,
  settingsToEnv,
  type FlowConfig,
  type RawSettings,
  type SettingName,
} from '../../lambdas/core/config.js';
import { DEFAULT_FLOW_SETTINGS, REQUIRED_SETTINGS } from '../support/settings.js';

const REQUIRED: RawSettings = { ...REQUIRED_SETTINGS, baseUrl: 'https://login.example.test' };

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
        baseUrl: 'https://example.test/auth/',
        retentionDays: '30',
        requireIss: 'true',
      }),
    ).toEqual<FlowConfig>({
      issuer: 'https://tenant.example.test/',
      clientId: 'client-123',
      audience: 'https://api.example.test',
      scope: 'openid',
      authorizationEndpoint: 'https://tenant.example.test/oauth2/authorize',
      stateTtlSeconds: 900,
      baseUrl: 'https://example.test/auth',
      redirectUri: 'https://example.test/auth/callback',
      retentionDays: 30,
      requireIss: true,
    });
  });

  test('the issuer is kept byte for byte (iss is compared exactly); the default endpoint adds the slash Auth0 needs', () => {
    const config = load({ ...REQUIRED, issuerUrl: 'https://tenant.example.test' });
    expect(config.issuer).toBe('https://tenant.example.test');
    expect(config.authorizationEndpoint).toBe('https://tenant.example.test/authorize');
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

  test('settingsToEnv omits AUDIENCE when there is none', () => {
    const { baseUrl: _baseUrl, redirectUri: _redirectUri, ...settings } = loadConfigFromEnv(envFor(REQUIRED));
    expect(Object.keys(settingsToEnv(settings)).sort()).toEqual([
      'AUTHORIZATION_ENDPOINT',
      'CLIENT_ID',
      'ISSUER_URL',
      'REQUIRE_ISS',
      'RETENTION_DAYS',
      'SCOPE',
      'STATE_TTL_SECONDS',
    ]);
  });
});
