// The write side of TUN offloads (GRO in userspace): packets decrypted in one burst are queued here,
// consecutive in-order TCP segments of one flow are merged into a super-packet the kernel takes in a
// single write (virtio header GSO TCPV4/TCPV6, CHECKSUM_PARTIAL), and everything goes out at flush(),
// in arrival order per flow. A packet that does not qualify, or whose checksums are wrong (so the
// kernel drops it as it would have), is written alone and unchanged behind a zero virtio header.
import { fold, ipv4HeaderChecksum, pseudoSum, sumBytes } from './checksum.js';
import { VNET_F_NEEDS_CSUM, VNET_GSO_TCPV4, VNET_GSO_TCPV6, VNET_HDR_LEN, writeVnetHdr, writeZeroVnetHdr } from './vnet.js';

const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
const PROTO_TCP = 6;
const MAX_IP = 65535;
const H = VNET_HDR_LEN;

interface Item {
  buf: Uint8Array;
  dv: DataView;
  /** IP bytes held at buf[H..H+len). */
  len: number;
  /** A TCP segment more may be appended. */
  open: boolean;
  /** Eligible TCP: the fields below are meaningful. */
  tcp: boolean;
  /** Where the ports are for any TCP packet (-1: not TCP; -2: a TCP fragment, addresses only). */
  flowOff: number;
  v6: boolean;
  tcpOff: number;
  hdrLen: number;
  mss: number;
  segs: number;
  nextSeq: number;
  nextId: number;
}

export interface CoalescerStats {
  /** Writes made, and how many packets they carried. */
  writes: number;
  packets: number;
}

/**
 * Collects packets (add) and writes them (flush) through `write`, which receives the virtio header and
 * the packet in one view, valid only during the call. At most `maxItems` writes are held; reaching it
 * flushes early.
 */
export class TcpCoalescer {
  private readonly items: Item[] = [];
  private readonly pool: Item[] = [];
  private used = 0;
  readonly stats: CoalescerStats = { writes: 0, packets: 0 };

  constructor(
    private readonly write: (frame: Uint8Array) => void,
    // 16 held writes of up to 64 KiB each: enough for the few flows a drain carries, 1 MiB at most.
    private readonly maxItems = 16,
  ) {}

  get pending(): number {
    return this.used;
  }

  /** Queues a copy of an IP packet. */
  add(pkt: Uint8Array): void {
    this.stats.packets++;
    const len = pkt.length;
    const t = tcpShape(pkt);
    if (t) {
      // Only the newest item of the same flow may take it: appending to an older one would reorder.
      // Any packet of the flow in between (a pure ACK, a FIN, one that failed its checksum) ends it.
      for (let k = this.used - 1; k >= 0; k--) {
        const it = this.items[k]!;
        if (!sameFlow(it, pkt, t.v6, t.tcpOff)) continue;
        if (it.open && this.append(it, pkt, t.v6, t.tcpOff, t.hdrLen)) return;
        break;
      }
    }
    const it = this.take();
    it.flowOff = t ? t.tcpOff : tcpPortsAt(pkt);
    it.buf.set(pkt, H);
    it.len = len;
    it.segs = 1;
    it.tcp = t !== undefined && checksumsOk(it.dv, H, len, t.v6, t.tcpOff);
    if (it.tcp) {
      it.v6 = t!.v6;
      it.tcpOff = t!.tcpOff;
      it.hdrLen = t!.hdrLen;
      it.mss = len - t!.hdrLen;
      it.nextSeq = (it.dv.getUint32(H + t!.tcpOff + 4) + it.mss) % 0x1_0000_0000;
      it.nextId = t!.v6 ? 0 : (it.dv.getUint16(H + 4) + 1) & 0xffff;
      it.open = (pkt[t!.tcpOff + 13]! & TCP_PSH) === 0;
    } else it.open = false;
    if (this.used >= this.maxItems) this.flush();
  }

