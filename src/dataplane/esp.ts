// ESP (RFC 4303) payload transform, sans-I/O: a payload and next-header value in, ESP bytes out, and
// back. Cipher specifics: AES-CBC (RFC 3602), 3DES-CBC (RFC 2451), AES-CTR (RFC 3686), AES-GCM
// (RFC 4106), AES-GMAC (RFC 4543), NULL (RFC 2410); integrity per RFC 2403/2404/4868.
// No TFC padding is added (RFC 4303 2.7 makes it optional).
import crypto from 'node:crypto';
import type { AuthAlg, DropReason, EncAlg } from './api.js';
import { AUTH, ENC, type AuthRow, type EncRow } from './algorithms.js';
import type { AeadCtx, CipherCtx, CryptoProvider, MacCtx } from './provider.js';

export const ESP_HDR = 8;

// Scratch space shared by every SA: the transforms are synchronous and never re-entered, so one set per
// thread is enough, and an idle SA costs no buffers (thousands of tunnels mostly sit idle).
const NONCE = new Uint8Array(12);
const CTR = new Uint8Array(16);
const IV_COPY = new Uint8Array(16);
const AAD = new Uint8Array(12);
const SEQ_HI = new Uint8Array(4);
const ICV = new Uint8Array(64);
let gmacAad = new Uint8Array(0);
// CBC IVs must be unpredictable (RFC 3602 2.4): drawn from a pool refilled 4 KiB at a time, because
// one RNG call per packet costs more than the encryption of a small packet. One pool serves all SAs.
const IV_POOL = new Uint8Array(4096);
let ivPoolPos = IV_POOL.length;

/**
 * Copies key bytes into one shared scratch array per length before a provider sees them: handing a
 * small array to native code moves its bytes out of the V8 heap for good (an ArrayBuffer of its own),
 * which an SA's long-lived key array must not pay. The scratch is wiped once the context is keyed.
 */
const keyScratch = new Map<number, Uint8Array>();
export function withKey<T>(src: Uint8Array, off: number, len: number, use: (key: Uint8Array) => T): T {
  let k = keyScratch.get(len);
  if (!k) keyScratch.set(len, (k = new Uint8Array(len)));
  for (let i = 0; i < len; i++) k[i] = src[off + i]!;
  try {
    return use(k);
  } finally {
    k.fill(0);
  }
}

/** Keys and reusable contexts of one ESP SA in one direction. */
export class EspCrypto {
  readonly enc: EncRow;
  readonly auth: AuthRow | undefined;
  readonly icvLen: number;
  private readonly cipher: CipherCtx | undefined;
  private readonly aead: AeadCtx | undefined;
  private readonly macCtx: MacCtx | undefined;
  /** The 4-byte salt of CTR/GCM/GMAC keying material as a 32-bit integer (0 when none). */
  private readonly salt: number;

  /**
   * encKey[0, encLen) holds the cipher key followed by its salt; authKey[authOff, authOff+authLen) the
   * integrity key. Both may be one array (an SA keeps its keys packed).
   */
  constructor(
    provider: CryptoProvider,
    encAlg: EncAlg,
    encKey: Uint8Array,
    authAlg: AuthAlg,
    authKey: Uint8Array,
    encrypt: boolean,
    readonly esn: boolean,
    encLen = encKey.length,
    authOff = 0,
    authLen = authKey.length - authOff,
    /** The owner frees the contexts (see CryptoProvider): no finalizer per context. */
    untracked = false,
  ) {
    this.enc = ENC[encAlg];
    this.auth = authAlg === 'none' ? undefined : AUTH[authAlg];
    this.icvLen = this.enc.icvLen || (this.auth?.icvLen ?? 0);
    const keyLen = encLen - this.enc.saltLen;
    this.salt = this.enc.saltLen ? readU32(encKey, keyLen) | 0 : 0;
    const name = this.enc.openssl(keyLen);
    const icvLen = this.icvLen;
    const kind = this.enc.kind;
    this.aead = kind === 'gcm' || kind === 'gmac' ? withKey(encKey, 0, keyLen, (k) => provider.aead(name, k, encrypt, icvLen, untracked)) : undefined;
    this.cipher = kind === 'cbc' || kind === 'ctr' ? withKey(encKey, 0, keyLen, (k) => provider.cipher(name, k, encrypt, untracked)) : undefined;
    const auth = this.auth;
    try {
      this.macCtx = auth ? withKey(authKey, authOff, authLen, (k) => provider.mac(auth.hash, k, auth.icvLen, untracked)) : undefined;
    } catch (e) {
      this.cipher?.free(); // an untracked context has no finalizer to fall back on
      this.aead?.free();
      throw e;
    }
  }

