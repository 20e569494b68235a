// Signature checks on certificates and CRLs, synchronous through node:crypto so the engine never
// waits on a promise in the middle of an exchange.
import crypto from 'node:crypto';
import type { PkiCertificate } from './certificate.js';
import type { PkiCrl } from './crl.js';

/** Does `issuer`'s key verify `cert`'s signature? False for any failure, including unsupported algorithms. */
export function certSignedBy(cert: PkiCertificate, issuer: PkiCertificate): boolean {
  try {
    return cert.x509.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

// signatureAlgorithm OIDs a CRL may carry: digest name for crypto.verify (null: the key decides).
const CRL_SIG_ALGS: Record<string, string | null> = {
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519
  '1.3.101.113': null, // Ed448
};

export type CrlSignatureCheck = 'valid' | 'invalid' | 'unsupported';

export function crlSignedBy(crl: PkiCrl, issuer: PkiCertificate): CrlSignatureCheck {
  if (!(crl.signatureOid in CRL_SIG_ALGS)) return 'unsupported';
  try {
    return crypto.verify(CRL_SIG_ALGS[crl.signatureOid] ?? null, crl.tbs, issuer.publicKey, crl.signature) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** Same key? Compared as SubjectPublicKeyInfo DER. */
export function sameKey(a: crypto.KeyObject, b: crypto.KeyObject): boolean {
  try {
    const ea = a.type === 'private' ? crypto.createPublicKey(a) : a;
    const eb = b.type === 'private' ? crypto.createPublicKey(b) : b;
    return ea.export({ format: 'der', type: 'spki' }).equals(eb.export({ format: 'der', type: 'spki' }));
  } catch {
    return false;
  }
}
