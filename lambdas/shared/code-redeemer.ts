import * as oauth from 'oauth4webapi';
import type { FlowConfig } from '../core/config.js';
import { pickProfileClaims, verifyIdToken, type ClaimValue } from '../core/token/id-token.js';
import type { KeySetCache } from '../core/token/jwks-cache.js';
import { SignInFailure } from '../core/token/sign-in-failure.js';
import type { SessionTokens } from '../core/token/session-tokens.js';
import { parseTokenResponse } from '../core/token/token-response.js';
import { HttpTimeoutError, type HttpFetch } from './http-client.js';

/** What the consumed login record supplies to redeem its code. */
export interface RedeemRequest {
  readonly code: string;
  readonly codeVerifier: string;
  readonly nonce: string;
  readonly organization: string | undefined;
  /** Epoch milliseconds, as recorded at /login. */
  readonly loginStartedAt: number;
}

export interface SignedInIdentity {
  readonly sub: string;
  readonly sid: string | undefined;
  readonly claims: Readonly<Record<string, ClaimValue>>;
  readonly scope: string | undefined;
  /** What the session keeps, sealed, when the callback has the token keys. */
  readonly tokens: SessionTokens;
  /** RFC 6749 §5.1 `expires_in` of the access token. */
  readonly expiresIn: number | undefined;
}

export interface CodeRedeemer {
  /** Throws SignInFailure with a label; never a token or the provider's text. */
  redeem(request: RedeemRequest): Promise<SignedInIdentity>;
}

export interface CodeRedeemerOptions {
  readonly config: FlowConfig;
  readonly clientSecret: string;
  readonly fetch: HttpFetch;
  readonly keys: KeySetCache;
  /** Wall clock in epoch milliseconds. */
  readonly now: () => number;
}

function networkFailure(error: unknown): SignInFailure {
  return new SignInFailure(error instanceof HttpTimeoutError ? 'token_endpoint_timeout' : 'token_endpoint_unreachable');
}

/** The token endpoint as oauth4webapi addresses it, with this client's authentication: shared by the code, refresh and revocation requests. */
export interface TokenEndpointClient {
  readonly authorizationServer: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly clientAuthentication: oauth.ClientAuth;
  readonly requestOptions: oauth.TokenEndpointRequestOptions;
}

export function tokenEndpointClient(
  config: Pick<FlowConfig, 'issuer' | 'clientId' | 'tokenEndpoint' | 'revocationEndpoint' | 'tokenEndpointAuthMethod'>,
  clientSecret: string,
  fetch: HttpFetch,
): TokenEndpointClient {
  return {
    authorizationServer: { issuer: config.issuer, token_endpoint: config.tokenEndpoint, revocation_endpoint: config.revocationEndpoint },
    client: { client_id: config.clientId },
    clientAuthentication: config.tokenEndpointAuthMethod === 'client_secret_basic' ? oauth.ClientSecretBasic(clientSecret) : oauth.ClientSecretPost(clientSecret),
    requestOptions: {
      [oauth.customFetch]: fetch,
      // Configuration already allows plain http only for loopback (the local stack).
      [oauth.allowInsecureRequests]: new URL(config.tokenEndpoint).protocol === 'http:',
    },
  };
}

/**
 * RFC 6749 §4.1.3 with RFC 7636 §4.5: oauth4webapi builds and sends the token request (client
 * authentication included); the answer and its ID token are then checked by the core, rule by rule.
 * Sent once: a code works once, so a request that may have reached the provider is never repeated.
 */
export function createCodeRedeemer(options: CodeRedeemerOptions): CodeRedeemer {
  const { config } = options;
  const { authorizationServer, client, clientAuthentication, requestOptions } = tokenEndpointClient(config, options.clientSecret, options.fetch);

  return {
    async redeem(request) {
      // oauth4webapi only sends a code it has been handed through validateAuthResponse; ours was
      // validated (state, binding, iss) and consumed before this point, so it is handed over as is.
      const callbackParameters = oauth.validateAuthResponse(
        authorizationServer,
        client,
        new URLSearchParams({ code: request.code }),
        oauth.skipStateCheck,
      );
      let response: Response;
      try {
        response = await oauth.authorizationCodeGrantRequest(
          authorizationServer,
          client,
          clientAuthentication,
          callbackParameters,
          config.redirectUri,
          request.codeVerifier,
          requestOptions,
        );
      } catch (error) {
        throw networkFailure(error);
      }
      let body: string;
      try {
        body = await response.text();
      } catch (error) {
        throw networkFailure(error);
      }
      const tokens = parseTokenResponse({ status: response.status, contentType: response.headers.get('content-type') ?? undefined, body });
      const verified = await verifyIdToken(tokens.idToken, options.keys.getKey, {
        issuer: config.issuer,
        clientId: config.clientId,
        algorithms: config.idTokenSigningAlgs,
        nonce: request.nonce,
        organization: request.organization,
        loginStartedSeconds: Math.floor(request.loginStartedAt / 1000),
        nowSeconds: Math.floor(options.now() / 1000),
      });
      return {
        sub: verified.sub,
        sid: verified.sid,
        claims: pickProfileClaims(verified.payload, config.profileClaims),
        // RFC 6749 §5.1: a response without `scope` granted exactly what was asked for.
        scope: tokens.scope ?? config.scope,
        tokens: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, idToken: tokens.idToken },
        expiresIn: tokens.expiresIn,
      };
    },
  };
}
