// Phase 1 (ISAKMP SA) ciphers by ENCRYPTION_ALGORITHM value (RFC 2409 appendix A, RFC 3602 for AES), and the
// CBC helper that encrypts and decrypts an ISAKMP message body. All ciphers are CBC; the IV chaining across
// messages lives in keymat.ts.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { IkeEncryption } from '../isakmp/numbers.js';
import { fail, ok, type CryptoResult } from './errors.js';

export interface Phase1CipherRow {
  /** ENCRYPTION_ALGORITHM value */
  readonly id: number;
  readonly name: string;
  readonly blockSize: number;
  /** Key length in bits when no KEY_LENGTH attribute is sent. */
  readonly defaultKeyBits: number;
  /** Allowed KEY_LENGTH values in bits; a fixed-length cipher allows only its own and takes no attribute. */
  readonly keyBits: { readonly min: number; readonly max: number; readonly step: number };
  /** Whether the KEY_LENGTH attribute is meaningful (RFC 2409 appendix A: variable-length ciphers). */
  readonly variableKeyLength: boolean;
  /** OpenSSL cipher name for a key of `bits`. */
  readonly openssl: (bits: number) => string;
  /** Needs OpenSSL 3's legacy provider (node --openssl-legacy-provider). */
  readonly legacy: boolean;
}

/** One row per cipher; adding a cipher is one row. */
export const PHASE1_CIPHERS: readonly Phase1CipherRow[] = [
  { id: IkeEncryption.DES_CBC, name: 'DES_CBC', blockSize: 8, defaultKeyBits: 64, keyBits: { min: 64, max: 64, step: 64 }, variableKeyLength: false, openssl: () => 'des-cbc', legacy: true },
  // RFC 2409 appendix A: Blowfish key length defaults to 128 bits, 40..448 in 8-bit steps.
  { id: IkeEncryption.BLOWFISH_CBC, name: 'BLOWFISH_CBC', blockSize: 8, defaultKeyBits: 128, keyBits: { min: 40, max: 448, step: 8 }, variableKeyLength: true, openssl: () => 'bf-cbc', legacy: true },
  { id: IkeEncryption['3DES_CBC'], name: '3DES_CBC', blockSize: 8, defaultKeyBits: 192, keyBits: { min: 192, max: 192, step: 192 }, variableKeyLength: false, openssl: () => 'des-ede3-cbc', legacy: false },
  // CAST-128 (RFC 2144): 40..128 bits.
  { id: IkeEncryption.CAST_CBC, name: 'CAST_CBC', blockSize: 8, defaultKeyBits: 128, keyBits: { min: 40, max: 128, step: 8 }, variableKeyLength: true, openssl: () => 'cast5-cbc', legacy: true },
  // RFC 3602 section 5.3 / RFC 2409 usage: AES keys are 128, 192 or 256 bits; KEY_LENGTH is required in
  // practice, 128 is the common default when a peer omits it.
  { id: IkeEncryption.AES_CBC, name: 'AES_CBC', blockSize: 16, defaultKeyBits: 128, keyBits: { min: 128, max: 256, step: 64 }, variableKeyLength: true, openssl: (bits) => `aes-${bits}-cbc`, legacy: false },
];

const byId = new Map(PHASE1_CIPHERS.map((c) => [c.id, c]));

export function phase1CipherById(id: number): Phase1CipherRow | undefined {
  return byId.get(id);
}

export function phase1CipherRow(idOrName: number | string): Phase1CipherRow {
  const row = typeof idOrName === 'number' ? byId.get(idOrName) : PHASE1_CIPHERS.find((c) => c.name === idOrName.toUpperCase());
  if (!row) throw new RangeError(`unknown IKE encryption algorithm ${idOrName}`);
  return row;
}

const availability = new Map<string, boolean>();

/** Whether OpenSSL in this process can run the cipher (legacy ones need --openssl-legacy-provider). Cached. */
export function cipherAvailable(openssl: string, keyBytes: number, ivBytes: number): boolean {
  const k = `${openssl}/${keyBytes}`;
  let v = availability.get(k);
  if (v === undefined) {
    try {
      createCipheriv(openssl, Buffer.alloc(keyBytes), Buffer.alloc(ivBytes));
      v = true;
    } catch {
      v = false;
    }
    availability.set(k, v);
  }
  return v;
}

