import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { closeServer } from './close-server.js';
import { createProviderStorage } from './provider-storage.js';
import { findFreePort } from './free-port.js';
import { consentPage, errorPage, loginPage, logoutPage, providerPageCsp, signedOutPage } from './provider-pages.js';

/**
 * An embedded OpenID provider (panva's certified `oidc-provider`) standing in for an Auth0 tenant:
 * Auth0's endpoint paths, `audience` accepted, PKCE required, RFC 9207 `iss` in every
 * authorization response, one confidential client, RS256 ID tokens carrying Auth0's profile and
 * email claims, RS256 JWT access tokens for one API (`audience`) with its scope, rotating refresh
 * tokens with reuse detection for `offline_access`, revocation at Auth0's `/oauth/revoke`, and
 * sign-in, consent and sign-out pages of its own that accept any user name.
 * Everything lives in memory and is gone when it stops.
 */
export interface EmbeddedProviderOptions {
  readonly clientId: string;
  /** Sent by the client in the token request body (`client_secret_post`), as Auth0 accepts it. */
  readonly clientSecret: string;
  /** The only redirect URI the client may use: `<BASE_URL>/callback`. */
  readonly redirectUri: string;
  /** The only URI the end-session endpoint may send the browser back to. */
  readonly postLogoutRedirectUri: string;
  /** When set, ending a session POSTs a logout token here, with the session's `sid`. */
  readonly backchannelLogoutUri?: string;
  /** @default a free port */
  readonly port?: number;
  /**
   * `auth0`: Auth0's paths, which the functions derive from the issuer by default. `standard`: the
   * library's own paths, as another provider would have, so only discovery finds them.
   * @default 'auth0'
   */
  readonly paths?: keyof typeof ROUTES;
  /** Shown on the sign-in, consent and sign-out pages. @default DEFAULT_APPLICATION_NAME */
  readonly applicationName?: string;
  /** The API its JWT access tokens are for (Auth0's `audience`). @default LOCAL_AUDIENCE */
  readonly audience?: string;
  /** Lifetime of an access token, short to watch a refresh happen. @default DEFAULT_ACCESS_TOKEN_TTL_SECONDS */
  readonly accessTokenTtlSeconds?: number;
}

/** What a test can read of the provider's token traffic; counts only, never a token. */
export interface ProviderCounters {
  /** refresh_token grants answered with new tokens. */
  readonly refreshGrants: number;
  /** refresh_token requests refused (invalid_grant and every other error). */
  readonly refreshRefusals: number;
  /** Grants revoked because a rotated-out refresh token was presented again (reuse detection). */
  readonly reuseRevocations: number;
  /** Requests to the revocation endpoint (RFC 7009). */
  readonly revocationRequests: number;
}

export interface EmbeddedProvider {
  /** `http://127.0.0.1:<port>/`: ends with a slash like an Auth0 issuer, and `iss` equals it byte for byte. */
  readonly issuer: string;
  readonly port: number;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  readonly endSessionEndpoint: string;
  readonly revocationEndpoint: string;
  counters(): ProviderCounters;
  stop(): Promise<void>;
}

export const DEFAULT_APPLICATION_NAME = 'Serverless OIDC login (local)';
/** The local stack's API identifier (Auth0: the API's "Identifier", sent as `audience`) when AUDIENCE is unset. */
export const LOCAL_AUDIENCE = 'https://demo-api.local/';
/** The permission the demo API asks for. */
export const LOCAL_API_SCOPE = 'read:whoami';
/** The local stack's default scope: signing in, a refresh token, and the demo API's permission. */
export const LOCAL_SCOPE = `openid profile email offline_access ${LOCAL_API_SCOPE}`;
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3600;

/** Auth0's paths, so the functions derive `<issuer>authorize` exactly as they do against a tenant. */
const AUTH0_ROUTES = {
  authorization: '/authorize',
  token: '/oauth/token',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  revocation: '/oauth/revoke',
  end_session: '/oidc/logout',
} as const;

/** oidc-provider's defaults, spelled out so the URLs handed back match them. */
const ROUTES = {
  auth0: AUTH0_ROUTES,
  standard: { authorization: '/auth', token: '/token', userinfo: '/me', jwks: '/jwks', revocation: '/token/revocation', end_session: '/session/end' },
} as const;

