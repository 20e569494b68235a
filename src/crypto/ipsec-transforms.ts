// ESP and AH transforms of the IPsec DOI (RFC 2407) with the sizes the key schedule and the data plane need.
// ESP rows are keyed by ESP transform ID, integrity rows by the AUTHENTICATION_ALGORITHM attribute value
// (with the AH transform ID that names the same algorithm for AH).
//
// KEYMAT layout for one SA (RFC 2409 section 5.5 gives the bytes, RFC 4106 8.1 / RFC 3686 5.1 / RFC 4543 the
// split): encryption key | salt | integrity key. The salt of CTR, GCM and GMAC is the 4 bytes following the
// cipher key (strongSwan keymat_v1.c does the same).
import { AhTransformId, EspTransformId, IpsecAuthAlgorithm } from '../isakmp/numbers.js';
import { fail, ok, type CryptoResult } from './errors.js';

export type EspMode = 'cbc' | 'ctr' | 'gcm' | 'gmac' | 'null';

export interface EspCipherRow {
  /** ESP transform ID */
  readonly id: number;
  readonly name: string;
  readonly mode: EspMode;
  /** allowed KEY_LENGTH values (bits), first is the default when the attribute is absent; [0] for NULL */
  readonly keyBits: readonly number[];
  /** whether the KEY_LENGTH attribute is sent for this transform */
  readonly variableKeyLength: boolean;
  /** salt (nonce) bytes taken from KEYMAT after the key */
  readonly saltBytes: number;
  /** IV bytes carried in each packet */
  readonly ivBytes: number;
  /** cipher block size; the payload is padded to it (at least 4, RFC 4303 2.4) */
  readonly blockSize: number;
  /** ICV bytes produced by the cipher itself (AEAD); 0 when an integrity algorithm is needed */
  readonly icvBytes: number;
  /** true for combined-mode transforms that must not be paired with an AUTHENTICATION_ALGORITHM */
  readonly aead: boolean;
  readonly openssl: (bits: number) => string;
  readonly legacy: boolean;
}

const aesBits = [128, 192, 256] as const;

/** One row per ESP cipher; adding one is one row. */
export const ESP_CIPHERS: readonly EspCipherRow[] = [
  // RFC 2451 / RFC 2405
  { id: EspTransformId['3DES'], name: '3DES', mode: 'cbc', keyBits: [192], variableKeyLength: false, saltBytes: 0, ivBytes: 8, blockSize: 8, icvBytes: 0, aead: false, openssl: () => 'des-ede3-cbc', legacy: false },
  { id: EspTransformId.DES, name: 'DES', mode: 'cbc', keyBits: [64], variableKeyLength: false, saltBytes: 0, ivBytes: 8, blockSize: 8, icvBytes: 0, aead: false, openssl: () => 'des-cbc', legacy: true },
  { id: EspTransformId.CAST, name: 'CAST', mode: 'cbc', keyBits: [128, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120], variableKeyLength: true, saltBytes: 0, ivBytes: 8, blockSize: 8, icvBytes: 0, aead: false, openssl: () => 'cast5-cbc', legacy: true },
  { id: EspTransformId.BLOWFISH, name: 'BLOWFISH', mode: 'cbc', keyBits: [128, 96, 104, 112, 120, 136, 144, 152, 160, 168, 176, 184, 192], variableKeyLength: true, saltBytes: 0, ivBytes: 8, blockSize: 8, icvBytes: 0, aead: false, openssl: () => 'bf-cbc', legacy: true },
  // RFC 2410
  { id: EspTransformId.NULL, name: 'NULL', mode: 'null', keyBits: [0], variableKeyLength: false, saltBytes: 0, ivBytes: 0, blockSize: 4, icvBytes: 0, aead: false, openssl: () => 'null', legacy: false },
  // RFC 3602
  { id: EspTransformId.AES, name: 'AES', mode: 'cbc', keyBits: aesBits, variableKeyLength: true, saltBytes: 0, ivBytes: 16, blockSize: 16, icvBytes: 0, aead: false, openssl: (b) => `aes-${b}-cbc`, legacy: false },
  // RFC 3686: 4-byte nonce from KEYMAT, 8-byte IV, counter block nonce | IV | 1
  { id: EspTransformId.AES_CTR, name: 'AES_CTR', mode: 'ctr', keyBits: aesBits, variableKeyLength: true, saltBytes: 4, ivBytes: 8, blockSize: 4, icvBytes: 0, aead: false, openssl: (b) => `aes-${b}-ctr`, legacy: false },
  // RFC 4106: 4-byte salt, 8-byte IV, ICV 8/12/16
  { id: EspTransformId.AES_GCM_8, name: 'AES_GCM_8', mode: 'gcm', keyBits: aesBits, variableKeyLength: true, saltBytes: 4, ivBytes: 8, blockSize: 4, icvBytes: 8, aead: true, openssl: (b) => `aes-${b}-gcm`, legacy: false },
  { id: EspTransformId.AES_GCM_12, name: 'AES_GCM_12', mode: 'gcm', keyBits: aesBits, variableKeyLength: true, saltBytes: 4, ivBytes: 8, blockSize: 4, icvBytes: 12, aead: true, openssl: (b) => `aes-${b}-gcm`, legacy: false },
  { id: EspTransformId.AES_GCM_16, name: 'AES_GCM_16', mode: 'gcm', keyBits: aesBits, variableKeyLength: true, saltBytes: 4, ivBytes: 8, blockSize: 4, icvBytes: 16, aead: true, openssl: (b) => `aes-${b}-gcm`, legacy: false },
  // RFC 4543: ENCR_NULL_AUTH_AES_GMAC, authentication only, 16-byte ICV
  { id: EspTransformId.AES_GMAC, name: 'AES_GMAC', mode: 'gmac', keyBits: aesBits, variableKeyLength: true, saltBytes: 4, ivBytes: 8, blockSize: 4, icvBytes: 16, aead: true, openssl: (b) => `aes-${b}-gcm`, legacy: false },
];

