// IKEv1 hash algorithms (HASH_ALGORITHM attribute, RFC 2409 appendix A) and the PRF built from them.
// IKEv1 defines no PRF of its own in practice: without a PRF attribute the PRF is the HMAC form of the
// negotiated hash (RFC 2409 section 4), which is what every implementation does.
import { createHash, createHmac } from 'node:crypto';
import { IkeHash } from '../isakmp/numbers.js';

export interface HashRow {
  /** HASH_ALGORITHM value */
  readonly id: number;
  /** isakmpd's name, as in isakmpd.conf */
  readonly name: string;
  /** OpenSSL digest name */
  readonly openssl: string;
  /** output length in bytes */
  readonly length: number;
}

/** One row per hash; adding a hash is one row. */
export const HASHES: readonly HashRow[] = [
  { id: IkeHash.MD5, name: 'MD5', openssl: 'md5', length: 16 },
  { id: IkeHash.SHA, name: 'SHA', openssl: 'sha1', length: 20 },
  { id: IkeHash.SHA2_256, name: 'SHA2_256', openssl: 'sha256', length: 32 },
  { id: IkeHash.SHA2_384, name: 'SHA2_384', openssl: 'sha384', length: 48 },
  { id: IkeHash.SHA2_512, name: 'SHA2_512', openssl: 'sha512', length: 64 },
];

const byId = new Map(HASHES.map((h) => [h.id, h]));

export function hashById(id: number): HashRow | undefined {
  return byId.get(id);
}

export function hashRow(idOrName: number | string): HashRow {
  const row = typeof idOrName === 'number' ? byId.get(idOrName) : HASHES.find((h) => h.name === idOrName.toUpperCase() || h.openssl === idOrName.toLowerCase());
  if (!row) throw new RangeError(`unknown IKE hash algorithm ${idOrName}`);
  return row;
}

export function digest(hash: HashRow, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(hash.openssl);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** prf(key, msg) = HMAC-hash(key, parts concatenated). */
export function hmac(hash: HashRow, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHmac(hash.openssl, key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
