// The algorithms and the IKEv1 key schedule as the engine needs them, over node:crypto (OpenSSL).
// This is a thin adapter: the project's algorithm registry and keymat live in src/crypto; the engine
// only calls the functions below, so switching their implementation does not touch the exchanges.
import crypto from 'node:crypto';
import { IkeEncr, IkeHash } from './numbers.js';

export type HashName = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
export const HASH_BY_IKE: Record<number, HashName> = {
  [IkeHash.MD5]: 'md5', [IkeHash.SHA]: 'sha1', [IkeHash.SHA2_256]: 'sha256',
  [IkeHash.SHA2_384]: 'sha384', [IkeHash.SHA2_512]: 'sha512',
};

export interface CipherSpec {
  name: string;
  block: number;
  /** Key length in bytes for a given KEY_LENGTH attribute (bits) or the fixed size. */
  keyBytes(bits?: number): number | undefined;
  openssl(bytes: number): string;
}
export const CIPHER_BY_IKE: Record<number, CipherSpec> = {
  [IkeEncr.AES_CBC]: {
    name: 'aes-cbc', block: 16,
    keyBytes: (bits) => (bits === undefined ? 16 : [128, 192, 256].includes(bits) ? bits / 8 : undefined),
    openssl: (n) => `aes-${n * 8}-cbc`,
  },
  [IkeEncr['3DES_CBC']]: {
    name: '3des-cbc', block: 8, keyBytes: (bits) => (bits === undefined || bits === 192 ? 24 : undefined),
    openssl: () => 'des-ede3-cbc',
  },
};

export const prf = (h: HashName, key: Uint8Array, ...data: Uint8Array[]): Buffer => {
  const m = crypto.createHmac(h, key);
  for (const d of data) m.update(d);
  return m.digest();
};
export const hash = (h: HashName, ...data: Uint8Array[]): Buffer => {
  const m = crypto.createHash(h);
  for (const d of data) m.update(d);
  return m.digest();
};

