// Packet builders and shared fixtures for the data-plane tests.
import { readFixture } from '../helpers/paths.js';
import { nodeProvider, type CryptoProvider } from '../../src/dataplane/provider.js';
import { evpProvider } from '../../src/dataplane/evp.js';

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const json = <T>(name: string): T => JSON.parse(readFixture('dataplane', name).toString('utf8')) as T;

/** Both backends, so every vector checks node:crypto and libcrypto EVP alike. */
export function providers(): CryptoProvider[] {
  const evp = evpProvider();
  return evp ? [nodeProvider, evp] : [nodeProvider];
}

function csum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (b[off + i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function addrBytes(a: string): number[] {
  if (a.includes('.')) return a.split('.').map(Number);
  // Tests only use simple IPv6 forms "x:y::z".
  const [h, t] = a.split('::');
  const hg = h ? h.split(':') : [];
  const tg = t ? t.split(':') : [];
  const g = [...hg, ...Array(8 - hg.length - tg.length).fill('0'), ...tg].map((x) => parseInt(x, 16));
  return g.flatMap((x) => [x >> 8, x & 0xff]);
}

/** An IPv4 or IPv6 packet carrying `proto` with the given payload. */
export function ipPacket(src: string, dst: string, proto: number, payload: Uint8Array, opts: { ttl?: number; tos?: number } = {}): Uint8Array {
  const s = addrBytes(src);
  const d = addrBytes(dst);
  if (s.length === 4) {
    const p = new Uint8Array(20 + payload.length);
    p[0] = 0x45;
    p[1] = opts.tos ?? 0;
    p[2] = p.length >> 8;
    p[3] = p.length & 0xff;
    p[4] = 0x12;
    p[5] = 0x34;
    p[6] = 0x40; // DF
    p[8] = opts.ttl ?? 64;
    p[9] = proto;
    p.set(s, 12);
    p.set(d, 16);
    const c = csum(p, 0, 20);
    p[10] = c >> 8;
    p[11] = c & 0xff;
    p.set(payload, 20);
    return p;
  }
  const p = new Uint8Array(40 + payload.length);
  p[0] = 0x60 | ((opts.tos ?? 0) >> 4);
  p[1] = ((opts.tos ?? 0) & 0x0f) << 4 | 0x0a; // some flow label bits
  p[2] = 0xbc;
  p[3] = 0xde;
  p[4] = payload.length >> 8;
  p[5] = payload.length & 0xff;
  p[6] = proto;
  p[7] = opts.ttl ?? 64;
  p.set(s, 8);
  p.set(d, 24);
  p.set(payload, 40);
  return p;
}

export function icmpEcho(src: string, dst: string, id: number, size = 56): Uint8Array {
  const v6 = src.includes(':');
  const body = new Uint8Array(8 + size);
  body[0] = v6 ? 128 : 8;
  body[4] = id >> 8;
  body[5] = id & 0xff;
  for (let i = 0; i < size; i++) body[8 + i] = i & 0xff;
  return ipPacket(src, dst, v6 ? 58 : 1, body);
}

export function udpPacket(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  u[0] = sport >> 8;
  u[1] = sport & 0xff;
  u[2] = dport >> 8;
  u[3] = dport & 0xff;
  u[4] = u.length >> 8;
  u[5] = u.length & 0xff;
  u.set(data, 8);
  return ipPacket(src, dst, 17, u);
}
