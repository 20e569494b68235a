// Packet capture files: a reader for libpcap (both byte orders, micro- and nanosecond) and pcapng,
// with link-layer, IPv4/IPv6 and UDP extraction; and a writer for libpcap files of synthetic
// IPv4/IPv6 + UDP packets (the daemon's plaintext IKE capture). Pure functions over bytes; the
// caller reads and writes the files.

export const LinkType = Object.freeze({
  NULL: 0,
  EN10MB: 1,
  RAW_OLD: 12, // DLT_RAW on some BSDs
  RAW_14: 14, // DLT_RAW on OpenBSD
  LOOP: 108,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
});

export class PcapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcapFormatError';
  }
}

export interface CaptureFrame {
  /** 1-based frame number, as Wireshark counts */
  frame: number;
  /** seconds since the epoch, with fraction */
  time: number;
  linkType: number;
  /** captured bytes of the frame */
  data: Uint8Array;
  /** original length on the wire */
  origLength: number;
}

/** Read every frame of a libpcap or pcapng file. Throws PcapFormatError for a broken file header. */
export function readCapture(file: Uint8Array): CaptureFrame[] {
  if (file.length < 4) throw new PcapFormatError('file too short for a capture header');
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic === 0x0a0d0d0a) return readPcapng(file, dv);
  return readPcap(file, dv);
}

function readPcap(file: Uint8Array, dv: DataView): CaptureFrame[] {
  if (file.length < 24) throw new PcapFormatError('file too short for a pcap header');
  const be = dv.getUint32(0, false);
  const le = dv.getUint32(0, true);
  let little: boolean;
  let nano: boolean;
  if (be === 0xa1b2c3d4 || be === 0xa1b23c4d) [little, nano] = [false, be === 0xa1b23c4d];
  else if (le === 0xa1b2c3d4 || le === 0xa1b23c4d) [little, nano] = [true, le === 0xa1b23c4d];
  else throw new PcapFormatError(`not a pcap or pcapng file (magic ${be.toString(16).padStart(8, '0')})`);
  const linkType = dv.getUint32(20, little) & 0x0fffffff; // upper bits carry FCS information
  const frames: CaptureFrame[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const sec = dv.getUint32(off, little);
    const frac = dv.getUint32(off + 4, little);
    const incl = dv.getUint32(off + 8, little);
    const orig = dv.getUint32(off + 12, little);
    off += 16;
    const take = Math.min(incl, file.length - off); // a truncated last record keeps what is there
    frames.push({ frame: frames.length + 1, time: sec + frac / (nano ? 1e9 : 1e6), linkType, data: file.subarray(off, off + take), origLength: orig });
    off += take;
  }
  return frames;
}

