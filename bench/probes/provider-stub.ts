import type { AddressInfo } from 'node:net';
import { createProviderStub } from '../provider-stub.js';
import type { ServiceCommand } from './messages.js';
import { answerCpuRequests, report } from './report.js';

/** The provider's stand-in in its own process, like the DynamoDB stub: its signing (ID and logout tokens) never shares the measured event loop. */
const [issuer, clientId, clientSecret, codeVerifier, nonce] = process.argv.slice(2);
if (issuer === undefined || clientId === undefined || clientSecret === undefined || codeVerifier === undefined || nonce === undefined) {
  throw new Error('usage: provider-stub <issuer> <client id> <client secret> <expected code verifier> <nonce>');
}
const stub = await createProviderStub({ issuer, clientId, clientSecret, codeVerifier, nonce });

answerCpuRequests();
process.on('message', (message: ServiceCommand) => {
  if (message.command === 'cpu') return;
  if (message.command === 'logout-tokens') {
    void stub.logoutTokens(message.count).then((tokens) => report({ kind: 'logout-tokens', tokens }));
    return;
  }
  if (message.command === 'reset') stub.reset();
  void report({ kind: 'stub-stats', ...stub.stats() });
});
process.on('SIGTERM', () => stub.server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));

stub.server.listen(0, '127.0.0.1', () => {
  void report({ kind: 'listening', port: (stub.server.address() as AddressInfo).port });
});
