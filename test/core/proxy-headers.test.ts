import fc from 'fast-check';
import { browserResponseHeaders, passesCsrfCheck, upstreamRequestHeaders } from '../../lambdas/core/proxy/proxy-headers.js';

const APP_ORIGIN = 'https://login.example.test';

describe('headers sent to the API', () => {
  const browser = {
    accept: 'application/json',
    'content-type': 'application/json',
    'accept-language': 'en',
    'if-none-match': '"v1"',
    'x-request-id': 'r-1',
    cookie: '__Host-session=secret',
    authorization: 'Bearer from-the-browser',
    host: 'login.example.test',
    'content-length': '12',
    connection: 'keep-alive, x-private-hop',
    'x-private-hop': 'dropped because Connection names it',
    'keep-alive': 'timeout=5',
    'proxy-authorization': 'Basic abc',
    'proxy-connection': 'keep-alive',
    te: 'trailers',
    trailer: 'x-checksum',
    'transfer-encoding': 'chunked',
    upgrade: 'websocket',
    expect: '100-continue',
    'x-origin-verify': 'edge-secret',
    'x-amzn-trace-id': 'Root=1-abc',
    'x-amz-cf-id': 'cf',
    'cloudfront-viewer-country': 'DE',
    'x-forwarded-for': '203.0.113.9',
    'x-forwarded-proto': 'https',
    forwarded: 'for=203.0.113.9',
    via: '2.0 cloudfront',
    'x-csrf': '1',
  };

  test('end-to-end headers pass; the credentials, hop-by-hop and edge headers stop here; the access token is the only Authorization', () => {
    expect(upstreamRequestHeaders(browser, 'the-access-token')).toEqual({
      accept: 'application/json',
      'content-type': 'application/json',
      'accept-language': 'en',
      'if-none-match': '"v1"',
      'x-request-id': 'r-1',
      authorization: 'Bearer the-access-token',
    });
  });

  test('names in any case are dropped all the same', () => {
    expect(upstreamRequestHeaders({ Cookie: 'a=b', AUTHORIZATION: 'x', 'X-Origin-Verify': 's', Accept: '*/*' }, 't')).toEqual({ accept: '*/*', authorization: 'Bearer t' });
  });

  test('fuzzed: whatever the browser sends, no cookie, browser Authorization or edge secret reaches the API', () => {
    const name = fc.constantFrom('cookie', 'Cookie', 'authorization', 'Authorization', 'x-origin-verify', 'host', 'connection', 'proxy-x', 'x-amz-x', 'x-forwarded-host', 'accept', 'x-custom');
    fc.assert(
      fc.property(fc.dictionary(name, fc.string({ maxLength: 20 })), (headers) => {
        const sent = upstreamRequestHeaders(headers, 'token');
        const names = Object.keys(sent);
        return (
          sent.authorization === 'Bearer token' &&
          !names.some((header) => ['cookie', 'host', 'connection', 'x-origin-verify'].includes(header) || header.startsWith('proxy-') || header.startsWith('x-amz') || header.startsWith('x-forwarded-'))
        );
      }),
    );
  });
});

describe('headers the browser gets from the API', () => {
  test('no cookie, CORS grant, hop-by-hop, caching or security header of the API reaches the browser; validators and content headers do', () => {
    const upstream: [string, string][] = [
      ['content-type', 'application/json'],
      ['content-encoding', 'gzip'],
      ['etag', '"v2"'],
      ['last-modified', 'Sun, 06 Dec 2026 10:00:00 GMT'],
      ['vary', 'Accept'],
      ['www-authenticate', 'Bearer error="insufficient_scope"'],
      ['x-ratelimit-remaining', '9'],
      ['Set-Cookie', 'tracker=1; Path=/'],
      ['access-control-allow-origin', 'https://evil.example'],
      ['access-control-allow-credentials', 'true'],
      ['connection', 'close, x-hop'],
      ['x-hop', 'named by Connection'],
      ['keep-alive', 'timeout=5'],
      ['transfer-encoding', 'chunked'],
      ['trailer', 'x-sum'],
      ['upgrade', 'h2c'],
      ['proxy-authenticate', 'Basic'],
      ['content-length', '123'],
      ['cache-control', 'public, max-age=3600'],
      ['expires', 'Mon, 07 Dec 2026 10:00:00 GMT'],
      ['age', '10'],
      ['pragma', 'cache'],
      ['content-security-policy', "script-src 'unsafe-inline'"],
      ['x-frame-options', 'ALLOWALL'],
      ['referrer-policy', 'unsafe-url'],
      ['strict-transport-security', 'max-age=0'],
      ['x-content-type-options', 'none'],
    ];
    expect(browserResponseHeaders(upstream)).toEqual({
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      etag: '"v2"',
      'last-modified': 'Sun, 06 Dec 2026 10:00:00 GMT',
      vary: 'Accept',
      'www-authenticate': 'Bearer error="insufficient_scope"',
      'x-ratelimit-remaining': '9',
    });
  });
});

describe('the CSRF check', () => {
  test.each(['GET', 'HEAD', 'OPTIONS', 'get'])('%s needs neither Origin nor x-csrf', (method) => {
    expect(passesCsrfCheck(method, {}, APP_ORIGIN)).toBe(true);
  });

  test.each(['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'post'])('%s needs the app\'s Origin and x-csrf: 1, both', (method) => {
    expect(passesCsrfCheck(method, { origin: APP_ORIGIN, 'x-csrf': '1' }, APP_ORIGIN)).toBe(true);
    expect(passesCsrfCheck(method, { origin: APP_ORIGIN }, APP_ORIGIN)).toBe(false);
    expect(passesCsrfCheck(method, { 'x-csrf': '1' }, APP_ORIGIN)).toBe(false);
    expect(passesCsrfCheck(method, { origin: 'https://evil.example', 'x-csrf': '1' }, APP_ORIGIN)).toBe(false);
    expect(passesCsrfCheck(method, { origin: `${APP_ORIGIN}.evil.example`, 'x-csrf': '1' }, APP_ORIGIN)).toBe(false);
    expect(passesCsrfCheck(method, { origin: 'null', 'x-csrf': '1' }, APP_ORIGIN)).toBe(false);
    expect(passesCsrfCheck(method, { origin: APP_ORIGIN, 'x-csrf': 'true' }, APP_ORIGIN)).toBe(false);
  });
});
