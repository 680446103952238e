import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { transactionIdForState } from '../../lambdas/core/authorization-request.js';
import { BINDING_COOKIE_NAME } from '../../lambdas/core/binding.js';
import { SESSION_COOKIE_NAME } from '../../lambdas/core/session/session.js';
import { closeServer } from '../../local/close-server.js';
import { startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { getItem, localClient } from '../support/dynamodb.js';

/**
 * The whole flow in a real browser (Debian's Chromium, headless) against the local stack: the
 * functions' Lambda bundles, the payload 2.0 adapter, DynamoDB Local and the embedded provider,
 * which redeems codes, so a sign-in ends with a session and a sign-out goes through the provider.
 */
const OUTPUT_DIR = fileURLToPath(new URL('../../test-output/e2e/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const STARTUP_TIMEOUT_MS = 120_000;

let stack: LocalStack;
let browser: Browser;
let client: DynamoDBClient;
const functionLogs: string[] = [];
/** Every code, state, binding and session secret the browser saw: none may ever reach a log line. */
const secrets = new Set<string>();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it with apt-get install -y chromium (.ci/run does)`);
  // allSettled: if one fails, the other has finished starting and afterAll can stop it.
  const started = await Promise.allSettled([
    startLocalStack({ onFunctionLog: (_name, line) => functionLogs.push(line) }).then((running) => (stack = running)),
    // Playwright gives the browser a fresh, temporary user data dir and removes it on close.
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }).then((launched) => (browser = launched)),
  ]);
  for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
  client = localClient(stack.dynamoDbEndpoint);
  await mkdir(OUTPUT_DIR, { recursive: true });
}, STARTUP_TIMEOUT_MS);

afterAll(async () => {
  client?.destroy();
  await browser?.close();
  await stack?.stop();
});

function isLocal(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1';
}

/** A browser profile of its own per test, so the provider's session never skips a login or consent page. */
async function newBrowserContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  // Nothing in the flow may reach beyond this machine; a request that tries fails the page visibly.
  await context.route((url) => !isLocal(url), (route) => route.abort());
  return context;
}

function isCallback(request: Request): boolean {
  return request.url().startsWith(`${stack.baseUrl}/callback?`);
}

/** The provider's redirect to /callback, exactly as the browser sent it. */
function nextCallbackUrl(page: Page): Promise<URL> {
  return page.waitForRequest(isCallback).then((request) => {
    const url = new URL(request.url());
    for (const name of ['code', 'state']) {
      const value = url.searchParams.get(name);
      if (value !== null) secrets.add(value);
    }
    return url;
  });
}

async function startLogin(page: Page, query = ''): Promise<void> {
  await page.goto(`${stack.loginUrl}${query}`);
  await page.waitForSelector('input[name=login]');
  expect(page.url().startsWith(stack.issuer)).toBe(true);
}

/** The development login form accepts any user name and password. */
async function signInAtProvider(page: Page, user: string): Promise<void> {
  const loginPage = page.url();
  await page.fill('input[name=login]', user);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  await page.waitForURL((url) => url.href !== loginPage);
}

/** Approves the consent screen when the provider shows one (it skips it once this user granted it in this browser). */
async function approveConsent(page: Page): Promise<void> {
  if (page.url().startsWith(stack.issuer)) await page.click('button:has-text("Continue")');
}

async function storedItem(state: string) {
  return getItem(client, stack.tableName, transactionIdForState(state));
}

function param(url: URL, name: string): string {
  const value = url.searchParams.get(name);
  if (value === null) throw new Error(`callback has no ${name}`);
  return value;
}

async function rememberBindingSecret(context: BrowserContext): Promise<void> {
  for (const cookie of await context.cookies(stack.baseUrl)) {
    if (cookie.name === BINDING_COOKIE_NAME || cookie.name === SESSION_COOKIE_NAME) secrets.add(cookie.value);
  }
}

async function me(page: Page): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await page.request.get(`${stack.baseUrl}/me`);
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
}

test('a sign-in redeems the code the provider issued, says who signed in, and its callback works only once', async () => {
  const context = await newBrowserContext();
  const page = await context.newPage();
  const callback = nextCallbackUrl(page);
  await startLogin(page);

  // Chromium keeps the Secure, __Host- binding cookie on http://localhost.
  const [binding] = (await context.cookies(stack.baseUrl)).filter((cookie) => cookie.name === BINDING_COOKIE_NAME);
  expect(binding).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });

  await signInAtProvider(page, 'alice');
  await approveConsent(page);
  await page.waitForURL(`${stack.baseUrl}/signed-in`);
  expect(await page.textContent('h1')).toBe('Signed in');
  expect(await page.textContent('main')).toContain('Signed in as alice (alice@example.test).');
  await page.screenshot({ path: `${OUTPUT_DIR}landing-page.png`, fullPage: true });
  await rememberBindingSecret(context);

  const callbackUrl = await callback;
  expect(param(callbackUrl, 'iss')).toBe(stack.issuer);
  const code = param(callbackUrl, 'code');
  const item = await storedItem(param(callbackUrl, 'state'));
  expect(item?.status?.S).toBe('signed_in');
  expect(item?.sub?.S).toBe('alice');
  expect(item?.code?.S).toBe(code);
  expect(item?.codeVerifier).toBeUndefined();
  const [session] = (await context.cookies(stack.baseUrl)).filter((cookie) => cookie.name === SESSION_COOKIE_NAME);
  expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
  expect(await me(page)).toMatchObject({ status: 200, body: { sub: 'alice', name: 'alice', email: 'alice@example.test' } });

  // The back button to the callback while signed in: where signed-in users land, the record and the session unchanged.
  const recorded = await storedItem(param(callbackUrl, 'state'));
  const replay = await page.goto(callbackUrl.href);
  expect(page.url()).toBe(`${stack.baseUrl}/signed-in`);
  expect(replay?.status()).toBe(200);
  expect(await page.textContent('h1')).toBe('Signed in');
  // Our page (the functions' own CSP), not the provider's or the adapter's.
  expect(replay?.headers()['content-security-policy']).toMatch(/^default-src 'none'/);
  expect(await storedItem(param(callbackUrl, 'state'))).toEqual(recorded);
  expect((await context.cookies(stack.baseUrl)).filter((cookie) => cookie.name === SESSION_COOKIE_NAME)).toEqual([session]);
  // The demo page and /me are one click away.
  expect(await page.getAttribute('a:has-text("Open the app")', 'href')).toBe(`${stack.baseUrl}/hello/page`);
  expect(await page.getAttribute('a[href$="/me"]', 'href')).toBe(`${stack.baseUrl}/me`);

  await rememberBindingSecret(context);
  await context.close();
});

test('two tabs of one browser each finish their own sign-in, the later-started one first', async () => {
  const context = await newBrowserContext();
  const [first, second] = [await context.newPage(), await context.newPage()];
  const firstCallback = nextCallbackUrl(first);
  const secondCallback = nextCallbackUrl(second);
  await startLogin(first, '?returnTo=%2Fsigned-in%3Ftab%3Dfirst');
  await startLogin(second, '?returnTo=%2Fsigned-in%3Ftab%3Dsecond');

  await signInAtProvider(second, 'bob');
  await approveConsent(second);
  await second.waitForURL(`${stack.baseUrl}/signed-in?tab=second`);

  await signInAtProvider(first, 'bob');
  await approveConsent(first);
  await first.waitForURL(`${stack.baseUrl}/signed-in?tab=first`);

  for (const callback of [await firstCallback, await secondCallback]) {
    const item = await storedItem(param(callback, 'state'));
    expect(item?.status?.S).toBe('signed_in');
    expect(item?.code?.S).toBe(param(callback, 'code'));
  }
  expect(param(await firstCallback, 'code')).not.toBe(param(await secondCallback, 'code'));

  await rememberBindingSecret(context);
  await context.close();
});

test('cancelling consent records access_denied and shows a friendly page offering to sign in again', async () => {
  const context = await newBrowserContext();
  const page = await context.newPage();
  const callback = nextCallbackUrl(page);
  await startLogin(page);
  await signInAtProvider(page, 'carol');
  const [response] = await Promise.all([page.waitForResponse((response) => isCallback(response.request())), page.click('button:has-text("Cancel")')]);

  expect(response.status()).toBe(200);
  expect(await page.textContent('h1')).toBe('Sign-in cancelled');
  expect(await page.textContent('main')).toContain('You cancelled the sign-in');
  expect(await page.textContent('main')).not.toContain('access_denied');
  expect(await page.getAttribute('a:has-text("Sign in again")', 'href')).toBe(`${stack.baseUrl}/login`);
  const callbackUrl = await callback;
  expect(param(callbackUrl, 'error')).toBe('access_denied');
  const item = await storedItem(param(callbackUrl, 'state'));
  expect(item?.status?.S).toBe('provider_error');
  expect(item?.error?.S).toBe('access_denied');
  expect(item?.code).toBeUndefined();

  await rememberBindingSecret(context);
  await context.close();
});

/** A sign-in from /login to the landing page, in this context's tab. */
async function signInOnPage(context: BrowserContext, page: Page, user: string): Promise<void> {
  await startLogin(page);
  await signInAtProvider(page, user);
  await approveConsent(page);
  await page.waitForURL(`${stack.baseUrl}/signed-in`);
  await rememberBindingSecret(context);
  expect((await me(page)).status).toBe(200);
}

test('signing out ends the session here and at the provider, and lands on /signed-out', async () => {
  const context = await newBrowserContext();
  const page = await context.newPage();
  await signInOnPage(context, page, 'dave');

  await page.click('button:has-text("Sign out")');
  // The provider asks to confirm ending its own session, then sends the browser back.
  await page.waitForURL((url) => url.href.startsWith(stack.issuer));
  await page.click('button:has-text("Sign out")');
  await page.waitForURL((url) => url.href.startsWith(`${stack.baseUrl}/signed-out`));
  expect(await page.textContent('h1')).toBe('Signed out');
  await page.screenshot({ path: `${OUTPUT_DIR}signed-out-page.png`, fullPage: true });
  expect(await me(page)).toEqual({ status: 401, body: { error: 'unauthenticated' } });
  expect((await context.cookies(stack.baseUrl)).some((cookie) => cookie.name === SESSION_COOKIE_NAME)).toBe(false);

  // The provider's session ended too: a new sign-in asks for credentials again.
  await startLogin(page);
  await context.close();
});

/**
 * A third-party page on another site (127.0.0.1 is not the stack's localhost), served by this test:
 * `/post` auto-submits a sign-out form to the stack, `/navigate` sends the tab to its /logout.
 */
async function startThirdPartySite(logoutUrl: string): Promise<{ origin: string; stop: () => Promise<void> }> {
  const pages: Record<string, string> = {
    '/post': `<form method="post" action="${logoutUrl}"></form><script>document.forms[0].submit()</script>`,
    '/navigate': `<script>location.assign(${JSON.stringify(logoutUrl)})</script>`,
  };
  const server = createServer((request, response) => {
    const body = pages[request.url ?? ''];
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html' }).end(body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stop: () => closeServer(server) };
}

test('a third-party page cannot sign the user out: neither an auto-submitted POST form nor a top-level GET', async () => {
  const thirdParty = await startThirdPartySite(`${stack.baseUrl}/logout`);
  const context = await newBrowserContext();
  try {
    const page = await context.newPage();
    await signInOnPage(context, page, 'frank');

    for (const attack of ['/post', '/navigate']) {
      const [logout] = await Promise.all([
        page.waitForResponse((response) => response.url() === `${stack.baseUrl}/logout`),
        page.goto(`${thirdParty.origin}${attack}`),
      ]);
      // Over plain http this Chromium sends no Fetch Metadata: the POST is refused for its Origin, the GET for carrying neither.
      expect(logout.status()).toBe(200);
      expect(logout.headers()['set-cookie']).toBeUndefined();
      await page.waitForURL(`${stack.baseUrl}/logout`);
      expect(await page.textContent('h1')).toBe('Sign out?');
      expect(await me(page)).toMatchObject({ status: 200, body: { sub: 'frank' } });
    }
    expect((await context.cookies(stack.baseUrl)).some((cookie) => cookie.name === SESSION_COOKIE_NAME)).toBe(true);
  } finally {
    await context.close();
    await thirdParty.stop();
  }
});

test('the demo app: a signed-out browser is refused or sent to sign in; ending the session at the provider ends it here', async () => {
  const context = await newBrowserContext();
  const page = await context.newPage();
  // No cookie at all: API Gateway's 401, before any function runs.
  const refused = await page.request.get(`${stack.baseUrl}/hello`);
  expect(refused.status()).toBe(401);
  expect(await refused.json()).toEqual({ message: 'Unauthorized' });

  // The page sends the browser to sign in, and the sign-in brings it back.
  await page.goto(`${stack.baseUrl}/hello/page`);
  await page.waitForSelector('input[name=login]');
  await signInAtProvider(page, 'erin');
  await approveConsent(page);
  await page.waitForURL(`${stack.baseUrl}/hello/page`);
  expect(await page.textContent('h1')).toBe('Hello, erin');
  await rememberBindingSecret(context);
  const greeting = await page.request.get(`${stack.baseUrl}/hello`);
  expect(greeting.status()).toBe(200);
  expect(await greeting.json()).toEqual({ message: 'Hello, erin!', sub: 'erin', name: 'erin' });

  // Signed out at the provider alone (as after a password change or an admin's revocation):
  // its back-channel logout ends the session here, with nothing done in this app.
  await page.goto(`${stack.issuer}oidc/logout`);
  await page.click('button:has-text("Sign out")');
  await page.waitForURL((url) => url.href.startsWith(stack.issuer) && !url.pathname.endsWith('/oidc/logout'));
  let status = 0;
  for (let attempt = 0; attempt < 50 && status !== 403; attempt += 1) {
    status = (await page.request.get(`${stack.baseUrl}/hello`)).status();
    if (status !== 403) await page.waitForTimeout(100);
  }
  expect(status).toBe(403);
  expect((await me(page)).status).toBe(401);
  await context.close();
});

test('no function log line carries a code, state, binding or session secret', () => {
  expect(functionLogs.length).toBeGreaterThan(0);
  expect(secrets.size).toBeGreaterThanOrEqual(11);
  for (const line of functionLogs) for (const secret of secrets) expect(line).not.toContain(secret);
});
