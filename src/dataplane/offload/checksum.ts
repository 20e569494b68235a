// The Internet checksum (RFC 1071) for segmentation and coalescing of TCP/UDP packets: sums are kept
// as plain JS numbers of big-endian 32-bit words (exact up to 2^53, far beyond a 64 KiB packet) and
// folded to 16 bits only at the end.

/** Adds the bytes buf[off..off+len) to `acc` as big-endian 16-bit words; unfolded result. */
export function sumBytes(dv: DataView, off: number, len: number, acc = 0): number {
  let s = acc;
  let i = off;
  const end4 = off + (len & ~3);
  // Four bytes at a time: a 32-bit word is two 16-bit words, and the carries fold back in later.
  while (i < end4) {
    s += dv.getUint32(i);
    i += 4;
  }
  const end = off + len;
  if (i + 2 <= end) {
    s += dv.getUint16(i);
    i += 2;
  }
  if (i < end) s += dv.getUint8(i) << 8;
  return s;
}

/** Folds an unfolded sum into 16 bits (end-around carry). */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/**
 * The pseudo-header sum (RFC 793/768 for IPv4, RFC 8200 section 8.1 for IPv6) of an IP packet whose
 * addresses sit at their usual offsets, for `proto` and an upper-layer length of `len`; unfolded.
 */
export function pseudoSum(dv: DataView, ipOff: number, v6: boolean, proto: number, len: number): number {
  const s = v6 ? sumBytes(dv, ipOff + 8, 32) : sumBytes(dv, ipOff + 12, 8);
  return s + proto + (len % 0x10000) + Math.floor(len / 0x10000);
}

/** The IPv4 header checksum over `hl` bytes at `off`, with the checksum field taken as zero. */
export function ipv4HeaderChecksum(dv: DataView, off: number, hl: number): number {
  const s = sumBytes(dv, off, hl) - dv.getUint16(off + 10);
  return ~fold(s) & 0xffff;
}
