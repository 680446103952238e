import type { IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { randomToken } from '../../lambdas/core/encoding.js';
import { parseLoginQuery, transactionIdForState, LoginRequestError } from '../../lambdas/core/authorization-request.js';
import { CallbackError, validateAuthorizationResponse } from '../../lambdas/core/authorization-response.js';
import { BINDING_COOKIE_NAME, readCookie } from '../../lambdas/core/binding.js';
import { MAX_QUERY_LENGTH, QueryError, parseQuery } from '../../lambdas/core/query.js';
import { sanitizeReturnTo } from '../../lambdas/core/return-to.js';
import type { HttpResponse } from '../../lambdas/core/http.js';
import { CALLBACK_ROUTE } from '../../lambdas/callback/app.js';
import { LOGIN_ROUTE } from '../../lambdas/login/app.js';
import { toApiGatewayEvent } from '../../local/api-gateway-adapter.js';
import { createTestTable, getItem, localClient, testEndpoint } from '../support/dynamodb.js';
import { TEST_BASE_URL, TEST_ISSUER, testConfig } from '../support/flow.js';
import { reportFigures } from './support/figures.js';
import { wireHandlers, type WiredHandlers } from '../support/handlers.js';
import { createStoreCounter, type StoreCounter } from './support/store-counter.js';

/**
 * Property-based fuzzing of everything a browser or provider controls: the raw query, cookies and
 * headers. Whatever arrives, the handlers answer (no escaping throw, never 5xx), and input they
 * refuse leaves the table untouched (reference item 12: duplicates, malformed escapes, oversize).
 */
const PURE_RUNS = 3000;
const LOGIN_RUNS = 300;
const CALLBACK_RUNS = 250;
const ROUND_TRIP_RUNS = 100;

const PARAMETER_NAMES = ['state', 'code', 'iss', 'error', 'error_description', 'returnTo', 'prompt', 'login_hint', 'ui_locales', 'organization'];
const MALFORMED_ESCAPES = ['%', '%2', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', '%FF', '%00', '%u0041', '%%32', '%D8%00', '%F4%90%80%80'];

/** Unicode, any code point (lone surrogates and controls too), bad escapes, and now and then a huge value. */
const text: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 24 }), weight: 4 },
  { arbitrary: fc.constantFrom(...MALFORMED_ESCAPES), weight: 2 },
  { arbitrary: fc.string({ unit: fc.constantFrom('%', '&', '=', '+', ';', '#', '?', '/', '\\', ' ', 'a'), maxLength: 16 }), weight: 2 },
  { arbitrary: fc.integer({ min: 2048, max: 20_000 }).map((length) => 'A'.repeat(length)), weight: 1 },
);

/** encodeURIComponent throws on lone surrogates; such a value is then sent as is, as a hostile client would. */
function encodeOrRaw(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

type Pair = readonly [name: string, value: string, encoded: boolean];
const pair: fc.Arbitrary<Pair> = fc.tuple(fc.oneof(fc.constantFrom(...PARAMETER_NAMES), text), text, fc.boolean());
const joinPairs = (pairs: readonly Pair[]): string =>
  pairs.map(([name, value, encoded]) => (encoded ? `${encodeOrRaw(name)}=${encodeOrRaw(value)}` : `${name}=${value}`)).join('&');

/** Structured pairs with deliberate duplicates, or raw garbage. */
const rawQuery: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.array(pair, { maxLength: 12 }).chain((pairs) => fc.subarray(pairs).map((again) => joinPairs([...pairs, ...again]))), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
  { arbitrary: fc.array(text, { maxLength: 8 }).map((pieces) => pieces.join('&')), weight: 1 },
);

const cookieHeader: fc.Arbitrary<string | undefined> = fc.option(
  fc.oneof(
    text,
    fc
      .array(fc.tuple(fc.oneof(fc.constant(BINDING_COOKIE_NAME), text), fc.oneof(fc.constant(randomToken()), text)), { maxLength: 4 })
      .map((pairs) => pairs.map(([name, value]) => `${name}=${value}`).join('; ')),
  ),
  { nil: undefined },
);

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
const headers: fc.Arbitrary<IncomingHttpHeaders> = fc.dictionary(headerName, fc.oneof(text, fc.array(text, { maxLength: 3 })), { maxKeys: 6 });