export type IntegrityKind = 'hmac' | 'xcbc';

export interface IntegrityRow {
  /** AUTHENTICATION_ALGORITHM attribute value (ESP and AH) */
  readonly id: number;
  /** AH transform ID naming the same algorithm */
  readonly ahTransformId: number;
  readonly name: string;
  readonly kind: IntegrityKind;
  /** OpenSSL digest (hmac) or cipher (xcbc) */
  readonly openssl: string;
  readonly keyBytes: number;
  /** truncated ICV length */
  readonly icvBytes: number;
}

/** One row per integrity algorithm; adding one is one row. */
export const INTEGRITY_ALGORITHMS: readonly IntegrityRow[] = [
  // RFC 2403
  { id: IpsecAuthAlgorithm.HMAC_MD5, ahTransformId: AhTransformId.MD5, name: 'HMAC_MD5_96', kind: 'hmac', openssl: 'md5', keyBytes: 16, icvBytes: 12 },
  // RFC 2404
  { id: IpsecAuthAlgorithm.HMAC_SHA, ahTransformId: AhTransformId.SHA, name: 'HMAC_SHA1_96', kind: 'hmac', openssl: 'sha1', keyBytes: 20, icvBytes: 12 },
  // RFC 4868: key = full hash length, ICV = half of it
  { id: IpsecAuthAlgorithm.HMAC_SHA2_256, ahTransformId: AhTransformId.SHA2_256, name: 'HMAC_SHA2_256_128', kind: 'hmac', openssl: 'sha256', keyBytes: 32, icvBytes: 16 },
  { id: IpsecAuthAlgorithm.HMAC_SHA2_384, ahTransformId: AhTransformId.SHA2_384, name: 'HMAC_SHA2_384_192', kind: 'hmac', openssl: 'sha384', keyBytes: 48, icvBytes: 24 },
  { id: IpsecAuthAlgorithm.HMAC_SHA2_512, ahTransformId: AhTransformId.SHA2_512, name: 'HMAC_SHA2_512_256', kind: 'hmac', openssl: 'sha512', keyBytes: 64, icvBytes: 32 },
  // RFC 3566: AES-128 with derived subkeys (xcbc.ts), built on AES-ECB from OpenSSL
  { id: IpsecAuthAlgorithm.AES_XCBC_MAC, ahTransformId: AhTransformId.AES_XCBC_MAC, name: 'AES_XCBC_MAC_96', kind: 'xcbc', openssl: 'aes-128-ecb', keyBytes: 16, icvBytes: 12 },
];

