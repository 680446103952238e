import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { readFile } from 'node:fs/promises';
import { TABLE_PARTITION_KEY } from '../../lambdas/core/contract.js';
import { randomToken } from '../../lambdas/core/encoding.js';
import { SESSION_COOKIE_NAME } from '../../lambdas/core/session/session.js';
import { closeServer } from '../../local/close-server.js';
import { findFreePort } from '../../local/free-port.js';
import { DEFAULT_STATE_DIRECTORY, LOCAL_SESSION_TABLE_NAME, stateFileFor, type LocalStackState } from '../../local/local-stack.js';
import { localClient, scanAll } from '../support/dynamodb.js';
import { LOCAL_AUDIENCE, LOCAL_SCOPE, startEmbeddedProvider, type EmbeddedProvider } from '../../local/oidc-provider.js';
import { signInAtProvider } from '../support/provider-sign-in.js';
import { cleanEnvironment, descendants, spawnStart, stillRunning, waitForReady, type StartProcess } from './support.js';

/**
 * Calling the API as the signed-in user, through `npm start` as a user runs it: one spawned stack
 * against a provider this test starts (so it can read the provider's grant counters), with the
 * token endpoint behind a front the test owns (so it sees every refresh request the stack sends,
 * and can swallow one). Access tokens live ACCESS_TTL_S and are due LEEWAY_S before expiry, so a
 * refresh is watched in seconds while a burst of calls stays well inside one token's due-free span.
 */
const CLIENT_ID = 'api-caller';
const ACCESS_TTL_S = 16;
const LEEWAY_S = 10;
const CALLERS = 50;
const CHROMIUM = '/usr/bin/chromium';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface TokenFront {
  readonly server: Server;
  readonly url: string;
  /** Refresh-token requests the stack sent, swallowed ones included. */
  refreshRequests: number;
  /** The next refresh request is held unanswered, as by a provider that hangs. */
  swallowNext: boolean;
  readonly held: ServerResponse[];
}

/** Forwards the token endpoint to the provider, counting refresh requests; a swallowed one never reaches it. */
async function startTokenFront(provider: EmbeddedProvider): Promise<TokenFront> {
  const front: TokenFront = { server: createServer(), url: '', refreshRequests: 0, swallowNext: false, held: [] };
  front.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      if (new URLSearchParams(body.toString()).get('grant_type') === 'refresh_token') {
        front.refreshRequests += 1;
        if (front.swallowNext) {
          front.swallowNext = false;
          front.held.push(response);
          return;
        }
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'authorization', 'accept']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      fetch(provider.tokenEndpoint, { method: 'POST', headers, body }).then(
        async (answer) => {
          response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
          response.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => response.writeHead(502).end(),
      );
    });
  });
  const port = await findFreePort();
  front.server.listen(port, '127.0.0.1');
  await once(front.server, 'listening');
  return Object.assign(front, { url: `http://127.0.0.1:${port}/token` });
}

let provider: EmbeddedProvider;
let front: TokenFront;
let start: StartProcess;
let baseUrl = '';
let stackPort = 0;

beforeAll(async () => {
  const port = await findFreePort();
  stackPort = port;
  // localhost: Chromium keeps the Secure, __Host- cookies there over http.
  baseUrl = `http://localhost:${port}`;
  const clientSecret = randomToken();
  provider = await startEmbeddedProvider({
    clientId: CLIENT_ID,
    clientSecret,
    redirectUri: `${baseUrl}/callback`,
    postLogoutRedirectUri: `${baseUrl}/signed-out`,
    backchannelLogoutUri: `${baseUrl}/backchannel-logout`,
    accessTokenTtlSeconds: ACCESS_TTL_S,
  });
  front = await startTokenFront(provider);
  start = spawnStart(
    'npm',
    ['start'],
    cleanEnvironment({
      PORT: String(port),
      BASE_URL: baseUrl,
      ISSUER_URL: provider.issuer,
      CLIENT_ID,
      CLIENT_SECRET: clientSecret,
      SCOPE: LOCAL_SCOPE,
      AUDIENCE: LOCAL_AUDIENCE,
      TOKEN_ENDPOINT: front.url,
      TOKEN_REFRESH_LEEWAY_SECONDS: String(LEEWAY_S),
    }),
  );
  await waitForReady(start);
}, 120_000);

afterAll(async () => {
  const started = descendants(start?.child.pid ?? 0).map(({ pid }) => pid);
  start?.child.kill('SIGTERM');
  const code = await start?.exited;
  for (const response of front?.held ?? []) response.destroy();
  await Promise.all([provider?.stop(), front === undefined ? undefined : closeServer(front.server)]);
  expect(code).toBe(0);
  expect(stillRunning(started)).toEqual([]);
}, 60_000);

