// A small reader for the classic pcap files tcpdump writes (Ethernet or Linux cooked, IPv4, UDP and ESP),
// enough to pull each IKE message's exact bytes out of a capture.

export interface PcapPacket {
  frame: number; // 1-based, as tshark numbers frames
  timeUs: number; // microseconds since the first packet
  src: string;
  dst: string;
  proto: 'udp' | 'esp' | 'other';
  sport?: number;
  dport?: number;
  /** UDP payload, or the IP payload for ESP. */
  payload: Buffer;
}

const ipv4 = (b: Buffer, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

export function readPcap(data: Buffer): PcapPacket[] {
  if (data.length < 24) throw new Error('pcap: file too short');
  const magic = data.readUInt32LE(0);
  let le: boolean;
  let nanos = false;
  if (magic === 0xa1b2c3d4) le = true;
  else if (magic === 0xa1b23c4d) (le = true), (nanos = true);
  else if (data.readUInt32BE(0) === 0xa1b2c3d4) le = false;
  else if (data.readUInt32BE(0) === 0xa1b23c4d) (le = false), (nanos = true);
  else throw new Error('pcap: not a classic pcap file (pcapng is not read here)');
  const u32 = (o: number): number => (le ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const linktype = u32(20);
  const out: PcapPacket[] = [];
  let off = 24;
  let frame = 0;
  let t0: number | undefined;
  while (off + 16 <= data.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    off += 16;
    if (off + incl > data.length) throw new Error(`pcap: truncated record at frame ${frame + 1}`);
    const pkt = data.subarray(off, off + incl);
    off += incl;
    frame++;
    const t = sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
    t0 ??= t;
    let ip: number;
    if (linktype === 1) ip = 14; // Ethernet
    else if (linktype === 113) ip = 16; // Linux cooked v1
    else if (linktype === 101) ip = 0; // raw IP
    else throw new Error(`pcap: link type ${linktype} not supported`);
    if ((pkt[ip]! >> 4) !== 4) {
      out.push({ frame, timeUs: t - t0, src: '', dst: '', proto: 'other', payload: Buffer.alloc(0) });
      continue;
    }
    const ihl = (pkt[ip]! & 0x0f) * 4;
    const total = pkt.readUInt16BE(ip + 2);
    const proto = pkt[ip + 9]!;
    const src = ipv4(pkt, ip + 12);
    const dst = ipv4(pkt, ip + 16);
    const body = pkt.subarray(ip + ihl, ip + total);
    if (proto === 17) {
      out.push({ frame, timeUs: t - t0, src, dst, proto: 'udp', sport: body.readUInt16BE(0), dport: body.readUInt16BE(2), payload: Buffer.from(body.subarray(8)) });
    } else if (proto === 50) {
      out.push({ frame, timeUs: t - t0, src, dst, proto: 'esp', payload: Buffer.from(body) });
    } else {
      out.push({ frame, timeUs: t - t0, src, dst, proto: 'other', payload: Buffer.from(body) });
    }
  }
  return out;
}

export type WireKind = 'isakmp' | 'esp-in-udp' | 'esp' | 'nat-keepalive' | 'other';

/**
 * Classifies a packet per RFC 3948: on UDP 4500 a zero non-ESP marker precedes ISAKMP, a single 0xff byte
 * is a NAT keepalive, anything else is ESP. Returns the ISAKMP message without the marker.
 */
export function classify(p: PcapPacket): { kind: WireKind; isakmp?: Buffer } {
  if (p.proto === 'esp') return { kind: 'esp' };
  if (p.proto !== 'udp') return { kind: 'other' };
  if (p.sport === 4500 || p.dport === 4500) {
    if (p.payload.length === 1 && p.payload[0] === 0xff) return { kind: 'nat-keepalive' };
    if (p.payload.length >= 4 && p.payload.readUInt32BE(0) === 0) return { kind: 'isakmp', isakmp: p.payload.subarray(4) };
    return { kind: 'esp-in-udp' };
  }
  if (p.sport === 500 || p.dport === 500) return { kind: 'isakmp', isakmp: p.payload };
  return { kind: 'other' };
}
