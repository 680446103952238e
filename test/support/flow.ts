import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CALLBACK_ROUTE } from '../../lambdas/callback/app.js';
import { transactionIdForState } from '../../lambdas/core/authorization-request.js';
import { BINDING_COOKIE_NAME } from '../../lambdas/core/binding.js';
import type { FlowConfig } from '../../lambdas/core/config.js';
import type { HttpResponse } from '../../lambdas/core/http.js';
import { LOGIN_ROUTE } from '../../lambdas/login/app.js';
import { LOGOUT_POST_ROUTE, LOGOUT_ROUTE } from '../../lambdas/logout/app.js';
import { ME_ROUTE, SIGNED_IN_ROUTE } from '../../lambdas/session/app.js';
import { SESSION_COOKIE_NAME } from '../../lambdas/core/session/session.js';
import type { TokenKeyRing } from '../../lambdas/core/token/token-sealing.js';
import type { TokenRevoker } from '../../lambdas/shared/token-refresher.js';
import type { CodeRedeemer } from '../../lambdas/shared/code-redeemer.js';
import type { SessionStore } from '../../lambdas/shared/session-store.js';
import type { TransactionStore } from '../../lambdas/shared/transaction-store.js';
import { toApiGatewayEvent } from '../../local/api-gateway-adapter.js';
import { createTestTable, getItem, localClient, testEndpoint, type StoredItem } from './dynamodb.js';
import { wireHandlers } from './handlers.js';

export const TEST_ISSUER = 'https://tenant.example.test/';
export const TEST_BASE_URL = 'https://login.example.test';

export function testConfig(overrides: Partial<FlowConfig> = {}): FlowConfig {
  const baseUrl = overrides.baseUrl ?? TEST_BASE_URL;
  return {
    issuer: TEST_ISSUER,
    clientId: 'test-client',
    audience: 'https://api.example.test',
    scope: 'openid profile email',
    authorizationEndpoint: `${TEST_ISSUER}authorize`,
    stateTtlSeconds: 600,
    retentionDays: 7,
    requireIss: false,
    clientSecretArn: undefined,
    tokenEndpointAuthMethod: 'client_secret_post',
    tokenEndpoint: `${TEST_ISSUER}oauth/token`,
    jwksUri: `${TEST_ISSUER}.well-known/jwks.json`,
    endSessionEndpoint: `${TEST_ISSUER}oidc/logout`,
    revocationEndpoint: `${TEST_ISSUER}oauth/revoke`,
    idTokenSigningAlgs: ['RS256'],
    sessionIdleSeconds: 86_400,
    tokenKeySecretArn: undefined,
    tokenRefreshLeewaySeconds: 60,
    sessionAbsoluteSeconds: 604_800,
    profileClaims: ['name', 'email', 'email_verified', 'picture', 'org_id'],
    apiUrl: undefined,
    ...overrides,
    baseUrl,
    redirectUri: `${baseUrl}/callback`,
  };
}

/** An API Gateway payload 2.0 event as the HTTP API would build it for this request. */
export function apiEvent(routeKey: string, rawQueryString = '', cookieHeader?: string, extraHeaders: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return toApiGatewayEvent({
    method,
    url: rawQueryString === '' ? path : `${path}?${rawQueryString}`,
    headers: { host: 'login.example.test', 'user-agent': 'jest', ...extraHeaders, ...(cookieHeader === undefined ? {} : { cookie: cookieHeader }) },
    sourceIp: '127.0.0.1',
    routeKey,
    domainName: 'login.example.test',
  });
}

export function bindingCookieHeader(secret: string): string {
  return `${BINDING_COOKIE_NAME}=${secret}`;
}

export interface LoginResult {
  readonly response: HttpResponse;
  readonly authorizeUrl: URL;
  readonly state: string;
  readonly transactionId: string;
  /** The binding secret the login set (or reused) for this browser. */
  readonly bindingSecret: string;
}

