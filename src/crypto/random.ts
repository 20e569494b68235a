// Randomness is injected: the daemon passes the system CSPRNG, tests pass a seeded generator so that nonces and
// DH private keys, and therefore every derived key, are reproducible from a seed.
import { createHash, randomBytes } from 'node:crypto';

export type Rng = (length: number) => Uint8Array;

export const systemRng: Rng = (length) => new Uint8Array(randomBytes(length));

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
