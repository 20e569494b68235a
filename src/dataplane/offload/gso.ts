// The read side of TUN offloads: the kernel hands us TCP super-packets of up to 64 KiB (gso_type TCPV4
// or TCPV6) and packets whose transport checksum it left for us to finish (NEEDS_CSUM). We cut the
// former into gso_size segments, each a complete packet the data plane protects as if the kernel had
// segmented it, and fill in the checksum of the latter.
import { fold, ipv4HeaderChecksum, pseudoSum, sumBytes } from './checksum.js';
import { VNET_F_NEEDS_CSUM, VNET_GSO_NONE, VNET_GSO_TCPV4, VNET_GSO_TCPV6, type VnetHdr } from './vnet.js';

const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;
const PROTO_TCP = 6;

/** Why a packet from the TUN could not be turned into plain packets. */
export type GsoError = 'malformed' | 'unsupported';

/**
 * Finishes a NEEDS_CSUM packet in place: the checksum field at csum_start + csum_offset holds the
 * pseudo-header sum, the rest is summed from csum_start to the end of the packet.
 */
export function completeChecksum(b: Uint8Array, dv: DataView, off: number, len: number, h: VnetHdr): boolean {
  const at = h.csumStart + h.csumOffset;
  if (h.csumStart >= len || at + 2 > len) return false;
  let c = ~fold(sumBytes(dv, off + h.csumStart, len - h.csumStart)) & 0xffff;
  // UDP (the field at offset 6) sends a computed zero as all ones: zero means "no checksum" there.
  if (c === 0 && h.csumOffset === 6) c = 0xffff;
  dv.setUint16(off + at, c);
  return true;
}

/**
 * Turns one packet read from an IFF_VNET_HDR TUN (the IP packet at src[off..off+len), its virtio
 * header already parsed into h) into the packets the wire would have carried, handed to emit one at a
 * time. Segments are built in `dst` (with `ddv` over it), which must hold 64 KiB; each is valid only
 * during its emit call. Packets that need nothing are handed over as they are (a view of src).
 */
export function segment(
  src: Uint8Array, sdv: DataView, off: number, len: number, h: VnetHdr,
  dst: Uint8Array, ddv: DataView, emit: (pkt: Uint8Array) => void,
): GsoError | undefined {
  const gso = h.gsoType & 0x7f;
  if (gso === VNET_GSO_NONE) {
    if (h.flags & VNET_F_NEEDS_CSUM && !completeChecksum(src, sdv, off, len, h)) return 'malformed';
    emit(src.subarray(off, off + len));
    return undefined;
  }
  if (gso !== VNET_GSO_TCPV4 && gso !== VNET_GSO_TCPV6) return 'unsupported';
  if (len < 1) return 'malformed';
  const v6 = src[off]! >> 4 === 6;
  if (v6 !== (gso === VNET_GSO_TCPV6) || (!v6 && src[off]! >> 4 !== 4)) return 'malformed';
  // Where TCP starts: the kernel says so in csum_start; without NEEDS_CSUM, from the IP header.
  let tcpOff: number;
  if (h.flags & VNET_F_NEEDS_CSUM) tcpOff = h.csumStart;
  else if (v6) tcpOff = 40;
  else tcpOff = (src[off]! & 0x0f) * 4;
  if (v6 ? tcpOff < 40 : tcpOff !== (src[off]! & 0x0f) * 4 || tcpOff < 20) return 'malformed';
  if ((v6 ? tcpOff === 40 && src[off + 6] !== PROTO_TCP : src[off + 9] !== PROTO_TCP) || tcpOff + 20 > len) return 'malformed';
  const thl = (src[off + tcpOff + 12]! >> 4) * 4;
  const hdrLen = tcpOff + thl;
  if (thl < 20 || hdrLen > len) return 'malformed';
  const payload = len - hdrLen;
  const mss = h.gsoSize;
  if (mss === 0) return 'malformed';
  const seq0 = sdv.getUint32(off + tcpOff + 4);
  const flags = src[off + tcpOff + 13]!;
  const id0 = v6 ? 0 : sdv.getUint16(off + 4);
  const head = src.subarray(off, off + hdrLen);
  for (let p = 0, i = 0; p < payload || i === 0; p += mss, i++) {
    const n = Math.min(mss, payload - p);
    const last = p + n >= payload;
    const segLen = hdrLen + n;
    dst.set(head, 0);
    dst.set(src.subarray(off + hdrLen + p, off + hdrLen + p + n), hdrLen);
    if (v6) ddv.setUint16(4, segLen - 40);
    else {
      ddv.setUint16(2, segLen);
      ddv.setUint16(4, (id0 + i) & 0xffff);
      ddv.setUint16(10, ipv4HeaderChecksum(ddv, 0, tcpOff));
    }
    ddv.setUint32(tcpOff + 4, (seq0 + p) % 0x1_0000_0000);
    let f = flags;
    if (!last) f &= ~(TCP_FIN | TCP_PSH);
    if (i > 0) f &= ~TCP_CWR;
    dst[tcpOff + 13] = f;
    ddv.setUint16(tcpOff + 16, 0);
    const s = sumBytes(ddv, tcpOff, segLen - tcpOff, pseudoSum(ddv, 0, v6, PROTO_TCP, segLen - tcpOff));
    ddv.setUint16(tcpOff + 16, ~fold(s) & 0xffff);
    emit(dst.subarray(0, segLen));
    if (last) break;
  }
  return undefined;
}
