import type { FlowSettings } from '../../lambdas/core/config.js';

/** The two settings without a default, as CDK context keys (env and context share these values in the tests). */
export const REQUIRED_SETTINGS = { issuerUrl: 'https://tenant.example.test/', clientId: 'client-123' } as const;

/** What the documented defaults make of just those two settings. */
export const DEFAULT_FLOW_SETTINGS: FlowSettings = {
  issuer: 'https://tenant.example.test/',
  clientId: 'client-123',
  audience: undefined,
  scope: 'openid profile email',
  authorizationEndpoint: 'https://tenant.example.test/authorize',
  stateTtlSeconds: 600,
  retentionDays: 7,
  requireIss: false,
  clientSecretArn: undefined,
  tokenEndpointAuthMethod: 'client_secret_post',
  tokenEndpoint: 'https://tenant.example.test/oauth/token',
  jwksUri: 'https://tenant.example.test/.well-known/jwks.json',
  endSessionEndpoint: 'https://tenant.example.test/oidc/logout',
  revocationEndpoint: 'https://tenant.example.test/oauth/revoke',
  idTokenSigningAlgs: ['RS256'],
  sessionIdleSeconds: 86_400,
  sessionAbsoluteSeconds: 604_800,
  profileClaims: ['name', 'email', 'email_verified', 'picture', 'org_id'],
  apiUrl: undefined,
  tokenKeySecretArn: undefined,
  tokenRefreshLeewaySeconds: 60,
};

/** Those defaults as every sign-in function receives them in its environment. */
export const DEFAULT_SETTINGS_ENV = {
  ISSUER_URL: 'https://tenant.example.test/',
  CLIENT_ID: 'client-123',
  SCOPE: 'openid profile email',
  AUTHORIZATION_ENDPOINT: 'https://tenant.example.test/authorize',
  STATE_TTL_SECONDS: '600',
  RETENTION_DAYS: '7',
  REQUIRE_ISS: 'false',
  TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_post',
  TOKEN_ENDPOINT: 'https://tenant.example.test/oauth/token',
  JWKS_URI: 'https://tenant.example.test/.well-known/jwks.json',
  END_SESSION_ENDPOINT: 'https://tenant.example.test/oidc/logout',
  REVOCATION_ENDPOINT: 'https://tenant.example.test/oauth/revoke',
  ID_TOKEN_SIGNING_ALGS: 'RS256',
  SESSION_IDLE_SECONDS: '86400',
  SESSION_ABSOLUTE_SECONDS: '604800',
  PROFILE_CLAIMS: 'name email email_verified picture org_id',
  TOKEN_REFRESH_LEEWAY_SECONDS: '60',
} as const;
