import { ConfigError } from '../../lambdas/core/config.js';
import { generateTokenKeyRing, openTokens, parseTokenKeyRing, sealTokens } from '../../lambdas/core/token/token-sealing.js';

const SESSION = 'session-id-hash-a';
const OTHER_SESSION = 'session-id-hash-b';
const material = (seed: string) => seed.repeat(40).slice(0, 40);

describe('sealing the session tokens (AES-256-GCM, bound to the session and the key version)', () => {
  const ring = parseTokenKeyRing(generateTokenKeyRing(), 'TOKEN_KEYS');

  test('opens what it sealed, for the same session', () => {
    const sealed = sealTokens(ring, SESSION, '{"a":"access"}');
    expect(sealed).not.toContain('access');
    expect(openTokens(ring, SESSION, sealed)).toBe('{"a":"access"}');
  });

  test('two seals of the same tokens differ (a fresh IV each time)', () => {
    expect(sealTokens(ring, SESSION, 'x')).not.toBe(sealTokens(ring, SESSION, 'x'));
  });

  test('a ciphertext moved to another session does not open', () => {
    expect(openTokens(ring, OTHER_SESSION, sealTokens(ring, SESSION, 'tokens'))).toBeUndefined();
  });

  test('a key ring without the ciphertext key version does not open it', () => {
    const other = parseTokenKeyRing(JSON.stringify({ current: '2', 2: material('b') }), 'TOKEN_KEYS');
    expect(openTokens(other, SESSION, sealTokens(ring, SESSION, 'tokens'))).toBeUndefined();
  });

  test('a ciphertext relabelled with another key version does not open, even when that version exists', () => {
    const two = parseTokenKeyRing(JSON.stringify({ current: '1', 1: material('a'), 2: material('a') }), 'TOKEN_KEYS');
    const sealed = sealTokens(two, SESSION, 'tokens');
    expect(openTokens(two, SESSION, sealed.replace(/^1\./, '2.'))).toBeUndefined();
  });

  test.each([0, 1, 2, 3])('a change to any byte of part %i is refused', (part) => {
    const sealed = sealTokens(ring, SESSION, 'some tokens to protect').split('.');
    const bytes = Buffer.from(sealed[part] ?? '', part === 0 ? 'utf8' : 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    sealed[part] = part === 0 ? bytes.toString('utf8') : bytes.toString('base64url');
    expect(openTokens(ring, SESSION, sealed.join('.'))).toBeUndefined();
  });

  test.each(['', 'a.b.c', 'not-sealed', '1....'])('%j is refused', (value) => {
    expect(openTokens(ring, SESSION, value)).toBeUndefined();
  });

  test('rotation: a new current version seals, the old one still opens what it sealed', () => {
    const before = parseTokenKeyRing(JSON.stringify({ current: '1', 1: material('a') }), 'TOKEN_KEYS');
    const old = sealTokens(before, SESSION, 'old tokens');
    const after = parseTokenKeyRing(JSON.stringify({ current: '2', 1: material('a'), 2: material('b') }), 'TOKEN_KEYS');
    expect(openTokens(after, SESSION, old)).toBe('old tokens');
    const fresh = sealTokens(after, SESSION, 'new tokens');
    expect(fresh.startsWith('2.')).toBe(true);
    expect(openTokens(before, SESSION, fresh)).toBeUndefined();
  });
});

describe('the key ring format', () => {
  const problem = (value: string): string => {
    try {
      parseTokenKeyRing(value, 'TOKEN_KEYS');
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('accepted');
  };

  test('names every problem at once, and never the material', () => {
    const message = problem(JSON.stringify({ current: '3', 1: 'short-secret', x: material('a') }));
    expect(message).toContain('key version 1 must be a string of at least 32 characters');
    expect(message).toContain('key version "x" must be 1-6 digits');
    expect(message).toContain('"current" must name one of its key versions');
    expect(message).not.toContain('short-secret');
  });

  test.each(['not json', '[]', '"string"', 'null'])('%j is refused', (value) => {
    expect(problem(value)).toContain('must be a JSON object');
  });

  test('the same material under another version derives another key (HKDF info names the version)', () => {
    const one = parseTokenKeyRing(JSON.stringify({ current: '1', 1: material('a') }), 'k');
    const two = parseTokenKeyRing(JSON.stringify({ current: '2', 2: material('a') }), 'k');
    expect(one.keys.get('1')?.equals(two.keys.get('2') ?? Buffer.alloc(0))).toBe(false);
    expect(one.keys.get('1')?.length).toBe(32);
  });
});
