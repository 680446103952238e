import { once } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { discoveryContextKey } from '../../lambdas/core/discovery.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomToken } from '../../lambdas/core/encoding.js';
import { closeServer } from '../../local/close-server.js';
import { findFreePort } from '../../local/free-port.js';
import { DEFAULT_STATE_DIRECTORY, LOCAL_TABLE_NAME, stateFileFor, type LocalStackState } from '../../local/local-stack.js';
import { startEmbeddedProvider, type EmbeddedProvider } from '../../local/oidc-provider.js';
import { localClient, scanAll } from '../support/dynamodb.js';
import { signInAtProvider } from '../support/provider-sign-in.js';
import { cleanEnvironment, descendants, spawnStart, stillRunning, waitForReady, type StartProcess } from './support.js';

/**
 * `npm start` as a user runs it with a provider of their own: a child process started with
 * `npm start` and its environment, against an OpenID provider this test starts on another port
 * with the library's standard paths (not Auth0's), so only discovery finds its endpoints. Through
 * sign-in, /me and sign-out, every setting the README lists for `npm start` is used in one of the
 * runs below, each stopped by its PID at the end.
 */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUN_TIMEOUT_MS = 180_000;
const CLIENT_ID = 'your-app';

function npmStart(env: Record<string, string>): StartProcess {
  return spawnStart('npm', ['start'], cleanEnvironment(env));
}

/** SIGTERM to npm's own PID; it passes the signal on, and nothing it started may outlive it. */
async function stop(start: StartProcess): Promise<void> {
  const started = descendants(start.child.pid ?? 0).map(({ pid }) => pid);
  start.child.kill('SIGTERM');
  expect(await start.exited).toBe(0);
  expect(stillRunning(started)).toEqual([]);
}

/** A provider of the test's own on the library's standard paths, registered for the stack at `baseUrl`. */
function startProvider(baseUrl: string, clientSecret: string): Promise<EmbeddedProvider> {
  return startEmbeddedProvider({
    clientId: CLIENT_ID,
    clientSecret,
    redirectUri: `${baseUrl}/callback`,
    postLogoutRedirectUri: `${baseUrl}/signed-out`,
    backchannelLogoutUri: `${baseUrl}/backchannel-logout`,
    paths: 'standard',
  });
}

function cookieOf(response: Response, name: string): { value: string; attributes: string } {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  if (line === undefined) throw new Error(`no ${name} cookie`);
  const [pair = '', ...attributes] = line.split('; ');
  return { value: pair.slice(name.length + 1), attributes: attributes.join('; ') };
}

async function get(url: string, cookie?: string): Promise<Response> {
  return fetch(url, { redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });
}

/** /login (with `query`), the sign-in at the provider, then the callback: the session cookie and where the browser lands. */
async function signIn(baseUrl: string, query: string, user: string): Promise<{ login: Response; callback: Response; session: string }> {
  const login = await get(`${baseUrl}/login${query}`);
  expect(login.status).toBe(302);
  const binding = cookieOf(login, '__Host-login-binding');
  const redirect = await signInAtProvider(login.headers.get('location') ?? '', { login: user });
  const callback = await get(redirect.href, `__Host-login-binding=${binding.value}`);
  expect(callback.status).toBe(303);
  return { login, callback, session: cookieOf(callback, '__Host-session').value };
}

