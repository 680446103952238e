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
  idTokenSigningAlgs: ['RS256'],
  sessionIdleSeconds: 86_400,
  sessionAbsoluteSeconds: 604_800,
  profileClaims: ['name', 'email', 'email_verified', 'picture', 'org_id'],
};
