import { readdirSync, readFileSync } from 'node:fs';
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