test(
  'discovery: with only ISSUER_URL, CLIENT_ID and CLIENT_SECRET (and the other settings) a standard provider signs in, answers /me and signs out',
  async () => {
    const port = await findFreePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const clientSecret = randomToken();
    const provider = await startProvider(baseUrl, clientSecret);
    const start = npmStart({
      PORT: String(port),
      BASE_URL: baseUrl,
      ISSUER_URL: provider.issuer,
      CLIENT_ID,
      CLIENT_SECRET: clientSecret,
      SCOPE: 'openid profile email',
      AUDIENCE: 'https://api.example.test',
      STATE_TTL_SECONDS: '300',
      RETENTION_DAYS: '3',
      SESSION_IDLE_SECONDS: '3600',
      SESSION_ABSOLUTE_SECONDS: '7200',
      PROFILE_CLAIMS: 'name email',
      AUTHORIZER_CACHE_TTL_SECONDS: '300',
    });
    try {
      await waitForReady(start);
      expect(start.output.stdout).toContain(`Provider:  OpenID provider ${provider.issuer}`);
      expect(start.output.stdout).not.toContain('Warning');

      const { login, callback, session } = await signIn(baseUrl, '?returnTo=%2Fhello%2Fpage', 'grace');
      // The discovered authorization endpoint: the library's /auth, which no Auth0 default would reach.
      const authorize = new URL(login.headers.get('location') ?? '');
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${provider.issuer}auth`);
      expect(authorize.searchParams.get('scope')).toBe('openid profile email');
      expect(authorize.searchParams.get('audience')).toBe('https://api.example.test');
      expect(cookieOf(login, '__Host-login-binding').attributes).toContain('Max-Age=300');
      expect(callback.headers.get('location')).toBe(`${baseUrl}/hello/page`);
      expect(cookieOf(callback, '__Host-session').attributes).toContain('Max-Age=7200');

      const cookie = `__Host-session=${session}`;
      const me = await get(`${baseUrl}/me`, cookie);
      expect(me.status).toBe(200);
      const body = (await me.json()) as Record<string, unknown>;
      // PROFILE_CLAIMS: only name and email are kept, not email_verified.
      expect(body).toMatchObject({ sub: 'grace', name: 'grace', email: 'grace@example.test' });
      expect(body).not.toHaveProperty('email_verified');
      expect(Math.abs(Number(body.expiresAt) - (Math.floor(Date.now() / 1000) + 3600))).toBeLessThan(60);
      const signedIn = await (await get(`${baseUrl}/signed-in`, cookie)).text();
      expect(signedIn).toContain(`<a href="${baseUrl}/hello/page">`);
      expect(signedIn).toContain(`<a href="${baseUrl}/me">`);
      expect((await get(`${baseUrl}/hello`, cookie)).status).toBe(200);

      // RETENTION_DAYS: the record is kept 3 days after the sign-in completed.
      const state = JSON.parse(await readFile(stateFileFor(DEFAULT_STATE_DIRECTORY, port), 'utf8')) as LocalStackState;
      const client = localClient(state.dynamoDbEndpoint);
      try {
        const [record] = (await scanAll(client, LOCAL_TABLE_NAME)).filter((item) => item.sub?.S === 'grace');
        expect(Number(record?.expiresAt?.N) - Math.floor(Number(record?.completedAt?.N) / 1000)).toBe(3 * 86_400);
      } finally {
        client.destroy();
      }

      const logout = await fetch(`${baseUrl}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: baseUrl, 'sec-fetch-site': 'same-origin' } });
      expect(logout.status).toBe(302);
      // The discovered end-session endpoint.
      expect(logout.headers.get('location')).toMatch(new RegExp(`^${provider.issuer}session/end\\?`));
      expect((await get(`${baseUrl}/me`, cookie)).status).toBe(401);
      // AUTHORIZER_CACHE_TTL_SECONDS: the authorizer's answer for this cookie is still cached, as the README warns.
      expect((await get(`${baseUrl}/hello`, cookie)).status).toBe(200);
      await stop(start);
      expect(start.output.stderr).toBe('');
    } finally {
      start.child.kill('SIGKILL');
      await provider.stop();
    }
  },
  RUN_TIMEOUT_MS,
);

/** The test's own front for the provider's endpoints, so a test sees which of them the stack used. */
function startFront(provider: EmbeddedProvider): { server: Server; hits: Record<string, number>; ready: Promise<number> } {
  const hits: Record<string, number> = {};
  const upstream: Record<string, string> = { '/token': provider.tokenEndpoint, '/jwks': provider.jwksUri };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    hits[url.pathname] = (hits[url.pathname] ?? 0) + 1;
    if (url.pathname === '/authorize-here') {
      response.writeHead(302, { location: `${provider.issuer}auth${url.search}` }).end();
      return;
    }
    const target = upstream[url.pathname];
    if (target === undefined) {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'authorization', 'accept']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const body = request.method === 'POST' ? Buffer.concat(chunks) : undefined;
      fetch(target, { method: request.method ?? 'GET', headers, ...(body === undefined ? {} : { body }) }).then(
        async (answer) => {
          response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          response.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => response.writeHead(502).end(),
      );
    });
  });
  const ready = findFreePort().then(async (port) => {
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return port;
  });
  return { server, hits, ready };
}

