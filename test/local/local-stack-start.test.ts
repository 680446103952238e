import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../local/free-port.js';
import { PortInUseError, startLocalStack, type LocalStack } from '../../local/local-stack.js';
import { runResults } from '../../local/results.js';

/**
 * How the local stack starts, as a health check, a script or a second stack sees it: nothing but
 * `503` until every route works, a port taken on either loopback address refused, and two stacks
 * at once each findable by their own results command.
 */
const STARTUP_TIMEOUT_MS = 120_000;

test('before it is ready, every request gets 503 with Retry-After; once ready, the routes work', async () => {
  const port = await findFreePort();
  const starting = startLocalStack({ port });
  const early: { status: number; retryAfter: string | null }[] = [];
  let stack: LocalStack | undefined;
  starting.then((running) => (stack = running)).catch(() => undefined);
  // Poll the port from the moment it accepts until the stack reports ready.
  while (stack === undefined) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/login`, { redirect: 'manual' });
      if (stack === undefined) early.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  try {
    expect(early.length).toBeGreaterThan(0);
    expect(early.filter((answer) => answer.status !== 503 || answer.retryAfter !== '1')).toEqual([]);
    expect((await fetch(`http://127.0.0.1:${port}/login`, { redirect: 'manual' })).status).toBe(302);
  } finally {
    await (await starting).stop();
  }
}, STARTUP_TIMEOUT_MS);

test('a port taken on [::1] (where a browser\'s localhost may go) is refused before anything starts', async () => {
  const port = await findFreePort();
  const other = createServer().listen(port, '::1');
  try {
    await once(other, 'listening');
  } catch {
    // This machine has no IPv6 loopback: nothing there can take the port.
    return;
  }
  try {
    const error = await startLocalStack({ port }).then(
      async (stack) => {
        await stack.stop();
        return undefined;
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toBe(`Port ${port} on [::1] is already in use; set PORT to a free port`);
  } finally {
    other.close();
  }
}, STARTUP_TIMEOUT_MS);

test('with two stacks running, each prints its own results command and `--port` reads the right one', async () => {
  const stateDirectory = await mkdtemp(join(tmpdir(), 'stacks-'));
  const stacks = await Promise.all([startLocalStack({ stateDirectory }), startLocalStack({ stateDirectory })]);
  const [first, second] = stacks as [LocalStack, LocalStack];
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const exitCode = await runResults(argv, { stateDirectory, nowMs: Date.now(), write: (text) => (out += text), writeError: (text) => (err += text) });
    return { exitCode, out, err };
  };
  try {
    await fetch(`${second.baseUrl}/login`, { redirect: 'manual' });
    const ambiguous = await run();
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.err).toContain(`ports ${[first.port, second.port].sort((a, b) => a - b).join(', ')}`);
    expect((await run('--port', String(second.port))).out).toContain(`1 login recorded in the local stack at ${second.baseUrl}`);
    expect((await run('--port', String(first.port))).out).toContain(`No logins recorded yet in the local stack at ${first.baseUrl}`);
    await first.stop();
    // The one left is found without --port.
    expect((await run()).out).toContain(second.baseUrl);
  } finally {
    await Promise.all(stacks.map((stack) => stack.stop()));
    await rm(stateDirectory, { recursive: true, force: true });
  }
}, STARTUP_TIMEOUT_MS);
