// IKEv1 hash algorithms (HASH_ALGORITHM attribute, RFC 2409 appendix A) and the PRF built from them.
// IKEv1 defines no PRF of its own in practice: without a PRF attribute the PRF is the HMAC form of the
// negotiated hash (RFC 2409 section 4), which is what every implementation does.
import crypto, { createHash, createHmac } from 'node:crypto';
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
  /** input block length in bytes (HMAC pads its key to this) */
  readonly block: number;
}

/** One row per hash; adding a hash is one row. */
export const HASHES: readonly HashRow[] = [
  { id: IkeHash.MD5, name: 'MD5', openssl: 'md5', length: 16, block: 64 },
  { id: IkeHash.SHA, name: 'SHA', openssl: 'sha1', length: 20, block: 64 },
  { id: IkeHash.SHA2_256, name: 'SHA2_256', openssl: 'sha256', length: 32, block: 64 },
  { id: IkeHash.SHA2_384, name: 'SHA2_384', openssl: 'sha384', length: 48, block: 128 },
  { id: IkeHash.SHA2_512, name: 'SHA2_512', openssl: 'sha512', length: 64, block: 128 },
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

// A handshake computes some twenty hashes and PRFs per side. Each createHash/createHmac object is a native
// wrapper that V8's scavenger must finalize (weak handle processing was about a third of every young
// collection in the two-daemon bench), so where Node has the one-shot crypto.hash (20.12+) the input is laid
// out in one scratch buffer and hashed in one call, and HMAC is its RFC 2104 definition over two such calls.
// The digest comes back as a one-byte string: half the cost of a Buffer, which is a native allocation.
type OneShot = (algorithm: string, data: Uint8Array, encoding: 'latin1') => string;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

/** The bytes of a one-byte (latin1) string. */
function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

let scratch = Buffer.alloc(4096);

/** The scratch buffer, at least `n` bytes long. */
function room(n: number): Buffer {
  if (scratch.length < n) scratch = Buffer.alloc(Math.max(n, scratch.length * 2));
  return scratch;
}

function lay(buf: Buffer, at: number, parts: readonly Uint8Array[]): number {
  for (const p of parts) {
    buf.set(p, at);
    at += p.length;
  }
  return at;
}

const total = (parts: readonly Uint8Array[]): number => {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
};

export function digest(hash: HashRow, ...parts: readonly Uint8Array[]): Uint8Array {
  if (oneShot) {
    if (parts.length === 1) return bytesOf(oneShot(hash.openssl, parts[0]!, 'latin1'));
    const buf = room(total(parts));
    const n = lay(buf, 0, parts);
    try {
      return bytesOf(oneShot(hash.openssl, buf.subarray(0, n), 'latin1'));
    } finally {
      buf.fill(0, 0, n);
    }
  }
  const h = createHash(hash.openssl);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** prf(key, msg) = HMAC-hash(key, parts concatenated). */
export function hmac(hash: HashRow, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  if (!oneShot) {
    const h = createHmac(hash.openssl, key);
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  }
  // RFC 2104: H(K ^ opad || H(K ^ ipad || text)), K hashed first when longer than a block.
  const k = key.length > hash.block ? bytesOf(oneShot(hash.openssl, key, 'latin1')) : key;
  const B = hash.block;
  const buf = room(B + Math.max(total(parts), hash.length));
  let n = B;
  try {
    for (let i = 0; i < B; i++) buf[i] = (i < k.length ? k[i]! : 0) ^ 0x36;
    n = lay(buf, B, parts);
    const inner = oneShot(hash.openssl, buf.subarray(0, n), 'latin1');
    for (let i = 0; i < B; i++) buf[i]! ^= 0x36 ^ 0x5c;
    for (let i = 0; i < inner.length; i++) buf[B + i] = inner.charCodeAt(i);
    return bytesOf(oneShot(hash.openssl, buf.subarray(0, B + hash.length), 'latin1'));
  } finally {
    // Keys and PRF input (g^xy among it) must not outlive the call in a shared buffer.
    buf.fill(0, 0, Math.max(n, B + hash.length));
    if (k !== key) k.fill(0);
  }
}
