import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SETTINGS } from '../../lambdas/core/config.js';
import { CLIENT_SECRET_ENV } from '../../lambdas/core/contract.js';

/** Helpers shared by the local stack's suites: a browser-less HTTP client and a view of the process table. */

export interface StackClient {
  /** No redirects followed, so each answer can be checked as the browser receives it. */
  get(path: string, cookie?: string): Promise<Response>;
  /** Starts a login and returns its state and the binding cookie, as a browser would hold them. */
  login(query?: string): Promise<{ readonly state: string; readonly cookie: string; readonly authorizeUrl: string }>;
}

export function stackClient(baseUrl: string): StackClient {
  const get = (path: string, cookie?: string): Promise<Response> =>
    fetch(`${baseUrl}${path}`, { redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });
  return {
    get,
    async login(query = '') {
      const response = await get(`/login${query}`);
      if (response.status !== 302) throw new Error(`GET /login answered ${response.status}`);
      const authorizeUrl = response.headers.get('location') ?? '';
      const state = new URL(authorizeUrl).searchParams.get('state') ?? '';
      const cookie = response.headers.getSetCookie()[0]?.split(';', 1)[0] ?? '';
      return { state, cookie, authorizeUrl };
    },
  };
}

interface ProcessEntry {
  readonly ppid: number;
  readonly state: string;
  readonly command: string;
}

/** The process table from /proc (Linux, as in CI). */
function processTable(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state = '', ppid = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), { ppid: Number(ppid), state, command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
    } catch {
      // Exited while being listed.
    }
  }
  return table;
}

/** Every process below `root`, with its command name. */
export function descendants(root: number): { readonly pid: number; readonly command: string }[] {
  const table = processTable();
  const found: { pid: number; command: string }[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift();
    for (const [pid, { ppid, command }] of table) {
      if (ppid === parent) {
        found.push({ pid, command });
        queue.push(pid);
      }
    }
  }
  return found;
}

/** Those still running. An exited process whose new parent has not reaped it yet (state Z) holds nothing. */
export function stillRunning(pids: readonly number[]): number[] {
  const table = processTable();
  return pids.filter((pid) => {
    const state = table.get(pid)?.state;
    return state !== undefined && state !== 'Z';
  });
}

/** Java processes this test process started and that still run: DynamoDB Local instances. */
export function runningJavaChildren(): number[] {
  return stillRunning(descendants(process.pid).filter(({ command }) => command === 'java').map(({ pid }) => pid));
}

/** This environment without any setting `npm start` reads, so a developer's own ISSUER_URL or CLIENT_SECRET cannot leak in. */
export function cleanEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of [...Object.values(SETTINGS).map((spec) => spec.envVar), CLIENT_SECRET_ENV, 'PORT', 'AUTHORIZER_CACHE_TTL_SECONDS']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The last line of `npm start`'s banner. */
const READY_LINE = 'Press Ctrl-C to stop.';

export interface StartProcess {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

/** The local stack as a process of its own, in the project folder, its output collected. */
export function spawnStart(command: string, args: readonly string[], env: NodeJS.ProcessEnv): StartProcess {
  const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output, exited };
}

export async function waitForReady(start: StartProcess): Promise<void> {
  while (!start.output.stdout.includes(READY_LINE)) {
    const exited = await Promise.race([start.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 100))]);
    if (exited) throw new Error(`npm start exited before it was ready:\n${start.output.stdout}${start.output.stderr}`);
  }
}