function readPcapng(file: Uint8Array, dv: DataView): CaptureFrame[] {
  const frames: CaptureFrame[] = [];
  let little = true;
  let ifaces: Array<{ linkType: number; tsUnit: number }> = [];
  let off = 0;
  while (off + 12 <= file.length) {
    const typeBE = dv.getUint32(off, false);
    if (typeBE === 0x0a0d0d0a) {
      const bom = dv.getUint32(off + 8, true);
      if (bom === 0x1a2b3c4d) little = true;
      else if (bom === 0x4d3c2b1a) little = false;
      else throw new PcapFormatError('pcapng section header with a bad byte-order magic');
      ifaces = [];
    }
    const type = dv.getUint32(off, little);
    const len = dv.getUint32(off + 4, little);
    if (len < 12 || len % 4 !== 0 || off + len > file.length) {
      if (frames.length === 0 && off === 0) throw new PcapFormatError(`pcapng block of bad length ${len}`);
      break; // truncated tail: keep what was read
    }
    const body = off + 8;
    const bodyEnd = off + len - 4;
    if (type === 1 && bodyEnd - body >= 8) {
      // Interface Description Block: link type, snaplen, options (if_tsresol = 9)
      const linkType = dv.getUint16(body, little);
      let tsUnit = 1e-6;
      let o = body + 8;
      while (o + 4 <= bodyEnd) {
        const code = dv.getUint16(o, little);
        const olen = dv.getUint16(o + 2, little);
        if (code === 0) break;
        if (code === 9 && olen >= 1 && o + 4 < bodyEnd) {
          const r = file[o + 4]!;
          tsUnit = r & 0x80 ? 2 ** -(r & 0x7f) : 10 ** -(r & 0x7f);
        }
        o += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ linkType, tsUnit });
    } else if (type === 6 && bodyEnd - body >= 20) {
      const ifId = dv.getUint32(body, little);
      const ts = dv.getUint32(body + 4, little) * 2 ** 32 + dv.getUint32(body + 8, little);
      const cap = dv.getUint32(body + 12, little);
      const orig = dv.getUint32(body + 16, little);
      const start = body + 20;
      const iface = ifaces[ifId] ?? { linkType: LinkType.EN10MB, tsUnit: 1e-6 };
      frames.push({
        frame: frames.length + 1,
        time: ts * iface.tsUnit,
        linkType: iface.linkType,
        data: file.subarray(start, Math.min(start + cap, bodyEnd)),
        origLength: orig,
      });
    } else if (type === 3 && bodyEnd - body >= 4) {
      const orig = dv.getUint32(body, little);
      const iface = ifaces[0] ?? { linkType: LinkType.EN10MB, tsUnit: 1e-6 };
      frames.push({ frame: frames.length + 1, time: 0, linkType: iface.linkType, data: file.subarray(body + 4, Math.min(body + 4 + orig, bodyEnd)), origLength: orig });
    }
    off += len;
  }
  return frames;
}

export interface UdpDatagram {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  ipVersion: 4 | 6;
  payload: Uint8Array;
  /** set when the UDP payload is shorter than the UDP header says (snaplen or a broken packet) */
  truncated?: boolean;
}

export type Extracted = { udp: UdpDatagram } | { skip: string };

/** Strip the link layer and IP; return the UDP datagram, or why this frame is not one. */
export function extractUdp(frame: Pick<CaptureFrame, 'linkType' | 'data'>): Extracted {
  const d = frame.data;
  let off: number;
  let etherType: number | undefined; // undefined: decide from the IP version nibble
  switch (frame.linkType) {
    case LinkType.EN10MB: {
      if (d.length < 14) return { skip: 'short Ethernet frame' };
      off = 12;
      etherType = (d[off]! << 8) | d[off + 1]!;
      off += 2;
      while ((etherType === 0x8100 || etherType === 0x88a8) && off + 4 <= d.length) {
        etherType = (d[off + 2]! << 8) | d[off + 3]!;
        off += 4;
      }
      break;
    }
    case LinkType.RAW:
    case LinkType.RAW_OLD:
    case LinkType.RAW_14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      off = 0;
      break;
    case LinkType.LINUX_SLL:
      if (d.length < 16) return { skip: 'short SLL header' };
      etherType = (d[14]! << 8) | d[15]!;
      off = 16;
      break;
    case LinkType.LINUX_SLL2:
      if (d.length < 20) return { skip: 'short SLL2 header' };
      etherType = (d[0]! << 8) | d[1]!;
      off = 20;
      break;
    case LinkType.NULL:
    case LinkType.LOOP: {
      if (d.length < 4) return { skip: 'short loopback header' };
      off = 4; // the family is host-order (NULL) or network-order (LOOP); the IP version nibble decides
      break;
    }
    default:
      return { skip: `link type ${frame.linkType} not supported` };
  }
  if (etherType !== undefined && etherType !== 0x0800 && etherType !== 0x86dd) return { skip: `ethertype 0x${etherType.toString(16)}` };
  return extractIp(d.subarray(off));
}

