import { readCookie } from '../core/binding.js';
import { ConfigError, loadConfigFromEnv, SETTINGS, type FlowConfig } from '../core/config.js';
import { SESSION_TABLE_NAME_ENV } from '../core/contract.js';
import { randomToken } from '../core/encoding.js';
import { evaluateSession, SESSION_COOKIE_NAME, sessionIdFromCookie, type SealedTokens } from '../core/session/session.js';
import type { AccessTokenOutcome, AccessTokenSource } from '../core/token/access-token-outcome.js';
import {
  accessTokenExpiry,
  backoffDelays,
  decideToken,
  leaseFree,
  mayPresentRefreshToken,
  stillValid,
  type SessionTokens,
} from '../core/token/session-tokens.js';
import { openSessionTokens, sealSessionTokens, type TokenKeyRing } from '../core/token/token-sealing.js';
import { createDynamoDbClient, requireEnv } from './dynamodb-client.js';
import { createHttpClient, PROVIDER_HTTP_OPTIONS } from './http-client.js';
import { loadClientSecret } from './redemption.js';
import { createTokenSessionStore, type TokenSession, type TokenSessionStore } from './session-store.js';
import { loadTokenKeyRing } from './token-keys.js';
import { createTokenRefresher, type TokenRefresher } from './token-refresher.js';

/**
 * The lease outlives the bounded token request (PROVIDER_HTTP_OPTIONS: 5 s for the whole exchange)
 * with room for the writes around it, so a live holder always finishes inside its lease and a
 * lease is only ever taken over from a holder that died. Waiters give up a little after a live
 * holder's worst case.
 */
export const REFRESH_LEASE_MS = PROVIDER_HTTP_OPTIONS.totalTimeoutMs + 3_000;
export const REFRESH_WAIT_MS = PROVIDER_HTTP_OPTIONS.totalTimeoutMs + 1_000;

export interface AccessTokenSourceDependencies {
  readonly config: Pick<FlowConfig, 'sessionIdleSeconds' | 'sessionAbsoluteSeconds' | 'tokenRefreshLeewaySeconds'>;
  readonly sessions: TokenSessionStore;
  readonly keyRing: TokenKeyRing;
  /** Undefined without a client secret: tokens are then used until they expire. */
  readonly refresher: TokenRefresher | undefined;
  /** Wall clock in epoch milliseconds. */
  readonly now: () => number;
  /** @default REFRESH_LEASE_MS */
  readonly leaseMs?: number;
  /** @default REFRESH_WAIT_MS */
  readonly waitMs?: number;
}

/** Holders that keep failing (provider down) are not followed forever: the caller is told to retry. */
const MAX_PASSES = 4;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Step = { readonly done: AccessTokenOutcome } | { readonly again: TokenSession };

/**
 * The access token for a request's session. A due token is refreshed by exactly one caller per
 * session at a time, across every instance: the one whose conditional write takes the lease on the
 * session item. It reads the session again and presents the refresh token only if that is still
 * the stored one, then writes the new tokens and releases the lease in one conditional write.
 * Everyone else uses the current token while it is valid, or waits (bounded, with backoff) for the
 * new one. A holder that died leaves a lease that expires at its deadline.
 */