function cookieValue(response: Response, name: string): string {
  const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
  if (line === undefined) throw new Error(`no ${name} cookie`);
  return line.split(';', 1)[0] ?? '';
}

/** A browser-less sign-in: the session cookie, as `name=value`, and when its access token was issued. */
async function signIn(user: string): Promise<{ cookie: string; issuedMs: number }> {
  const login = await fetch(`${baseUrl}/login`, { redirect: 'manual' });
  const redirect = await signInAtProvider(login.headers.get('location') ?? '', { login: user });
  const issuedMs = Date.now();
  const callback = await fetch(redirect.href, { redirect: 'manual', headers: { cookie: cookieValue(login, '__Host-login-binding') } });
  expect(callback.status).toBe(303);
  return { cookie: cookieValue(callback, SESSION_COOKIE_NAME), issuedMs };
}

async function whoami(cookie: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}/api/whoami`, { headers: { cookie } });
  return { status: response.status, body: await response.json() };
}

/** Sleeps until the access token issued at `issuedMs` is past its expiry, so every caller needs the refresh. */
const untilExpired = (issuedMs: number): Promise<void> => sleep(Math.max(0, issuedMs + ACCESS_TTL_S * 1000 + 500 - Date.now()));
/** Sleeps until it is due for refresh (inside the leeway) but still valid. */
const untilDue = (issuedMs: number): Promise<void> => sleep(Math.max(0, issuedMs + (ACCESS_TTL_S - LEEWAY_S) * 1000 + 500 - Date.now()));

function tally(statuses: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

test(
  `${CALLERS} concurrent calls of one session with an expired access token: all 200, one refresh at the provider, the token family still alive`,
  async () => {
    const { cookie, issuedMs } = await signIn('concurrent');
    expect(await whoami(cookie)).toEqual({ status: 200, body: { sub: 'concurrent', scopes: ['read:whoami'] } });
    await untilExpired(issuedMs);
    const before = provider.counters();
    const requestsBefore = front.refreshRequests;

    const burstStarted = Date.now();
    const answers = await Promise.all(Array.from({ length: CALLERS }, () => whoami(cookie)));
    const refreshedMs = Date.now();
    console.log(`${CALLERS} calls in ${refreshedMs - burstStarted} ms: ${JSON.stringify(tally(answers.map(({ status }) => status)))}`);

    expect(tally(answers.map(({ status }) => status))).toEqual({ 200: CALLERS });
    for (const { body } of answers) expect(body).toEqual({ sub: 'concurrent', scopes: ['read:whoami'] });
    expect(front.refreshRequests - requestsBefore).toBe(1);
    const after = provider.counters();
    expect(after.refreshGrants - before.refreshGrants).toBe(1);
    expect(after.refreshRefusals - before.refreshRefusals).toBe(0);
    expect(after.reuseRevocations - before.reuseRevocations).toBe(0);

    // The rotated refresh token is the live one: the next due token refreshes again, once.
    await untilDue(refreshedMs);
    expect((await whoami(cookie)).status).toBe(200);
    expect(provider.counters().refreshGrants - after.refreshGrants).toBe(1);
    expect(provider.counters().reuseRevocations).toBe(before.reuseRevocations);
  },
  90_000,
);

/** Sends the burst, sampling how many refresh requests reached the front `sampleAfterMs` into it. */
async function burst(cookie: string, sampleAfterMs: number): Promise<{ statuses: Record<number, number>; refreshRequestsAtSample: number; elapsedMs: number }> {
  const startedMs = Date.now();
  let refreshRequestsAtSample = -1;
  const sample = sleep(sampleAfterMs).then(() => (refreshRequestsAtSample = front.refreshRequests));
  const answers = await Promise.all(Array.from({ length: CALLERS }, () => whoami(cookie)));
  await sample;
  return { statuses: tally(answers.map(({ status }) => status)), refreshRequestsAtSample, elapsedMs: Date.now() - startedMs };
}

test(
  'the lease holder\'s refresh hangs: while its lease is held nobody else presents the refresh token; after it gives up, exactly one refresh succeeds',
  async () => {
    const { cookie, issuedMs } = await signIn('hung-holder');
    await untilExpired(issuedMs);
    const before = provider.counters();
    const requestsBefore = front.refreshRequests;
    front.swallowNext = true;

    // Sampled at 4 s: the holder's token request is bounded at 5 s, so its lease is still held then.
    const result = await burst(cookie, 4_000);
    console.log(`hung holder: ${CALLERS} calls in ${result.elapsedMs} ms: ${JSON.stringify(result.statuses)}; front saw ${front.refreshRequests - requestsBefore} refresh requests`);

    expect(result.refreshRequestsAtSample - requestsBefore).toBe(1);
    expect(front.refreshRequests - requestsBefore).toBe(2);
    // The holder answers 502 (provider timeout) and keeps the session; everyone else gets the refreshed token.
    expect(result.statuses).toEqual({ 200: CALLERS - 1, 502: 1 });
    const after = provider.counters();
    expect(after.refreshGrants - before.refreshGrants).toBe(1);
    expect(after.reuseRevocations - before.reuseRevocations).toBe(0);
    expect((await whoami(cookie)).status).toBe(200);
  },
  90_000,
);

test(
  'a lease whose holder died (never released) blocks every refresh until its deadline; then exactly one caller refreshes and all get 200',
  async () => {
    const { cookie, issuedMs } = await signIn('dead-holder');
    await untilExpired(issuedMs);
    const state = JSON.parse(await readFile(stateFileFor(DEFAULT_STATE_DIRECTORY, stackPort), 'utf8')) as LocalStackState;
    const client = localClient(state.dynamoDbEndpoint);
    try {
      const [item] = (await scanAll(client, LOCAL_SESSION_TABLE_NAME)).filter((candidate) => candidate.sub?.S === 'dead-holder');
      const id = item?.[TABLE_PARTITION_KEY];
      if (id === undefined) throw new Error('no session item for dead-holder');
      // The lease as a holder that crashed right after taking it leaves it: its owner never comes back.
      await client.send(
        new UpdateItemCommand({
          TableName: LOCAL_SESSION_TABLE_NAME,
          Key: { [TABLE_PARTITION_KEY]: id },
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ExpressionAttributeValues: { ':owner': { S: 'crashed-holder' }, ':until': { N: String(Date.now() + 3_000) } },
        }),
      );
    } finally {
      client.destroy();
    }
    const before = provider.counters();
    const requestsBefore = front.refreshRequests;

    const result = await burst(cookie, 2_000);
    console.log(`dead holder: ${CALLERS} calls in ${result.elapsedMs} ms: ${JSON.stringify(result.statuses)}; front saw ${front.refreshRequests - requestsBefore} refresh requests`);

    expect(result.refreshRequestsAtSample - requestsBefore).toBe(0);
    expect(result.statuses).toEqual({ 200: CALLERS });
    expect(front.refreshRequests - requestsBefore).toBe(1);
    const after = provider.counters();
    expect(after.refreshGrants - before.refreshGrants).toBe(1);
    expect(after.reuseRevocations - before.reuseRevocations).toBe(0);
  },
  90_000,
);

test(
  'Chromium: "Call the API" shows sub and scopes; after the access token expires the next press is refreshed; after sign-out the old cookie gets 401',
  async () => {
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${baseUrl}/login`);
      await page.fill('input[name=login]', 'chromium-user');
      await page.fill('input[name=password]', 'any password');
      await page.click('button[type=submit]');
      await page.click('button:has-text("Continue")');
      await page.waitForURL(`${baseUrl}/signed-in`);
      const issuedMs = Date.now();

      const press = async (): Promise<string> => {
        const [response] = await Promise.all([page.waitForResponse(`${baseUrl}/api/whoami`), page.click('#call-api')]);
        expect(response.status()).toBe(200);
        const output = page.locator('#api-answer');
        await output.filter({ hasText: /^sub: / }).waitFor({ timeout: 10_000 });
        return (await output.textContent()) ?? '';
      };
      const grantsAtSignIn = provider.counters().refreshGrants;
      expect(await press()).toBe('sub: chromium-user\nscopes: read:whoami');
      expect(provider.counters().refreshGrants).toBe(grantsAtSignIn);

      await untilExpired(issuedMs);
      expect(await press()).toBe('sub: chromium-user\nscopes: read:whoami');
      expect(provider.counters().refreshGrants).toBe(grantsAtSignIn + 1);

      const session = (await context.cookies(baseUrl)).find((cookie) => cookie.name === SESSION_COOKIE_NAME);
      expect(session).toBeDefined();
      const endSessionRequests: URL[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        if (`${url.origin}${url.pathname}` === provider.endSessionEndpoint) endSessionRequests.push(url);
      });
      const revocationsBefore = provider.counters().revocationRequests;
      await page.click('button:has-text("Sign out")');
      await page.waitForURL((url) => url.href.startsWith(provider.issuer));
      await page.click('button:has-text("Sign out")');
      await page.waitForURL((url) => url.href.startsWith(`${baseUrl}/signed-out`));
      // The browser dropped it; a copy kept from before is refused by the proxy itself.
      expect(await whoami(`${SESSION_COOKIE_NAME}=${session?.value ?? ''}`)).toEqual({ status: 401, body: { error: 'unauthenticated' } });
      // Sign-out revoked the refresh token at the provider and named the session with id_token_hint.
      expect(provider.counters().revocationRequests - revocationsBefore).toBe(1);
      expect(endSessionRequests[0]?.searchParams.has('id_token_hint')).toBe(true);
    } finally {
      await browser.close();
    }
  },
  90_000,
);
