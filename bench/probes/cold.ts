import { benchHandlerOf, eventFor, importModule, invoke, parseSpec } from './invoke.js';
import { reportAndExit } from './report.js';

/**
 * One cold start: a fresh Node process imports the module (a function bundle builds its DynamoDB
 * client and awaits its store's warm-up at import, as in Lambda's init phase), then optionally makes
 * the first invocation, which pays for whatever init left to it (without the warm-up: what the SDK
 * defers to a client's first send, such as loading node:http, resolving the endpoint, the first
 * connection).
 */
const [file, specJson] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: cold <module> [invocation JSON]');
const spec = parseSpec(specJson);

const started = performance.now();
const module = await importModule(file);
const importMs = performance.now() - started;

const firstInvocation = spec === undefined ? undefined : await invoke(benchHandlerOf(module, file), eventFor(spec));
await reportAndExit({ kind: 'cold', importMs, ...(firstInvocation === undefined ? {} : { firstInvocation }) });
