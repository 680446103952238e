import { transactionIdForState } from '../../lambdas/core/authorization-request.js';
import { createTestTable, localClient, scanAll, testEndpoint } from '../support/dynamodb.js';
import { percentile, reportFigures, round } from './support/figures.js';
import { Browser, runHttpFlow, startHttpStack, uncappedAgent, type HttpFlow } from './support/http-stack.js';
import { isHalfWritten, itemsByCode } from './support/items.js';

/**
 * 1,000 whole flows at once over real HTTP through the payload-2.0 adapter, each from its own
 * browser (own binding cookie). Figures are written out, never asserted: DynamoDB Local on a
 * shared machine says nothing about production latency.
 */
const FLOWS = 1000;

test(`${FLOWS} concurrent login-then-callback flows all complete, each code recorded exactly once, no 5xx`, async () => {
  const client = localClient(testEndpoint());
  const tableName = await createTestTable();
  const stack = await startHttpStack({ client, tableName });
  const agent = uncappedAgent();
  try {
    const codes = Array.from({ length: FLOWS }, (_, index) => `load-code-${index}`);
    const started = performance.now();
    // All start at once, each from a fresh cookie jar; every login's socket is opened synchronously.
    const running = codes.map((code) => runHttpFlow(new Browser(stack.origin, agent), code));
    const socketsOpenAtOnce = Object.values(agent.sockets).reduce((sum, sockets) => sum + (sockets?.length ?? 0), 0);
    const flows: HttpFlow[] = await Promise.all(running);
    const wallMs = performance.now() - started;
    // The agent queued nothing: all logins were in flight together.
    expect(socketsOpenAtOnce).toBe(FLOWS);

    const statuses = flows.flatMap((flow) => [flow.login.status, flow.callback?.status ?? 0]);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(flows.map((flow) => flow.login.status)).toEqual(codes.map(() => 302));
    expect(flows.map((flow) => flow.callback?.status)).toEqual(codes.map(() => 303));
    // Every browser got its own binding, so no flow rode on another's cookie.
    expect(new Set(flows.map((flow) => flow.bindingSecret)).size).toBe(FLOWS);

    const items = await scanAll(client, tableName);
    expect(items).toHaveLength(FLOWS);
    expect(items.filter(isHalfWritten)).toEqual([]);
    const byCode = itemsByCode(items);
    expect([...byCode.values()].filter((holders) => holders.length !== 1)).toEqual([]);
    // Each code sits on its own flow's transaction, never on another browser's.
    const codeById = new Map(items.map((item) => [item.id?.S, item.code?.S]));
    expect(flows.map((flow) => codeById.get(transactionIdForState(flow.state ?? '')))).toEqual(codes);

    const flowLatencies = flows.map((flow) => flow.login.elapsedMs + (flow.callback?.elapsedMs ?? 0));
    const loginLatencies = flows.map((flow) => flow.login.elapsedMs);
    const callbackLatencies = flows.map((flow) => flow.callback?.elapsedMs ?? 0);
    reportFigures('load', {
      flows: FLOWS,
      requests: FLOWS * 2,
      completed: flows.filter((flow) => flow.callback?.status === 303).length,
      serverErrors: 0,
      wallMs: Math.round(wallMs),
      flowsPerSecond: round(FLOWS / (wallMs / 1000)),
      requestsPerSecond: round((FLOWS * 2) / (wallMs / 1000)),
      flowP50Ms: Math.round(percentile(flowLatencies, 50)),
      flowP99Ms: Math.round(percentile(flowLatencies, 99)),
      loginP50Ms: Math.round(percentile(loginLatencies, 50)),
      loginP99Ms: Math.round(percentile(loginLatencies, 99)),
      callbackP50Ms: Math.round(percentile(callbackLatencies, 50)),
      callbackP99Ms: Math.round(percentile(callbackLatencies, 99)),
      clientSocketsOpenAtOnce: socketsOpenAtOnce,
      peakConcurrentHandlerInvocations: stack.peakInFlight(),
      store: 'DynamoDB Local (in-memory, shared with the other suites), 2 cores',
    });
  } finally {
    agent.destroy();
    await stack.close();
    client.destroy();
  }
}, 120_000);
