import { bindBrowser, type BrowserBinding } from './binding.js';
import type { LoginConfig } from './config.js';
import { randomToken, sha256Base64Url } from './encoding.js';
import { calculateCodeChallenge, generateCodeVerifier } from './pkce.js';
import { QueryError, parseQuery } from './query.js';
import { sanitizeReturnTo } from './return-to.js';

/**
 * Auth0's documented extras that a login link may pass through to /authorize. Anything else in the
 * login query is ignored, so a link cannot override client_id, redirect_uri, scope or PKCE.
 */
export const PASS_THROUGH_PARAMETERS = [
  'prompt',
  'screen_hint',
  'login_hint',
  'connection',
  'organization',
  'invitation',
  'ui_locales',
] as const;
const MAX_PASS_THROUGH_LENGTH = 256;
/** Auth0 organization ids (`org_` and 16 characters) and names (at most 50) fit; it is kept in the login record, which stays within one write unit. */
const MAX_ORGANIZATION_LENGTH = 64;
const PROMPT_VALUES = new Set(['none', 'login', 'consent', 'select_account']);

export type LoginRejection = 'malformed_query' | 'invalid_parameter';

export class LoginRequestError extends Error {
  override readonly name = 'LoginRequestError';
  constructor(readonly reason: LoginRejection, readonly parameter?: string) {
    super(parameter === undefined ? reason : `${reason}: ${parameter}`);
  }
}

export interface LoginRequest {
  readonly returnTo: string | undefined;
  readonly extras: ReadonlyMap<string, string>;
}

/** Reads `returnTo` (dropped unless a same-origin path) and the allow-listed extras from the login query. */
export function parseLoginQuery(rawQueryString: string | undefined, config: LoginConfig): LoginRequest {
  let params: ReadonlyMap<string, string>;
  try {
    params = parseQuery(rawQueryString);
  } catch (error) {
    if (error instanceof QueryError) throw new LoginRequestError('malformed_query', error.parameter);
    throw error;
  }
  const extras = new Map<string, string>();
  for (const name of PASS_THROUGH_PARAMETERS) {
    const value = params.get(name);
    if (value === undefined) continue;
    if (!isValidExtra(name, value)) throw new LoginRequestError('invalid_parameter', name);
    extras.set(name, value);
  }
  return { returnTo: sanitizeReturnTo(params.get('returnTo'), config.baseUrl), extras };
}

function isValidExtra(name: string, value: string): boolean {
  const maxLength = name === 'organization' ? MAX_ORGANIZATION_LENGTH : MAX_PASS_THROUGH_LENGTH;
  if (value.length === 0 || value.length > maxLength || /[\u0000-\u001f\u007f]/.test(value)) return false;
  if (name === 'prompt') return value.split(' ').every((token) => PROMPT_VALUES.has(token));
  return true;
}

/** What the store keeps for one login attempt until its callback consumes it. */
export interface PendingTransaction {
  /** SHA-256 of the state: a leaked table never yields a usable `state`. */
  readonly id: string;
  readonly codeVerifier: string;
  readonly nonce: string | undefined;
  readonly bindingHash: string;
  readonly returnTo: string | undefined;
  /** Auth0's `organization` as sent to /authorize: the ID token must then be for that organization. */
  readonly organization: string | undefined;
  readonly createdAt: number;
  /** Epoch seconds, the table's TTL attribute, and enforced in the consuming write's condition. */
  readonly expiresAt: number;
}

export interface AuthorizationRequest {
  readonly transaction: PendingTransaction;
  readonly authorizeUrl: string;
  readonly binding: BrowserBinding;
}

export function transactionIdForState(state: string): string {
  return sha256Base64Url(`state:${state}`);
}

function wantsOpenId(scope: string): boolean {
  return scope.split(' ').includes('openid');
}

/** Fresh state, PKCE verifier (S256) and nonce, bound to this browser, and the /authorize URL carrying them. */
export function createAuthorizationRequest(
  config: LoginConfig,
  request: LoginRequest,
  existingBindingSecret: string | undefined,
  nowMs: number,
): AuthorizationRequest {
  const state = randomToken();
  const codeVerifier = generateCodeVerifier();
  const nonce = wantsOpenId(config.scope) ? randomToken() : undefined;
  const binding = bindBrowser(existingBindingSecret);

  const url = new URL(config.authorizationEndpoint);
  const query = url.searchParams;
  query.set('response_type', 'code');
  query.set('client_id', config.clientId);
  query.set('redirect_uri', config.redirectUri);
  query.set('scope', config.scope);
  if (config.audience !== undefined) query.set('audience', config.audience);
  query.set('state', state);
  query.set('code_challenge', calculateCodeChallenge(codeVerifier));
  query.set('code_challenge_method', 'S256');
  if (nonce !== undefined) query.set('nonce', nonce);
  for (const [name, value] of request.extras) query.set(name, value);

  return {
    transaction: {
      id: transactionIdForState(state),
      codeVerifier,
      nonce,
      bindingHash: binding.hash,
      returnTo: request.returnTo,
      organization: request.extras.get('organization'),
      createdAt: nowMs,
      expiresAt: Math.floor(nowMs / 1000) + config.stateTtlSeconds,
    },
    authorizeUrl: url.toString(),
    binding,
  };
}