function event(routeKey: string, query: string, cookie: string | undefined, extraHeaders: IncomingHttpHeaders = {}) {
  const path = routeKey.split(' ')[1] ?? '/';
  return toApiGatewayEvent({
    method: 'GET',
    url: query === '' ? path : `${path}?${query}`,
    headers: { ...extraHeaders, host: 'login.example.test', ...(cookie === undefined ? {} : { cookie }) },
    sourceIp: '127.0.0.1',
    routeKey,
    domainName: 'login.example.test',
  });
}

/**
 * An independent reading of reference item 12: a query with a malformed escape, a repeated name or
 * an oversize length must be refused before the store is asked anything. Returns the decoded
 * parameters when the query is well-formed.
 */
function wellFormedParameters(query: string): Map<string, string> | 'refuse' {
  if (query.length > MAX_QUERY_LENGTH) return 'refuse';
  const parameters = new Map<string, string>();
  for (const piece of query.split('&').filter((part) => part !== '')) {
    const separator = piece.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent((separator < 0 ? piece : piece.slice(0, separator)).replaceAll('+', ' '));
      value = separator < 0 ? '' : decodeURIComponent(piece.slice(separator + 1).replaceAll('+', ' '));
    } catch {
      return 'refuse';
    }
    if (parameters.has(name)) return 'refuse';
    parameters.set(name, value);
  }
  return parameters;
}

/** A throw that escapes the handler, or a 5xx, fails the property, and fast-check reports the input. */
async function answer(handler: () => Promise<HttpResponse>): Promise<HttpResponse> {
  const response = await handler();
  expect(response.statusCode).toBeLessThan(500);
  return response;
}

describe('pure parsers never throw anything but their own typed errors', () => {
  const config = testConfig();
  const only =
    (...allowed: (new (...args: never[]) => Error)[]) =>
    (work: () => unknown): boolean => {
      try {
        work();
        return true;
      } catch (error) {
        return allowed.some((type) => error instanceof type);
      }
    };

  test('query, login, callback, cookie and returnTo parsing', () => {
    fc.assert(
      fc.property(rawQuery, text, fc.array(text, { maxLength: 4 }), (query, candidate, cookies) => {
        expect(only(QueryError)(() => parseQuery(query))).toBe(true);
        expect(only(LoginRequestError)(() => parseLoginQuery(query, config))).toBe(true);
        expect(only(CallbackError)(() => validateAuthorizationResponse(query, config))).toBe(true);
        expect(only()(() => readCookie(cookies, BINDING_COOKIE_NAME))).toBe(true);
        const kept = sanitizeReturnTo(candidate, config.baseUrl);
        if (kept !== undefined) expect(new URL(kept, config.baseUrl).origin).toBe(new URL(TEST_BASE_URL).origin);
      }),
      { numRuns: PURE_RUNS },
    );
  });
});