export function extractIp(p: Uint8Array): Extracted {
  if (p.length < 1) return { skip: 'empty IP packet' };
  const v = p[0]! >> 4;
  if (v === 4) {
    if (p.length < 20) return { skip: 'short IPv4 header' };
    const ihl = (p[0]! & 0x0f) * 4;
    if (ihl < 20 || ihl > p.length) return { skip: 'bad IPv4 header length' };
    const total = (p[2]! << 8) | p[3]!;
    const frag = ((p[6]! << 8) | p[7]!) & 0x3fff;
    if (p[9] !== 17) return { skip: `IP protocol ${p[9]}` };
    if (frag !== 0) return { skip: 'IPv4 fragment' };
    const end = Math.min(p.length, total >= ihl ? total : p.length);
    return udp(p.subarray(ihl, end), ipv4Text(p.subarray(12, 16)), ipv4Text(p.subarray(16, 20)), 4);
  }
  if (v === 6) {
    if (p.length < 40) return { skip: 'short IPv6 header' };
    let next = p[6]!;
    let off = 40;
    const plen = (p[4]! << 8) | p[5]!;
    const end = Math.min(p.length, 40 + plen);
    // Skip the extension headers a capture may show before UDP.
    for (let hops = 0; hops < 8 && (next === 0 || next === 43 || next === 60 || next === 44); hops++) {
      if (off + 8 > end) return { skip: 'short IPv6 extension header' };
      if (next === 44) {
        const fo = ((p[off + 2]! << 8) | p[off + 3]!) & 0xfff8;
        const more = p[off + 3]! & 1;
        if (fo !== 0 || more) return { skip: 'IPv6 fragment' };
        next = p[off]!;
        off += 8;
      } else {
        const n = p[off]!;
        off += (p[off + 1]! + 1) * 8;
        next = n;
      }
    }
    if (next !== 17) return { skip: `IPv6 next header ${next}` };
    return udp(p.subarray(off, end), ipv6Text(p.subarray(8, 24)), ipv6Text(p.subarray(24, 40)), 6);
  }
  return { skip: `IP version ${v}` };
}

function udp(u: Uint8Array, src: string, dst: string, ipVersion: 4 | 6): Extracted {
  if (u.length < 8) return { skip: 'short UDP header' };
  const sport = (u[0]! << 8) | u[1]!;
  const dport = (u[2]! << 8) | u[3]!;
  const len = (u[4]! << 8) | u[5]!;
  const want = len >= 8 ? len : u.length;
  const payload = u.subarray(8, Math.min(u.length, want));
  return { udp: { src, dst, sport, dport, ipVersion, payload, ...(want > u.length ? { truncated: true } : {}) } };
}

export function ipv4Text(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text form. */
export function ipv6Text(b: Uint8Array): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${ipv4Text(b.subarray(12))}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const parts = g.map((x) => x.toString(16));
  if (bestStart < 0) return parts.join(':');
  return `${parts.slice(0, bestStart).join(':')}::${parts.slice(bestStart + bestLen).join(':')}`;
}

// --- writing --------------------------------------------------------------------------------------

/** The 24-byte libpcap global header (little-endian, microseconds). */
export function writePcapHeader(linkType: number = LinkType.RAW, snaplen = 65535): Uint8Array {
  const b = new Uint8Array(24);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, linkType, true);
  return b;
}

/** One libpcap record: 16-byte record header plus the frame. `timeMs` is milliseconds since the epoch. */
export function pcapRecord(frame: Uint8Array, timeMs: number): Uint8Array {
  const b = new Uint8Array(16 + frame.length);
  const dv = new DataView(b.buffer);
  const sec = Math.floor(timeMs / 1000);
  dv.setUint32(0, sec >>> 0, true);
  dv.setUint32(4, Math.round((timeMs - sec * 1000) * 1000) % 1_000_000, true);
  dv.setUint32(8, frame.length, true);
  dv.setUint32(12, frame.length, true);
  b.set(frame, 16);
  return b;
}

