import { leftOut } from './left-out.js';

/**
 * Stands in for `@aws-sdk/credential-provider-node`, the default credential chain (SSO, INI
 * profiles, credential_process, web identity, container and instance metadata, with the STS, SSO
 * and sign-in clients they use). The client references it as its fallback and calls it only when no
 * `credentials` were given; lambdas/shared/dynamodb-client.ts always gives them.
 */
export function defaultProvider(): never {
  return leftOut('@aws-sdk/credential-provider-node', 'the client is always given the credentials Lambda puts in its environment');
}
