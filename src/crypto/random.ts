// Randomness is injected: the daemon passes the system CSPRNG, tests pass a seeded generator so that nonces and
// DH private keys, and therefore every derived key, are reproducible from a seed.
import { createHash, randomFillSync } from 'node:crypto';

export type Rng = (length: number) => Uint8Array;

// A handshake draws a dozen small values (cookies, nonces, SPIs, IVs, DH exponents); one call into OpenSSL
// per 4 KiB instead of one per value. Bytes handed out are wiped from the pool at once.
const POOL = 4096;
const pool = new Uint8Array(POOL);
let used = POOL;

export const systemRng: Rng = (length) => {
  const out = new Uint8Array(length);
  if (length > POOL / 4) return randomFillSync(out);
  if (used + length > POOL) {
    randomFillSync(pool);
    used = 0;
  }
  const end = used + length;
  out.set(pool.subarray(used, end));
  pool.fill(0, used, end);
  used = end;
  return out;
};

/** Deterministic generator for tests and simulations: SHA-256 in counter mode over the seed. Not for production keys. */
export function seededRng(seed: string | Uint8Array): Rng {
  const key = typeof seed === 'string' ? Buffer.from(seed, 'utf8') : Buffer.from(seed);
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (length) => {
    while (pool.length < length) {
      const c = Buffer.alloc(8);
      c.writeBigUInt64BE(BigInt(counter++));
      pool = Buffer.concat([pool, createHash('sha256').update(key).update(c).digest()]);
    }
    const out = new Uint8Array(pool.subarray(0, length));
    pool = pool.subarray(length);
    return out;
  };
}
