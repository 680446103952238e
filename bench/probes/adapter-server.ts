import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiGatewayListener, type LambdaHttpHandler } from '../../local/api-gateway-adapter.js';
import { BENCH_DOMAIN, handlerOf, importModule } from './invoke.js';
import { answerCpuRequests, report } from './report.js';

/**
 * Function bundles behind the local API Gateway adapter, as the local stack serves them. Each
 * argument is `<route key>=<bundle>`, e.g. `GET /login=/path/login.mjs`.
 */
const routes = new Map<string, LambdaHttpHandler>();
for (const route of process.argv.slice(2)) {
  const separator = route.indexOf('=');
  if (separator < 0) throw new Error(`usage: adapter-server "<route key>=<bundle>"...; got "${route}"`);
  const file = route.slice(separator + 1);
  routes.set(route.slice(0, separator), handlerOf(await importModule(file), file));
}
const server = createServer(createApiGatewayListener({ routes, domainName: BENCH_DOMAIN }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
answerCpuRequests();
server.listen(0, '127.0.0.1', () => {
  void report({ kind: 'listening', port: (server.address() as AddressInfo).port });
});
