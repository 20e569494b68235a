// The ESP/AH algorithm table: one row per transform, read by the SA builder, the ESP/AH transforms,
// ipsecadm and `show sa`. Adding an algorithm is one row here plus its primitive in the providers.
import type { AuthAlg, EncAlg } from './api.js';

export type CipherKind = 'cbc' | 'ctr' | 'gcm' | 'gmac' | 'null';

export interface EncRow {
  kind: CipherKind;
  /** Cipher key lengths accepted (bytes), not counting the salt. */
  keyLens: number[];
  /** Salt/nonce bytes at the end of the keying material (RFC 3686, 4106, 4543). */
  saltLen: number;
  ivLen: number;
  /** Payload alignment for padding (RFC 4303 2.4): block size, or 4 for stream modes. */
  align: number;
  /** ICV length for combined-mode ciphers; 0 for ciphers that need a separate integrity algorithm. */
  icvLen: number;
  /** OpenSSL cipher name for a given key length. */
  openssl: (keyLen: number) => string;
}

export const ENC: Readonly<Record<EncAlg, EncRow>> = {
  null: { kind: 'null', keyLens: [0], saltLen: 0, ivLen: 0, align: 4, icvLen: 0, openssl: () => '' },
  '3des-cbc': { kind: 'cbc', keyLens: [24], saltLen: 0, ivLen: 8, align: 8, icvLen: 0, openssl: () => 'des-ede3-cbc' },
  'aes-cbc': { kind: 'cbc', keyLens: [16, 24, 32], saltLen: 0, ivLen: 16, align: 16, icvLen: 0, openssl: (k) => `aes-${k * 8}-cbc` },
  'aes-ctr': { kind: 'ctr', keyLens: [16, 24, 32], saltLen: 4, ivLen: 8, align: 4, icvLen: 0, openssl: (k) => `aes-${k * 8}-ctr` },
  'aes-gcm-8': { kind: 'gcm', keyLens: [16, 24, 32], saltLen: 4, ivLen: 8, align: 4, icvLen: 8, openssl: (k) => `aes-${k * 8}-gcm` },
  'aes-gcm-12': { kind: 'gcm', keyLens: [16, 24, 32], saltLen: 4, ivLen: 8, align: 4, icvLen: 12, openssl: (k) => `aes-${k * 8}-gcm` },
  'aes-gcm-16': { kind: 'gcm', keyLens: [16, 24, 32], saltLen: 4, ivLen: 8, align: 4, icvLen: 16, openssl: (k) => `aes-${k * 8}-gcm` },
  'aes-gmac': { kind: 'gmac', keyLens: [16, 24, 32], saltLen: 4, ivLen: 8, align: 4, icvLen: 16, openssl: (k) => `aes-${k * 8}-gcm` },
};

export interface AuthRow {
  hash: 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
  keyLen: number;
  icvLen: number;
}

export const AUTH: Readonly<Record<Exclude<AuthAlg, 'none'>, AuthRow>> = {
  'hmac-md5-96': { hash: 'md5', keyLen: 16, icvLen: 12 },
  'hmac-sha1-96': { hash: 'sha1', keyLen: 20, icvLen: 12 },
  'hmac-sha2-256-128': { hash: 'sha256', keyLen: 32, icvLen: 16 },
  'hmac-sha2-384-192': { hash: 'sha384', keyLen: 48, icvLen: 24 },
  'hmac-sha2-512-256': { hash: 'sha512', keyLen: 64, icvLen: 32 },
};

export function isEncAlg(s: string): s is EncAlg {
  return Object.prototype.hasOwnProperty.call(ENC, s);
}
export function isAuthAlg(s: string): s is AuthAlg {
  return s === 'none' || Object.prototype.hasOwnProperty.call(AUTH, s);
}

/** Checks an SA's algorithm/key combination; returns an error text or undefined. */
export function checkAlgs(
  proto: 'esp' | 'ah',
  enc: { alg: EncAlg; key: Uint8Array } | undefined,
  auth: { alg: AuthAlg; key: Uint8Array } | undefined,
): string | undefined {
  if (proto === 'ah') {
    if (enc) return 'AH takes no encryption algorithm';
    if (!auth || auth.alg === 'none') return 'AH needs an authentication algorithm';
  }
  if (enc) {
    const row = ENC[enc.alg];
    if (!row) return `unknown encryption algorithm ${String(enc.alg)}`;
    const k = enc.key.length - row.saltLen;
    if (!row.keyLens.includes(k))
      return `${enc.alg}: key must be ${row.keyLens.map((l) => l + row.saltLen).join(' or ')} bytes, got ${enc.key.length}`;
    if (row.icvLen > 0 && auth && auth.alg !== 'none') return `${enc.alg} is a combined mode and takes no authentication algorithm`;
  }
  if (auth && auth.alg !== 'none') {
    const row = AUTH[auth.alg];
    if (!row) return `unknown authentication algorithm ${String(auth.alg)}`;
    if (auth.key.length !== row.keyLen) return `${auth.alg}: key must be ${row.keyLen} bytes, got ${auth.key.length}`;
  }
  if (proto === 'esp' && (!enc || enc.alg === 'null') && (!auth || auth.alg === 'none'))
    return 'ESP with NULL encryption needs an authentication algorithm (RFC 4303 3.2)';
  return undefined;
}
