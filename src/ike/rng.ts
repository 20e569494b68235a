// Randomness is injected so that simulated runs are reproducible from a seed. The generators are
// src/crypto's; the engine only wants Buffers back.
import { seededRng as cryptoSeeded, systemRng as cryptoSystem, type Rng as CryptoRng } from '../crypto/index.js';

export interface Rng {
  bytes(n: number): Buffer;
}

const wrap = (r: CryptoRng): Rng => ({ bytes: (n) => Buffer.from(r(n)) });

export const systemRng: Rng = wrap(cryptoSystem);

/** Deterministic stream for tests and benchmarks only. */
export const seededRng = (seed: string | number): Rng => wrap(cryptoSeeded(String(seed)));
