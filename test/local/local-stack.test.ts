import { existsSync } from 'node:fs';
import { ConfigError } from '../../lambdas/core/config.js';
import { LOCAL_CLIENT_ID, startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { signInAtProvider } from '../support/provider-sign-in.js';
import { runningJavaChildren, stackClient, type StackClient } from './support.js';

/** The local stack as a black box over HTTP: what `npm start` serves, without a browser. */
const STARTUP_TIMEOUT_MS = 120_000;

interface RequestLine {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

let stack: LocalStack;
let client: StackClient;
let environmentBefore: NodeJS.ProcessEnv;
let javaBefore: number;
const requests: RequestLine[] = [];

beforeAll(async () => {
  environmentBefore = { ...process.env };
  javaBefore = runningJavaChildren().length;
  stack = await startLocalStack({ onRequest: (method, path, status) => requests.push({ method, path, status }) });
  client = stackClient(stack.baseUrl);
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  await stack?.stop();
});

test('GET / explains the demo and links to /login; an unknown route gets our 404 page, with the security headers', async () => {
  const home = await client.get('/');
  expect(home.status).toBe(200);
  expect(home.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(await home.text()).toContain(`href="${stack.loginUrl}"`);

  for (const path of ['/nowhere', '/login/extra', '/.env']) {
    const missing = await client.get(path);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
    expect(missing.headers.get('referrer-policy')).toBe('no-referrer');
    expect(missing.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(await missing.text()).toContain('<h1>Not found</h1>');
  }
});

test('/login sends the browser to the provider\'s advertised /authorize with PKCE, for the registered client', async () => {
  const discovery = (await (await fetch(`${stack.issuer}.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  expect(discovery.issuer).toBe(stack.issuer);
  expect(discovery.authorization_response_iss_parameter_supported).toBe(true);

  const response = await client.get('/login');
  const location = new URL(response.headers.get('location') ?? '');
  expect(`${location.origin}${location.pathname}`).toBe(discovery.authorization_endpoint);
  expect(location.searchParams.get('client_id')).toBe(LOCAL_CLIENT_ID);
  expect(location.searchParams.get('redirect_uri')).toBe(`${stack.baseUrl}/callback`);
  expect(location.searchParams.get('code_challenge_method')).toBe('S256');

  // The provider knows the client and its redirect URI, and stops at its login page.
  const atProvider = await fetch(location, { redirect: 'manual' });
  expect(atProvider.status).toBe(303);
  expect(atProvider.headers.get('location')).toMatch(/^\/interaction\//);
});

test('the embedded provider refuses an authorization request without PKCE', async () => {
  const response = await client.get('/login');
  const location = new URL(response.headers.get('location') ?? '');
  location.searchParams.delete('code_challenge');
  location.searchParams.delete('code_challenge_method');
  const atProvider = await fetch(location, { redirect: 'manual' });
  const back = new URL(atProvider.headers.get('location') ?? '');
  expect(back.searchParams.get('error')).toBe('invalid_request');
  expect(back.searchParams.get('iss')).toBe(stack.issuer);
});

test('the embedded provider keeps Auth0\'s audience parameter (its consent page names the API)', async () => {
  const location = new URL((await client.get('/login')).headers.get('location') ?? '');
  location.searchParams.set('audience', 'https://api.example.test/orders');
  const pages: string[] = [];
  await signInAtProvider(location.href, { login: 'olivia', onPage: (_url, _response, html) => pages.push(html) });
  expect(pages.some((html) => html.includes('To call the API <code>https://api.example.test/orders</code>'))).toBe(true);
});

/** A real code for a fresh login: the stack redeems it, so a made-up one would end in a failed sign-in. */
async function providerAnswer(): Promise<{ code: string; state: string; cookie: string }> {
  const { authorizeUrl, cookie } = await client.login();
  const redirect = await signInAtProvider(authorizeUrl, { login: 'pat' });
  return { code: redirect.searchParams.get('code') ?? '', state: redirect.searchParams.get('state') ?? '', cookie };
}

test('the functions run with REQUIRE_ISS: a response without iss consumes nothing, the same with iss signs in', async () => {
  const { code, state, cookie } = await providerAnswer();
  const withoutIss = await client.get(`/callback?${new URLSearchParams({ code, state })}`, cookie);
  expect(withoutIss.status).toBe(400);
  expect(await withoutIss.text()).toContain('did not say which identity provider');

  const completed = await client.get(`/callback?${new URLSearchParams({ code, state, iss: stack.issuer })}`, cookie);
  expect(completed.status).toBe(303);
  expect(completed.headers.get('location')).toBe(`${stack.baseUrl}/signed-in`);
  expect(completed.headers.getSetCookie().some((header) => header.startsWith('__Host-session='))).toBe(true);
});

test('the adapter hands the raw query to the function, which refuses a duplicated parameter', async () => {
  const { code, state, cookie } = await providerAnswer();
  const query = `code=${encodeURIComponent(code)}&state=${state}&state=${state}&iss=${encodeURIComponent(stack.issuer)}`;
  expect((await client.get(`/callback?${query}`, cookie)).status).toBe(400);
  // Still pending: the well-formed response for the same state goes through.
  expect((await client.get(`/callback?${new URLSearchParams({ code, state, iss: stack.issuer })}`, cookie)).status).toBe(303);
});

test('request lines carry the path only, never the query string', () => {
  expect(requests.length).toBeGreaterThan(0);
  for (const line of requests) expect(line.path).not.toContain('?');
  expect(requests).toContainEqual({ method: 'GET', path: '/callback', status: 303 });
});

test('the functions get their settings in their own threads; this process\'s environment is untouched', () => {
  expect(process.env).toEqual(environmentBefore);
});

test('a configuration error is reported, naming the variable, before anything starts', async () => {
  await expect(startLocalStack({ settings: { stateTtlSeconds: 'ten' } })).rejects.toThrow(ConfigError);
  await expect(startLocalStack({ settings: { issuerUrl: 'https://tenant.example.test/' } })).rejects.toThrow('CLIENT_ID is not set');
  expect(runningJavaChildren()).toHaveLength(javaBefore + 1);
});

test('with ISSUER_URL set the embedded provider does not start; stop() ends it all and is safe to call twice', async () => {
  const external = await startLocalStack({ settings: { issuerUrl: 'https://tenant.example.test/', clientId: 'app' } });
  expect(external.embeddedProvider).toBe(false);
  expect(runningJavaChildren()).toHaveLength(javaBefore + 2);
  try {
    const response = await fetch(external.loginUrl, { redirect: 'manual' });
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://tenant.example.test/authorize');
    expect(location.searchParams.get('client_id')).toBe('app');
  } finally {
    await Promise.all([external.stop(), external.stop()]);
  }
  expect(runningJavaChildren()).toHaveLength(javaBefore + 1);
  expect(existsSync(external.build.bundles.login)).toBe(false);
  await expect(fetch(external.loginUrl)).rejects.toThrow();
}, STARTUP_TIMEOUT_MS);
