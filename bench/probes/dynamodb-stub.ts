import type { AddressInfo } from 'node:net';
import { createDynamoDbStub } from '../dynamodb-stub.js';
import type { ServiceCommand } from './messages.js';
import { answerCpuRequests, report } from './report.js';

/** The DynamoDB stub in its own process, so its work never shares a core's event loop with what is measured. */
const [transactionsTable, sessionsTable, logoutTokensTable, codeVerifier, nonce] = process.argv.slice(2);
if (transactionsTable === undefined || sessionsTable === undefined || logoutTokensTable === undefined || codeVerifier === undefined || nonce === undefined) {
  throw new Error('usage: dynamodb-stub <transactions table> <sessions table> <logout tokens table> <consumed code verifier> <consumed nonce>');
}
const stub = createDynamoDbStub({ transactionsTable, sessionsTable, logoutTokensTable, consumed: { codeVerifier, nonce } });

answerCpuRequests();
process.on('message', (message: ServiceCommand) => {
  if (message.command === 'cpu') return;
  if (message.command === 'reset') stub.reset();
  void report({ kind: 'stub-stats', ...stub.stats() });
});
process.on('SIGTERM', () => stub.server.close(() => process.exit(0)));
// The bench going away (even killed) closes the IPC channel: never outlive it.
process.on('disconnect', () => process.exit(0));

stub.server.listen(0, '127.0.0.1', () => {
  void report({ kind: 'listening', port: (stub.server.address() as AddressInfo).port });
});
