// Randomness is injected so that simulated runs are reproducible from a seed.
import crypto from 'node:crypto';

export interface Rng {
  bytes(n: number): Buffer;
}

export const systemRng: Rng = { bytes: (n) => crypto.randomBytes(n) };

/** Deterministic stream: SHA-256(seed | counter) blocks. For tests and benchmarks only. */
export function seededRng(seed: string | number): Rng {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return {
    bytes(n: number): Buffer {
      while (pool.length < n) {
        const c = Buffer.alloc(8);
        c.writeBigUInt64BE(BigInt(counter++));
        pool = Buffer.concat([pool, crypto.createHash('sha256').update(String(seed)).update(c).digest()]);
      }
      const out = Buffer.from(pool.subarray(0, n));
      pool = pool.subarray(n);
      return out;
    },
  };
}