  /** Writes everything held, in order. */
  flush(): void {
    const n = this.used;
    this.used = 0;
    for (let k = 0; k < n; k++) {
      const it = this.items[k]!;
      if (it.segs > 1) finishSuper(it);
      else writeZeroVnetHdr(it.buf, 0);
      this.stats.writes++;
      this.write(it.buf.subarray(0, H + it.len));
    }
  }

  private take(): Item {
    let it = this.items[this.used];
    if (!it) {
      const buf = new Uint8Array(H + MAX_IP + 40);
      it = { buf, dv: new DataView(buf.buffer), len: 0, open: false, tcp: false, flowOff: -1, v6: false, tcpOff: 0, hdrLen: 0, mss: 0, segs: 0, nextSeq: 0, nextId: 0 };
      this.items.push(it);
    }
    this.used++;
    return it;
  }

  private lastBuf?: ArrayBufferLike;
  private lastDv?: DataView;

  /** A DataView over the whole buffer under pkt; packets come from one reused buffer, so it is cached. */
  private viewOf(pkt: Uint8Array): DataView {
    if (pkt.buffer !== this.lastBuf) {
      this.lastBuf = pkt.buffer;
      this.lastDv = new DataView(pkt.buffer);
    }
    return this.lastDv!;
  }

  private append(it: Item, pkt: Uint8Array, v6: boolean, tcpOff: number, hdrLen: number): boolean {
    const n = pkt.length - hdrLen;
    if (v6 !== it.v6 || tcpOff !== it.tcpOff || hdrLen !== it.hdrLen || n > it.mss || it.len + n > (v6 ? MAX_IP + 40 : MAX_IP)) return false;
    const b = it.buf;
    const o = H;
    // Every header byte must match the first segment's, except lengths, IPv4 ID and checksum, TCP
    // sequence number, checksum and PSH.
    if (v6) {
      for (let i = 0; i < 4; i++) if (b[o + i] !== pkt[i]) return false;
      for (let i = 6; i < 40; i++) if (b[o + i] !== pkt[i]) return false;
    } else {
      if (b[o] !== pkt[0] || b[o + 1] !== pkt[1]) return false;
      for (let i = 6; i < 10; i++) if (b[o + i] !== pkt[i]) return false;
      if (((pkt[4]! << 8) | pkt[5]!) !== it.nextId) return false;
    }
    const t = o + tcpOff;
    for (let i = 0; i < 4; i++) if (b[t + i] !== pkt[tcpOff + i]) return false;
    if (((pkt[tcpOff + 4]! << 24) >>> 0) + ((pkt[tcpOff + 5]! << 16) | (pkt[tcpOff + 6]! << 8) | pkt[tcpOff + 7]!) !== it.nextSeq) return false;
    for (let i = 8; i < 13; i++) if (b[t + i] !== pkt[tcpOff + i]) return false;
    const flags = pkt[tcpOff + 13]!;
    if ((flags & ~TCP_PSH) !== b[t + 13]) return false;
    if (b[t + 14] !== pkt[tcpOff + 14] || b[t + 15] !== pkt[tcpOff + 15] || b[t + 18] !== pkt[tcpOff + 18] || b[t + 19] !== pkt[tcpOff + 19]) return false;
    for (let i = 20; i < hdrLen - tcpOff; i++) if (b[t + i] !== pkt[tcpOff + i]) return false;
    // Checked last, on a copy in place: a segment the kernel would drop must stay alone and unchanged.
    b.set(pkt.subarray(hdrLen), o + it.len);
    if (!checksumsOk(this.viewOf(pkt), pkt.byteOffset, pkt.length, v6, tcpOff)) return false;
    it.len += n;
    it.segs++;
    it.nextSeq = (it.nextSeq + n) % 0x1_0000_0000;
    it.nextId = (it.nextId + 1) & 0xffff;
    if (flags & TCP_PSH) b[t + 13] = b[t + 13]! | TCP_PSH;
    if (flags & TCP_PSH || n < it.mss) it.open = false;
    return true;
  }
}

/**
 * Whether a packet can be part of a super-packet: IPv4 without options or fragmentation, or IPv6
 * without extension headers; TCP with payload and only ACK (and PSH) set; lengths consistent.
 */
