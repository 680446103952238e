import { errors, exportJWK, generateKeyPair, type FlattenedJWSInput, type JSONWebKeySet, type JWK } from 'jose';
import { createKeySetCache, JWKS_REFETCH_INTERVAL_MS, type KeySetCache } from '../../lambdas/core/token/jwks-cache.js';
import { SignInFailure } from '../../lambdas/core/token/sign-in-failure.js';

const TOKEN: FlattenedJWSInput = { payload: '', signature: '' };

let first: JWK;
let second: JWK;

async function publicJwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair('RS256');
  return { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
}

beforeAll(async () => {
  [first, second] = await Promise.all([publicJwk('key-1'), publicJwk('key-2')]);
});

/** A provider whose JWKS answer the test changes, and a clock the test moves. */
function provider(initial: unknown): { cache: KeySetCache; clock: { now: number }; publish: (document: unknown) => void; fail: (error: Error) => void } {
  const clock = { now: 1_000 };
  let answer: () => Promise<unknown> = () => Promise.resolve(initial);
  const cache = createKeySetCache({ fetchKeySet: () => answer(), now: () => clock.now });
  return {
    cache,
    clock,
    publish: (document) => {
      answer = () => Promise.resolve(document);
    },
    fail: (error) => {
      answer = () => Promise.reject(error);
    },
  };
}

