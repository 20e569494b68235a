// AH (RFC 4302), sans-I/O. The ICV covers the IP header with its mutable fields zeroed (RFC 4302
// 3.3.3.1 and Appendix A), the AH header with a zero ICV, and everything after it.
import crypto from 'node:crypto';
import type { AuthAlg, DropReason } from './api.js';
import { AUTH, type AuthRow } from './algorithms.js';
import type { CryptoProvider, MacCtx } from './provider.js';
import { withKey, writeU32 } from './esp.js';

// IPv4 options that stay unchanged in transit (RFC 4302 A.1): security (130), extended security (133),
// commercial security (134), router alert (148), sender directed multi-destination delivery (149).
const V4_IMMUTABLE = new Set([0, 1, 130, 133, 134, 148, 149]);

/** Zeroes, in place, the mutable fields of the IP header (and IPv6 extension headers) in p[0, hdrLen). */
export function zeroMutable(p: Uint8Array, hdrLen: number): void {
  if (p[0]! >> 4 === 4) {
    p[1] = 0; // TOS
    p[6] = 0; // flags + fragment offset
    p[7] = 0;
    p[8] = 0; // TTL
    p[10] = 0; // checksum
    p[11] = 0;
    const ihl = (p[0]! & 0x0f) * 4;
    for (let o = 20; o < ihl; ) {
      const t = p[o]!;
      if (t === 0) break;
      if (t === 1) {
        o++;
        continue;
      }
      const l = p[o + 1] ?? 0;
      if (l < 2 || o + l > ihl) {
        p.fill(0, o, ihl);
        break;
      }
      if (!V4_IMMUTABLE.has(t)) p.fill(0, o, o + l); // the option as a whole is zeroed
      o += l;
    }
    return;
  }
  p[0] = p[0]! & 0xf0; // traffic class and flow label
  p[1] = 0;
  p[2] = 0;
  p[3] = 0;
  p[7] = 0; // hop limit
  let nh = p[6]!;
  let o = 40;
  while (o < hdrLen) {
    const next = p[o]!;
    const len = nh === 44 ? 8 : (p[o + 1]! + 1) * 8;
    if (nh === 0 || nh === 60) {
      // Options whose type has the "may change en route" bit (0x20) have their data zeroed.
      for (let q = o + 2; q < o + len; ) {
        const t = p[q]!;
        if (t === 0) {
          q++;
          continue;
        }
        const ol = p[q + 1]!;
        if (t & 0x20) p.fill(0, q + 2, Math.min(q + 2 + ol, o + len));
        q += 2 + ol;
      }
    }
    nh = next;
    o += len;
  }
}

/** AH header length for an ICV length: 32-bit aligned for IPv4, 64-bit for IPv6 (RFC 4302 2.2). */
export function ahLen(icvLen: number, v6: boolean): number {
  const a = v6 ? 8 : 4;
  return Math.ceil((12 + icvLen) / a) * a;
}

// Scratch space shared by every AH SA (the transforms are synchronous): an idle SA costs no buffers.
let scratch = new Uint8Array(2048);
const ICV = new Uint8Array(64);
const SEQ_HI = new Uint8Array(4);

export class AhCrypto {
  readonly row: AuthRow;
  private readonly macCtx: MacCtx;

  /** The integrity key is key[keyOff, keyOff+keyLen) (an SA keeps its keys packed in one array). */
  constructor(
    provider: CryptoProvider,
    alg: Exclude<AuthAlg, 'none'>,
    key: Uint8Array,
    readonly esn: boolean,
    keyOff = 0,
    keyLen = key.length - keyOff,
    /** The owner frees the context (see CryptoProvider): no finalizer of its own. */
    untracked = false,
  ) {
    const row = AUTH[alg];
    this.row = row;
    this.macCtx = withKey(key, keyOff, keyLen, (k) => provider.mac(row.hash, k, row.icvLen, untracked));
  }

  free(): void {
    this.macCtx.free();
  }

  /**
   * p[0, len) is a complete IP packet whose AH header sits at ahOff (header before it, with the
   * protocol/next-header field already 51 and the length final). Fills SPI/seq/length and the ICV.
   */
  seal(p: Uint8Array, len: number, hdrLen: number, ahOff: number, ahSize: number, nextHdr: number, spi: number, seq: number): void {
    p[ahOff] = nextHdr;
    p[ahOff + 1] = ahSize / 4 - 2;
    p[ahOff + 2] = 0;
    p[ahOff + 3] = 0;
    writeU32(p, ahOff + 4, spi);
    writeU32(p, ahOff + 8, seq % 0x1_0000_0000);
    p.fill(0, ahOff + 12, ahOff + ahSize);
    this.compute(p, len, hdrLen, seq);
    p.set(ICV.subarray(0, this.row.icvLen), ahOff + 12);
  }

  /** Verifies the ICV of a received packet (AH at ahOff, after hdrLen bytes of IP headers). */
  verify(p: Uint8Array, len: number, hdrLen: number, ahOff: number, seq: number): DropReason | undefined {
    const ahSize = (p[ahOff + 1]! + 2) * 4;
    if (ahSize < 12 + this.row.icvLen || ahOff + ahSize > len) return 'malformed';
    this.compute(p, len, hdrLen, seq, ahOff, ahSize);
    const got = p.subarray(ahOff + 12, ahOff + 12 + this.row.icvLen);
    return crypto.timingSafeEqual(got, ICV.subarray(0, this.row.icvLen)) ? undefined : 'bad-icv';
  }

  private compute(p: Uint8Array, len: number, hdrLen: number, seq: number, ahOff = -1, ahSize = 0): void {
    if (scratch.length < len) scratch = new Uint8Array(len + 1024);
    const s = scratch;
    s.set(p.subarray(0, len), 0);
    zeroMutable(s, hdrLen);
    if (ahOff >= 0) s.fill(0, ahOff + 12, ahOff + ahSize);
    writeU32(SEQ_HI, 0, Math.floor(seq / 0x1_0000_0000));
    this.macCtx.mac(s, 0, len, this.esn ? SEQ_HI : null, ICV, 0);
  }
}

