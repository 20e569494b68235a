// Minimal IPv4/IPv6 header handling for the packet path: find the upper-layer protocol and ports for
// SPD lookup, build outer headers, and fix lengths and checksums.

export const PROTO_IPV4 = 4;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_IPV6 = 41;
export const PROTO_ESP = 50;
export const PROTO_AH = 51;
export const PROTO_ICMP = 1;
export const PROTO_ICMPV6 = 58;
export const PROTO_SCTP = 132;
export const PROTO_NONE = 59;

const V6_EXT = new Set([0, 43, 44, 60]);

/** Parsed view of an IP packet; offsets into the same buffer, no copies. */
export interface IpView {
  version: 4 | 6;
  hdrLen: number; // IPv4 header length, or IPv6 base + extension headers before the upper layer
  totalLen: number;
  proto: number; // upper-layer protocol (after IPv6 extension headers)
  /** Offset of the byte holding `proto` (IPv4: 9; IPv6: the last next-header field). */
  protoFieldOff: number;
  srcOff: number;
  dstOff: number;
  addrLen: 4 | 16;
  sport: number;
  dport: number;
  /** True for a non-first fragment: no ports available. */
  fragment: boolean;
}

/** Returns undefined for anything too short or inconsistent. */
export function parseIp(p: Uint8Array, out?: IpView): IpView | undefined {
  if (p.length < 1) return undefined;
  const v = p[0]! >> 4;
  const r = out ?? ({} as IpView);
  if (v === 4) {
    if (p.length < 20) return undefined;
    const ihl = (p[0]! & 0x0f) * 4;
    const tot = (p[2]! << 8) | p[3]!;
    if (ihl < 20 || tot < ihl || tot > p.length) return undefined;
    r.version = 4;
    r.hdrLen = ihl;
    r.totalLen = tot;
    r.proto = p[9]!;
    r.protoFieldOff = 9;
    r.srcOff = 12;
    r.dstOff = 16;
    r.addrLen = 4;
    const fragOff = ((p[6]! & 0x1f) << 8) | p[7]!;
    r.fragment = fragOff !== 0;
  } else if (v === 6) {
    if (p.length < 40) return undefined;
    const tot = 40 + ((p[4]! << 8) | p[5]!);
    if (tot > p.length) return undefined;
    let nh = p[6]!;
    let nhOff = 6;
    let off = 40;
    let frag = false;
    while (V6_EXT.has(nh)) {
      if (off + 8 > tot) return undefined;
      if (nh === 44) {
        frag = frag || (((p[off + 2]! << 8) | p[off + 3]!) & 0xfff8) !== 0;
        nhOff = off;
        nh = p[off]!;
        off += 8;
      } else {
        nhOff = off;
        const len = (p[off + 1]! + 1) * 8;
        nh = p[off]!;
        off += len;
      }
      if (off > tot) return undefined;
    }
    r.version = 6;
    r.hdrLen = off;
    r.totalLen = tot;
    r.proto = nh;
    r.protoFieldOff = nhOff;
    r.srcOff = 8;
    r.dstOff = 24;
    r.addrLen = 16;
    r.fragment = frag;
  } else return undefined;
  r.sport = 0;
  r.dport = 0;
  if (!r.fragment && (r.proto === PROTO_TCP || r.proto === PROTO_UDP || r.proto === PROTO_SCTP)) {
    if (r.hdrLen + 4 <= r.totalLen) {
      r.sport = (p[r.hdrLen]! << 8) | p[r.hdrLen + 1]!;
      r.dport = (p[r.hdrLen + 2]! << 8) | p[r.hdrLen + 3]!;
    }
  } else if (!r.fragment && (r.proto === PROTO_ICMP || r.proto === PROTO_ICMPV6)) {
    // As RFC 4301 4.4.1.1: ICMP type and code take the places of the ports.
    if (r.hdrLen + 2 <= r.totalLen) {
      r.sport = p[r.hdrLen]!;
      r.dport = p[r.hdrLen + 1]!;
    }
  }
  return r;
}