  // Read from the algorithm row rather than kept per SA.
  get ivLen(): number {
    return this.enc.ivLen;
  }
  get align(): number {
    return this.enc.align;
  }

  free(): void {
    this.cipher?.free();
    this.aead?.free();
    this.macCtx?.free();
  }

  /** Bytes the ESP part takes for a payload of n bytes. */
  size(n: number): number {
    return ESP_HDR + this.ivLen + this.padded(n) + this.icvLen;
  }

  private padded(n: number): number {
    const a = this.align;
    return Math.ceil((n + 2) / a) * a;
  }

  /**
   * Writes SPI, sequence, IV, encrypted payload+padding+trailer and ICV at out[off..]. The payload is
   * copied from src[srcOff, srcOff+n) (src may be out itself only if it does not overlap).
   * Returns the number of bytes written.
   */
  seal(
    spi: number,
    seqHiV: number,
    seqLo: number,
    src: Uint8Array,
    srcOff: number,
    n: number,
    nextHdr: number,
    out: Uint8Array,
    off: number,
    /** Known-answer tests only: a fixed IV instead of a random (CBC) or sequence-derived one. */
    fixedIv?: Uint8Array,
  ): number {
    const ivOff = off + ESP_HDR;
    const ptOff = ivOff + this.ivLen;
    const ptLen = this.padded(n);
    writeU32(out, off, spi);
    writeU32(out, off + 4, seqLo);
    out.set(src.subarray(srcOff, srcOff + n), ptOff);
    const padLen = ptLen - n - 2;
    for (let i = 0; i < padLen; i++) out[ptOff + n + i] = i + 1;
    out[ptOff + ptLen - 2] = padLen;
    out[ptOff + ptLen - 1] = nextHdr;
    const icvOff = ptOff + ptLen;
    writeU32(SEQ_HI, 0, seqHiV);
    switch (this.enc.kind) {
      case 'cbc':
        if (fixedIv) out.set(fixedIv, ivOff);
        else this.randomIv(out, ivOff);
        IV_COPY.set(out.subarray(ivOff, ivOff + this.ivLen));
        this.cipher!.run(IV_COPY.subarray(0, this.ivLen), out, ptOff, ptLen);
        break;
      case 'ctr':
        this.writeSeqIv(out, ivOff, seqHiV, seqLo, fixedIv);
        writeU32(CTR, 0, this.salt);
        CTR.set(out.subarray(ivOff, ivOff + 8), 4);
        writeU32(CTR, 12, 1);
        this.cipher!.run(CTR, out, ptOff, ptLen);
        break;
      case 'gcm':
      case 'gmac': {
        this.writeSeqIv(out, ivOff, seqHiV, seqLo, fixedIv);
        writeU32(NONCE, 0, this.salt);
        NONCE.set(out.subarray(ivOff, ivOff + 8), 4);
        if (this.enc.kind === 'gcm') {
          const aadLen = this.fillAad(spi, seqHiV, seqLo);
          this.aead!.seal(NONCE, AAD, aadLen, out, ptOff, ptLen, out, icvOff);
        } else {
          const [aad, aadLen] = this.gmacAadOf(out, off, ptOff + ptLen - off, seqHiV);
          this.aead!.seal(NONCE, aad, aadLen, out, ptOff, 0, out, icvOff);
        }
        return icvOff + this.icvLen - off;
      }
      case 'null':
        break;
    }
    if (this.macCtx) this.macCtx.mac(out, off, icvOff - off, this.esn ? SEQ_HI : null, out, icvOff);
    return icvOff + this.icvLen - off;
  }

  private randomIv(out: Uint8Array, off: number): void {
    if (ivPoolPos + this.ivLen > IV_POOL.length) {
      crypto.randomFillSync(IV_POOL);
      ivPoolPos = 0;
    }
    out.set(IV_POOL.subarray(ivPoolPos, ivPoolPos + this.ivLen), off);
    IV_POOL.fill(0, ivPoolPos, ivPoolPos + this.ivLen); // an IV is never reused
    ivPoolPos += this.ivLen;
  }

  // Counter-based modes need a unique IV per packet, not an unpredictable one (RFC 3686 3, RFC 4106 3.1):
  // the 64-bit sequence number is unique for the SA's life and costs nothing.
  private writeSeqIv(out: Uint8Array, off: number, hi: number, lo: number, fixedIv?: Uint8Array): void {
    if (fixedIv) out.set(fixedIv, off);
    else {
      writeU32(out, off, hi);
      writeU32(out, off + 4, lo);
    }
  }

