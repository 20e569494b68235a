// Hand-built TCP/UDP packets for the offload tests, with checksums from a plain byte-at-a-time
// reference (independent of src/dataplane/offload/checksum.ts).

/** RFC 1071, one 16-bit word at a time, folded after each addition. */
export function refSum(bytes: ArrayLike<number>, init = 0): number {
  let s = init;
  for (let i = 0; i < bytes.length; i += 2) {
    s += (bytes[i]! << 8) | (i + 1 < bytes.length ? bytes[i + 1]! : 0);
    s = (s & 0xffff) + (s >>> 16);
  }
  return s;
}

export const refChecksum = (bytes: ArrayLike<number>, init = 0): number => ~refSum(bytes, init) & 0xffff;

export const V4_SRC = [192, 0, 2, 1];
export const V4_DST = [198, 51, 100, 1];
export const V6_SRC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
export const V6_DST = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

export interface TcpSpec {
  v6?: boolean;
  src?: number[];
  dst?: number[];
  sport?: number;
  dport?: number;
  seq: number;
  ack?: number;
  flags?: number;
  window?: number;
  options?: number[];
  payload: Uint8Array;
  id?: number;
  ttl?: number;
  tos?: number;
}

export const ACK = 0x10;
export const PSH = 0x08;
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const URG = 0x20;
export const CWR = 0x80;

/** Pseudo-header words (RFC 793 / RFC 8200) as bytes, for the reference sum. */
export function pseudo(v6: boolean, src: number[], dst: number[], proto: number, len: number): number[] {
  return v6
    ? [...src, ...dst, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, 0, 0, 0, proto]
    : [...src, ...dst, 0, proto, len >> 8, len & 0xff];
}

/** A complete, valid IPv4 or IPv6 TCP packet. */
export function tcpPacket(t: TcpSpec): Uint8Array {
  const v6 = t.v6 ?? false;
  const src = t.src ?? (v6 ? V6_SRC : V4_SRC);
  const dst = t.dst ?? (v6 ? V6_DST : V4_DST);
  const opts = t.options ?? [];
  const thl = 20 + opts.length;
  const tcp = new Uint8Array(thl + t.payload.length);
  const sp = t.sport ?? 40000;
  const dp = t.dport ?? 5201;
  const seq = t.seq >>> 0;
  const ack = (t.ack ?? 0x01020304) >>> 0;
  const win = t.window ?? 502;
  tcp.set([sp >> 8, sp & 0xff, dp >> 8, dp & 0xff, seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff,
    ack >>> 24, (ack >>> 16) & 0xff, (ack >>> 8) & 0xff, ack & 0xff, (thl / 4) << 4, t.flags ?? ACK, win >> 8, win & 0xff, 0, 0, 0, 0]);
  tcp.set(opts, 20);
  tcp.set(t.payload, thl);
  const c = refChecksum(tcp, refSum(pseudo(v6, src, dst, 6, tcp.length)));
  tcp[16] = c >> 8;
  tcp[17] = c & 0xff;
  return withIp(v6, src, dst, 6, tcp, t.id ?? 0x1234, t.ttl ?? 64, t.tos ?? 0);
}

export function withIp(v6: boolean, src: number[], dst: number[], proto: number, body: Uint8Array, id = 0x1234, ttl = 64, tos = 0): Uint8Array {
  if (v6) {
    const p = new Uint8Array(40 + body.length);
    p.set([0x60 | (tos >> 4), (tos & 0x0f) << 4, 0, 0, body.length >> 8, body.length & 0xff, proto, ttl, ...src, ...dst]);
    p.set(body, 40);
    return p;
  }
  const p = new Uint8Array(20 + body.length);
  const tot = p.length;
  p.set([0x45, tos, tot >> 8, tot & 0xff, id >> 8, id & 0xff, 0x40, 0, ttl, proto, 0, 0, ...src, ...dst]);
  const c = refChecksum(p.subarray(0, 20));
  p[10] = c >> 8;
  p[11] = c & 0xff;
  p.set(body, 20);
  return p;
}

/** A valid UDP packet. */
export function udpPacket(v6: boolean, payload: Uint8Array, sport = 5000, dport = 6000): Uint8Array {
  const src = v6 ? V6_SRC : V4_SRC;
  const dst = v6 ? V6_DST : V4_DST;
  const u = new Uint8Array(8 + payload.length);
  u.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, u.length >> 8, u.length & 0xff, 0, 0]);
  u.set(payload, 8);
  let c = refChecksum(u, refSum(pseudo(v6, src, dst, 17, u.length)));
  if (c === 0) c = 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return withIp(v6, src, dst, 17, u);
}

/** Whether an IP packet's IPv4 header checksum (if any) and TCP/UDP checksum verify, by the reference. */
export function checksumsValid(p: Uint8Array): boolean {
  const v6 = p[0]! >> 4 === 6;
  const hl = v6 ? 40 : (p[0]! & 0x0f) * 4;
  if (!v6 && refSum(p.subarray(0, hl)) !== 0xffff) return false;
  const proto = v6 ? p[6]! : p[9]!;
  const src = [...p.subarray(v6 ? 8 : 12, v6 ? 24 : 16)];
  const dst = [...p.subarray(v6 ? 24 : 16, v6 ? 40 : 20)];
  return refSum(p.subarray(hl), refSum(pseudo(v6, src, dst, proto, p.length - hl))) === 0xffff;
}

/** Deterministic payload bytes. */
export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** The NOP NOP timestamp option (12 bytes). */
export const tsOption = (val: number, ecr: number): number[] => [1, 1, 8, 10, val >>> 24, (val >>> 16) & 0xff, (val >>> 8) & 0xff, val & 0xff, ecr >>> 24, (ecr >>> 16) & 0xff, (ecr >>> 8) & 0xff, ecr & 0xff];

/** The TCP header offset, flags, sequence number and payload of a packet. */
export function tcpFields(p: Uint8Array): { tcpOff: number; flags: number; seq: number; payload: Uint8Array; id: number; totalLen: number } {
  const v6 = p[0]! >> 4 === 6;
  const tcpOff = v6 ? 40 : (p[0]! & 0x0f) * 4;
  const thl = (p[tcpOff + 12]! >> 4) * 4;
  const seq = ((p[tcpOff + 4]! << 24) | (p[tcpOff + 5]! << 16) | (p[tcpOff + 6]! << 8) | p[tcpOff + 7]!) >>> 0;
  return {
    tcpOff,
    flags: p[tcpOff + 13]!,
    seq,
    payload: p.subarray(tcpOff + thl),
    id: v6 ? 0 : (p[4]! << 8) | p[5]!,
    totalLen: v6 ? 40 + ((p[4]! << 8) | p[5]!) : (p[2]! << 8) | p[3]!,
  };
}
