import type { ProbeMessage, ServiceCommand } from './messages.js';

/** Sends this probe's report to the bench over the IPC channel it was started with. */
export function report(message: ProbeMessage): Promise<void> {
  if (process.send === undefined) throw new Error('run this probe from the bench (npm run bench): it reports over IPC');
  return new Promise((resolve, reject) => {
    process.send?.(message, undefined, undefined, (error: Error | null) => (error === null ? resolve() : reject(error)));
  });
}

/** Ends a one-shot probe once its report is out; kept-alive sockets would otherwise hold it open. */
export async function reportAndExit(message: ProbeMessage): Promise<never> {
  await report(message);
  process.exit(0);
}

/** Lets the bench read this service's CPU time over IPC, before and after each load run. */
export function answerCpuRequests(): void {
  process.on('message', (message: ServiceCommand) => {
    if (message.command !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    void report({ kind: 'cpu', micros: user + system });
  });
}
