// The engine's view of the algorithm registry and key schedule in src/crypto: which negotiated values this
// process can run, names for logs, and ephemeral DH key pairs from the engine's (injectable) RNG.
// All key derivation, hashes, IV chains and encryption are src/crypto's Phase1Keys.
import { dhGroup, generateKeyPair, hashById, phase1Cipher, type DhKeyPair } from '../crypto/index.js';

export const cipherUsable = (encr: number, keyLength?: number): boolean => phase1Cipher(encr, keyLength).ok;
export const hashUsable = (id: number): boolean => hashById(id) !== undefined;
export const groupUsable = (id: number): boolean => dhGroup(id).ok;

/** "aes-128-cbc", "3des-cbc", as logs and `show sa` print them. */
export function cipherName(encr: number, keyLength?: number): string {
  const c = phase1Cipher(encr, keyLength);
  if (!c.ok) return `encr-${encr}`;
  const n = c.value.row.name.toLowerCase().replace(/_cbc$/, '');
  return c.value.row.variableKeyLength ? `${n}-${c.value.keyBits}-cbc` : `${n}-cbc`;
}
export const HASH_LOG_NAME: Record<string, string> = { MD5: 'md5', SHA: 'sha1', SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };
export const hashName = (id: number): string => HASH_LOG_NAME[hashById(id)?.name ?? ''] ?? `hash-${id}`;

/** A key pair with its private key drawn from `random`, or undefined when the group is not available. */
export function dhCreate(group: number, random: (n: number) => Uint8Array): DhKeyPair | undefined {
  if (!groupUsable(group)) return undefined;
  return generateKeyPair(group, random);
}
export type { DhKeyPair };
