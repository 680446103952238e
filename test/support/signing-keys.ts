import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

/**
 * Real keys and real JWTs for the token tests: what a provider (or a forger) would send, signed by
 * jose, never mocked.
 */
type GeneratedKeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface KeyPair {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: GeneratedKeyPair['privateKey'];
  readonly publicKey: GeneratedKeyPair['publicKey'];
  /** The public key as a provider publishes it in its JWKS. */
  readonly jwk: JWK;
}

export async function keyPair(kid: string, alg: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** Drops claims whose override is `undefined`, so a test can express "no such claim". */
function withoutUndefined(payload: JWTPayload): JWTPayload {
  return Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined));
}

export function signJwt(payload: JWTPayload, key: KeyPair, typ: string): Promise<string> {
  return new SignJWT(withoutUndefined(payload)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ }).sign(key.privateKey);
}

export function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
