// UDP port 4500 demultiplexing (RFC 3948 section 2): IKE behind a 4-byte zero non-ESP marker,
// ESP starting with its non-zero SPI, or a one-byte 0xff NAT keepalive.

export type Udp4500 =
  | { kind: 'ike'; ike: Uint8Array }
  | { kind: 'esp'; spi: number; seq: number; esp: Uint8Array }
  | { kind: 'keepalive' }
  | { kind: 'invalid'; reason: string };

export const NON_ESP_MARKER = new Uint8Array(4);

export function classifyUdp4500(d: Uint8Array): Udp4500 {
  if (d.length === 1 && d[0] === 0xff) return { kind: 'keepalive' };
  if (d.length < 4) return { kind: 'invalid', reason: `${d.length}-byte datagram on port 4500` };
  const spi = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  if (spi === 0) return { kind: 'ike', ike: d.subarray(4) };
  if (d.length < 8) return { kind: 'invalid', reason: `ESP packet of ${d.length} bytes` };
  const seq = ((d[4]! << 24) | (d[5]! << 16) | (d[6]! << 8) | d[7]!) >>> 0;
  return { kind: 'esp', spi, seq, esp: d };
}

/** Prefix an IKE message with the non-ESP marker for sending on port 4500. */
export function addNonEspMarker(ike: Uint8Array): Uint8Array {
  const out = new Uint8Array(ike.length + 4);
  out.set(ike, 4);
  return out;
}

export const NAT_KEEPALIVE = Uint8Array.of(0xff);
