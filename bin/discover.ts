import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError } from '../lambdas/core/config.js';
import { discoveryContextKey } from '../lambdas/core/discovery.js';
import { discoverProvider } from '../lambdas/shared/discovery-client.js';

/**
 * `npm run discover -- <issuer>`: reads the provider's discovery document now and caches the
 * settings it yields in `cdk.context.json`, as CDK caches its own look-ups, so every synth uses
 * the same settings and a deployed function never depends on a document fetched at an unknown
 * time. Run it again when the provider changes; nothing is written when discovery fails.
 */
const CONTEXT_FILE = 'cdk.context.json';

async function readContext(): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(CONTEXT_FILE, 'utf8');
  } catch {
    return {};
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${CONTEXT_FILE} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

async function main(): Promise<void> {
  const [issuer, ...rest] = process.argv.slice(2);
  if (issuer === undefined || rest.length > 0) throw new ConfigError('usage: npm run discover -- <issuer URL, exactly as the provider spells it>');
  const settings = await discoverProvider(issuer);
  const key = discoveryContextKey(issuer);
  const context = { ...(await readContext()), [key]: settings };
  await writeFile(CONTEXT_FILE, `${JSON.stringify(context, null, 2)}\n`);
  console.log(`Wrote the settings discovered for ${issuer} to ${CONTEXT_FILE} ("${key}"); synth with -c issuerUrl=${issuer} uses them:`);
  for (const [name, value] of Object.entries(settings)) console.log(`  ${name}: ${value}`);
}

main().catch((error: unknown) => {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
});