export function ipv4Checksum(p: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (p[off + i]! << 8) | (p[off + i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function setIpv4Checksum(p: Uint8Array, off = 0): void {
  const ihl = (p[off]! & 0x0f) * 4;
  p[off + 10] = 0;
  p[off + 11] = 0;
  const c = ipv4Checksum(p, off, ihl);
  p[off + 10] = c >> 8;
  p[off + 11] = c & 0xff;
}

let ipId = 1;

/** Writes an outer IP header at `off`; payloadLen is what follows it. Returns the header length. */
export function writeOuterHeader(
  buf: Uint8Array,
  off: number,
  src: Uint8Array,
  dst: Uint8Array,
  proto: number,
  payloadLen: number,
  tos = 0,
): number {
  if (src.length === 4) {
    const tot = 20 + payloadLen;
    buf[off] = 0x45;
    buf[off + 1] = tos;
    buf[off + 2] = tot >> 8;
    buf[off + 3] = tot & 0xff;
    ipId = (ipId + 1) & 0xffff;
    buf[off + 4] = ipId >> 8;
    buf[off + 5] = ipId & 0xff;
    buf[off + 6] = 0;
    buf[off + 7] = 0;
    buf[off + 8] = 64;
    buf[off + 9] = proto;
    buf.set(src, off + 12);
    buf.set(dst, off + 16);
    setIpv4Checksum(buf, off);
    return 20;
  }
  buf[off] = 0x60 | (tos >> 4);
  buf[off + 1] = (tos & 0x0f) << 4;
  buf[off + 2] = 0;
  buf[off + 3] = 0;
  buf[off + 4] = payloadLen >> 8;
  buf[off + 5] = payloadLen & 0xff;
  buf[off + 6] = proto;
  buf[off + 7] = 64;
  buf.set(src, off + 8);
  buf.set(dst, off + 24);
  return 40;
}

/** Traffic class / TOS byte of an IP packet, copied to the outer header in tunnel mode (RFC 4301 5.1.2). */
export function tosOf(p: Uint8Array): number {
  return p[0]! >> 4 === 4 ? p[1]! : ((p[0]! & 0x0f) << 4) | (p[1]! >> 4);
}

/** After changing an IP packet's length: fix total length (v4, with checksum) or payload length (v6). */
export function setTotalLength(p: Uint8Array, tot: number): void {
  if (p[0]! >> 4 === 4) {
    p[2] = tot >> 8;
    p[3] = tot & 0xff;
    setIpv4Checksum(p);
  } else {
    const pl = tot - 40;
    p[4] = pl >> 8;
    p[5] = pl & 0xff;
  }
}

/**
 * Splits an IPv4 packet into fragments of at most `mtu` bytes (RFC 791), calling `emit` with each
 * fragment written into `scratch` (reused: the caller sends or copies it before the next call).
 * Only headers without options are split, and never a packet with DF set; those come back as false,
 * like a packet that already fits (which is emitted unchanged). Fragmenting the outer packet after ESP
 * lets the plaintext side use a large MTU: one read, one seal and one write per large segment instead
 * of one per wire-sized packet, without GSO; the peer's kernel reassembles before ESP sees it.
 */
export function fragmentIpv4(pkt: Uint8Array, mtu: number, scratch: Uint8Array, emit: (frag: Uint8Array) => void): boolean {
  const tot = (pkt[2]! << 8) | pkt[3]!;
  if (tot <= mtu) {
    emit(pkt.subarray(0, tot));
    return true;
  }
  const hl = (pkt[0]! & 0x0f) * 4;
  const flags = pkt[6]!;
  if (pkt[0]! >> 4 !== 4 || hl !== 20 || flags & 0x40 || mtu < 28 || scratch.length < mtu) return false;
  const baseOff = ((flags & 0x1f) << 8) | pkt[7]!; // already a fragment: offsets continue from it
  const lastMf = flags & 0x20;
  const chunk = (mtu - hl) & ~7;
  for (let at = hl; at < tot; at += chunk) {
    const n = Math.min(chunk, tot - at);
    const last = at + n >= tot;
    scratch.set(pkt.subarray(0, hl), 0);
    scratch.set(pkt.subarray(at, at + n), hl);
    const len = hl + n;
    scratch[2] = len >> 8;
    scratch[3] = len & 0xff;
    const off = baseOff + ((at - hl) >> 3);
    scratch[6] = ((last ? lastMf : 0x20) | (off >> 8)) & 0xff;
    scratch[7] = off & 0xff;
    setIpv4Checksum(scratch, 0);
    emit(scratch.subarray(0, len));
  }
  return true;
}
