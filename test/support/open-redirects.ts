import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** oauth2-proxy's open-redirect payloads (test/data/README.md). */
export const OPEN_REDIRECTS_FILE = fileURLToPath(new URL('../data/openredirects.txt', import.meta.url));
export const OPEN_REDIRECT_COUNT = 559;

/** Every line of the corpus, the empty one included; only the newline that ends the file is not a line. */
export function loadOpenRedirects(): string[] {
  const lines = readFileSync(OPEN_REDIRECTS_FILE, 'utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The value the server sees when a link carries the payload without encoding it: one round of query decoding. */
export function decodedOnce(payload: string): string | undefined {
  try {
    return decodeURIComponent(payload.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