/** A sign-out as our own page's Sign-out button sends it (the only kind that ends a session at once). */
export const FROM_OWN_PAGE = { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', origin: TEST_BASE_URL } } as const;

export interface TestFlow {
  readonly config: FlowConfig;
  readonly tableName: string;
  readonly sessionTableName: string;
  readonly client: DynamoDBClient;
  /** Wall clock the handlers see; move it to test expiry. */
  readonly clock: { nowMs: number };
  /** Every log line the handlers wrote, as written. */
  readonly logs: string[];
  login(rawQueryString?: string, bindingSecret?: string): Promise<LoginResult>;
  /** With the browser's session cookie too when given (a sign-in in a browser already signed in). */
  callback(rawQueryString: string, bindingSecret?: string, sessionSecret?: string): Promise<HttpResponse>;
  /** GET /signed-in, the built-in landing page, with the session cookie when given. */
  signedIn(sessionSecret?: string): Promise<HttpResponse>;
  /** GET /me with the session cookie when given. */
  me(sessionSecret?: string): Promise<HttpResponse>;
  /** GET (or POST) /logout with the session cookie when given. */
  logout(sessionSecret?: string, options?: { method?: 'GET' | 'POST'; headers?: Record<string, string> }): Promise<HttpResponse>;
  item(transactionId: string): Promise<StoredItem | undefined>;
  /** The session item by the hash of its secret. */
  sessionItem(sessionId: string): Promise<StoredItem | undefined>;
  close(): void;
}

export interface TestFlowOptions {
  readonly config?: Partial<FlowConfig>;
  /** Wraps the real store, e.g. to count calls or inject faults. */
  readonly wrapStore?: (store: TransactionStore) => TransactionStore;
  readonly wrapSessions?: (store: SessionStore) => SessionStore;
  readonly client?: DynamoDBClient;
  readonly redeemer?: CodeRedeemer;
  readonly keyRing?: TokenKeyRing;
  readonly revoker?: TokenRevoker;
}

function bindingSecretFrom(response: HttpResponse): string {
  const cookie = response.cookies?.find((value) => value.startsWith(`${BINDING_COOKIE_NAME}=`));
  const secret = cookie?.slice(BINDING_COOKIE_NAME.length + 1).split(';', 1)[0];
  if (secret === undefined) throw new Error('login set no binding cookie');
  return secret;
}

/** Both handlers wired to a fresh table in DynamoDB Local, with a movable clock and captured logs. */
export async function createTestFlow(options: TestFlowOptions = {}): Promise<TestFlow> {
  const endpoint = testEndpoint();
  const [tableName, sessionTableName] = await Promise.all([createTestTable(endpoint), createTestTable(endpoint)]);
  const client = options.client ?? localClient(endpoint);
  const config = testConfig(options.config);
  const clock = { nowMs: Date.now() };
  const handlers = wireHandlers({
    client,
    tableName,
    sessionTableName,
    config,
    now: () => clock.nowMs,
    ...(options.wrapStore === undefined ? {} : { wrapStore: options.wrapStore }),
    ...(options.wrapSessions === undefined ? {} : { wrapSessions: options.wrapSessions }),
    ...(options.redeemer === undefined ? {} : { redeemer: options.redeemer }),
    ...(options.keyRing === undefined ? {} : { keyRing: options.keyRing }),
    ...(options.revoker === undefined ? {} : { revoker: options.revoker }),
  });
  const { login: loginHandler, callback: callbackHandler, logs } = handlers;
  const sessionCookie = (secret: string | undefined): string | undefined => (secret === undefined ? undefined : `${SESSION_COOKIE_NAME}=${secret}`);
  return {
    config,
    tableName,
    sessionTableName,
    client,
    clock,
    logs,
    async login(rawQueryString = '', bindingSecret) {
      const response = await loginHandler(
        apiEvent(LOGIN_ROUTE, rawQueryString, bindingSecret === undefined ? undefined : bindingCookieHeader(bindingSecret)),
      );
      if (response.statusCode !== 302) return { response } as LoginResult;
      const authorizeUrl = new URL(response.headers.location ?? '');
      const state = authorizeUrl.searchParams.get('state') ?? '';
      return { response, authorizeUrl, state, transactionId: transactionIdForState(state), bindingSecret: bindingSecretFrom(response) };
    },
    callback(rawQueryString, bindingSecret, sessionSecret) {
      const cookies = [bindingSecret === undefined ? undefined : bindingCookieHeader(bindingSecret), sessionCookie(sessionSecret)].filter((cookie) => cookie !== undefined);
      return callbackHandler(apiEvent(CALLBACK_ROUTE, rawQueryString, cookies.length === 0 ? undefined : cookies.join('; ')));
    },
    signedIn: (sessionSecret) => handlers.session(apiEvent(SIGNED_IN_ROUTE, '', sessionCookie(sessionSecret))),
    me: (sessionSecret) => handlers.session(apiEvent(ME_ROUTE, '', sessionCookie(sessionSecret))),
    logout: (sessionSecret, logoutOptions = {}) =>
      handlers.logout(
        apiEvent(logoutOptions.method === 'POST' ? LOGOUT_POST_ROUTE : LOGOUT_ROUTE, '', sessionCookie(sessionSecret), logoutOptions.headers),
      ),
    item: (transactionId) => getItem(client, tableName, transactionId),
    sessionItem: (sessionId) => getItem(client, sessionTableName, sessionId),
    close: () => {
      if (options.client === undefined) client.destroy();
    },
  };
}

/** `state=...&code=...` (plus any extra pairs), encoded like a provider's redirect. */
export function callbackQuery(parameters: Record<string, string>): string {
  return new URLSearchParams(parameters).toString();
}
