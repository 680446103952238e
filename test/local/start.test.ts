import { once } from 'node:events';
import { createServer } from 'node:net';
import { JAVA_INSTALL_HINT } from '../../local/dynamodb-local.js';
import { findFreePort } from '../../local/free-port.js';
import { cleanEnvironment, descendants, spawnStart, stillRunning, waitForReady, type StartProcess } from './support.js';

/** `npm start` as a user runs it: a process that prints where to go, logs requests, and leaves nothing behind. */
const STARTUP_TIMEOUT_MS = 120_000;

function runStart(env: NodeJS.ProcessEnv): StartProcess {
  // One process, as `node --import tsx` runs it: signals reach start.ts itself, and PATH can be emptied to hide java.
  return spawnStart(process.execPath, ['--import', 'tsx', 'local/start.ts'], env);
}

test('prints the URLs, logs each request without its query, and on SIGTERM stops every process it started', async () => {
  const port = await findFreePort();
  const start = runStart(cleanEnvironment({ PORT: String(port) }));
  await waitForReady(start);
  expect(start.output.stdout).toContain(`Sign in:   http://localhost:${port}/login`);
  const started = descendants(start.child.pid ?? 0);
  expect(started.map(({ command }) => command)).toContain('java');

  const login = await fetch(`http://localhost:${port}/login?returnTo=%2Fprivate-path`, { redirect: 'manual' });
  expect(login.status).toBe(302);
  expect((await fetch(`http://localhost:${port}/`)).status).toBe(200);

  start.child.kill('SIGTERM');
  expect(await start.exited).toBe(0);
  expect(start.output.stdout).toMatch(/^GET \/login 302 \d+ ms$/m);
  expect(start.output.stdout).toMatch(/^GET \/ 200 \d+ ms$/m);
  expect(start.output.stdout).not.toContain('private-path');
  expect(start.output.stdout).toContain('Stopped.');
  expect(start.output.stderr).toBe('');
  expect(stillRunning(started.map(({ pid }) => pid))).toEqual([]);
}, STARTUP_TIMEOUT_MS);

test('a bad setting, a missing Java or a taken port fails at once with one line saying what to do', async () => {
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  const address = taken.address();
  const takenPort = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    const runs = [
      runStart(cleanEnvironment({ STATE_TTL_SECONDS: 'ten' })),
      runStart(cleanEnvironment({ PATH: '/nonexistent' })),
      runStart(cleanEnvironment({ PORT: String(takenPort) })),
      runStart(cleanEnvironment({ ACCESS_TOKEN_TTL_SECONDS: 'ninety' })),
    ];
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([1, 1, 1, 1]);
    const [badSetting, noJava, portTaken, badTokenLifetime] = runs.map((run) => run.output.stderr.trimEnd().split('\n'));
    expect(badSetting).toEqual(['STATE_TTL_SECONDS must be a whole number from 1 to 3600, got "ten"']);
    expect(noJava).toHaveLength(1);
    expect(noJava?.[0]).toContain(JAVA_INSTALL_HINT);
    expect(portTaken).toEqual([`Port ${takenPort} on 127.0.0.1 is already in use; set PORT to a free port`]);
    expect(badTokenLifetime).toEqual(['ACCESS_TOKEN_TTL_SECONDS must be a whole number from 1 to 86400, got "ninety"']);
  } finally {
    taken.close();
  }
}, STARTUP_TIMEOUT_MS);
