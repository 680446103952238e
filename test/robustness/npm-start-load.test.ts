import { spawn } from 'node:child_process';
import type { Agent } from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../lambdas/core/config.js';
import { findFreePort } from '../../local/free-port.js';
import { signInAtProvider } from '../support/provider-sign-in.js';
import { percentile, reportFigures, round } from './support/figures.js';
import { Browser, uncappedAgent, type HttpAnswer } from './support/http-stack.js';

/**
 * 1,000 sign-ins through `npm start` itself, the process a user runs: 1,000 logins at once, then
 * 1,000 callbacks at once (each redeeming a real code at the embedded provider, verifying its ID
 * token and making a session), then 1,000 `/me` at once. Each function is served by a pool of
 * execution environments that queue what they cannot take, as Lambda does, so a burst waits
 * rather than fails. Figures are written out, never asserted, beyond 0 5xx and every flow done.
 */
const FLOWS = 1000;
/** The provider's part (its sign-in and consent pages) is not what is measured: run with bounded concurrency. */
const PROVIDER_CONCURRENCY = 50;
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_LINE = 'Press Ctrl-C to stop.';
const SUITE_TIMEOUT_MS = 300_000;

async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  return results;
}

function latency(step: string, answers: readonly HttpAnswer[]): Record<string, number> {
  const times = answers.map((answer) => answer.elapsedMs).sort((a, b) => a - b);
  return { [`${step}P50Ms`]: round(percentile(times, 50)), [`${step}P99Ms`]: round(percentile(times, 99)), [`${step}MaxMs`]: round(times.at(-1) ?? 0) };
}

test(`${FLOWS} sign-ins through npm start: every burst answered, 0 5xx`, async () => {
  const port = await findFreePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  for (const spec of Object.values(SETTINGS)) delete env[spec.envVar];
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = once(child, 'exit');
  // One agent per burst: a kept-alive socket left idle across the provider phase may be closed by
  // the server just as it is reused, which says nothing about the stack.
  const agents = [uncappedAgent(), uncappedAgent(), uncappedAgent()];
  try {
    while (!stdout.includes(READY_LINE)) {
      if (child.exitCode !== null) throw new Error(`npm start exited:\n${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const origin = `http://localhost:${port}`;
    const [loginAgent, callbackAgent, meAgent] = agents as [Agent, Agent, Agent];
    const loginBrowsers = Array.from({ length: FLOWS }, () => new Browser(origin, loginAgent));
    const started = performance.now();

    const logins = await Promise.all(loginBrowsers.map((browser) => browser.get('/login')));
    const loginsDoneMs = performance.now() - started;
    expect(logins.filter((answer) => answer.status !== 302)).toEqual([]);

    const redirects = await inBatches(logins, PROVIDER_CONCURRENCY, (login) => signInAtProvider(String(login.headers.location), { login: 'load' }));

    const callbacksStarted = performance.now();
    // The same browsers (their binding cookies come along), on fresh connections.
    const callbackBrowsers = loginBrowsers.map((browser) => browser.on(callbackAgent));
    const callbacks = await Promise.all(callbackBrowsers.map((browser, index) => browser.get(`/callback${redirects[index]?.search ?? ''}`)));
    const callbacksDoneMs = performance.now() - callbacksStarted;
    const meBrowsers = callbackBrowsers.map((browser) => browser.on(meAgent));
    const mes = await Promise.all(meBrowsers.map((browser) => browser.get('/me')));

    const all = [...logins, ...callbacks, ...mes];
    expect(all.filter((answer) => answer.status >= 500).map((answer) => answer.status)).toEqual([]);
    expect(callbacks.filter((answer) => answer.status !== 303).map((answer) => answer.status)).toEqual([]);
    expect(mes.filter((answer) => answer.status !== 200).map((answer) => answer.status)).toEqual([]);
    // Each browser got a session of its own.
    expect(new Set(meBrowsers.map((browser) => browser.cookie('__Host-session'))).size).toBe(FLOWS);

    const coldStarts = stdout.split('\n').filter((line) => line.includes('cold start:'));
    reportFigures('npm-start-load', {
      flows: FLOWS,
      measuredThrough: 'npm start (local/start.ts), embedded provider, DynamoDB Local',
      serverErrors: 0,
      loginBurstMs: round(loginsDoneMs),
      ...latency('login', logins),
      callbackBurstMs: round(callbacksDoneMs),
      ...latency('callback', callbacks),
      ...latency('me', mes),
      coldStarts: coldStarts.length,
    });
  } finally {
    for (const agent of agents) agent.destroy();
    child.kill('SIGTERM');
    await exited;
  }
}, SUITE_TIMEOUT_MS);
