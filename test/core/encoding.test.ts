import { createHash } from 'node:crypto';
import { RANDOM_TOKEN_BYTES, constantTimeEqual, isRandomToken, randomToken, sha256Base64Url } from '../../lambdas/core/encoding.js';

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('randomToken (state, nonce, binding secret)', () => {
  const tokens = Array.from({ length: 2000 }, () => randomToken());

  test('is 32 bytes as unpadded base64url: 43 characters, 256 bits', () => {
    expect(RANDOM_TOKEN_BYTES).toBe(32);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(Buffer.from(token, 'base64url').toString('base64url')).toBe(token);
    }
  });

  test('never repeats', () => {
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  test('uses the whole base64url alphabet in every full-entropy position', () => {
    // 2000 tokens x 42 positions: a missing character would mean a biased or truncated source.
    const seen = new Set(tokens.flatMap((token) => [...token.slice(0, 42)]));
    expect([...seen].sort().join('')).toBe([...BASE64URL_ALPHABET].sort().join(''));
  });

  test('carries no long runs of a repeated byte (not zero-filled or constant)', () => {
    for (const token of tokens.slice(0, 200)) {
      const bytes = Buffer.from(token, 'base64url');
      expect(new Set(bytes).size).toBeGreaterThan(16);
    }
  });
});

describe('isRandomToken', () => {
  test('accepts what randomToken produces', () => {
    expect(isRandomToken(randomToken())).toBe(true);
    expect(isRandomToken('A'.repeat(43))).toBe(true);
  });

  test.each([
    ['empty', ''],
    ['42 characters', 'A'.repeat(42)],
    ['44 characters', 'A'.repeat(44)],
    ['padding', `${'A'.repeat(42)}=`],
    ['standard base64 "+"', `${'A'.repeat(42)}+`],
    ['standard base64 "/"', `${'A'.repeat(42)}/`],
    ['a space', `${'A'.repeat(42)} `],
    ['a trailing newline', `${'A'.repeat(43)}\n`],
    ['non-ASCII', `${'A'.repeat(42)}é`],
    ['a dot (unreserved but not base64url)', `${'A'.repeat(42)}.`],
  ])('rejects %s', (_label, value) => {
    expect(isRandomToken(value)).toBe(false);
  });
});

describe('sha256Base64Url', () => {
  test('matches the FIPS 180-2 "abc" vector, base64url without padding', () => {
    expect(sha256Base64Url('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  test('hashes the UTF-8 encoding (é is C3 A9)', () => {
    const utf8Digest = createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('base64url');
    expect(sha256Base64Url('é')).toBe(utf8Digest);
    expect(sha256Base64Url('é')).not.toBe(createHash('sha256').update(Buffer.from([0xe9])).digest('base64url'));
  });
});

describe('constantTimeEqual', () => {
  test.each([
    ['identical', 'abc', 'abc', true],
    ['both empty', '', '', true],
    ['same length, last character differs', 'abc', 'abd', false],
    ['same length, first character differs', 'xbc', 'abc', false],
    ['prefix', 'ab', 'abc', false],
    ['longer', 'abcd', 'abc', false],
    ['empty against non-empty', '', 'a', false],
    ['same code units, different UTF-8 length', 'é', 'e', false],
  ])('%s', (_label, a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
    expect(constantTimeEqual(b, a)).toBe(expected);
  });
});
