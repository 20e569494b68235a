// IKEv1 RSA signature authentication (RFC 2409 5.1): the SIG payload carries the PKCS#1 v1.5
// type-1-padded HASH_I or HASH_R encrypted with the private key — no DigestInfo, since the hash is
// the PRF output and names no algorithm. isakmpd does RSA_private_encrypt(RSA_PKCS1_PADDING) and
// strongSwan signs with SIGN_RSA_EMSA_PKCS1_NULL; both are this.
import crypto from 'node:crypto';
import type { PkiCertificate } from './certificate.js';
import { fail, ok, type PkiResult, type PkiProblem } from './errors.js';

export class PkiError extends Error {
  constructor(readonly problem: PkiProblem) {
    super(problem.reason);
    this.name = 'PkiError';
  }
}

export type PublicKeyLike = PkiCertificate | crypto.X509Certificate | crypto.KeyObject | string | Buffer;
export type PrivateKeyLike = crypto.KeyObject | string | Buffer;

function toPrivate(k: PrivateKeyLike): crypto.KeyObject {
  return k instanceof crypto.KeyObject ? k : crypto.createPrivateKey(k);
}

function toPublic(k: PublicKeyLike): crypto.KeyObject {
  if (k instanceof crypto.KeyObject) return k.type === 'private' ? crypto.createPublicKey(k) : k;
  if (k instanceof crypto.X509Certificate) return k.publicKey;
  if (typeof k === 'string' || Buffer.isBuffer(k)) return crypto.createPublicKey(k);
  return k.publicKey;
}

/** RSA modulus length in bytes, or a problem when the key cannot make IKEv1 RSA signatures. */
export function rsaKeyBytes(key: crypto.KeyObject): PkiResult<number> {
  if (key.asymmetricKeyType !== 'rsa') {
    return fail('unsupported-key', `RSA_SIG needs an RSA key, this one is ${key.asymmetricKeyType ?? 'unknown'}`, { notify: 'INVALID_SIGNATURE' });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return ok(Math.ceil(bits / 8));
}

/**
 * Sign HASH_I/HASH_R for a SIG payload. Deterministic: the same key and hash always give the same bytes.
 * Throws PkiError (a configuration error, not a peer's) when the key is not an RSA private key or the
 * hash does not fit the modulus.
 */
export function signHash(privateKey: PrivateKeyLike, hash: Uint8Array): Buffer {
  const key = toPrivate(privateKey);
  const n = rsaKeyBytes(key);
  if (!n.ok) throw new PkiError(n.error);
  if (hash.length === 0 || hash.length > n.value - 11) {
    throw new PkiError({ code: 'bad-key', reason: `a ${hash.length}-byte hash does not fit a PKCS#1 block of a ${n.value * 8}-bit key` });
  }
  return crypto.privateEncrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, hash);
}

/** Check a SIG payload against HASH_I/HASH_R; the answer says why it failed. Never throws. */
export function checkHashSignature(publicKey: PublicKeyLike, hash: Uint8Array, signature: Uint8Array): PkiResult<true> {
  let key: crypto.KeyObject;
  try {
    key = toPublic(publicKey);
  } catch {
    return fail('bad-key', 'the public key does not decode', { notify: 'INVALID_SIGNATURE' });
  }
  const n = rsaKeyBytes(key);
  if (!n.ok) return n;
  // Some peers drop leading zero octets of the signature integer; it must never be longer than the modulus.
  if (signature.length === 0 || signature.length > n.value) {
    return fail('bad-signature', `signature is ${signature.length} bytes, the key's modulus ${n.value}`, { notify: 'INVALID_SIGNATURE' });
  }
  let recovered: Buffer;
  try {
    recovered = crypto.publicDecrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return fail('bad-signature', 'signature does not decrypt to a PKCS#1 type 1 block (wrong key or corrupted)', { notify: 'INVALID_SIGNATURE' });
  }
  const h = Buffer.from(hash);
  if (recovered.length !== h.length || !crypto.timingSafeEqual(recovered, h)) {
    return fail('bad-signature', `signature holds a different ${recovered.length}-byte value than the ${h.length}-byte hash`, { notify: 'INVALID_SIGNATURE' });
  }
  return ok(true);
}

/** True when `signature` is a valid IKEv1 RSA signature of `hash` under the certificate's or key's public key. */
export function verifyHash(publicKey: PublicKeyLike, hash: Uint8Array, signature: Uint8Array): boolean {
  return checkHashSignature(publicKey, hash, signature).ok;
}
