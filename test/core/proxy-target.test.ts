import { posix } from 'node:path';
import fc from 'fast-check';
import { upstreamTarget, type TargetDecision } from '../../lambdas/core/proxy/upstream-target.js';

const API = 'https://api.example.test/svc/v1';
const BASE_PATH = '/svc/v1';

function forwardedUrl(decision: TargetDecision): string | undefined {
  return decision.forward ? decision.url : undefined;
}

/** Decodes until nothing changes (as a server that decodes more than once would), tolerating bad escapes. */
function decodeFully(path: string): string {
  let current = path;
  for (let round = 0; round < 5; round += 1) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
    if (next === current) break;
    current = next;
  }
  return current;
}

/**
 * Every way a server downstream might read the path: the URL parser's, and fully decoded with
 * backslashes as separators, `;` parameters cut, NFKC-folded and dot segments resolved. The path
 * must stay below the base path under each.
 */
function readings(url: string): string[] {
  const path = new URL(url).pathname;
  const decoded = decodeFully(path).normalize('NFKC').replaceAll('\\', '/');
  const withoutParameters = decoded.replace(/;[^/]*/g, '');
  return [path, posix.normalize(decoded), posix.normalize(withoutParameters), new URL(`https://x${decoded.startsWith('/') ? '' : '/'}${decoded}`).pathname];
}

function staysBelowBase(url: string): boolean {
  return readings(url).every((reading) => reading.startsWith(`${BASE_PATH}/`) && !reading.split('/').includes('..'));
}

describe('the upstream URL', () => {
  test.each([
    ['/api/orders/42', '', `${API}/orders/42`],
    ['/api/orders/42', 'expand=items&page=2', `${API}/orders/42?expand=items&page=2`],
    ['/api/whoami', '', `${API}/whoami`],
    ['/api/orders/', '', `${API}/orders/`],
    ['/api/a%20b/caf%C3%A9', '', `${API}/a%20b/caf%C3%A9`],
    ['/api/v1.2/file.json', '', `${API}/v1.2/file.json`],
  ])('%s?%s goes to %s (the rest of the path below the base path, the query as sent)', (rawPath, query, expected) => {
    expect(upstreamTarget(API, rawPath, query)).toEqual({ forward: true, url: expected });
  });

  test('an API without a base path gets the rest of the path at its root', () => {
    expect(forwardedUrl(upstreamTarget('https://api.example.test', '/api/orders/42', ''))).toBe('https://api.example.test/orders/42');
  });
});

/** Known tricks for escaping a base path, from path-traversal corpora and proxy advisories. */
const KNOWN_TRICKS = [
  '/api/..', '/api/../admin', '/api/orders/../../admin', '/api/./orders', '/api/.', '/api//evil.example/x', '/api/orders//x',
  '/api/%2e%2e/admin', '/api/%2E%2E/admin', '/api/.%2e/admin', '/api/%2e./admin', '/api/%2e/admin',
  '/api/..%2fadmin', '/api/..%2Fadmin', '/api/%2f%2fevil.example', '/api/orders%2f..%2f..%2fadmin',
  '/api/%252e%252e/admin', '/api/%252e%252e%252fadmin', '/api/%25252e%25252e/admin', '/api/%25',
  '/api/..\\admin', '/api/%5c..%5cadmin', '/api/..%5cadmin', '/api/%255c', '/api/\\\\evil.example\\x',
  '/api/..;/admin', '/api/orders;/../admin', '/api/.;/admin', '/api/%3b/..',
  '/api/%c0%ae%c0%ae/admin', '/api/%e0%80%ae%e0%80%ae/admin', '/api/%ef%bc%8e%ef%bc%8e/admin', '/api/．．/admin', '/api/%ef%bc%8f',
  '/api/%00/admin', '/api/orders%00.json', '/api/%0d%0aHost:%20evil', '/api/a\r\nb', '/api/a b', '/api/a#b', '/api/a?b',
  '/api/', '/api', '/apis/x', '/API/x', '/x/api/y', '//api/x', '/api/%', '/api/%zz', '/api/%e2%82',
  '/api/@evil.example', '/api/orders/..%00/admin', '/api/..%20/admin', '/api/%20../admin', '/api/...', '/api/..%09', '/api/.%e3%80%82', '/api/%ef%bd%a1.', '/api/%ef%b9%92%ef%b9%92',
];

describe('escaping the base path', () => {
  test.each(KNOWN_TRICKS)('%j is refused or stays below the base path', (rawPath) => {
    const url = forwardedUrl(upstreamTarget(API, rawPath, ''));
    if (url !== undefined) expect(staysBelowBase(url)).toBe(true);
  });

  test('every trick above that names a dot segment, a separator or an escape is refused, not forwarded', () => {
    const forwarded = KNOWN_TRICKS.filter((rawPath) => upstreamTarget(API, rawPath, '').forward);
    // The only ones forwarded are plain names, which no reading turns into anything else.
    expect(forwarded).toEqual(['/api/@evil.example']);
  });

  test('a query the URL parser would rewrite (quotes, angle brackets) is refused: what is sent must be what was checked', () => {
    for (const query of ['a="b"', 'a=<b>', "a='b'"]) {
      expect(upstreamTarget(API, '/api/orders', query)).toEqual({ forward: false, reason: 'not_canonical' });
    }
  });

  test('a query cannot carry a fragment, whitespace or a line break', () => {
    for (const query of ['a=1#x', 'a=1 2', 'a=%0d%0a\r\nHost: x', 'a=\u00e9']) {
      expect(upstreamTarget(API, '/api/orders', query)).toEqual({ forward: false, reason: 'bad_query' });
    }
  });

  const PIECES = ['.', '..', '/', '//', '\\', '%2e', '%2E', '%2f', '%2F', '%5c', '%25', '%252e', '%252f', '%c0%ae', '%ef%bc%8e', '．', ';', '%3b', '%00', '%', 'a', 'orders', '42', '~', '@', ':', '?', '#', ' ', '%20', 'é', '%e9', '%e3%80%82', '%3B', '%09'];

  test('fuzzed: no path made of those pieces reaches outside the base path, under any reading', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 12 }), (pieces) => {
        const url = forwardedUrl(upstreamTarget(API, `/api/${pieces.join('')}`, ''));
        return url === undefined || staysBelowBase(url);
      }),
      { numRuns: 20_000 },
    );
  });

  test('fuzzed: arbitrary strings after the prefix never reach outside the base path', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 20 }), (rest, query) => {
        const url = forwardedUrl(upstreamTarget(API, `/api/${rest}`, query));
        return url === undefined || (staysBelowBase(url) && new URL(url).hash === '');
      }),
      { numRuns: 20_000 },
    );
  });

  test('fuzzed: what is forwarded is what was sent, byte for byte below the base path', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }), (pieces) => {
        const rest = pieces.join('');
        const url = forwardedUrl(upstreamTarget(API, `/api/${rest}`, ''));
        return url === undefined || url === `${API}/${rest}`;
      }),
      { numRuns: 5_000 },
    );
  });
});
