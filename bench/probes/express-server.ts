import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth } from 'express-openid-connect';
import { answerCpuRequests, report } from './report.js';

/**
 * Baseline (b), what users would pick instead: Express with express-openid-connect, serving its
 * /login route (state, nonce and PKCE in an encrypted transaction cookie, then a 302 to the
 * provider). Its provider is a loopback stand-in serving the discovery document and an empty JWKS,
 * which is all /login needs; it is fetched once and cached, like against a real provider.
 */
function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

const provider = createServer((request, response) => {
  const body =
    request.url === '/.well-known/openid-configuration'
      ? {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/oauth/token`,
          jwks_uri: `${issuer}/.well-known/jwks.json`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'],
        }
      : request.url === '/.well-known/jwks.json'
        ? { keys: [] }
        : undefined;
  response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body ?? { error: 'not_found' }));
});
const issuer = `http://127.0.0.1:${await listen(provider)}`;

const server = createServer();
const port = await listen(server);
const app = express();
app.use(
  auth({
    issuerBaseURL: issuer,
    baseURL: `http://127.0.0.1:${port}`,
    clientID: 'bench-client',
    clientSecret: 'bench-client-secret',
    secret: 'a-long-random-cookie-encryption-secret',
    authRequired: false,
    idpLogout: false,
    enableTelemetry: false,
    // The same flow as the functions: authorization code with PKCE.
    authorizationParams: { response_type: 'code', scope: 'openid profile email' },
  }),
);
server.on('request', app);

process.on('SIGTERM', () => {
  provider.close();
  server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
answerCpuRequests();
await report({ kind: 'listening', port });