function parseIp(addr: string): Uint8Array {
  // Sockets report zones ("fe80::1%eth0") and IPv4-mapped addresses ("::ffff:198.18.0.1").
  const a = addr.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) return parseIp(mapped[1]!);
  if (a.includes(':')) {
    const [head, tail] = a.includes('::') ? a.split('::') as [string, string] : [a, undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    if (groups.length !== 8) throw new RangeError(`bad IPv6 address ${a}`);
    const out = new Uint8Array(16);
    groups.forEach((g, i) => {
      const v = parseInt(g, 16);
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(`bad IPv6 address ${a}`);
      out[2 * i] = v >> 8;
      out[2 * i + 1] = v & 0xff;
    });
    return out;
  }
  const parts = a.split('.').map(Number);
  if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new RangeError(`bad IPv4 address ${a}`);
  return Uint8Array.from(parts);
}

function sum16(b: Uint8Array, acc = 0): number {
  for (let i = 0; i + 1 < b.length; i += 2) acc += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) acc += b[b.length - 1]! << 8;
  return acc;
}
function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

export interface UdpEndpoints {
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

/** A synthetic IPv4 or IPv6 packet carrying `payload` in UDP, with valid checksums. */
export function ipUdpPacket(ep: UdpEndpoints, payload: Uint8Array): Uint8Array {
  let src = parseIp(ep.src);
  let dst = parseIp(ep.dst);
  if (src.length !== dst.length) {
    // one side IPv4, the other IPv6: write both as IPv6, the IPv4 one mapped
    const map = (b: Uint8Array) => (b.length === 16 ? b : Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b]));
    src = map(src);
    dst = map(dst);
  }
  const ulen = 8 + payload.length;
  const u = new Uint8Array(ulen);
  u[0] = ep.sport >> 8;
  u[1] = ep.sport & 0xff;
  u[2] = ep.dport >> 8;
  u[3] = ep.dport & 0xff;
  u[4] = ulen >> 8;
  u[5] = ulen & 0xff;
  u.set(payload, 8);
  const pseudo = sum16(src) + sum16(dst) + 17 + ulen;
  let ck = fold(sum16(u, pseudo));
  if (ck === 0) ck = 0xffff;
  u[6] = ck >> 8;
  u[7] = ck & 0xff;
  if (src.length === 4) {
    const ip = new Uint8Array(20 + ulen);
    ip[0] = 0x45;
    ip[2] = (20 + ulen) >> 8;
    ip[3] = (20 + ulen) & 0xff;
    ip[6] = 0x40; // DF
    ip[8] = 64;
    ip[9] = 17;
    ip.set(src, 12);
    ip.set(dst, 16);
    const hc = fold(sum16(ip.subarray(0, 20)));
    ip[10] = hc >> 8;
    ip[11] = hc & 0xff;
    ip.set(u, 20);
    return ip;
  }
  const ip = new Uint8Array(40 + ulen);
  ip[0] = 0x60;
  ip[4] = ulen >> 8;
  ip[5] = ulen & 0xff;
  ip[6] = 17;
  ip[7] = 64;
  ip.set(src, 8);
  ip.set(dst, 24);
  ip.set(u, 40);
  return ip;
}

/** Builds a capture incrementally: `header()` once, then one `record()` per datagram. */
export class PcapWriter {
  constructor(readonly linkType: number = LinkType.RAW) {
    if (linkType !== LinkType.RAW && linkType !== LinkType.EN10MB) throw new RangeError('PcapWriter writes RAW or EN10MB only');
  }
  header(): Uint8Array {
    return writePcapHeader(this.linkType);
  }
  record(ep: UdpEndpoints, payload: Uint8Array, timeMs: number): Uint8Array {
    const ip = ipUdpPacket(ep, payload);
    if (this.linkType === LinkType.RAW) return pcapRecord(ip, timeMs);
    const eth = new Uint8Array(14 + ip.length);
    eth.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1], 0); // locally administered MACs
    const v6 = ip[0]! >> 4 === 6;
    eth[12] = v6 ? 0x86 : 0x08;
    eth[13] = v6 ? 0xdd : 0x00;
    eth.set(ip, 14);
    return pcapRecord(eth, timeMs);
  }
}
