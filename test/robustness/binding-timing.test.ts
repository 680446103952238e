import { jest } from '@jest/globals';
import type * as Crypto from 'node:crypto';
import fc from 'fast-check';

/**
 * RFC 9700 §2.1 / reference item 2: the binding cookie is compared with crypto.timingSafeEqual.
 * node:crypto is replaced by itself with timingSafeEqual wrapped in a spy, before the binding code
 * loads, so each comparison can be seen to go through the constant-time primitive.
 */
const realCrypto = jest.requireActual<typeof Crypto>('node:crypto');
const timingSafeEqual = jest.fn(realCrypto.timingSafeEqual);
jest.unstable_mockModule('node:crypto', () => ({ ...realCrypto, default: realCrypto, timingSafeEqual }));
const { bindBrowser, bindingMatches, hashBindingSecret } = await import('../../lambdas/core/binding.js');

/** The two buffers of the one timingSafeEqual call `compare` made. */
function comparedBuffers(compare: () => boolean): { result: boolean; left: Buffer; right: Buffer } {
  timingSafeEqual.mockClear();
  const result = compare();
  expect(timingSafeEqual).toHaveBeenCalledTimes(1);
  const [left, right] = timingSafeEqual.mock.calls[0] as [Buffer, Buffer];
  return { result, left, right };
}

test("the rightful browser's secret matches through one timingSafeEqual over the two hashes", () => {
  const binding = bindBrowser(undefined);
  const { result, left, right } = comparedBuffers(() => bindingMatches(binding.secret, binding.hash));
  expect(result).toBe(true);
  expect(left.toString()).toBe(hashBindingSecret(binding.secret));
  expect(right.toString()).toBe(binding.hash);
});

test("another browser's secret is refused by the same constant-time comparison, never by an early exit", () => {
  const rightful = bindBrowser(undefined);
  const other = bindBrowser(undefined);
  const { result, left, right } = comparedBuffers(() => bindingMatches(other.secret, rightful.hash));
  expect(result).toBe(false);
  expect(left).toHaveLength(right.length);
});

test('a stored hash of another length is refused and still costs one constant-time comparison', () => {
  const binding = bindBrowser(undefined);
  expect(comparedBuffers(() => bindingMatches(binding.secret, binding.hash.slice(1))).result).toBe(false);
});

test('for any secret and stored hash: equal hashes match, anything else does not, always one timingSafeEqual of 43-byte hashes', () => {
  const hash = fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ minLength: 43, maxLength: 43 }));
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 1024 }), hash, fc.boolean(), (secret, unrelated, useOwnHash) => {
      const stored = useOwnHash ? hashBindingSecret(secret) : unrelated;
      const { result, left } = comparedBuffers(() => bindingMatches(secret, stored));
      expect(result).toBe(hashBindingSecret(secret) === stored);
      // The cookie is hashed before comparing, so its length never shapes the comparison.
      expect(left).toHaveLength(43);
    }),
    { numRuns: 1000 },
  );
});