const SIGNING_ALGORITHM = 'RS256';
/** Codes live as long as a login's state may (10 minutes), so a sign-in paused at the provider can still finish. */
const TTL_SECONDS = { AuthorizationCode: 600, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 86_400, RefreshToken: 86_400 } as const;
/** Auth0's standard claims, granted per scope; `sub` always. */
const CLAIMS_BY_SCOPE = { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] } as const;
const EMAIL_DOMAIN = 'example.test';
/** A sign-in form is a few hundred bytes; anything far larger is not one. */
const MAX_FORM_BYTES = 16 * 1024;
const INTERACTION_ROUTE = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/;

/** The parts of the untyped library this module relies on. */
interface InteractionDetails {
  readonly uid: string;
  readonly prompt: {
    readonly name: string;
    readonly details: {
      readonly missingOIDCScope?: string[];
      readonly missingOIDCClaims?: string[];
      readonly missingResourceScopes?: Readonly<Record<string, string[]>>;
    };
  };
  readonly params: { readonly client_id?: string; readonly scope?: string; readonly audience?: string };
  readonly session?: { readonly accountId?: string };
  readonly grantId?: string;
}
type InteractionResult =
  | { readonly login: { readonly accountId: string } }
  | { readonly consent: { readonly grantId: string } }
  | { readonly error: string; readonly error_description: string };
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: readonly string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface GrantModel {
  new (properties: { readonly accountId: string; readonly clientId: string }): Grant;
  find(id: string): Promise<Grant | undefined>;
}
interface ProviderInstance {
  callback(): RequestListener;
  interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    request: IncomingMessage,
    response: ServerResponse,
    result: InteractionResult,
    options: { readonly mergeWithLastSubmission: boolean },
  ): Promise<void>;
  readonly Grant: GrantModel;
  readonly Client: { readonly prototype: { includeSid(): boolean } };
  on(event: 'grant.success', listener: (context: TokenContext) => void): void;
  on(event: 'grant.error', listener: (context: TokenContext, error: { readonly error_detail?: string }) => void): void;
  on(event: 'grant.revoked', listener: (context: TokenContext) => void): void;
}
/** The slice of the library's request context its token events carry. */
interface TokenContext {
  readonly oidc: { readonly params?: { readonly grant_type?: unknown } };
}
type ProviderConstructor = new (issuer: string, configuration: object) => ProviderInstance;

/** The slice of the library's request context its page hooks use. */
interface PageContext {
  type: string;
  body: unknown;
  set(field: string, value: string): void;
}

function isProviderModule(value: unknown): value is { default: ProviderConstructor } {
  return typeof value === 'object' && value !== null && 'default' in value && typeof value.default === 'function';
}

/**
 * The library announces, on every start, that it prefers Node 22: expected for a local stand-in
 * (its state is in our own storage, so its in-memory warning no longer appears); any other warning
 * still prints.
 */
const EXPECTED_WARNINGS = ['Unsupported runtime'];

async function withoutExpectedWarnings<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (text.includes('oidc-provider WARNING:') && EXPECTED_WARNINGS.some((expected) => text.includes(expected))) return;
    warn(...args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}

/** A fresh signing key per start, so the library's published development key is never in use. */
function signingKeys(): { keys: object[] } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(12).toString('base64url');
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: SIGNING_ALGORITHM }] };
}

/** The claims Auth0 derives from a database connection's user, here from nothing but the name typed at sign-in. */
function accountClaims(login: string): Record<string, string | boolean> {
  const mailbox = login.toLowerCase().replace(/[^a-z0-9._-]/g, '-');
  return { sub: login, name: login, email: `${mailbox}@${EMAIL_DOMAIN}`, email_verified: true };
}

function sendPage(response: ServerResponse, status: number, html: string, csp: string): void {
  response.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': csp,
    'Cache-Control': 'no-store',
  });
  response.end(html);
}

function renderInto(context: PageContext, html: string, csp: string): void {
  context.type = 'html';
  context.set('Content-Security-Policy', csp);
  context.set('Cache-Control', 'no-store');
  context.body = html;
}

