import { randomToken } from '../../lambdas/core/encoding.js';
import type { FlowConfig } from '../../lambdas/core/config.js';
import { SESSION_COOKIE_NAME } from '../../lambdas/core/session/session.js';
import type { HttpResponse } from '../../lambdas/core/http.js';
import { createCodeRedeemer, type CodeRedeemer } from '../../lambdas/shared/code-redeemer.js';
import { providerKeys } from '../../lambdas/shared/provider-keys.js';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../../lambdas/shared/http-client.js';
import { startEmbeddedProvider, type EmbeddedProvider, type EmbeddedProviderOptions } from '../../local/oidc-provider.js';
import { TEST_BASE_URL } from './flow.js';

/** The embedded provider registered for the test flow's client, and the config that points the functions at it. */
export interface TestProvider {
  readonly provider: EmbeddedProvider;
  readonly clientSecret: string;
  configFor(overrides?: Partial<FlowConfig>): Partial<FlowConfig>;
}

export const TEST_CLIENT_ID = 'test-client';

export async function startTestProvider(options: Pick<EmbeddedProviderOptions, 'accessTokenTtlSeconds'> = {}): Promise<TestProvider> {
  const clientSecret = randomToken();
  const provider = await startEmbeddedProvider({
    clientId: TEST_CLIENT_ID,
    clientSecret,
    redirectUri: `${TEST_BASE_URL}/callback`,
    postLogoutRedirectUri: `${TEST_BASE_URL}/signed-out`,
    ...options,
  });
  return {
    provider,
    clientSecret,
    configFor: (overrides = {}) => ({
      issuer: provider.issuer,
      clientId: TEST_CLIENT_ID,
      audience: undefined,
      authorizationEndpoint: `${provider.issuer}authorize`,
      tokenEndpoint: provider.tokenEndpoint,
      jwksUri: provider.jwksUri,
      endSessionEndpoint: provider.endSessionEndpoint,
      revocationEndpoint: provider.revocationEndpoint,
      requireIss: true,
      ...overrides,
    }),
  };
}

/** The production redeemer: the functions' own HTTP client, JWKS cache and oauth4webapi request. */
export function testRedeemer(config: FlowConfig, clientSecret: string, httpOptions?: HttpClientOptions): { redeemer: CodeRedeemer; http: HttpClient } {
  const http = createHttpClient(httpOptions);
  const keys = providerKeys(http.fetch, config.jwksUri);
  return { redeemer: createCodeRedeemer({ config, clientSecret, fetch: http.fetch, keys, now: Date.now }), http };
}

/** The session secret a response set, if any. */
export function sessionSecretFrom(response: HttpResponse): string | undefined {
  const cookie = response.cookies?.find((value) => value.startsWith(`${SESSION_COOKIE_NAME}=`));
  const secret = cookie?.slice(SESSION_COOKIE_NAME.length + 1).split(';', 1)[0];
  return secret === '' ? undefined : secret;
}
