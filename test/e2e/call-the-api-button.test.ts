import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { apiCallWidget } from '../../lambdas/core/api-call-widget.js';
import { pageResponse, type PageContent } from '../../lambdas/core/pages.js';
import { closeServer } from '../../local/close-server.js';

/**
 * The signed-in page's "Call the API" button in headless Chromium, under the page's own
 * Content-Security-Policy: its script runs (pinned by its hash, no inline handler), calls
 * /api/whoami on the same origin with x-csrf, and shows the answer as text. The API here is a
 * loopback stand-in; the whole path through the proxy and the JWT authorizer is the handler and
 * adapter suites'.
 */
const CHROMIUM = '/usr/bin/chromium';
const SIGNED_IN: PageContent = { title: 'Signed in', paragraphs: ['Signed in as Ada.'], widget: apiCallWidget('/api/whoami', 'Call the API') };

let server: Server;
let origin = '';
let browser: Browser;
let answer: { status: number; body: string } = { status: 200, body: '' };
const apiRequests: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/api/whoami') {
      apiRequests.push(request.headers);
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body);
      return;
    }
    const page = pageResponse(200, SIGNED_IN);
    response.writeHead(page.statusCode, page.headers);
    response.end(page.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await closeServer(server);
});

async function pressTheButton(): Promise<{ shown: string; violations: string[] }> {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  await page.goto(`${origin}/`);
  await page.click('#call-api');
  const output = page.locator('#api-answer');
  await output.filter({ hasText: /^(sub|The API)/ }).waitFor({ timeout: 10_000 });
  const shown = (await output.textContent()) ?? '';
  await page.close();
  return { shown, violations };
}

test('the button shows the API\'s sub and scopes; the call is same-origin with x-csrf; no CSP violation', async () => {
  answer = { status: 200, body: JSON.stringify({ sub: 'user-1', scopes: ['openid', 'read:orders'] }) };
  const { shown, violations } = await pressTheButton();
  expect(shown).toBe('sub: user-1\nscopes: openid read:orders');
  expect(violations).toEqual([]);
  expect(apiRequests.at(-1)?.['x-csrf']).toBe('1');
}, 30_000);

test('an API answer that is markup is shown as text, never run', async () => {
  answer = { status: 200, body: JSON.stringify({ sub: '<img src=x onerror=alert(1)>', scopes: [] }) };
  expect((await pressTheButton()).shown).toBe('sub: <img src=x onerror=alert(1)>\nscopes: ');
}, 30_000);

test('a refusal is shown with its status and error', async () => {
  answer = { status: 401, body: JSON.stringify({ error: 'reauthenticate' }) };
  expect((await pressTheButton()).shown).toBe('The API answered 401 (reauthenticate)');
}, 30_000);