/** A failure shown to the browser as an error page with its own status. */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new PageError(413, 'invalid_request', 'form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The library's errors carry OAuth's `error` and `error_description` and an HTTP status. */
function describeError(failure: unknown): PageError {
  if (failure instanceof PageError) return failure;
  if (failure instanceof Error && 'error' in failure && typeof failure.error === 'string') {
    const status = 'statusCode' in failure && typeof failure.statusCode === 'number' ? failure.statusCode : 400;
    const description = 'error_description' in failure && typeof failure.error_description === 'string' ? failure.error_description : '';
    return new PageError(status, failure.error, description);
  }
  return new PageError(500, 'server_error', 'the sign-in page failed');
}

interface InteractionSite {
  readonly provider: ProviderInstance;
  readonly applicationName: string;
  readonly csp: string;
}

/**
 * The sign-in and consent steps, in place of the library's development pages. The interaction
 * cookie (scoped to `/interaction/<uid>`) identifies the interaction; the path only has to agree.
 */
async function handleInteraction(
  site: InteractionSite,
  request: IncomingMessage,
  response: ServerResponse,
  uid: string,
  step: string | undefined,
): Promise<void> {
  const { provider, applicationName, csp } = site;
  const details = await provider.interactionDetails(request, response);
  if (details.uid !== uid) throw new PageError(400, 'invalid_request', 'interaction does not match this browser');
  const base = `/interaction/${uid}`;
  const prompt = details.prompt.name;

  if (request.method === 'GET' && step === undefined) {
    if (prompt === 'login') return sendPage(response, 200, loginPage({ applicationName, action: `${base}/login` }), csp);
    if (prompt === 'consent') {
      const scopes = (details.params.scope ?? '').split(' ').filter((scope) => scope !== '');
      return sendPage(response, 200, consentPage({ applicationName, scopes, audience: details.params.audience, action: `${base}/confirm`, denyAction: `${base}/abort` }), csp);
    }
    throw new PageError(501, 'invalid_request', `unsupported prompt ${prompt}`);
  }
  if (request.method !== 'POST') throw new PageError(405, 'invalid_request', 'method not allowed');

  if (step === 'abort') {
    const denied = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    return provider.interactionFinished(request, response, denied, { mergeWithLastSubmission: false });
  }
  if (step === 'login' && prompt === 'login') {
    const login = (await readForm(request)).get('login')?.trim() ?? '';
    if (login === '') return sendPage(response, 400, loginPage({ applicationName, action: `${base}/login`, problem: 'Enter a user name.' }), csp);
    return provider.interactionFinished(request, response, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (step === 'confirm' && prompt === 'consent') {
    const accountId = details.session?.accountId;
    const clientId = details.params.client_id;
    if (accountId === undefined || clientId === undefined) throw new PageError(400, 'invalid_request', 'no signed-in user to consent');
    const grant = (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    if (missingOIDCScope !== undefined) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims !== undefined) grant.addOIDCClaims(missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
    return provider.interactionFinished(request, response, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false });
  }
  throw new PageError(400, 'invalid_request', `this step does not answer the ${prompt} prompt`);
}

/** The one API this provider issues access tokens for: Auth0's `audience` read as RFC 8707's resource. */
function apiResource(audience: string, accessTokenTtlSeconds: number): object {
  const audienceOf = (context: { readonly oidc: { readonly params?: { readonly audience?: unknown } } }): string | undefined => {
    const asked = context.oidc.params?.audience;
    return typeof asked === 'string' && asked !== '' ? asked : undefined;
  };
  return {
    enabled: true,
    // An access token for the API named by `audience`, or for the configured one when none is named.
    defaultResource: (context: Parameters<typeof audienceOf>[0]) => audienceOf(context) ?? audience,
    // Refresh and code exchange carry no `audience`: the grant already names the API.
    useGrantedResource: () => true,
    // Any named API is served (tests name several), each with the demo's permission.
    getResourceServerInfo: (_context: unknown, resource: string) => {
      return { scope: LOCAL_API_SCOPE, audience: resource, accessTokenTTL: accessTokenTtlSeconds, accessTokenFormat: 'jwt', jwt: { sign: { alg: SIGNING_ALGORITHM } } };
    },
  };
}

function providerConfiguration(options: EmbeddedProviderOptions, applicationName: string, csp: string): object {
  const backchannel = options.backchannelLogoutUri;
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  return {
    adapter: createProviderStorage(),
    jwks: signingKeys(),
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        client_name: applicationName,
        redirect_uris: [options.redirectUri],
        post_logout_redirect_uris: [options.postLogoutRedirectUri],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        id_token_signed_response_alg: SIGNING_ALGORITHM,
        ...(backchannel === undefined ? {} : { backchannel_logout_uri: backchannel, backchannel_logout_session_required: true }),
      },
    ],
    routes: ROUTES[options.paths ?? 'auth0'],
    // Without this the library silently drops Auth0's `audience` parameter.
    extraParams: ['audience'],
    pkce: { required: () => true },
    claims: CLAIMS_BY_SCOPE,
    // Auth0 puts the profile and email claims in the ID token itself, not only behind /userinfo.
    conformIdTokenClaims: false,
    interactions: { url: (_context: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      // The library's development pages load a web font from the internet; ours load nothing.
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: backchannel !== undefined },
      resourceIndicators: apiResource(options.audience ?? LOCAL_AUDIENCE, accessTokenTtlSeconds),
      // RFC 7009 §2.1: a client may revoke only its own tokens.
      revocation: { enabled: true, allowedPolicy: (_context: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (context: PageContext, form: string) => renderInto(context, logoutPage({ applicationName, form }), csp),
        postLogoutSuccessSource: (context: PageContext) => renderInto(context, signedOutPage({ applicationName }), csp),
      },
    },
    ttl: { ...TTL_SECONDS, AccessToken: accessTokenTtlSeconds },
    // Auth0's rotating refresh tokens: every use returns a new one, and presenting a used one revokes the grant.
    rotateRefreshToken: () => true,
    // The back-channel receiver is the local stack on loopback, which the library's guard against
    // requests to special-use addresses (the dispatcher it passes) would silently refuse.
    fetch: (url: string | URL, { dispatcher: _guard, ...init }: RequestInit & { readonly dispatcher?: unknown }) => fetch(url, init),
    findAccount: (_context: unknown, accountId: string) => ({ accountId, claims: () => accountClaims(accountId) }),
    renderError: (context: PageContext, output: { error: string; error_description?: string }) =>
      renderInto(context, errorPage({ error: output.error, description: output.error_description }), csp),
  };
}

/**
 * OpenID Connect Core §11 grants `offline_access` only with `prompt=consent`, and the library drops
 * it otherwise; Auth0 grants it to an API that allows offline access without one. An authorization
 * request asking for it without a prompt is read as asking for consent, so the client sends what it
 * sends to Auth0 and the user still approves the refresh token on the consent page.
 */
function withOfflineConsent(url: URL): string {
  const scopes = (url.searchParams.get('scope') ?? '').split(' ');
  if (scopes.includes('offline_access') && !url.searchParams.has('prompt')) url.searchParams.set('prompt', 'consent');
  return `${url.pathname}${url.search}`;
}

export async function startEmbeddedProvider(options: EmbeddedProviderOptions): Promise<EmbeddedProvider> {
  const port = options.port ?? (await findFreePort());
  const issuer = `http://127.0.0.1:${port}/`;
  const applicationName = options.applicationName ?? DEFAULT_APPLICATION_NAME;
  const csp = providerPageCsp([new URL(options.redirectUri).origin, new URL(options.postLogoutRedirectUri).origin]);
  const provider = await withoutExpectedWarnings(async () => {
    // A variable specifier: the package ships no type declarations, so its shape is checked below instead.
    const specifier = 'oidc-provider';
    const loaded: unknown = await import(specifier);
    if (!isProviderModule(loaded)) throw new Error('oidc-provider did not export a Provider class');
    return new loaded.default(issuer, providerConfiguration(options, applicationName, csp));
  });
  // Auth0 puts `sid` in every ID token; the library only does for clients that ask for back-channel logout sessions.
  provider.Client.prototype.includeSid = () => true;

  const counts = { refreshGrants: 0, refreshRefusals: 0, reuseRevocations: 0, revocationRequests: 0 };
  const isRefresh = (context: TokenContext): boolean => context.oidc.params?.grant_type === 'refresh_token';
  provider.on('grant.success', (context) => {
    if (isRefresh(context)) counts.refreshGrants += 1;
  });
  provider.on('grant.error', (context) => {
    if (isRefresh(context)) counts.refreshRefusals += 1;
  });
  // Revoked during a refresh_token grant only by reuse detection ("refresh token already used").
  provider.on('grant.revoked', (context) => {
    if (isRefresh(context)) counts.reuseRevocations += 1;
  });

  const site: InteractionSite = { provider, applicationName, csp };
  const library = provider.callback();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', issuer);
    const path = url.pathname;
    if (path === routes.revocation) counts.revocationRequests += 1;
    if (path === routes.authorization) request.url = withOfflineConsent(url);
    const route = INTERACTION_ROUTE.exec(path);
    if (route === null) return library(request, response);
    handleInteraction(site, request, response, route[1] ?? '', route[2]).catch((failure: unknown) => {
      const { status, error, description } = describeError(failure);
      if (response.headersSent) response.destroy();
      else sendPage(response, status, errorPage({ error, description }), csp);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const routes = ROUTES[options.paths ?? 'auth0'];
  return {
    issuer,
    port,
    jwksUri: new URL(routes.jwks, issuer).href,
    tokenEndpoint: new URL(routes.token, issuer).href,
    endSessionEndpoint: new URL(routes.end_session, issuer).href,
    revocationEndpoint: new URL(routes.revocation, issuer).href,
    counters: () => ({ ...counts }),
    stop: () => closeServer(server),
  };
}
