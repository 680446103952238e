import { format } from 'node:util';

/**
 * Records everything written to stdout, stderr and the console while it is installed, so a suite
 * can search all output, not only what the request logger was handed. Recorded output is not
 * echoed: the production logger writes one line per request.
 */
export interface OutputCapture {
  text(): string;
  restore(): void;
}

type StreamWrite = typeof process.stdout.write;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

function chunkText(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk).toString('utf8');
  return String(chunk);
}

export function captureOutput(): OutputCapture {
  const chunks: string[] = [];
  const restorers: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    const recordingWrite = (chunk: unknown, ...rest: unknown[]): boolean => {
      chunks.push(chunkText(chunk));
      // Honour the write contract: a trailing callback is called once the chunk is "written".
      const done = rest.find((argument): argument is () => void => typeof argument === 'function');
      if (done !== undefined) queueMicrotask(done);
      return true;
    };
    stream.write = recordingWrite as StreamWrite;
    restorers.push(() => {
      stream.write = original;
    });
  }
  for (const method of CONSOLE_METHODS) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      chunks.push(format(...args));
    };
    restorers.push(() => {
      console[method] = original;
    });
  }
  return {
    text: () => chunks.join('\n'),
    restore: () => {
      for (const restore of restorers.reverse()) restore();
    },
  };
}