export const LEGACY_PROVIDER_HINT =
  'this OpenSSL 3 build keeps DES, Blowfish and CAST in its legacy provider: start node with --openssl-legacy-provider ' +
  '(or NODE_OPTIONS=--openssl-legacy-provider) to offer them';

/** The parameters keymat and the engine need for a negotiated Phase 1 cipher. */
export interface Phase1CipherSpec {
  readonly row: Phase1CipherRow;
  readonly keyBits: number;
  readonly keyLength: number; // bytes
  readonly blockSize: number;
  readonly openssl: string;
}

/**
 * Checks a negotiated (algorithm, KEY_LENGTH) pair and that this process can run it.
 * `keyBits` undefined means no KEY_LENGTH attribute was sent.
 */
export function phase1Cipher(id: number, keyBits?: number): CryptoResult<Phase1CipherSpec> {
  const row = byId.get(id);
  if (!row) return fail('NO_PROPOSAL_CHOSEN', `encryption algorithm ${id} is not supported`);
  const bits = keyBits ?? row.defaultKeyBits;
  if (keyBits !== undefined && !row.variableKeyLength && keyBits !== row.defaultKeyBits) {
    return fail('ATTRIBUTES_NOT_SUPPORTED', `${row.name} has a fixed key length, KEY_LENGTH=${keyBits} given`);
  }
  const { min, max, step } = row.keyBits;
  if (bits < min || bits > max || (bits - min) % step !== 0) {
    return fail('ATTRIBUTES_NOT_SUPPORTED', `${row.name} does not allow KEY_LENGTH=${bits} (allowed ${min}..${max} step ${step})`);
  }
  const openssl = row.openssl(bits);
  if (!cipherAvailable(openssl, bits / 8, row.blockSize)) {
    return fail('NO_PROPOSAL_CHOSEN', `${row.name}: OpenSSL refuses ${openssl}${row.legacy ? `; ${LEGACY_PROVIDER_HINT}` : ''}`);
  }
  return ok({ row, keyBits: bits, keyLength: bits / 8, blockSize: row.blockSize, openssl });
}

export function cipherKeyLength(spec: Phase1CipherSpec): number {
  return spec.keyLength;
}

export function blockSize(spec: Phase1CipherSpec): number {
  return spec.blockSize;
}

/**
 * Encrypts an ISAKMP message body (everything after the 28-byte header). The body is padded with zero bytes
 * to a whole number of blocks, as isakmpd and strongSwan do; nothing is added when it is already aligned
 * (RFC 2408 3.5 leaves the pad content open; the payload lengths tell the receiver where data ends).
 * Returns the ciphertext; its last block is the next IV of the chain.
 */
export function encryptBody(spec: Phase1CipherSpec, key: Uint8Array, iv: Uint8Array, body: Uint8Array): Uint8Array {
  const bs = spec.blockSize;
  const padded = body.length % bs === 0 && body.length > 0 ? body : padTo(body, bs);
  const c = createCipheriv(spec.openssl, key, iv);
  c.setAutoPadding(false);
  // Whole blocks without padding: update() returns all of it (in a buffer of its own), final() nothing.
  const out = c.update(padded);
  c.final();
  return out;
}

/** Decrypts an ISAKMP body; trailing padding is kept (the codec stops at the last payload). */
export function decryptBody(spec: Phase1CipherSpec, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): CryptoResult<Uint8Array> {
  if (ciphertext.length === 0 || ciphertext.length % spec.blockSize !== 0) {
    return fail('PAYLOAD_MALFORMED', `encrypted body of ${ciphertext.length} bytes is not a whole number of ${spec.blockSize}-byte blocks`);
  }
  const d = createDecipheriv(spec.openssl, key, iv);
  d.setAutoPadding(false);
  const out = d.update(ciphertext);
  d.final();
  return ok(out);
}

function padTo(body: Uint8Array, bs: number): Uint8Array {
  const len = Math.max(bs, Math.ceil(body.length / bs) * bs);
  const out = new Uint8Array(len);
  out.set(body);
  return out;
}
