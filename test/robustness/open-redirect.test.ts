import { callbackQuery, createTestFlow, TEST_BASE_URL, TEST_ISSUER, type TestFlow } from '../support/flow.js';
import { loadOpenRedirects } from '../support/open-redirects.js';
import { mapConcurrent } from './support/concurrency.js';
import { reportFigures } from './support/figures.js';

/**
 * RFC 9700 §4.11 (oauth2-proxy CVE-2020-5233): `returnTo` is where the browser lands after the
 * callback. Every known bypass payload goes through the whole flow, and the final 303 never leaves
 * the base URL's origin.
 */
const ORIGIN = new URL(TEST_BASE_URL).origin;
const CONCURRENCY = 16;

const payloads = [...new Set(loadOpenRedirects().filter((line) => line !== ''))];

let flow: TestFlow;

beforeAll(async () => {
  flow = await createTestFlow();
});

afterAll(() => flow.close());

interface Landing {
  /** Absent when the login refused the link (400), so there was no flow to finish. */
  readonly location?: string;
  readonly storedReturnTo?: string;
}

/** Login with `returnTo` carried as `loginQuery` says, then the provider's redirect back. */
async function landingFor(loginQuery: string, code: string): Promise<Landing> {
  const login = await flow.login(loginQuery);
  if (login.response.statusCode === 400) return {};
  expect(login.response.statusCode).toBe(302);
  const storedReturnTo = (await flow.item(login.transactionId))?.returnTo?.S;
  const callback = await flow.callback(callbackQuery({ code, state: login.state, iss: TEST_ISSUER }), login.bindingSecret);
  expect(callback.statusCode).toBe(303);
  return { location: callback.headers.location, ...(storedReturnTo === undefined ? {} : { storedReturnTo }) };
}

test(`all ${payloads.length} payloads of openredirects.txt, raw and encoded, land on the base URL's origin`, async () => {
  expect(payloads.length).toBeGreaterThan(500);
  const variants = payloads.flatMap((payload) => [
    { payload, query: `returnTo=${payload}` },
    { payload, query: `returnTo=${encodeURIComponent(payload)}` },
  ]);
  const started = performance.now();
  const landings = await mapConcurrent(variants, CONCURRENCY, (variant, index) => landingFor(variant.query, `redirect-code-${index}`));

  const escaped = variants.flatMap((variant, index) => {
    const location = landings[index]?.location;
    return location !== undefined && new URL(location).origin !== ORIGIN ? [{ ...variant, location }] : [];
  });
  expect(escaped).toEqual([]);
  // What is kept is stored as a plain path, never as something a later decode could turn into `//host`.
  for (const landing of landings) {
    if (landing.storedReturnTo !== undefined) expect(landing.storedReturnTo).toMatch(/^\/(?![/\\])/);
  }

  const finished = landings.filter((landing) => landing.location !== undefined);
  reportFigures('open-redirect', {
    payloads: payloads.length,
    flows: variants.length,
    finishedFlows: finished.length,
    refusedAtLogin: variants.length - finished.length,
    returnToKept: finished.filter((landing) => landing.storedReturnTo !== undefined).length,
    leftOrigin: escaped.length,
    durationMs: Math.round(performance.now() - started),
  });
});

test('legitimate same-origin paths are kept exactly', async () => {
  const paths = ['/dashboard', '/account?tab=1', '/a/b/c?x=1&y=2#section', '/search?q=hello%20world', '/~user/page', '/items;v=2', '/@me', '/'];
  for (const [index, path] of paths.entries()) {
    const landing = await landingFor(`returnTo=${encodeURIComponent(path)}`, `legit-code-${index}`);
    expect(landing.location).toBe(`${ORIGIN}${path}`);
  }
});

test('no returnTo lands on the signed-in page', async () => {
  expect((await landingFor('', 'no-return-to')).location).toBe(`${TEST_BASE_URL}/signed-in`);
});
