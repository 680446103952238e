import type { Server } from 'node:http';

/** Closes a server without waiting for clients: browsers keep connections alive, and `close` alone waits for them to go idle. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
