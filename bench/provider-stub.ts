import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT } from '../lambdas/core/token/logout-token.js';
import { stubCounters, type StubStats } from './stub-counters.js';

/**
 * A loopback stand-in for the identity provider's token endpoint and JWKS, on one origin like the
 * real provider's, so a callback with a client secret takes its whole path: the token request
 * through the keep-alive HTTP client, the JWKS fetch, the RS256 verification. Every well-formed
 * token request (client_secret_post, the verifier the DynamoDB stub hands out) is answered with a
 * freshly signed ID token carrying the nonce that stub hands out; anything else with a 400. It also
 * signs logout tokens on request, with the same key, for the back-channel logout's invocations.
 */

export const TOKEN_PATH = '/oauth/token';
export const JWKS_PATH = '/.well-known/jwks.json';
const KEY_ID = 'bench-key';
const ID_TOKEN_LIFETIME_SECONDS = 600;
/** The provider's session id every logout token names. */
export const LOGOUT_TOKEN_SID = 'bench-provider-session';

export interface ProviderStubOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** What the DynamoDB stub's consumed transactions carry. */
  readonly codeVerifier: string;
  readonly nonce: string;
}

export interface ProviderStub {
  readonly server: Server;
  /** `requests` counts token requests and JWKS fetches; `connections` the TCP connections accepted. */
  stats(): StubStats;
  reset(): void;
  /**
   * `count` logout tokens (Back-Channel Logout §2.4), issued now, each with its own `jti`: a
   * provider never sends one twice, and the function records each to refuse replays.
   */
  logoutTokens(count: number): Promise<string[]>;
}

/** Why a token request is not what the callback should send, if it is not. */
function tokenRequestProblem(request: IncomingMessage, body: string, options: ProviderStubOptions): string | undefined {
  if (!(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return 'not a form';
  const form = new URLSearchParams(body);
  if (form.get('grant_type') !== 'authorization_code') return 'not an authorization code grant';
  if ((form.get('code') ?? '') === '' || (form.get('redirect_uri') ?? '') === '') return 'no code or redirect_uri';
  if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) return 'wrong client credentials';
  if (form.get('code_verifier') !== options.codeVerifier) return 'wrong code_verifier';
  return undefined;
}

export async function createProviderStub(options: ProviderStubOptions): Promise<ProviderStub> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: KEY_ID, alg: 'RS256', use: 'sig' }] });

  const reply = (response: ServerResponse, status: number, body: string): void => {
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    response.end(body);
  };

  const idToken = (): Promise<string> => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    return new SignJWT({ name: 'Bench User', email: 'bench@example.test', nonce: options.nonce })
      .setProtectedHeader({ alg: 'RS256', kid: KEY_ID, typ: 'JWT' })
      .setIssuer(options.issuer)
      .setAudience(options.clientId)
      .setSubject('bench|user')
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ID_TOKEN_LIFETIME_SECONDS)
      .sign(privateKey);
  };

  const logoutToken = (nowSeconds: number): Promise<string> =>
    new SignJWT({ sid: LOGOUT_TOKEN_SID, events: { [BACKCHANNEL_LOGOUT_EVENT]: {} } })
      .setProtectedHeader({ alg: 'RS256', kid: KEY_ID, typ: 'logout+jwt' })
      .setIssuer(options.issuer)
      .setAudience(options.clientId)
      .setIssuedAt(nowSeconds)
      .setJti(randomUUID())
      .sign(privateKey);

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method === 'GET' && request.url === JWKS_PATH) {
        counters.count('jwks');
        return reply(response, 200, jwks);
      }
      if (request.method !== 'POST' || request.url !== TOKEN_PATH) {
        counters.reject();
        return reply(response, 404, JSON.stringify({ error: 'not_found' }));
      }
      const problem = tokenRequestProblem(request, Buffer.concat(chunks).toString('utf8'), options);
      if (problem !== undefined) {
        counters.reject();
        return reply(response, 400, JSON.stringify({ error: 'invalid_grant', error_description: problem }));
      }
      counters.count('token');
      idToken().then(
        (token) =>
          reply(
            response,
            200,
            JSON.stringify({ access_token: randomBytes(32).toString('base64url'), id_token: token, token_type: 'Bearer', expires_in: 86_400 }),
          ),
        // Not a token: the callback answers 502 and the bench fails on it.
        () => reply(response, 500, JSON.stringify({ error: 'server_error' })),
      );
    });
  });
  const counters = stubCounters(server);

  return {
    server,
    stats: counters.stats,
    reset: counters.reset,
    logoutTokens: (count) => {
      const nowSeconds = Math.floor(Date.now() / 1000);
      return Promise.all(Array.from({ length: count }, () => logoutToken(nowSeconds)));
    },
  };
}