describe('handlers under fuzzed requests', () => {
  let handlers: WiredHandlers;
  let counter: StoreCounter;
  let tableName: string;
  const client = localClient(testEndpoint());
  const config = testConfig();
  const clock = { nowMs: Date.now() };
  const statuses = new Map<string, number>();
  const tally = (label: string, status: number): void => {
    statuses.set(`${label} ${status}`, (statuses.get(`${label} ${status}`) ?? 0) + 1);
  };

  beforeAll(async () => {
    tableName = await createTestTable();
    counter = createStoreCounter();
    handlers = wireHandlers({ client, tableName, config, wrapStore: counter.wrap, now: () => clock.nowMs });
  });

  afterAll(() => {
    client.destroy();
    const callbackReasons = new Set<string>();
    for (const line of handlers.logs) {
      const entry = JSON.parse(line) as { route: string; outcome: string; reason?: string };
      if (entry.route === CALLBACK_ROUTE && entry.outcome === 'rejected' && entry.reason !== undefined) callbackReasons.add(entry.reason);
    }
    reportFigures('fuzz', {
      pureRuns: PURE_RUNS,
      loginRuns: LOGIN_RUNS,
      callbackRuns: CALLBACK_RUNS,
      codeRoundTripRuns: ROUND_TRIP_RUNS,
      serverErrors: [...statuses].reduce((sum, [key, count]) => (Number(key.split(' ')[1]) >= 500 ? sum + count : sum), 0),
      ...Object.fromEntries(statuses),
      callbackReasonsCovered: [...callbackReasons].sort().join(' '),
    });
  });

  async function startLogin(): Promise<{ state: string; bindingSecret: string }> {
    clock.nowMs = Date.now();
    const response = await handlers.login(event(LOGIN_ROUTE, '', undefined));
    const state = new URL(response.headers.location ?? '').searchParams.get('state') ?? '';
    const bindingSecret = (response.cookies?.[0] ?? '').split(';', 1)[0]?.slice(BINDING_COOKIE_NAME.length + 1) ?? '';
    return { state, bindingSecret };
  }

  test('GET /login: 302 or 400, and a refused login writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(rawQuery, cookieHeader, headers, async (query, cookie, extraHeaders) => {
        const savesBefore = counter.savePendingCalls;
        const response = await answer(() => handlers.login(event(LOGIN_ROUTE, query, cookie, extraHeaders)));
        tally('login', response.statusCode);
        expect([302, 400]).toContain(response.statusCode);
        if (wellFormedParameters(query) === 'refuse') expect(response.statusCode).toBe(400);
        expect(counter.savePendingCalls - savesBefore).toBe(response.statusCode === 302 ? 1 : 0);
      }),
      { numRuns: LOGIN_RUNS },
    );
  });

  /**
   * Mostly near-valid callbacks with a few things wrong, so runs reach every branch: refused before
   * the store, refused by its condition (foreign browser, used, expired) and accepted.
   */
  const weighted = <T>(...choices: [T, number][]): fc.Arbitrary<T> =>
    fc.oneof(...choices.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));
  /** Absent five times in six. */
  const rarely = <T, N>(arbitrary: fc.Arbitrary<T>, absent: N): fc.Arbitrary<T | N> =>
    fc.oneof({ arbitrary: fc.constant(absent), weight: 5 }, { arbitrary, weight: 1 });
  const vschar = fc.integer({ min: 0x20, max: 0x7e }).map((point) => String.fromCharCode(point));
  const callbackCase = fc.record({
    state: weighted<'real' | 'other-token' | 'fuzzed' | 'absent'>(['real', 6], ['other-token', 1], ['fuzzed', 1], ['absent', 1]),
    fuzzedState: text,
    cookie: weighted<'real' | 'other-token' | 'both' | 'fuzzed' | 'absent'>(['real', 6], ['other-token', 1], ['both', 1], ['fuzzed', 1], ['absent', 1]),
    fuzzedCookie: text,
    code: fc.oneof(
      { arbitrary: fc.string({ unit: vschar, minLength: 1, maxLength: 64 }), weight: 5 },
      { arbitrary: text, weight: 2 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    ),
    error: rarely(fc.oneof(fc.constantFrom('access_denied', 'login_required'), text), undefined),
    iss: fc.oneof({ arbitrary: fc.constant(TEST_ISSUER), weight: 4 }, { arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: text, weight: 1 }),
    extra: rarely(fc.array(pair, { minLength: 1, maxLength: 3 }), []),
    repeat: rarely(fc.constantFrom('state', 'code', 'iss', 'error'), undefined),
    encoded: fc.boolean(),
    before: weighted<'pending' | 'used' | 'expired'>(['pending', 6], ['used', 1], ['expired', 1]),
  });
  type CallbackCase = typeof callbackCase extends fc.Arbitrary<infer T> ? T : never;

  /** The fuzzed callback's raw query and cookie header, against one real login. */
  function callbackRequest(input: CallbackCase, realState: string, rightfulCookie: string): { query: string; cookie: string | undefined } {
    const state = { real: realState, 'other-token': randomToken(), fuzzed: input.fuzzedState, absent: undefined }[input.state];
    const pairs: Pair[] = [];
    if (state !== undefined) pairs.push(['state', state, input.encoded]);
    if (input.code !== undefined) pairs.push(['code', input.code, input.encoded]);
    if (input.error !== undefined) pairs.push(['error', input.error, input.encoded]);
    if (input.iss !== undefined) pairs.push(['iss', input.iss, input.encoded]);
    pairs.push(...input.extra);
    const repeated = pairs.find(([name]) => name === input.repeat);
    if (repeated !== undefined) pairs.push(repeated);
    const cookie = {
      real: rightfulCookie,
      'other-token': `${BINDING_COOKIE_NAME}=${randomToken()}`,
      both: `${rightfulCookie}; ${BINDING_COOKIE_NAME}=${randomToken()}`,
      fuzzed: input.fuzzedCookie,
      absent: undefined,
    }[input.cookie];
    return { query: joinPairs(pairs), cookie };
  }

  test('GET /callback: never 5xx; a refused callback changes nothing; an accepted one records exactly what was sent', async () => {
    await fc.assert(
      fc.asyncProperty(callbackCase, async (input) => {
        const login = await startLogin();
        const rightfulCookie = `${BINDING_COOKIE_NAME}=${login.bindingSecret}`;
        if (input.before === 'used') {
          const first = await handlers.callback(event(CALLBACK_ROUTE, new URLSearchParams({ state: login.state, code: 'first' }).toString(), rightfulCookie));
          expect(first.statusCode).toBe(303);
        }
        if (input.before === 'expired') clock.nowMs += (config.stateTtlSeconds + 1) * 1000;

        const { query, cookie } = callbackRequest(input, login.state, rightfulCookie);
        const transactionId = transactionIdForState(login.state);
        const itemBefore = await getItem(client, tableName, transactionId);
        const consumeCallsBefore = counter.consumeCalls;
        const writesBefore = counter.writes();
        const response = await answer(() => handlers.callback(event(CALLBACK_ROUTE, query, cookie)));
        clock.nowMs = Date.now();
        tally('callback', response.statusCode);
        expect([200, 303, 400, 403, 409, 410]).toContain(response.statusCode);

        const parameters = wellFormedParameters(query);
        if (parameters === 'refuse') {
          expect(response.statusCode).toBe(400);
          expect(counter.consumeCalls).toBe(consumeCallsBefore);
        }
        const itemAfter = await getItem(client, tableName, transactionId);
        if (response.statusCode >= 400) {
          expect(counter.writes()).toBe(writesBefore);
          expect(itemAfter).toEqual(itemBefore);
          return;
        }
        // Accepted: only the rightful browser with the real, pending, unexpired state gets here, with exactly one write.
        expect(counter.writes()).toBe(writesBefore + 1);
        expect([input.state, input.cookie, input.before]).toEqual(['real', 'real', 'pending']);
        if (parameters === 'refuse') throw new Error('a query that had to be refused was accepted');
        if (parameters.has('code')) {
          expect(response.statusCode).toBe(303);
          expect(itemAfter?.status?.S).toBe('code_received');
          expect(itemAfter?.code?.S).toBe(parameters.get('code'));
        } else {
          // A provider error gets its page, or (the silent SSO check's errors) a 303 back to the landing.
          expect([200, 303]).toContain(response.statusCode);
          expect(itemAfter?.status?.S).toBe('provider_error');
          expect(itemAfter?.error?.S).toBe(parameters.get('error'));
        }
      }),
      { numRuns: CALLBACK_RUNS },
    );
  });

  test('any code of 1-2048 VSCHARs (RFC 6749 A.11) round-trips into the table exactly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: vschar, minLength: 1, maxLength: 2048 }), async (code) => {
        const login = await startLogin();
        const query = new URLSearchParams({ state: login.state, code, iss: TEST_ISSUER }).toString();
        const response = await answer(() => handlers.callback(event(CALLBACK_ROUTE, query, `${BINDING_COOKIE_NAME}=${login.bindingSecret}`)));
        tally('round-trip', response.statusCode);
        expect(response.statusCode).toBe(303);
        expect((await getItem(client, tableName, transactionIdForState(login.state)))?.code?.S).toBe(code);
      }),
      { numRuns: ROUND_TRIP_RUNS },
    );
  });
});
