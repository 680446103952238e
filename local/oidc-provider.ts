import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { escapeHtml } from '../lambdas/core/pages.js';
import { closeServer } from './close-server.js';
import { findFreePort } from './free-port.js';

/**
 * An embedded OpenID provider (panva's certified `oidc-provider`) standing in for an Auth0 tenant:
 * Auth0's endpoint paths, `audience` accepted, PKCE required, RFC 9207 `iss` in every
 * authorization response, one public client, and the library's development login (any user name)
 * and consent pages. Everything lives in memory and is gone when it stops.
 */
export interface EmbeddedProviderOptions {
  readonly clientId: string;
  /** The only redirect URI the client may use: `<BASE_URL>/callback`. */
  readonly redirectUri: string;
  /** @default a free port */
  readonly port?: number;
}

export interface EmbeddedProvider {
  /** `http://127.0.0.1:<port>/`: ends with a slash like an Auth0 issuer, and `iss` equals it byte for byte. */
  readonly issuer: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Auth0's paths, so the functions derive `<issuer>authorize` exactly as they do against a tenant. */
const AUTH0_ROUTES = {
  authorization: '/authorize',
  token: '/oauth/token',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  revocation: '/oauth/revoke',
  end_session: '/oidc/logout',
} as const;

const SIGNING_ALGORITHM = 'ES256';
const TTL_SECONDS = { Interaction: 600, Session: 3600, Grant: 3600 } as const;

interface ProviderInstance {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: object) => ProviderInstance;

function isProviderModule(value: unknown): value is { default: ProviderConstructor } {
  return typeof value === 'object' && value !== null && 'default' in value && typeof value.default === 'function';
}

/**
 * The library announces, on every start, that it prefers Node 22 and that its development
 * conveniences are on. Both are expected for a local stand-in; any other warning still prints.
 */
const EXPECTED_WARNINGS = ['Unsupported runtime', 'a quick start development-only'];

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
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: SIGNING_ALGORITHM }] };
}

function providerConfiguration(options: EmbeddedProviderOptions): object {
  return {
    jwks: signingKeys(),
    clients: [
      {
        client_id: options.clientId,
        redirect_uris: [options.redirectUri],
        // The functions never redeem the code; a public client keeps the stand-in free of secrets.
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: SIGNING_ALGORITHM,
      },
    ],
    routes: AUTH0_ROUTES,
    // Without this the library silently drops Auth0's `audience` parameter.
    extraParams: ['audience'],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    ttl: TTL_SECONDS,
    findAccount: (_context: unknown, accountId: string) => ({ accountId, claims: () => ({ sub: accountId }) }),
    renderError: (context: { type: string; body: string }, output: { error: string; error_description?: string }) => {
      context.type = 'html';
      context.body =
        `<!doctype html><title>Provider error</title><h1>${escapeHtml(output.error)}</h1>` +
        `<p>${escapeHtml(output.error_description ?? '')}</p>`;
    },
  };
}

export async function startEmbeddedProvider(options: EmbeddedProviderOptions): Promise<EmbeddedProvider> {
  const port = options.port ?? (await findFreePort());
  const issuer = `http://127.0.0.1:${port}/`;
  const provider = await withoutExpectedWarnings(async () => {
    // A variable specifier: the package ships no type declarations, so its shape is checked below instead.
    const specifier = 'oidc-provider';
    const loaded: unknown = await import(specifier);
    if (!isProviderModule(loaded)) throw new Error('oidc-provider did not export a Provider class');
    return new loaded.default(issuer, providerConfiguration(options));
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    issuer,
    port,
    stop: () => closeServer(server),
  };
}
