import { spawn, type ChildProcess } from 'node:child_process';
import type { ProbeMessage, ServiceCommand } from './probes/messages.js';

type Kind = ProbeMessage['kind'];
type MessageOf<K extends Kind> = Extract<ProbeMessage, { kind: K }>;

export interface ProbeOptions {
  readonly args?: readonly string[];
  /** The child's whole environment besides PATH: like Lambda, it inherits nothing else (no NODE_OPTIONS). */
  readonly env: Readonly<Record<string, string>>;
  readonly nodeFlags?: readonly string[];
  readonly timeoutMs: number;
}

function spawnProbe(script: string, options: ProbeOptions): ChildProcess {
  return spawn(process.execPath, [...(options.nodeFlags ?? []), script, ...(options.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    // stdout is where the functions write their log lines; like CloudWatch, nobody reads it here.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function isMessage<K extends Kind>(value: unknown, kind: K): value is MessageOf<K> {
  return typeof value === 'object' && value !== null && 'kind' in value && value.kind === kind;
}

function nextMessage<K extends Kind>(child: ChildProcess, kind: K, timeoutMs: number, label: string): Promise<MessageOf<K>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${label}: no "${kind}" report within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      if (isMessage(message, kind)) finish(undefined, message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(new Error(`${label}: exited (${signal ?? `code ${code}`}) before its "${kind}" report`));
    const onError = (error: Error): void => finish(error);
    function finish(error: Error | undefined, message?: MessageOf<K>): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
      if (message !== undefined) resolve(message);
      else reject(error);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Whether the child exits within `timeoutMs`. */
function exitsWithin(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (hasExited(child)) return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Stops one child we started, by its handle: SIGTERM, then SIGKILL if it has not exited within a second. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  child.kill('SIGTERM');
  if (!(await exitsWithin(child, 1000))) {
    child.kill('SIGKILL');
    await exitsWithin(child, 1000);
  }
}

/** Runs a one-shot probe (`node script`) to completion and returns its single report. */
export async function runProbe<K extends Kind>(kind: K, script: string, options: ProbeOptions): Promise<MessageOf<K>> {
  const child = spawnProbe(script, options);
  try {
    const report = await nextMessage(child, kind, options.timeoutMs, script);
    if (!(await exitsWithin(child, options.timeoutMs)) || child.exitCode !== 0) {
      throw new Error(`${script}: did not exit cleanly after reporting (code ${child.exitCode})`);
    }
    return report;
  } finally {
    await stopChild(child);
  }
}

export interface Service {
  readonly port: number;
  /** The service process's CPU time so far (user + system), in microseconds. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

function ask<K extends Kind>(child: ChildProcess, command: ServiceCommand, kind: K, timeoutMs: number, label: string): Promise<MessageOf<K>> {
  const reply = nextMessage(child, kind, timeoutMs, label);
  child.send(command);
  return reply;
}

async function launch(script: string, options: ProbeOptions): Promise<{ child: ChildProcess; service: Service }> {
  const child = spawnProbe(script, options);
  let listening: MessageOf<'listening'>;
  try {
    listening = await nextMessage(child, 'listening', options.timeoutMs, script);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    child,
    service: {
      port: listening.port,
      cpuMicros: async () => (await ask(child, { command: 'cpu' }, 'cpu', options.timeoutMs, script)).micros,
      stop: () => stopChild(child),
    },
  };
}

/** Starts a long-running probe (a server on 127.0.0.1) and waits until it reports its port. */
export async function startService(script: string, options: ProbeOptions): Promise<Service> {
  return (await launch(script, options)).service;
}

/** Services started together and stopped together, each by its own handle. */
export class ServiceGroup {
  readonly #services: Service[] = [];

  async start(script: string, options: ProbeOptions): Promise<Service> {
    const service = await startService(script, options);
    this.#services.push(service);
    return service;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#services.splice(0).map((service) => service.stop()));
  }
}

export interface StubService extends Service {
  request(command: ServiceCommand & { readonly command: 'stats' | 'reset' }): Promise<MessageOf<'stub-stats'>>;
}

/** The DynamoDB stub's process, which also answers stats requests over its IPC channel. */
export async function startStubService(script: string, options: ProbeOptions): Promise<StubService> {
  const { child, service } = await launch(script, options);
  return { ...service, request: (command) => ask(child, command, 'stub-stats', options.timeoutMs, script) };
}

export interface ProviderService extends StubService {
  /** Logout tokens signed now, each with its own `jti`, by the stand-in's key (the one its JWKS serves). */
  logoutTokens(count: number): Promise<readonly string[]>;
}

/** The provider stand-in's process: a stub that also signs logout tokens on request. */
export async function startProviderService(script: string, options: ProbeOptions): Promise<ProviderService> {
  const { child, service } = await launch(script, options);
  return {
    ...service,
    request: (command) => ask(child, command, 'stub-stats', options.timeoutMs, script),
    logoutTokens: async (count) => (await ask(child, { command: 'logout-tokens', count }, 'logout-tokens', options.timeoutMs, script)).tokens,
  };
}
