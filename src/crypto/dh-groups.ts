// Diffie-Hellman groups by GROUP_DESCRIPTION value: MODP (RFC 2409 section 6, RFC 3526) and ECP (RFC 5903,
// RFC 6932 brainpool), with the KE payload encodings and the checks a peer's public value must pass.
//
// MODP: public value and shared secret are big-endian integers left-padded to the length of the prime
// (RFC 2409 section 5: "MUST be the length of the negotiated Diffie-Hellman group").
// ECP: public value is x | y without the 0x04 point-format octet; the shared secret is the x coordinate only
// (RFC 5903 sections 7 and 9).
//
// node:crypto's DiffieHellman/ECDH objects are used rather than crypto.diffieHellman() with KeyObjects: for MODP
// the KeyObject path costs about 6x more per g^xy (bench/crypto.bench.ts measures both paths).
import { createDiffieHellman, createECDH, getCurves, getDiffieHellman, type DiffieHellman, type ECDH } from 'node:crypto';
import { GroupDescription } from '../isakmp/numbers.js';
import { atMostOne, bytesToBigInt, compareBytes, leftPad } from './bytes.js';
import { fail, ok, type CryptoResult } from './errors.js';
import { systemRng, type Rng } from './random.js';

interface GroupBase {
  /** GROUP_DESCRIPTION value */
  readonly id: number;
  /** isakmpd's name (MODP_1024, ECP_256, BP_256 ...) */
  readonly name: string;
  /** length of the KE payload data in bytes */
  readonly publicLength: number;
  /** length of g^xy in bytes */
  readonly sharedLength: number;
}

export interface ModpGroupRow extends GroupBase {
  readonly kind: 'modp';
  readonly bits: number;
  /** node:crypto's built-in group (the RFC 2409/3526 primes) */
  readonly nodeGroup: string;
  readonly generator: number;
  /** Length of private exponents we draw (twice the group's estimated strength, as OpenSSL 3 does). */
  readonly privateBits: number;
}

export interface EcpGroupRow extends GroupBase {
  readonly kind: 'ecp';
  /** OpenSSL curve name */
  readonly curve: string;
  /** byte length of one coordinate */
  readonly coordLength: number;
  /** bits in the group order (to draw private keys) */
  readonly orderBits: number;
}

export type DhGroupRow = ModpGroupRow | EcpGroupRow;

const modp = (id: number, name: string, bits: number, nodeGroup: string, privateBits: number): ModpGroupRow => ({
  kind: 'modp', id, name, bits, nodeGroup, generator: 2, privateBits, publicLength: bits / 8, sharedLength: bits / 8,
});
const ecp = (id: number, name: string, curve: string, coordBits: number, orderBits: number): EcpGroupRow => {
  const coordLength = Math.ceil(coordBits / 8);
  return { kind: 'ecp', id, name, curve, coordLength, orderBits, publicLength: 2 * coordLength, sharedLength: coordLength };
};

/** One row per group; adding a group is one row. */
export const DH_GROUPS: readonly DhGroupRow[] = [
  modp(GroupDescription.MODP_768, 'MODP_768', 768, 'modp1', 160),
  modp(GroupDescription.MODP_1024, 'MODP_1024', 1024, 'modp2', 160),
  modp(GroupDescription.MODP_1536, 'MODP_1536', 1536, 'modp5', 192),
  modp(GroupDescription.MODP_2048, 'MODP_2048', 2048, 'modp14', 224),
  modp(GroupDescription.MODP_3072, 'MODP_3072', 3072, 'modp15', 256),
  modp(GroupDescription.MODP_4096, 'MODP_4096', 4096, 'modp16', 304),
  modp(GroupDescription.MODP_6144, 'MODP_6144', 6144, 'modp17', 352),
  modp(GroupDescription.MODP_8192, 'MODP_8192', 8192, 'modp18', 400),
  ecp(GroupDescription.ECP_256, 'ECP_256', 'prime256v1', 256, 256),
  ecp(GroupDescription.ECP_384, 'ECP_384', 'secp384r1', 384, 384),
  ecp(GroupDescription.ECP_521, 'ECP_521', 'secp521r1', 521, 521),
  ecp(GroupDescription.ECP_192, 'ECP_192', 'prime192v1', 192, 192),
  ecp(GroupDescription.ECP_224, 'ECP_224', 'secp224r1', 224, 224),
  ecp(GroupDescription.BP_224, 'BP_224', 'brainpoolP224r1', 224, 224),
  ecp(GroupDescription.BP_256, 'BP_256', 'brainpoolP256r1', 256, 256),
  ecp(GroupDescription.BP_384, 'BP_384', 'brainpoolP384r1', 384, 384),
  ecp(GroupDescription.BP_512, 'BP_512', 'brainpoolP512r1', 512, 512),
];

