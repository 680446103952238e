import * as oauth from 'oauth4webapi';
import type { FlowConfig } from '../core/config.js';
import { parseRefreshResponse, type RefreshAnswer } from '../core/token/session-tokens.js';
import { tokenEndpointClient } from './code-redeemer.js';
import { HttpTimeoutError, type HttpFetch } from './http-client.js';

export interface TokenRefresher {
  /** Never throws: a network failure or timeout is `unavailable`, like a 5xx. */
  refresh(refreshToken: string): Promise<RefreshAnswer>;
}

/**
 * RFC 6749 §6 through oauth4webapi, with the client's own authentication (RFC 9700 §4.14: a
 * confidential client's refresh tokens are bound to its credentials), over the bounded HTTP client.
 * Sent once: a refresh token that may have reached the provider is never presented again.
 */
export function createTokenRefresher(config: FlowConfig, clientSecret: string, fetch: HttpFetch): TokenRefresher {
  const { authorizationServer, client, clientAuthentication, requestOptions } = tokenEndpointClient(config, clientSecret, fetch);
  return {
    async refresh(refreshToken) {
      try {
        const response = await oauth.refreshTokenGrantRequest(authorizationServer, client, clientAuthentication, refreshToken, requestOptions);
        const body = await response.text();
        return parseRefreshResponse({ status: response.status, contentType: response.headers.get('content-type') ?? undefined, body });
      } catch (error) {
        return { kind: 'unavailable', label: error instanceof HttpTimeoutError ? 'token_endpoint_timeout' : 'token_endpoint_unreachable' };
      }
    },
  };
}

export interface TokenRevoker {
  /** Best effort: never throws, and bounded by its HTTP client's timeouts. */
  revoke(refreshToken: string): Promise<void>;
}

/** RFC 7009 at the revocation endpoint, with the client's authentication and a token type hint. */
export function createTokenRevoker(config: FlowConfig, clientSecret: string, fetch: HttpFetch): TokenRevoker {
  const { authorizationServer, client, clientAuthentication, requestOptions } = tokenEndpointClient(config, clientSecret, fetch);
  return {
    async revoke(refreshToken) {
      try {
        const response = await oauth.revocationRequest(authorizationServer, client, clientAuthentication, refreshToken, {
          ...requestOptions,
          additionalParameters: { token_type_hint: 'refresh_token' },
        });
        await response.body?.cancel();
      } catch {
        // Sign-out goes on: the session is already gone here, and the token expires at the provider.
      }
    },
  };
}