  private fillAad(spi: number, hi: number, lo: number): number {
    writeU32(AAD, 0, spi);
    if (this.esn) {
      writeU32(AAD, 4, hi);
      writeU32(AAD, 8, lo);
      return 12;
    }
    writeU32(AAD, 4, lo);
    return 8;
  }

  /** RFC 4543 3.3: AAD = SPI, [ESN high], sequence, IV, payload, padding, trailer. */
  private gmacAadOf(buf: Uint8Array, off: number, len: number, hi: number): [Uint8Array, number] {
    if (!this.esn) return [buf.subarray(off), len];
    const need = len + 4;
    if (gmacAad.length < need) gmacAad = new Uint8Array(Math.max(need, 2048));
    const a = gmacAad;
    a.set(buf.subarray(off, off + 4), 0);
    writeU32(a, 4, hi);
    a.set(buf.subarray(off + 4, off + len), 8);
    return [a, need];
  }

  /**
   * Verifies and decrypts the ESP packet at buf[off, off+len) in place. seqHiV is the (ESN-inferred)
   * high half of the sequence number, 0 without ESN. Returns the plaintext location and next header,
   * or a drop reason.
   */
  open(buf: Uint8Array, off: number, len: number, seqHiV: number): OpenResult {
    const ctLen = len - ESP_HDR - this.ivLen - this.icvLen;
    if (ctLen < 2) return { ok: false, reason: 'short' };
    if (ctLen % this.align !== 0) return { ok: false, reason: 'malformed' };
    const ivOff = off + ESP_HDR;
    const ctOff = ivOff + this.ivLen;
    const icvOff = ctOff + ctLen;
    const seqLo = readU32(buf, off + 4);
    const spi = readU32(buf, off);
    switch (this.enc.kind) {
      case 'gcm':
      case 'gmac': {
        writeU32(NONCE, 0, this.salt);
        NONCE.set(buf.subarray(ivOff, ivOff + 8), 4);
        let ok: boolean;
        if (this.enc.kind === 'gcm') {
          const aadLen = this.fillAad(spi, seqHiV, seqLo);
          ok = this.aead!.open(NONCE, AAD, aadLen, buf, ctOff, ctLen, buf, icvOff);
        } else {
          writeU32(SEQ_HI, 0, seqHiV);
          const [aad, aadLen] = this.gmacAadOf(buf, off, icvOff - off, seqHiV);
          ok = this.aead!.open(NONCE, aad, aadLen, buf, ctOff, 0, buf, icvOff);
        }
        if (!ok) return { ok: false, reason: 'bad-icv' };
        break;
      }
      default: {
        if (this.macCtx) {
          writeU32(SEQ_HI, 0, seqHiV);
          this.macCtx.mac(buf, off, icvOff - off, this.esn ? SEQ_HI : null, ICV, 0);
          if (!ctEqual(ICV, buf, icvOff, this.icvLen)) return { ok: false, reason: 'bad-icv' };
        }
        if (this.enc.kind === 'cbc') {
          IV_COPY.set(buf.subarray(ivOff, ivOff + this.ivLen));
          this.cipher!.run(IV_COPY.subarray(0, this.ivLen), buf, ctOff, ctLen);
        } else if (this.enc.kind === 'ctr') {
          writeU32(CTR, 0, this.salt);
          CTR.set(buf.subarray(ivOff, ivOff + 8), 4);
          writeU32(CTR, 12, 1);
          this.cipher!.run(CTR, buf, ctOff, ctLen);
        }
      }
    }
    const padLen = buf[ctOff + ctLen - 2]!;
    const nextHdr = buf[ctOff + ctLen - 1]!;
    if (padLen + 2 > ctLen) return { ok: false, reason: 'bad-padding' };
    const ptLen = ctLen - 2 - padLen;
    // RFC 4303 2.4: default padding is 1, 2, 3, ...; anything else means wrong keys or tampering.
    for (let i = 0; i < padLen; i++) if (buf[ctOff + ptLen + i] !== i + 1) return { ok: false, reason: 'bad-padding' };
    return { ok: true, off: ctOff, len: ptLen, nextHdr };
  }
}

export type OpenResult = { ok: true; off: number; len: number; nextHdr: number } | { ok: false; reason: DropReason };

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

export function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

function ctEqual(a: Uint8Array, b: Uint8Array, bOff: number, len: number): boolean {
  let d = 0;
  for (let i = 0; i < len; i++) d |= a[i]! ^ b[bOff + i]!;
  return d === 0;
}
