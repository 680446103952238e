import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../config.js';
import type { SealedTokens } from '../session/session.js';
import { deserializeTokens, serializeTokens, type SessionTokens, type TokenFacts } from './session-tokens.js';

/**
 * The session's tokens at rest: AES-256-GCM with a random 96-bit IV, the key version and the
 * session's id (the hash of the cookie's secret) as associated data, so a ciphertext copied to
 * another session, or relabelled with another key version, does not decrypt. The ciphertext names
 * its key version, so a new current key seals from now on while older ones still open what they
 * sealed: rotation signs nobody out.
 */

/**
 * The key material's format (a Secrets Manager secret deployed, `TOKEN_KEYS` locally): a JSON
 * object naming the current version and holding one high-entropy string per version, e.g.
 * `{"current":"2","1":"<old>","2":"<new>"}`. Each version's 256-bit key is derived with HKDF-SHA-256,
 * so the material can be any generated string of enough entropy, never used as a key directly.
 */
export interface TokenKeyRing {
  readonly currentVersion: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

const KEY_VERSION_PATTERN = /^[0-9]{1,6}$/;
/** A generated secret of 32 or more characters from a 62-symbol alphabet holds over 190 bits. */
export const MIN_KEY_MATERIAL_LENGTH = 32;
const HKDF_SALT = 'serverless-oidc-login token keys';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function deriveKey(version: string, material: string): Buffer {
  return Buffer.from(hkdfSync('sha256', material, HKDF_SALT, `session tokens v${version}`, 32));
}

/** Every problem of the material at once; the message never contains key material. */
export function parseTokenKeyRing(secretString: string, label: string): TokenKeyRing {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new ConfigError(`${label} must be a JSON object like {"current":"1","1":"<random string>"}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`${label} must be a JSON object like {"current":"1","1":"<random string>"}`);
  }
  const { current, ...versions } = parsed as Record<string, unknown>;
  const problems: string[] = [];
  const keys = new Map<string, Buffer>();
  for (const [version, material] of Object.entries(versions)) {
    if (!KEY_VERSION_PATTERN.test(version)) problems.push(`key version "${version}" must be 1-6 digits`);
    else if (typeof material !== 'string' || material.length < MIN_KEY_MATERIAL_LENGTH) {
      problems.push(`key version ${version} must be a string of at least ${MIN_KEY_MATERIAL_LENGTH} characters`);
    } else keys.set(version, deriveKey(version, material));
  }
  if (typeof current !== 'string' || !keys.has(current)) problems.push('"current" must name one of its key versions');
  if (problems.length > 0) throw new ConfigError(`${label}: ${problems.join('; ')}`);
  return { currentVersion: current as string, keys };
}

/** A fresh key ring for the local stack: one version, 256 random bits of material. */
export function generateTokenKeyRing(): string {
  return JSON.stringify({ current: '1', 1: randomBytes(32).toString('base64url') });
}

function associatedData(version: string, sessionId: string): Buffer {
  return Buffer.from(`${version}:${sessionId}`, 'utf8');
}

export function sealTokens(ring: TokenKeyRing, sessionId: string, plaintext: string): string {
  const version = ring.currentVersion;
  const key = ring.keys.get(version) as Buffer;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(version, sessionId));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [version, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

/** Undefined for anything that does not open: unknown key version, another session, any change to a byte. */
export function openTokens(ring: TokenKeyRing, sessionId: string, sealed: string): string | undefined {
  const parts = sealed.split('.');
  if (parts.length !== 4) return undefined;
  const [version, ivText, ciphertextText, tagText] = parts as [string, string, string, string];
  const key = ring.keys.get(version);
  if (key === undefined) return undefined;
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(version, sessionId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The session's tokens as the store keeps them: one ciphertext, and the facts beside it in the clear. */
export function sealSessionTokens(ring: TokenKeyRing, sessionId: string, tokens: SessionTokens, facts: TokenFacts): SealedTokens {
  return { sealed: sealTokens(ring, sessionId, serializeTokens(tokens)), facts };
}

export function openSessionTokens(ring: TokenKeyRing, sessionId: string, sealed: string): SessionTokens | undefined {
  const plaintext = openTokens(ring, sessionId, sealed);
  return plaintext === undefined ? undefined : deserializeTokens(plaintext);
}