export function tcpShape(p: Uint8Array): { v6: boolean; tcpOff: number; hdrLen: number } | undefined {
  const len = p.length;
  if (len < 40) return undefined;
  const ver = p[0]! >> 4;
  let tcpOff: number;
  if (ver === 4) {
    if (p[0] !== 0x45 || p[9] !== PROTO_TCP || ((p[2]! << 8) | p[3]!) !== len || (p[6]! & 0x3f) !== 0 || p[7] !== 0) return undefined;
    tcpOff = 20;
  } else if (ver === 6) {
    if (len < 60 || p[6] !== PROTO_TCP || 40 + ((p[4]! << 8) | p[5]!) !== len) return undefined;
    tcpOff = 40;
  } else return undefined;
  const hdrLen = tcpOff + (p[tcpOff + 12]! >> 4) * 4;
  if (hdrLen < tcpOff + 20 || hdrLen >= len) return undefined;
  const flags = p[tcpOff + 13]!;
  if ((flags & ~TCP_PSH) !== TCP_ACK) return undefined;
  return { v6: ver === 6, tcpOff, hdrLen };
}

/** Offset of the TCP header of any IP packet carrying TCP (-2 for a fragment, -1 when not TCP). */
function tcpPortsAt(p: Uint8Array): number {
  const ver = p[0]! >> 4;
  if (ver === 4 && p.length >= 20) {
    if (p[9] !== PROTO_TCP) return -1;
    if ((p[6]! & 0x3f) !== 0 || p[7] !== 0) return -2;
    const off = (p[0]! & 0x0f) * 4;
    return off >= 20 && off + 4 <= p.length ? off : -2;
  }
  if (ver === 6 && p.length >= 40) {
    if (p[6] === PROTO_TCP) return p.length >= 44 ? 40 : -2;
    // Extension headers: leave to the conservative address-only match.
    return p[6] === 0 || p[6] === 43 || p[6] === 44 || p[6] === 60 ? -2 : -1;
  }
  return -1;
}

/** Same addresses and ports (addresses alone against a TCP fragment). */
function sameFlow(it: Item, p: Uint8Array, v6: boolean, tcpOff: number): boolean {
  if (it.flowOff === -1 || (it.buf[H]! >> 4 === 6) !== v6) return false;
  const b = it.buf;
  const a0 = v6 ? 8 : 12;
  const a1 = v6 ? 40 : 20;
  for (let i = a0; i < a1; i++) if (b[H + i] !== p[i]) return false;
  if (it.flowOff === -2) return true;
  for (let i = 0; i < 4; i++) if (b[H + it.flowOff + i] !== p[tcpOff + i]) return false;
  return true;
}

function checksumsOk(dv: DataView, off: number, len: number, v6: boolean, tcpOff: number): boolean {
  if (!v6 && ipv4HeaderChecksum(dv, off, 20) !== dv.getUint16(off + 10)) return false;
  return fold(sumBytes(dv, off + tcpOff, len - tcpOff, pseudoSum(dv, off, v6, PROTO_TCP, len - tcpOff))) === 0xffff;
}


/** Turns a merged item into one GSO write: lengths, IPv4 header checksum, partial TCP checksum. */
function finishSuper(it: Item): void {
  const dv = it.dv;
  if (it.v6) dv.setUint16(H + 4, it.len - 40);
  else {
    dv.setUint16(H + 2, it.len);
    dv.setUint16(H + 10, ipv4HeaderChecksum(dv, H, 20));
  }
  const tcpLen = it.len - it.tcpOff;
  // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum; the kernel trusts the rest, which
  // every merged segment's own checksum has vouched for.
  dv.setUint16(H + it.tcpOff + 16, fold(pseudoSum(dv, H, it.v6, PROTO_TCP, tcpLen)));
  writeVnetHdr(it.buf, 0, {
    flags: VNET_F_NEEDS_CSUM,
    gsoType: it.v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4,
    hdrLen: it.hdrLen,
    gsoSize: it.mss,
    csumStart: it.tcpOff,
    csumOffset: 16,
  });
}
