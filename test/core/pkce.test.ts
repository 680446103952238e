import { calculateCodeChallenge, generateCodeVerifier } from '../../lambdas/core/pkce.js';

/** RFC 7636 Appendix B: the 32 octets, their base64url encoding (the verifier) and its S256 challenge. */
const RFC7636_VERIFIER_OCTETS = [
  116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83,
  132, 141, 121,
];
const RFC7636_CODE_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const RFC7636_CODE_CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE (RFC 7636)', () => {
  test('Appendix B: the example octets base64url-encode to the example code_verifier', () => {
    expect(Buffer.from(RFC7636_VERIFIER_OCTETS).toString('base64url')).toBe(RFC7636_CODE_VERIFIER);
  });

  test('Appendix B: S256 of the example code_verifier is the example code_challenge', () => {
    expect(calculateCodeChallenge(RFC7636_CODE_VERIFIER)).toBe(RFC7636_CODE_CHALLENGE);
  });

  test('§4.1: a generated verifier is 43 unreserved characters from 32 random octets', () => {
    const verifiers = Array.from({ length: 500 }, () => generateCodeVerifier());
    for (const verifier of verifiers) {
      expect(verifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
      expect(verifier).toHaveLength(43);
      expect(Buffer.from(verifier, 'base64url')).toHaveLength(32);
    }
    expect(new Set(verifiers).size).toBe(verifiers.length);
  });

  test('§4.2: the challenge is 43 characters of unpadded base64url and differs per verifier', () => {
    const first = calculateCodeChallenge(generateCodeVerifier());
    const second = calculateCodeChallenge(generateCodeVerifier());
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first).not.toBe(second);
  });
});
