import { createHash } from 'node:crypto';
import { randomToken } from './encoding.js';

/** RFC 7636 §4.1: 43-128 characters of [A-Za-z0-9-._~]; 32 random bytes base64url gives 43. */
export function generateCodeVerifier(): string {
  return randomToken();
}

/** RFC 7636 §4.2, S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export function calculateCodeChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}
