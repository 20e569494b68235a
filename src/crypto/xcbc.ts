// AES-XCBC-MAC (RFC 3566), used as AES-XCBC-MAC-96 for ESP/AH. OpenSSL 3 has no XCBC (its CMAC differs in the
// subkey derivation), so it is assembled here from AES: the subkeys with one ECB call, the MAC itself as the
// last block of one CBC pass with a zero IV.
import { createCipheriv } from 'node:crypto';

const BLOCK = 16;

/** Full 16-byte AES-XCBC-MAC of `message` under a 16-byte key; ESP/AH truncate it to 12 bytes. */
export function aesXcbcMac(key: Uint8Array, message: Uint8Array): Uint8Array {
  if (key.length !== BLOCK) throw new RangeError(`AES-XCBC-MAC needs a 16-byte key, got ${key.length}`);
  // K1 = E(K, 0x01..01), K2 = E(K, 0x02..02), K3 = E(K, 0x03..03)
  const ecb = createCipheriv('aes-128-ecb', key, null);
  ecb.setAutoPadding(false);
  const sub = ecb.update(Buffer.concat([Buffer.alloc(BLOCK, 1), Buffer.alloc(BLOCK, 2), Buffer.alloc(BLOCK, 3)]));
  const k1 = sub.subarray(0, 16);
  const k2 = sub.subarray(16, 32);
  const k3 = sub.subarray(32, 48);

  // All blocks but the last go through CBC under K1; the last block is XORed with K2 when it is complete,
  // or padded with 0x80 00.. and XORed with K3 when it is not (an empty message is one incomplete block).
  const n = Math.max(1, Math.ceil(message.length / BLOCK));
  const lastLen = message.length - (n - 1) * BLOCK;
  const data = Buffer.alloc(n * BLOCK);
  data.set(message);
  const last = data.subarray((n - 1) * BLOCK);
  const mask = lastLen === BLOCK ? k2 : k3;
  if (lastLen < BLOCK) last[lastLen] = 0x80;
  for (let i = 0; i < BLOCK; i++) last[i] = last[i]! ^ mask[i]!;

  const cbc = createCipheriv('aes-128-cbc', k1, Buffer.alloc(BLOCK));
  cbc.setAutoPadding(false);
  const out = cbc.update(data);
  return new Uint8Array(out.subarray(out.length - BLOCK));
}
