// Randomness is injected so that simulated runs are reproducible from a seed. The generators are
// src/crypto's; the engine only wants Buffers back.
import { seededRng as cryptoSeeded, systemRng as cryptoSystem, type Rng as CryptoRng } from '../crypto/index.js';

export interface Rng {
  bytes(n: number): Buffer;
}

/**
 * A copy in its own memory. Buffer.from() of a small array takes a slice of Node's shared 8 KiB pool, and
 * one long-lived slice (a cookie, a key) keeps the whole slab alive: what SAs keep must not be such a slice.
 */
export function ownBytes(u: Uint8Array): Buffer {
  const b = Buffer.alloc(u.length);
  b.set(u);
  return b;
}

const wrap = (r: CryptoRng): Rng => ({ bytes: (n) => ownBytes(r(n)) });

export const systemRng: Rng = wrap(cryptoSystem);

/** Deterministic stream for tests and benchmarks only. */
export const seededRng = (seed: string | number): Rng => wrap(cryptoSeeded(String(seed)));
