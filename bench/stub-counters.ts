import type { Server } from 'node:http';

/** What a loopback stand-in reports: connections accepted, requests by kind, requests it refused. */
export interface StubStats {
  readonly connections: number;
  readonly requests: Record<string, number>;
  readonly rejected: number;
}

export interface StubCounters {
  count(kind: string): void;
  reject(): void;
  stats(): StubStats;
  reset(): void;
}

/** Counts what a stand-in sees; connections are counted as the server accepts them, so keep-alive shows. */
export function stubCounters(server: Server): StubCounters {
  let connections = 0;
  let rejected = 0;
  let requests: Record<string, number> = {};
  server.on('connection', () => {
    connections += 1;
  });
  return {
    count: (kind) => {
      requests[kind] = (requests[kind] ?? 0) + 1;
    },
    reject: () => {
      rejected += 1;
    },
    stats: () => ({ connections, requests: { ...requests }, rejected }),
    reset: () => {
      connections = 0;
      rejected = 0;
      requests = {};
    },
  };
}
