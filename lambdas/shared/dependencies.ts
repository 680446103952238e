import {
  APP_PAGE_PATH_ENV,
  AUTHORIZER_MODE_ENV,
  AUTHORIZER_MODES,
  LOGOUT_TOKEN_TABLE_NAME_ENV,
  SESSION_TABLE_NAME_ENV,
  TABLE_NAME_ENV,
  type AuthorizerMode,
} from '../core/contract.js';
import { ConfigError, loadConfigFromEnv, loadLoginConfigFromEnv, type FlowConfig, type LoginConfig } from '../core/config.js';
import { originSecretFromEnv } from '../core/origin-verify.js';
import type { TokenKeyRing } from '../core/token/token-sealing.js';
import type { CodeRedeemer } from './code-redeemer.js';
import type { TokenRevoker } from './token-refresher.js';
import { createDynamoDbClient, requireEnv } from './dynamodb-client.js';
import { writeRequestLog, type RequestLogger } from './request-log.js';
import { createBackchannelStore, type BackchannelStore } from './logout-token-store.js';
import { createSessionReader, createSessionStore, type SessionReader, type SessionStore } from './session-store.js';
import { createCallbackStore, createPendingStore, type CallbackStore, type PendingStore } from './transaction-store.js';

/** What every function needs; injected, so tests can move the clock and capture the logs. */
export interface BaseDependencies {
  readonly config: FlowConfig;
  /** Wall clock in epoch milliseconds. */
  readonly now: () => number;
  readonly log: RequestLogger;
  /** Set when the rate-limited edge is in front: a request without it is refused. @default none */
  readonly originSecret?: string | undefined;
}

export interface LoginDependencies extends Omit<BaseDependencies, 'config'> {
  /** The login validates only the settings it uses. */
  readonly config: LoginConfig;
  readonly store: PendingStore;
}

export interface CallbackDependencies extends BaseDependencies {
  readonly store: CallbackStore;
  /** Only with a client secret configured: without one the flow stops at the recorded code. */
  readonly redeemer?: CodeRedeemer;
  /** Only with the token keys configured: without them the session keeps no tokens. */
  readonly keyRing?: TokenKeyRing;
}

/** The session and logout functions. */
export interface SessionDependencies extends BaseDependencies {
  readonly sessions: SessionStore;
  /** The app's page the signed-in page links, when the stack has one (a path on the base URL). */
  readonly appPagePath?: string;
}

/** The runtime side every function shares: the clock, the log line, and the edge's secret when there is one. */
function runtimeFromEnv(env: NodeJS.ProcessEnv): Omit<BaseDependencies, 'config'> {
  return { now: Date.now, log: writeRequestLog, originSecret: originSecretFromEnv(env) };
}

/** Cold start: read and validate everything once, so a bad deploy fails loudly, naming the setting. */
export function loginDependenciesFromEnv(env: NodeJS.ProcessEnv): LoginDependencies {
  return {
    config: loadLoginConfigFromEnv(env),
    store: createPendingStore(createDynamoDbClient(env), requireEnv(env, TABLE_NAME_ENV)),
    ...runtimeFromEnv(env),
  };
}

export function callbackDependenciesFromEnv(env: NodeJS.ProcessEnv): CallbackDependencies {
  const sessionsTable = env[SESSION_TABLE_NAME_ENV];
  return {
    config: loadConfigFromEnv(env),
    store: createCallbackStore(
      createDynamoDbClient(env),
      requireEnv(env, TABLE_NAME_ENV),
      sessionsTable === undefined || sessionsTable === '' ? undefined : sessionsTable,
    ),
    ...runtimeFromEnv(env),
  };
}

/** The logout function: with the token keys it sends the ID token as a hint, and with the client secret it revokes the refresh token. */
export interface LogoutDependencies extends SessionDependencies {
  readonly keyRing?: TokenKeyRing;
  readonly revoker?: TokenRevoker;
}

export function sessionDependenciesFromEnv(env: NodeJS.ProcessEnv): SessionDependencies {
  return {
    config: loadConfigFromEnv(env),
    sessions: createSessionStore(createDynamoDbClient(env), requireEnv(env, SESSION_TABLE_NAME_ENV)),
    ...appPagePathFromEnv(env),
    ...runtimeFromEnv(env),
  };
}

/** A plain absolute path only: it is put in a link on our own origin. */
function appPagePathFromEnv(env: NodeJS.ProcessEnv): { readonly appPagePath?: string } {
  const value = env[APP_PAGE_PATH_ENV];
  if (value === undefined || value === '') return {};
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(value) || value.startsWith('//')) throw new ConfigError(`${APP_PAGE_PATH_ENV} must be a plain path such as /hello/page, got "${value}"`);
  return { appPagePath: value };
}

export interface AuthorizerDependencies extends BaseDependencies {
  readonly sessions: SessionReader;
  readonly mode: AuthorizerMode;
}

export function authorizerDependenciesFromEnv(env: NodeJS.ProcessEnv): AuthorizerDependencies {
  const value = env[AUTHORIZER_MODE_ENV] ?? 'require';
  const mode = AUTHORIZER_MODES.find((candidate) => candidate === value);
  if (mode === undefined) throw new ConfigError(`${AUTHORIZER_MODE_ENV} must be one of ${AUTHORIZER_MODES.join(', ')}, got "${value}"`);
  return {
    config: loadConfigFromEnv(env),
    sessions: createSessionReader(createDynamoDbClient(env), requireEnv(env, SESSION_TABLE_NAME_ENV)),
    mode,
    ...runtimeFromEnv(env),
  };
}

export interface BackchannelDependencies extends BaseDependencies {
  readonly store: BackchannelStore;
}

export function backchannelDependenciesFromEnv(env: NodeJS.ProcessEnv): BackchannelDependencies {
  return {
    config: loadConfigFromEnv(env),
    store: createBackchannelStore(createDynamoDbClient(env), requireEnv(env, SESSION_TABLE_NAME_ENV), requireEnv(env, LOGOUT_TOKEN_TABLE_NAME_ENV)),
    ...runtimeFromEnv(env),
  };
}