const byId = new Map(DH_GROUPS.map((g) => [g.id, g]));
let curves: Set<string> | undefined;

/** Whether OpenSSL in this process has the group (ECP rows depend on the curves compiled in). */
export function groupAvailable(row: DhGroupRow): boolean {
  if (row.kind === 'modp') return true;
  curves ??= new Set(getCurves());
  return curves.has(row.curve);
}

/** Groups this process can use, in table order. */
export function availableGroups(): DhGroupRow[] {
  return DH_GROUPS.filter(groupAvailable);
}

export function dhGroupRow(id: number): DhGroupRow {
  const row = byId.get(id);
  if (!row) throw new RangeError(`unknown DH group ${id}`);
  return row;
}

/** Looks a negotiated GROUP_DESCRIPTION up: NO_PROPOSAL_CHOSEN when unknown or not in this OpenSSL. */
export function dhGroup(id: number): CryptoResult<DhGroupRow> {
  const row = byId.get(id);
  if (!row) return fail('NO_PROPOSAL_CHOSEN', `DH group ${id} is not supported`);
  if (!groupAvailable(row)) return fail('NO_PROPOSAL_CHOSEN', `DH group ${id} (${row.name}): OpenSSL lacks curve ${row.kind === 'ecp' ? row.curve : ''}`);
  return ok(row);
}

const primes = new Map<number, { prime: Buffer; p: bigint; pMinus1: Uint8Array }>();

/**
 * The group's prime as bytes and as a number (from node's built-in RFC 2409/3526 group), and p-1 as bytes
 * of the public value's length (what a peer's value is compared with, byte by byte).
 */
export function modpPrime(row: ModpGroupRow): { prime: Buffer; p: bigint; pMinus1: Uint8Array } {
  let v = primes.get(row.id);
  if (!v) {
    const prime = getDiffieHellman(row.nodeGroup).getPrime();
    const p = bytesToBigInt(prime);
    v = { prime, p, pMinus1: leftPad(Buffer.from((p - 1n).toString(16).padStart(row.publicLength * 2, '0'), 'hex'), row.publicLength) };
    primes.set(row.id, v);
  }
  return v;
}

/**
 * Checks a peer's KE payload data before use.
 * MODP: exactly the prime's length and 1 < y < p-1 (y = 0, 1 and p-1 give a predictable secret).
 * ECP: exactly 2 * coordinate length; that the point is on the curve is checked by OpenSSL in computeShared.
 */
export function checkPublicValue(row: DhGroupRow, value: Uint8Array): CryptoResult<void> {
  if (value.length !== row.publicLength) {
    return fail('INVALID_KEY_INFORMATION', `${row.name} public value is ${value.length} bytes, expected ${row.publicLength}`);
  }
  if (row.kind === 'modp') {
    if (atMostOne(value) || compareBytes(value, modpPrime(row).pMinus1) >= 0) return fail('INVALID_KEY_INFORMATION', `${row.name} public value out of range (must be 1 < y < p-1)`);
  }
  return ok(undefined);
}

/** One side's ephemeral key pair. The private key stays inside; only the public value and g^xy come out. */
export interface DhKeyPair {
  readonly group: DhGroupRow;
  /** KE payload data: padded MODP integer, or ECP x | y */
  readonly publicValue: Uint8Array;
  /** g^xy from the peer's KE data, checked first; INVALID_KEY_INFORMATION when the value is unusable. */
  computeShared(peerPublic: Uint8Array): CryptoResult<Uint8Array>;
  /** Forgets the private key (MODP: zeroes it); computeShared fails afterwards. */
  dispose(): void;
}

/**
 * Generates a key pair. The private key comes from `rng` (default: the system CSPRNG; a seeded one makes tests
 * and simulations reproducible). ECP without `rng` lets OpenSSL draw the key (ECDH generateKeys).
 */