export function createAccessTokenSource(deps: AccessTokenSourceDependencies): AccessTokenSource {
  const leaseMs = deps.leaseMs ?? REFRESH_LEASE_MS;
  const waitMs = deps.waitMs ?? REFRESH_WAIT_MS;
  const leeway = deps.config.tokenRefreshLeewaySeconds;

  const open = (sessionId: string, sealed: SealedTokens): SessionTokens | undefined => openSessionTokens(deps.keyRing, sessionId, sealed.sealed);
  const token = (session: TokenSession, sealed: SealedTokens, tokens: SessionTokens): AccessTokenOutcome => ({
    kind: 'token',
    accessToken: tokens.accessToken,
    expiresAt: sealed.facts.accessTokenExpiresAt,
    scope: sealed.facts.scope,
    sub: session.sub,
  });

  /** The lease is ours: refresh only over the version we decided on, else take what the other caller wrote. */
  const refreshAsOwner = async (sessionId: string, owner: string, decidedOnVersion: number, refresher: TokenRefresher): Promise<Step> => {
    const current = await deps.sessions.read(sessionId);
    if (current === undefined) return { done: { kind: 'reauthenticate', sessionEnded: true } };
    const held = current.tokens === undefined ? undefined : open(sessionId, current.tokens);
    if (!mayPresentRefreshToken(decidedOnVersion, current.tokenVersion) || current.tokens === undefined || held?.refreshToken === undefined) {
      await deps.sessions.releaseLease(sessionId, owner);
      return { again: current };
    }
    const answer = await refresher.refresh(held.refreshToken);
    if (answer.kind === 'grant_ended') {
      await deps.sessions.remove(sessionId);
      return { done: { kind: 'reauthenticate', sessionEnded: true } };
    }
    if (answer.kind === 'unavailable') {
      await deps.sessions.releaseLease(sessionId, owner);
      return { done: { kind: 'provider_unavailable' } };
    }
    const refreshed: SessionTokens = {
      accessToken: answer.tokens.accessToken,
      // RFC 6749 §6: without a new refresh token the old one stays valid.
      refreshToken: answer.tokens.refreshToken ?? held.refreshToken,
      idToken: answer.tokens.idToken ?? held.idToken,
    };
    const sealed = sealSessionTokens(deps.keyRing, sessionId, refreshed, {
      accessTokenExpiresAt: accessTokenExpiry(answer.tokens.expiresIn, deps.now()),
      scope: answer.tokens.scope ?? current.tokens.facts.scope,
    });
    // Should the write find the lease lost, the new access token is still good for this request.
    await deps.sessions.completeRefresh(sessionId, owner, decidedOnVersion, sealed);
    return { done: token(current, sealed, refreshed) };
  };

  /** Another caller holds the lease: poll until its tokens are written, or the lease is free again. */
  const waitForHolder = async (sessionId: string, seenVersion: number): Promise<Step> => {
    for (const delay of backoffDelays(waitMs)) {
      await sleep(delay);
      const current = await deps.sessions.read(sessionId);
      if (current === undefined) return { done: { kind: 'reauthenticate', sessionEnded: true } };
      if (current.tokenVersion !== seenVersion || leaseFree(current.lease, deps.now())) return { again: current };
    }
    return { done: { kind: 'refresh_in_progress' } };
  };

  const step = async (sessionId: string, session: TokenSession): Promise<Step> => {
    if (session.tokens === undefined) return { done: { kind: 'reauthenticate', sessionEnded: false } };
    const tokens = open(sessionId, session.tokens);
    if (tokens === undefined) return { done: { kind: 'reauthenticate', sessionEnded: false } };
    const refresher = deps.refresher;
    const decision = decideToken(session.tokens.facts, tokens.refreshToken !== undefined && refresher !== undefined, deps.now(), leeway);
    if (decision === 'use') return { done: token(session, session.tokens, tokens) };
    if (decision === 'reauthenticate' || refresher === undefined) return { done: { kind: 'reauthenticate', sessionEnded: false } };
    const nowMs = deps.now();
    const owner = randomToken();
    if (leaseFree(session.lease, nowMs) && (await deps.sessions.takeLease(sessionId, { owner, until: nowMs + leaseMs }, nowMs))) {
      return refreshAsOwner(sessionId, owner, session.tokenVersion, refresher);
    }
    // Someone else is refreshing: a token that is still valid serves this request meanwhile.
    if (stillValid(session.tokens.facts, deps.now())) return { done: token(session, session.tokens, tokens) };
    return waitForHolder(sessionId, session.tokenVersion);
  };

  return {
    async forRequest(cookies) {
      const sessionId = sessionIdFromCookie(readCookie(cookies, SESSION_COOKIE_NAME));
      if (sessionId === undefined) return { kind: 'unauthenticated' };
      let session = await deps.sessions.read(sessionId);
      if (session === undefined || evaluateSession(session, deps.config, deps.now()).status !== 'active') return { kind: 'unauthenticated' };
      // Each pass either ends or follows a change another caller made (a refresh, a released lease).
      for (let pass = 0; pass < MAX_PASSES; pass += 1) {
        const next = await step(sessionId, session);
        if ('done' in next) return next.done;
        session = next.again;
      }
      return { kind: 'refresh_in_progress' };
    },
  };
}

/**
 * Cold start, awaited at a handler's top level: configuration (unless the caller already read it),
 * the key ring and the client secret are read once per execution environment, and the store is
 * warmed up.
 */
export async function accessTokenSourceFromEnv(env: NodeJS.ProcessEnv, config: FlowConfig = loadConfigFromEnv(env)): Promise<AccessTokenSource> {
  const httpClient = createHttpClient();
  const [keyRing, clientSecret] = await Promise.all([loadTokenKeyRing(env, config, httpClient), loadClientSecret(env, config, httpClient)]);
  if (keyRing === undefined) {
    throw new ConfigError(`calling the API needs the token keys: set ${SETTINGS.tokenKeySecretArn.envVar}`);
  }
  const sessions = createTokenSessionStore(createDynamoDbClient(env), requireEnv(env, SESSION_TABLE_NAME_ENV));
  await sessions.warmUp();
  return createAccessTokenSource({
    config,
    sessions,
    keyRing,
    refresher: clientSecret === undefined ? undefined : createTokenRefresher(config, clientSecret, httpClient.fetch),
    now: Date.now,
  });
}
