// Private and public keys from PEM or DER in any of the usual containers (PKCS#8, PKCS#1, SEC1;
// SubjectPublicKeyInfo or PKCS#1 RSAPublicKey), with a reason instead of an exception.
import crypto from 'node:crypto';
import { fail, messageOf, ok, type PkiResult } from './errors.js';
import { splitPemOrDer, toPem } from './pem.js';

const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY']);

export function parsePrivateKey(data: Uint8Array, source?: string): PkiResult<crypto.KeyObject> {
  const where = source ? { file: source } : {};
  const split = splitPemOrDer(data);
  if (!split.ok) return fail('bad-key', split.reason, where);
  const block = split.blocks.find((b) => PRIVATE_LABELS.has(b.label) || b.label === 'DER');
  if (!block) {
    if (split.blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY')) return fail('bad-key', 'the private key is encrypted (passphrase-protected keys are not supported)', where);
    return fail('bad-key', `no private key in the file (found ${split.blocks.map((b) => b.label).join(', ')})`, where);
  }
  const attempts: crypto.PrivateKeyInput[] =
    block.label === 'DER'
      ? [
          { key: block.der, format: 'der', type: 'pkcs8' },
          { key: block.der, format: 'der', type: 'pkcs1' },
          { key: block.der, format: 'der', type: 'sec1' },
        ]
      : [{ key: toPem(block.der, block.label), format: 'pem' }];
  let last = '';
  for (const a of attempts) {
    try {
      return ok(crypto.createPrivateKey(a));
    } catch (e) {
      last = messageOf(e);
    }
  }
  return fail('bad-key', `not a usable private key (${last})`, where);
}

/** A public key from a certificate-less source: SPKI or PKCS#1 RSAPublicKey, PEM or DER. */
export function parsePublicKey(data: Uint8Array, source?: string): PkiResult<crypto.KeyObject> {
  const where = source ? { file: source } : {};
  const split = splitPemOrDer(data);
  if (!split.ok) return fail('bad-key', split.reason, where);
  const b = split.blocks[0]!;
  const attempts: crypto.PublicKeyInput[] =
    b.label === 'DER'
      ? [
          { key: b.der, format: 'der', type: 'spki' },
          { key: b.der, format: 'der', type: 'pkcs1' },
        ]
      : [{ key: toPem(b.der, b.label), format: 'pem' }];
  let last = '';
  for (const a of attempts) {
    try {
      return ok(crypto.createPublicKey(a));
    } catch (e) {
      last = messageOf(e);
    }
  }
  return fail('bad-key', `not a usable public key (${last})`, where);
}
