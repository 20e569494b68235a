// Old engine-local names kept for callers outside src/ike (bench/ike-memory.bench.ts) until they move
// to src/isakmp/numbers.ts, the one table of ISAKMP numbers and names. Re-exports only.
export { IkeAuthMethod as IkeAuth, IkeEncryption as IkeEncr, IkeHash } from '../isakmp/numbers.js';
