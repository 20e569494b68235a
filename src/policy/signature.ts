// Assertion signatures (keynote(4), signature.h). The digest covers the assertion text from its first
// line through the newline before "Signature:", followed by the signature algorithm name itself
// (for example "sig-rsa-sha1-hex:"), as libkeynote signs it. RSA signatures are PKCS#1 v1.5 over
// that digest, DSA signatures DER (r, s); x509 variants use the RSA key inside the Authorizer's
// certificate.
import crypto from 'node:crypto';
import { signedText, type Assertion } from './assertion.js';
import { DerError } from './der.js';
import { decodeBits, decodePrivateKey, decodePublicKey, encodeBits, type KeyEncoding } from './keys.js';

export const SIGNATURE_ALGORITHMS = [
  'sig-rsa-sha1-hex:', 'sig-rsa-sha1-base64:', 'sig-rsa-md5-hex:', 'sig-rsa-md5-base64:',
  'sig-dsa-sha1-hex:', 'sig-dsa-sha1-base64:', 'sig-x509-sha1-hex:', 'sig-x509-sha1-base64:',
] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

interface SigAlg {
  name: SignatureAlgorithm;
  key: 'rsa' | 'dsa' | 'x509';
  hash: 'sha1' | 'md5';
  enc: KeyEncoding;
}

export function parseSignatureAlgorithm(s: string): SigAlg | null {
  const m = /^sig-(rsa|dsa|x509)-(sha1|md5)-(hex|base64):/i.exec(s);
  if (!m) return null;
  const name = m[0].toLowerCase() as SignatureAlgorithm;
  if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(name)) return null;
  return { name, key: m[1]!.toLowerCase() as SigAlg['key'], hash: m[2]!.toLowerCase() as SigAlg['hash'], enc: m[3]!.toLowerCase() as KeyEncoding };
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** Verify an assertion's signature against its Authorizer key. */
export function verifyAssertion(a: Assertion): VerifyResult {
  if (!a.signature) return { ok: false, reason: 'assertion is not signed' };
  const alg = parseSignatureAlgorithm(a.signature.value);
  if (!alg) return { ok: false, reason: `unknown signature algorithm in "${a.signature.value.slice(0, 24)}"` };
  let pub;
  try {
    pub = decodePublicKey(a.authorizer);
  } catch (e) {
    return { ok: false, reason: `Authorizer is not a usable public key: ${(e as Error).message}` };
  }
  const wantKey = alg.key === 'dsa' ? 'dsa' : 'rsa';
  if (pub.algorithm !== wantKey) return { ok: false, reason: `${alg.name} signature but the Authorizer holds a ${pub.algorithm.toUpperCase()} key` };
  let sig: Buffer;
  try {
    sig = decodeBits(a.signature.value.slice(alg.name.length), alg.enc);
  } catch (e) {
    return { ok: false, reason: `signature bits do not decode: ${(e as Error).message}` };
  }
  const data = Buffer.from(signedText(a)! + alg.name, 'utf8');
  let good = false;
  try {
    good = crypto.verify(alg.hash, data, pub.key, sig);
  } catch (e) {
    return { ok: false, reason: `signature check failed: ${(e as Error).message}` };
  }
  return good ? { ok: true } : { ok: false, reason: 'signature does not verify (assertion altered or signed by another key)' };
}

/**
 * Sign assertion text. The text is signed up to an existing trailing "Signature:" label, or whole
 * (with a final newline) when there is none. Returns the signature string, without quotes.
 */
export function signText(text: string, algorithm: string, privateKey: string): string {
  const alg = parseSignatureAlgorithm(algorithm.endsWith(':') ? algorithm : algorithm + ':');
  if (!alg) throw new DerError(`unknown signature algorithm '${algorithm}' (use one of ${SIGNATURE_ALGORITHMS.join(' ')})`);
  const priv = decodePrivateKey(privateKey);
  const wantKey = alg.key === 'dsa' ? 'dsa' : 'rsa';
  if (priv.algorithm !== wantKey) throw new DerError(`${alg.name} needs a ${wantKey.toUpperCase()} private key`);
  const data = Buffer.from(textToSign(text) + alg.name, 'utf8');
  const sig = crypto.sign(alg.hash, data, priv.key);
  return alg.name + encodeBits(sig, alg.enc);
}

/** The part of an assertion file that a signature covers. */
export function textToSign(text: string): string {
  const m = /(^|\n)signature[ \t]*:/i.exec(text);
  if (m) return text.slice(0, m.index + m[1]!.length).replace(/^\s+/, '');
  const t = text.replace(/^\s+/, '').replace(/\s+$/, '');
  return t + '\n';
}