test(
  'explicit endpoint, iss, client authentication and algorithm settings win over discovery; the default BASE_URL is http://localhost:<PORT>',
  async () => {
    const port = await findFreePort();
    const baseUrl = `http://localhost:${port}`;
    const clientSecret = randomToken();
    const provider = await startProvider(baseUrl, clientSecret);
    const front = startFront(provider);
    const frontUrl = `http://127.0.0.1:${await front.ready}`;
    const start = npmStart({
      PORT: String(port),
      ISSUER_URL: provider.issuer,
      CLIENT_ID,
      CLIENT_SECRET: clientSecret,
      AUTHORIZATION_ENDPOINT: `${frontUrl}/authorize-here`,
      TOKEN_ENDPOINT: `${frontUrl}/token`,
      JWKS_URI: `${frontUrl}/jwks`,
      END_SESSION_ENDPOINT: `${frontUrl}/logout-here`,
      REVOCATION_ENDPOINT: `${frontUrl}/revoke-here`,
      // The provider advertises RFC 9207 and still sends iss; an explicit false is what the functions run with.
      REQUIRE_ISS: 'false',
      TOKEN_ENDPOINT_AUTH_METHOD: 'client_secret_post',
      ID_TOKEN_SIGNING_ALGS: 'PS256 RS256',
    });
    try {
      await waitForReady(start);
      expect(start.output.stdout).toContain(`Sign in:   ${baseUrl}/login`);
      const { login, callback, session } = await signIn(baseUrl, '', 'heidi');
      expect(login.headers.get('location')).toMatch(new RegExp(`^${frontUrl}/authorize-here\\?`));
      expect(callback.headers.get('location')).toBe(`${baseUrl}/signed-in`);
      // The code went through the explicit token endpoint, the keys through the explicit JWKS URI.
      expect(front.hits).toMatchObject({ '/authorize-here': 1, '/token': 1 });
      // At least once: the callback also loads the keys during its init.
      expect(front.hits['/jwks']).toBeGreaterThanOrEqual(1);
      const cookie = `__Host-session=${session}`;
      expect(await (await get(`${baseUrl}/me`, cookie)).json()).toMatchObject({ sub: 'heidi' });
      const logout = await fetch(`${baseUrl}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: baseUrl, 'sec-fetch-site': 'same-origin' } });
      expect(logout.headers.get('location')).toMatch(new RegExp(`^${frontUrl}/logout-here\\?`));
      expect((await get(`${baseUrl}/me`, cookie)).status).toBe(401);
      await stop(start);
    } finally {
      start.child.kill('SIGKILL');
      await Promise.all([provider.stop(), closeServer(front.server)]);
    }
  },
  RUN_TIMEOUT_MS,
);

test(
  'a real provider without CLIENT_SECRET: the banner says sign-in stops at the recorded code, and it does; bad discovery stops npm start naming the issuer',
  async () => {
    const port = await findFreePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const provider = await startProvider(baseUrl, randomToken());
    const front = startFront(provider);
    const frontUrl = `http://127.0.0.1:${await front.ready}/`;
    try {
      // The front serves no discovery document: npm start stops before starting anything, with one line.
      const unknown = npmStart({ PORT: String(port), ISSUER_URL: frontUrl, CLIENT_ID });
      expect(await unknown.exited).toBe(1);
      expect(unknown.output.stderr.trimEnd().split('\n').filter((line) => !line.startsWith('npm '))).toEqual([
        `OpenID provider discovery for ${frontUrl} failed: ${frontUrl}.well-known/openid-configuration answered 404`,
      ]);
      // Another spelling of the issuer (no trailing slash) finds the document, whose issuer is not exactly it.
      const mixedUp = npmStart({ PORT: String(port), ISSUER_URL: provider.issuer.replace(/\/$/, ''), CLIENT_ID });
      expect(await mixedUp.exited).toBe(1);
      expect(mixedUp.output.stderr).toContain('not exactly the configured issuer');

      const start = npmStart({ PORT: String(port), BASE_URL: baseUrl, ISSUER_URL: provider.issuer, CLIENT_ID });
      try {
        await waitForReady(start);
        expect(start.output.stdout).toContain('Warning:   CLIENT_SECRET is not set, so sign-in stops at the recorded code');
        const login = await get(`${baseUrl}/login`);
        const binding = cookieOf(login, '__Host-login-binding');
        const redirect = await signInAtProvider(login.headers.get('location') ?? '', { login: 'ivan' });
        const callback = await get(redirect.href, `__Host-login-binding=${binding.value}`);
        expect(callback.status).toBe(303);
        expect(callback.headers.getSetCookie().some((line) => line.startsWith('__Host-session='))).toBe(false);
        await stop(start);
      } finally {
        start.child.kill('SIGKILL');
      }
    } finally {
      await Promise.all([provider.stop(), closeServer(front.server)]);
    }
  },
  RUN_TIMEOUT_MS,
);

test(
  'npm run discover -- <issuer> caches the discovered settings in cdk.context.json for synth; a failed discovery writes nothing',
  async () => {
    const contextFile = `${PROJECT_ROOT}cdk.context.json`;
    const before = await readFile(contextFile, 'utf8').catch(() => undefined);
    const provider = await startProvider('http://127.0.0.1:1', randomToken());
    const discover = async (issuer: string): Promise<StartProcess> => {
      const run = spawnStart('npm', ['run', '--silent', 'discover', '--', issuer], cleanEnvironment({}));
      await run.exited;
      return run;
    };
    try {
      const run = await discover(provider.issuer);
      expect(await run.exited).toBe(0);
      const context = JSON.parse(await readFile(contextFile, 'utf8')) as Record<string, unknown>;
      expect(context[discoveryContextKey(provider.issuer)]).toEqual({
        authorizationEndpoint: `${provider.issuer}auth`,
        tokenEndpoint: provider.tokenEndpoint,
        jwksUri: provider.jwksUri,
        endSessionEndpoint: provider.endSessionEndpoint,
        revocationEndpoint: provider.revocationEndpoint,
        requireIss: 'true',
        idTokenSigningAlgs: 'RS256',
        tokenEndpointAuthMethod: 'client_secret_post',
      });
      const written = await readFile(contextFile, 'utf8');
      const failed = await discover(provider.issuer.replace(/\/$/, ''));
      expect(await failed.exited).toBe(1);
      expect(failed.output.stderr).toContain('not exactly the configured issuer');
      expect(await readFile(contextFile, 'utf8')).toBe(written);
    } finally {
      await provider.stop();
      if (before === undefined) await rm(contextFile, { force: true });
      else await writeFile(contextFile, before);
    }
  },
  RUN_TIMEOUT_MS,
);
