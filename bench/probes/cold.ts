import { benchHandlerOf, eventFor, importModule, invoke, parseSpec } from './invoke.js';
import { reportAndExit } from './report.js';

/**
 * One cold start: a fresh Node process imports the module (a function bundle builds its DynamoDB
 * client at import, as in Lambda's init phase), then optionally makes the first invocation, which
 * pays for what the SDK defers (loading node:http, the first connection, resolving the endpoint).
 */
const [file, specJson] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: cold <module> [invocation JSON]');
const spec = parseSpec(specJson);

const started = performance.now();
const module = await importModule(file);
const importMs = performance.now() - started;

const firstInvocation = spec === undefined ? undefined : await invoke(benchHandlerOf(module, file), eventFor(spec));
await reportAndExit({ kind: 'cold', importMs, ...(firstInvocation === undefined ? {} : { firstInvocation }) });