export function cbcEncrypt(c: CipherSpec, key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Buffer {
  const e = crypto.createCipheriv(c.openssl(key.length), key, iv);
  e.setAutoPadding(false);
  return Buffer.concat([e.update(plain), e.final()]);
}
export function cbcDecrypt(c: CipherSpec, key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const d = crypto.createDecipheriv(c.openssl(key.length), key, iv);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

// ---------- Diffie-Hellman ----------

interface GroupSpec {
  kind: 'modp' | 'ecp';
  name: string;
  /** Length of the public value and of g^xy on the wire. */
  len: number;
  privBytes: number;
}
export const DH_GROUPS: Record<number, GroupSpec> = {
  1: { kind: 'modp', name: 'modp1', len: 96, privBytes: 20 },
  2: { kind: 'modp', name: 'modp2', len: 128, privBytes: 20 },
  5: { kind: 'modp', name: 'modp5', len: 192, privBytes: 24 },
  14: { kind: 'modp', name: 'modp14', len: 256, privBytes: 32 },
  15: { kind: 'modp', name: 'modp15', len: 384, privBytes: 48 },
  16: { kind: 'modp', name: 'modp16', len: 512, privBytes: 64 },
  17: { kind: 'modp', name: 'modp17', len: 768, privBytes: 64 },
  18: { kind: 'modp', name: 'modp18', len: 1024, privBytes: 64 },
  19: { kind: 'ecp', name: 'prime256v1', len: 64, privBytes: 32 },
  20: { kind: 'ecp', name: 'secp384r1', len: 96, privBytes: 48 },
  21: { kind: 'ecp', name: 'secp521r1', len: 132, privBytes: 66 },
};

const leftPad = (b: Buffer, n: number): Buffer => (b.length >= n ? b : Buffer.concat([Buffer.alloc(n - b.length), b]));

const modpCache = new Map<string, { p: Buffer; g: Buffer }>();

export interface DhExchange {
  group: number;
  publicValue: Buffer;
  /** g^xy for the peer's public value, or undefined when that value is unusable. */
  shared(peer: Uint8Array): Buffer | undefined;
}

/** A DH key pair from caller-supplied random bytes, so seeded tests are reproducible. */
export function dhCreate(group: number, random: (n: number) => Uint8Array): DhExchange | undefined {
  const g = DH_GROUPS[group];
  if (!g) return undefined;
  if (g.kind === 'modp') {
    let pg = modpCache.get(g.name);
    if (!pg) {
      const ref = crypto.getDiffieHellman(g.name);
      pg = { p: ref.getPrime(), g: ref.getGenerator() };
      modpCache.set(g.name, pg);
    }
    const dh = crypto.createDiffieHellman(pg.p, pg.g);
    const priv = Buffer.from(random(g.privBytes));
    priv[0] = priv[0]! | 0x80;
    dh.setPrivateKey(priv);
    const pub = leftPad(dh.generateKeys(), g.len);
    return {
      group,
      publicValue: pub,
      shared(peer) {
        if (peer.length !== g.len) return undefined;
        try {
          // Reject 0, 1 and p-1 (and anything >= p, which OpenSSL refuses) so a peer cannot force a known secret.
          const v = BigInt('0x' + Buffer.from(peer).toString('hex'));
          const p = BigInt('0x' + pg!.p.toString('hex'));
          if (v <= 1n || v >= p - 1n) return undefined;
          return leftPad(dh.computeSecret(peer), g.len);
        } catch {
          return undefined;
        }
      },
    };
  }
  const ec = crypto.createECDH(g.name);
  for (;;) {
    try {
      ec.setPrivateKey(Buffer.from(random(g.privBytes)));
      break;
    } catch {
      // out-of-range scalar: draw again
    }
  }
  const pub = ec.getPublicKey().subarray(1); // RFC 5903: x | y without the 0x04 point format byte
  return {
    group,
    publicValue: Buffer.from(pub),
    shared(peer) {
      if (peer.length !== g.len) return undefined;
      try {
        return ec.computeSecret(Buffer.concat([Buffer.from([4]), peer]));
      } catch {
        return undefined;
      }
    },
  };
}

// ---------- the IKEv1 key schedule (RFC 2409 section 5 and appendix B) ----------

export interface Phase1Keys {
  skeyid: Buffer;
  skeyidD: Buffer;
  skeyidA: Buffer;
  skeyidE: Buffer;
  encKey: Buffer;
  iv: Buffer;
}

export function derivePhase1PskKeys(a: {
  hash: HashName;
  cipher: CipherSpec;
  keyBytes: number;
  psk: Uint8Array;
  ni: Uint8Array;
  nr: Uint8Array;
  gxy: Uint8Array;
  gxi: Uint8Array;
  gxr: Uint8Array;
  icookie: Uint8Array;
  rcookie: Uint8Array;
}): Phase1Keys {
  // SKEYID = prf(pre-shared-key, Ni_b | Nr_b)
  const skeyid = prf(a.hash, a.psk, a.ni, a.nr);
  // SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
  const skeyidD = prf(a.hash, skeyid, a.gxy, a.icookie, a.rcookie, Buffer.from([0]));
  // SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
  const skeyidA = prf(a.hash, skeyid, skeyidD, a.gxy, a.icookie, a.rcookie, Buffer.from([1]));
  // SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
  const skeyidE = prf(a.hash, skeyid, skeyidA, a.gxy, a.icookie, a.rcookie, Buffer.from([2]));
  // Appendix B: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1), when SKEYID_e is too short
  let ka = skeyidE;
  if (ka.length < a.keyBytes) {
    const parts: Buffer[] = [];
    let k = prf(a.hash, skeyidE, Buffer.from([0]));
    parts.push(k);
    while (Buffer.concat(parts).length < a.keyBytes) {
      k = prf(a.hash, skeyidE, k);
      parts.push(k);
    }
    ka = Buffer.concat(parts);
  }
  const encKey = Buffer.from(ka.subarray(0, a.keyBytes));
  // Phase 1 IV = hash(g^xi | g^xr), truncated to the cipher block
  const iv = hash(a.hash, a.gxi, a.gxr).subarray(0, a.cipher.block);
  return { skeyid, skeyidD, skeyidA, skeyidE, encKey, iv: Buffer.from(iv) };
}

/** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b); HASH_R swaps the DH values and cookies. */
export function phase1Hash(
  h: HashName, skeyid: Uint8Array, forInitiator: boolean,
  a: { gxi: Uint8Array; gxr: Uint8Array; icookie: Uint8Array; rcookie: Uint8Array; saiB: Uint8Array; idB: Uint8Array },
): Buffer {
  return forInitiator
    ? prf(h, skeyid, a.gxi, a.gxr, a.icookie, a.rcookie, a.saiB, a.idB)
    : prf(h, skeyid, a.gxr, a.gxi, a.rcookie, a.icookie, a.saiB, a.idB);
}

/** First IV of a phase 2 exchange: hash(last phase 1 CBC block | M-ID), truncated to the block. */
export const phase2Iv = (h: HashName, p1Iv: Uint8Array, messageId: number, block: number): Buffer => {
  const m = Buffer.alloc(4);
  m.writeUInt32BE(messageId >>> 0, 0);
  return Buffer.from(hash(h, p1Iv, m).subarray(0, block));
};

/** KEYMAT = K1 | K2 | ..., K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), Kn = prf(SKEYID_d, Kn-1 | same). */
export function keymat(
  h: HashName, skeyidD: Uint8Array, a: { gxy?: Uint8Array; protocol: number; spi: number; ni: Uint8Array; nr: Uint8Array }, bytes: number,
): Buffer {
  const spi = Buffer.alloc(4);
  spi.writeUInt32BE(a.spi >>> 0, 0);
  const seed = Buffer.concat([a.gxy ?? Buffer.alloc(0), Buffer.from([a.protocol]), spi, a.ni, a.nr]);
  const parts: Buffer[] = [];
  let k = prf(h, skeyidD, seed);
  parts.push(k);
  let total = k.length;
  while (total < bytes) {
    k = prf(h, skeyidD, k, seed);
    parts.push(k);
    total += k.length;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}