export function generateKeyPair(group: DhGroupRow | number, rng?: Rng): DhKeyPair {
  const row = typeof group === 'number' ? dhGroupRow(group) : group;
  if (!groupAvailable(row)) throw new RangeError(`${row.name} is not available in this OpenSSL`);
  return row.kind === 'modp' ? modpKeyPair(row, rng ?? systemRng) : ecpKeyPair(row, rng);
}

// One DiffieHellman object per MODP group, made once: creating one runs OpenSSL's DH_check, which costs
// 15-25 ms for groups 1 and 2 (their primes are not among OpenSSL's named groups). Each key pair keeps only its
// private exponent and loads it into the shared object for the one synchronous call that needs it.
const engines = new Map<number, DiffieHellman>();

function modpEngine(row: ModpGroupRow): DiffieHellman {
  let e = engines.get(row.id);
  if (!e) {
    e = createDiffieHellman(modpPrime(row).prime, Buffer.from([row.generator]));
    engines.set(row.id, e);
  }
  return e;
}

function modpKeyPair(row: ModpGroupRow, rng: Rng): DhKeyPair {
  const dh = modpEngine(row);
  // A short exponent (twice the group's strength in bits, as OpenSSL 3 picks) keeps the cost of g^x linear in
  // the strength rather than in the size of p.
  const bytes = Math.ceil(row.privateBits / 8);
  let drawn = rng(bytes);
  for (let tries = 0; atMostOne(drawn); tries++) {
    if (tries > 64) throw new RangeError('the random source keeps giving private exponents below 2');
    drawn = rng(bytes);
  }
  const x = Buffer.from(drawn);
  drawn.fill(0);
  let disposed = false;
  dh.setPrivateKey(x);
  // generateKeys() and computeSecret() return buffers of their own: kept as they are, not copied again.
  const publicValue = leftPad(dh.generateKeys(), row.publicLength);
  return {
    group: row,
    publicValue,
    computeShared(peer) {
      if (disposed) throw new Error(`${row.name} key pair used after dispose()`);
      const chk = checkPublicValue(row, peer);
      if (!chk.ok) return chk;
      try {
        dh.setPrivateKey(x);
        return ok(leftPad(dh.computeSecret(peer), row.sharedLength));
      } catch (e) {
        return fail('INVALID_KEY_INFORMATION', `${row.name} public value rejected by OpenSSL: ${(e as Error).message}`);
      }
    },
    dispose() {
      disposed = true;
      x.fill(0);
    },
  };
}

function ecpKeyPair(row: EcpGroupRow, rng?: Rng): DhKeyPair {
  let ecdh: ECDH | undefined = createECDH(row.curve);
  if (rng) {
    const bytes = Math.ceil(row.orderBits / 8);
    const topMask = row.orderBits % 8 === 0 ? 0xff : (1 << row.orderBits % 8) - 1;
    for (let tries = 0; ; tries++) {
      const d = rng(bytes);
      d[0] = d[0]! & topMask;
      try {
        ecdh.setPrivateKey(Buffer.from(d)); // OpenSSL refuses 0 and values >= the group order
        d.fill(0);
        break;
      } catch (e) {
        if (tries > 64) throw e;
      }
    }
  } else {
    ecdh.generateKeys();
  }
  const point = ecdh.getPublicKey(); // 0x04 | x | y, fixed length
  const publicValue = new Uint8Array(point.subarray(1));
  return {
    group: row,
    publicValue,
    computeShared(peer) {
      if (!ecdh) throw new Error(`${row.name} key pair used after dispose()`);
      const chk = checkPublicValue(row, peer);
      if (!chk.ok) return chk;
      try {
        const x = ecdh.computeSecret(Buffer.concat([Buffer.from([0x04]), Buffer.from(peer)]));
        return ok(leftPad(new Uint8Array(x), row.sharedLength));
      } catch (e) {
        return fail('INVALID_KEY_INFORMATION', `${row.name} public value is not a point on ${row.curve}: ${(e as Error).message}`);
      }
    },
    dispose() {
      ecdh = undefined; // node offers no way to clear an ECDH object's key; dropping it is what remains
    },
  };
}

/** Builds a key pair from a known private key (known-answer tests, and replaying captured exchanges). */
export function keyPairFromPrivate(group: DhGroupRow | number, privateKey: Uint8Array): DhKeyPair {
  const bytes = privateKey;
  return generateKeyPair(group, () => new Uint8Array(bytes));
}
