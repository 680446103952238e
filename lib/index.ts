/**
 * The package's entry point for a CDK app of your own: `import { OidcLogin } from 'serverless-oidc-login'`.
 * Your app's functions get the signed-in user from `serverless-oidc-login/app`.
 */
export { OidcLogin, DEFAULT_THROTTLE, DEFAULT_REJECTED_CALLBACKS_ALARM_THRESHOLD } from './oidc-login.js';
export type { OidcLoginProps, OidcLoginSettings, OidcLoginSettingValue } from './oidc-login.js';
export { ConfigError } from '../lambdas/core/config.js';
export { RateLimitedEdge, MIN_REQUESTS_PER_FIVE_MINUTES } from './rate-limited-edge.js';
export type { RateLimitedEdgeProps } from './rate-limited-edge.js';
