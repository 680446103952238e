import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 CSPRNG bytes as base64url: 256 bits, 43 characters (RFC 6749 §10.10 asks for at least 128). */
export const RANDOM_TOKEN_BYTES = 32;
const RANDOM_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function randomToken(): string {
  return randomBytes(RANDOM_TOKEN_BYTES).toString('base64url');
}

/** True for exactly the shape `randomToken` produces, so anything else is rejected before use. */
export function isRandomToken(value: string): boolean {
  return RANDOM_TOKEN_PATTERN.test(value);
}

export function sha256Base64Url(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** Constant-time comparison of two strings; unequal lengths are unequal without early exit on content. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
