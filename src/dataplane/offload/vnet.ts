// struct virtio_net_hdr (linux/virtio_net.h), the 10-byte prefix of every packet read from or written
// to a TUN device opened with IFF_VNET_HDR. Little-endian on the hosts we run on (x86-64, arm64: the
// TUN uses the host's order unless TUNSETVNETLE/BE says otherwise).

export const VNET_HDR_LEN = 10;

/** flags */
export const VNET_F_NEEDS_CSUM = 1;
/** gso_type */
export const VNET_GSO_NONE = 0;
export const VNET_GSO_TCPV4 = 1;
export const VNET_GSO_UDP = 3;
export const VNET_GSO_TCPV6 = 4;
export const VNET_GSO_UDP_L4 = 5;
export const VNET_GSO_ECN = 0x80;

export interface VnetHdr {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

export function readVnetHdr(b: Uint8Array, off: number, out: VnetHdr): VnetHdr {
  out.flags = b[off]!;
  out.gsoType = b[off + 1]!;
  out.hdrLen = b[off + 2]! | (b[off + 3]! << 8);
  out.gsoSize = b[off + 4]! | (b[off + 5]! << 8);
  out.csumStart = b[off + 6]! | (b[off + 7]! << 8);
  out.csumOffset = b[off + 8]! | (b[off + 9]! << 8);
  return out;
}

export function writeVnetHdr(b: Uint8Array, off: number, h: VnetHdr): void {
  b[off] = h.flags;
  b[off + 1] = h.gsoType;
  b[off + 2] = h.hdrLen & 0xff;
  b[off + 3] = h.hdrLen >> 8;
  b[off + 4] = h.gsoSize & 0xff;
  b[off + 5] = h.gsoSize >> 8;
  b[off + 6] = h.csumStart & 0xff;
  b[off + 7] = h.csumStart >> 8;
  b[off + 8] = h.csumOffset & 0xff;
  b[off + 9] = h.csumOffset >> 8;
}

/** A header saying "nothing to do": a complete packet with valid checksums, no segmentation. */
export function writeZeroVnetHdr(b: Uint8Array, off: number): void {
  b.fill(0, off, off + VNET_HDR_LEN);
}