async function keyFor(cache: KeySetCache, kid: string): Promise<unknown> {
  return cache.getKey({ alg: 'RS256', kid }, TOKEN);
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('createKeySetCache', () => {
  test('fetches lazily, once, and reuses the set for every key lookup', async () => {
    const { cache } = provider({ keys: [first, second] });
    expect(cache.fetchCount()).toBe(0);
    for (let lookup = 0; lookup < 10; lookup += 1) await keyFor(cache, lookup % 2 === 0 ? 'key-1' : 'key-2');
    expect(cache.fetchCount()).toBe(1);
  });

  test('concurrent first lookups share one fetch', async () => {
    let fetches = 0;
    let release: (document: JSONWebKeySet) => void = () => undefined;
    const pending = new Promise<JSONWebKeySet>((resolve) => {
      release = resolve;
    });
    const cache = createKeySetCache({
      fetchKeySet: () => {
        fetches += 1;
        return pending;
      },
      now: () => 0,
    });
    const lookups = Promise.all(Array.from({ length: 5 }, () => keyFor(cache, 'key-1')));
    release({ keys: [first] });
    await lookups;
    expect(fetches).toBe(1);
    expect(cache.fetchCount()).toBe(1);
  });

  test('an unknown kid refetches only once the interval has passed since the last fetch', async () => {
    const { cache, clock, publish } = provider({ keys: [first] });
    await keyFor(cache, 'key-1');
    publish({ keys: [first, second] });

    clock.now += JWKS_REFETCH_INTERVAL_MS - 1;
    expect(await failureOf(keyFor(cache, 'key-2'))).toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(cache.fetchCount()).toBe(1);

    clock.now += 1;
    await keyFor(cache, 'key-2');
    expect(cache.fetchCount()).toBe(2);
  });

  test('a kid still unknown after a refetch does not refetch again within the interval', async () => {
    const { cache, clock } = provider({ keys: [first] });
    await keyFor(cache, 'key-1');
    clock.now += JWKS_REFETCH_INTERVAL_MS;
    for (let attempt = 0; attempt < 5; attempt += 1) expect(await failureOf(keyFor(cache, 'key-9'))).toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(cache.fetchCount()).toBe(2);
  });

  test('the refetch interval can be configured', async () => {
    const clock = { now: 0 };
    let document: JSONWebKeySet = { keys: [first] };
    const cache = createKeySetCache({ fetchKeySet: () => Promise.resolve(document), now: () => clock.now, refetchIntervalMs: 5 });
    await keyFor(cache, 'key-1');
    document = { keys: [first, second] };
    clock.now = 5;
    await keyFor(cache, 'key-2');
    expect(cache.fetchCount()).toBe(2);
  });

  test.each([
    ['an object without keys', { issuer: 'https://tenant.example.test/' }],
    ['keys that are not an array', { keys: {} }],
    ['keys that are not JWKs', { keys: [1] }],
    ['JSON null', null],
    ['an HTML page', '<html>maintenance</html>'],
  ])('a first answer of %s is a failure, retried once the interval has passed', async (_label, document) => {
    const { cache, clock, publish } = provider(document);
    const failure = await failureOf(keyFor(cache, 'key-1'));
    expect(failure).toBeInstanceOf(SignInFailure);
    expect(failure).toMatchObject({ reason: 'jwks_unavailable' });

    publish({ keys: [first] });
    clock.now += JWKS_REFETCH_INTERVAL_MS;
    await keyFor(cache, 'key-1');
    expect(cache.fetchCount()).toBe(2);
  });

  test('a refetch answered with a non-JWKS document keeps the last good set', async () => {
    const { cache, clock, publish } = provider({ keys: [first] });
    await keyFor(cache, 'key-1');
    publish({ error: 'maintenance' });
    clock.now += JWKS_REFETCH_INTERVAL_MS;
    expect(await failureOf(keyFor(cache, 'key-2'))).toBeInstanceOf(errors.JWKSNoMatchingKey);
    await keyFor(cache, 'key-1');
    expect(cache.fetchCount()).toBe(2);
  });

  test('a fetch that fails with no set yet is jwks_unavailable, and is tried again only once the interval has passed', async () => {
    const { cache, clock, fail, publish } = provider({ keys: [first] });
    fail(new Error('connect ETIMEDOUT'));
    expect(await failureOf(keyFor(cache, 'key-1'))).toMatchObject({ reason: 'jwks_unavailable' });
    publish({ keys: [first] });
    clock.now += JWKS_REFETCH_INTERVAL_MS - 1;
    expect(await failureOf(keyFor(cache, 'key-1'))).toMatchObject({ reason: 'jwks_unavailable' });
    expect(cache.fetchCount()).toBe(1);
    clock.now += 1;
    await keyFor(cache, 'key-1');
    expect(cache.fetchCount()).toBe(2);
  });

  test('while no set ever loaded, 30 unauthenticated lookups within the interval make one fetch, not 30', async () => {
    const { cache, fail } = provider(undefined);
    fail(new Error('connect ETIMEDOUT'));
    for (let lookup = 0; lookup < 30; lookup += 1) {
      expect(await failureOf(keyFor(cache, `kid-${lookup}`))).toMatchObject({ reason: 'jwks_unavailable' });
    }
    expect(cache.fetchCount()).toBe(1);
  });

  test('lookups while the first fetch is still in flight wait for it rather than start their own', async () => {
    let fetches = 0;
    let release: (error: Error) => void = () => undefined;
    const cache = createKeySetCache({
      fetchKeySet: () => {
        fetches += 1;
        return new Promise((_resolve, reject) => {
          release = reject;
        });
      },
      now: () => 0,
    });
    const lookups = Array.from({ length: 8 }, () => failureOf(keyFor(cache, 'key-1')));
    release(new Error('connect ETIMEDOUT'));
    for (const failure of await Promise.all(lookups)) expect(failure).toMatchObject({ reason: 'jwks_unavailable' });
    expect(fetches).toBe(1);
  });
});

test('a key-set fetcher that throws before returning a promise does not wedge the cache', async () => {
  let calls = 0;
  const clock = { now: 0 };
  const cache = createKeySetCache({
    fetchKeySet: () => {
      calls += 1;
      throw new Error('synchronous failure');
    },
    now: () => clock.now,
  });
  const header = { alg: 'RS256', kid: 'k' };
  const token = { payload: '', signature: '' } as unknown as Parameters<typeof cache.getKey>[1];
  await expect(cache.getKey(header, token)).rejects.toMatchObject({ reason: 'jwks_unavailable' });
  clock.now += JWKS_REFETCH_INTERVAL_MS;
  await expect(cache.getKey(header, token)).rejects.toMatchObject({ reason: 'jwks_unavailable' });
  // Tried again once allowed: nothing cached a rejected fetch.
  expect(calls).toBe(2);
});

test('prefetch loads the set before any token needs it, and a failed prefetch is left for the first lookup to retry', async () => {
  let calls = 0;
  let failing = true;
  const { publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k', alg: 'RS256' };
  const cache = createKeySetCache({
    fetchKeySet: async () => {
      calls += 1;
      if (failing) throw new Error('down');
      return { keys: [jwk] };
    },
    now: () => 0,
    refetchIntervalMs: 0,
  });
  await cache.prefetch();
  expect(calls).toBe(1);
  failing = false;
  const token = { payload: '', signature: '' } as unknown as Parameters<typeof cache.getKey>[1];
  await expect(cache.getKey({ alg: 'RS256', kid: 'k' }, token)).resolves.toBeDefined();
  expect(calls).toBe(2);
});