const espById = new Map(ESP_CIPHERS.map((r) => [r.id, r]));
const integById = new Map(INTEGRITY_ALGORITHMS.map((r) => [r.id, r]));
const integByAh = new Map(INTEGRITY_ALGORITHMS.map((r) => [r.ahTransformId, r]));

export function espCipherById(id: number): EspCipherRow | undefined {
  return espById.get(id);
}
export function integrityById(id: number): IntegrityRow | undefined {
  return integById.get(id);
}
export function integrityByAhTransform(ahTransformId: number): IntegrityRow | undefined {
  return integByAh.get(ahTransformId);
}

/** What one SA needs from KEYMAT, and how to cut it. */
export interface ChildSaLayout {
  readonly cipher?: EspCipherRow;
  readonly integrity?: IntegrityRow;
  readonly encKeyBytes: number;
  readonly saltBytes: number;
  readonly integKeyBytes: number;
  /** total KEYMAT bytes: key | salt | integrity key */
  readonly keymatBytes: number;
}

/**
 * Validates an ESP proposal (transform ID, KEY_LENGTH bits or undefined, AUTHENTICATION_ALGORITHM or undefined)
 * and gives the KEYMAT layout.
 */
export function espLayout(transformId: number, keyBits?: number, authAlgorithm?: number): CryptoResult<ChildSaLayout> {
  const cipher = espById.get(transformId);
  if (!cipher) return fail('NO_PROPOSAL_CHOSEN', `ESP transform ${transformId} is not supported`);
  const bits = keyBits ?? cipher.keyBits[0]!;
  if (!cipher.keyBits.includes(bits)) return fail('ATTRIBUTES_NOT_SUPPORTED', `${cipher.name} does not allow KEY_LENGTH=${bits}`);
  if (keyBits !== undefined && !cipher.variableKeyLength && keyBits !== cipher.keyBits[0]) {
    return fail('ATTRIBUTES_NOT_SUPPORTED', `${cipher.name} has a fixed key length`);
  }
  let integrity: IntegrityRow | undefined;
  if (authAlgorithm !== undefined) {
    if (cipher.aead) return fail('NO_PROPOSAL_CHOSEN', `${cipher.name} is a combined mode and takes no AUTHENTICATION_ALGORITHM`);
    integrity = integById.get(authAlgorithm);
    if (!integrity) return fail('NO_PROPOSAL_CHOSEN', `authentication algorithm ${authAlgorithm} is not supported`);
  } else if (cipher.mode === 'null') {
    return fail('NO_PROPOSAL_CHOSEN', 'ESP NULL without an authentication algorithm protects nothing');
  }
  const encKeyBytes = bits / 8;
  const integKeyBytes = integrity?.keyBytes ?? 0;
  return ok({ cipher, integrity, encKeyBytes, saltBytes: cipher.saltBytes, integKeyBytes, keymatBytes: encKeyBytes + cipher.saltBytes + integKeyBytes });
}

/** AH proposal by AH transform ID (the AUTHENTICATION_ALGORITHM attribute must name the same algorithm). */
export function ahLayout(ahTransformId: number, authAlgorithm?: number): CryptoResult<ChildSaLayout> {
  const integrity = integByAh.get(ahTransformId);
  if (!integrity) return fail('NO_PROPOSAL_CHOSEN', `AH transform ${ahTransformId} is not supported`);
  if (authAlgorithm !== undefined && authAlgorithm !== integrity.id) {
    return fail('ATTRIBUTES_NOT_SUPPORTED', `AH transform ${integrity.name} with AUTHENTICATION_ALGORITHM ${authAlgorithm}`);
  }
  return ok({ integrity, encKeyBytes: 0, saltBytes: 0, integKeyBytes: integrity.keyBytes, keymatBytes: integrity.keyBytes });
}

/** The keys of one SA, cut from its KEYMAT. */
export interface ChildSaKeys {
  readonly encKey: Uint8Array;
  readonly salt: Uint8Array;
  readonly integKey: Uint8Array;
}

export function splitKeymat(layout: ChildSaLayout, keymat: Uint8Array): ChildSaKeys {
  if (keymat.length < layout.keymatBytes) throw new RangeError(`KEYMAT of ${keymat.length} bytes, ${layout.keymatBytes} needed`);
  const a = layout.encKeyBytes;
  const b = a + layout.saltBytes;
  return { encKey: keymat.slice(0, a), salt: keymat.slice(a, b), integKey: keymat.slice(b, b + layout.integKeyBytes) };
}
