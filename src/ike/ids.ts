// Identification payloads (RFC 2407 4.6.2): building them from config and printing them as isakmpd does.
import net from 'node:net';
import type { IdSpec } from './config.js';
import type { IdPayload } from '../isakmp/index.js';
import { PayloadType, IdType } from '../isakmp/numbers.js';

export type { IdPayload };

/** A 32-bit number as 4 big-endian bytes (SPIs, DPD sequence numbers). */
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};

/**
 * Dotted-quad text as 4 bytes, by hand: IDs are built from configured addresses several times per
 * handshake. Accepts what net.isIPv4 accepts (no leading zeros, each part 0-255), nothing else.
 */
function ipv4Bytes(a: string): Buffer | undefined {
  if (a.length < 7 || a.length > 15) return undefined;
  const b = Buffer.alloc(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= a.length; i++) {
    const c = i < a.length ? a.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      b[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return undefined; // a leading zero
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return undefined;
    } else return undefined;
  }
  return part === 4 ? b : undefined;
}

export function addrBytes(a: string): Buffer | undefined {
  const v4 = ipv4Bytes(a);
  if (v4) return v4;
  if (net.isIPv6(a)) {
    const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    // an embedded dotted quad is not expected in config IDs
    const fill = tail !== undefined ? Array(8 - h.length - t.length).fill('0') : [];
    const groups = [...h, ...fill, ...t];
    if (groups.length !== 8) return undefined;
    const b = Buffer.alloc(16);
    groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
    return b;
  }
  return undefined;
}

export function addrText(u: Uint8Array): string {
  if (u.length === 4) return `${u[0]}.${u[1]}.${u[2]}.${u[3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((u[i]! << 8) | u[i + 1]!).toString(16));
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

export function idFromSpec(s: IdSpec): IdPayload | undefined {
  const protocol = 'protocol' in s ? s.protocol ?? 0 : 0;
  const port = 'port' in s ? s.port ?? 0 : 0;
  const id = (data: Buffer): IdPayload => ({ type: PayloadType.ID, idType: IdType[s.type], protocol, port, data });
  switch (s.type) {
    case 'IPV4_ADDR':
    case 'IPV6_ADDR': {
      const b = addrBytes(s.address);
      if (!b || b.length !== (s.type === 'IPV4_ADDR' ? 4 : 16)) return undefined;
      return id(b);
    }
    case 'IPV4_ADDR_SUBNET':
    case 'IPV6_ADDR_SUBNET': {
      const n = addrBytes(s.network);
      const m = addrBytes(s.netmask);
      const len = s.type === 'IPV4_ADDR_SUBNET' ? 4 : 16;
      if (!n || !m || n.length !== len || m.length !== len) return undefined;
      const data = Buffer.alloc(2 * len);
      data.set(n, 0);
      data.set(m, len);
      return id(data);
    }
    default:
      return id(Buffer.from(s.name, 'utf8'));
  }
}

/** An address as an ID: the default when no ID section is configured. */
export const idForAddress = (address: string): IdPayload =>
  idFromSpec(net.isIPv6(address) ? { type: 'IPV6_ADDR', address } : { type: 'IPV4_ADDR', address: address })!;

const maskBits = (m: Uint8Array): number => [...m].reduce((n, b) => n + b.toString(2).replace(/0/g, '').length, 0);

/** "192.0.2.0/24", "198.51.100.7/32", "fqdn/host.example" and, with a protocol, ":17/500". */
export function idText(p: { idType: number; protocol: number; port: number; data: Uint8Array }): string {
  let s: string;
  const data = Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength); // a view, for the text encodings
  switch (p.idType) {
    case IdType.IPV4_ADDR:
    case IdType.IPV6_ADDR:
      s = p.data.length === 4 || p.data.length === 16 ? `${addrText(p.data)}/${p.data.length * 8}` : '<bad address>';
      break;
    case IdType.IPV4_ADDR_SUBNET:
    case IdType.IPV6_ADDR_SUBNET: {
      const h = p.data.length / 2;
      s = h === 4 || h === 16 ? `${addrText(p.data.subarray(0, h))}/${maskBits(p.data.subarray(h))}` : '<bad subnet>';
      break;
    }
    case IdType.FQDN:
      s = `fqdn/${data.toString('utf8')}`;
      break;
    case IdType.USER_FQDN:
      s = `ufqdn/${data.toString('utf8')}`;
      break;
    case IdType.KEY_ID:
      s = `keyid/${data.toString('hex')}`;
      break;
    default:
      s = `id${p.idType}/${data.toString('hex')}`;
  }
  return flat(p.protocol ? `${s}:${p.protocol}/${p.port}` : s);
}

/**
 * A sequential copy of a string built by concatenation: these texts stay in SA records (idI/idR, selectors),
 * and a tree of concatenations costs about twice the flat string. (Through UTF-8 and back: half the cost
 * of splitting into characters, and the texts never hold lone surrogates.)
 */
export const flat = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

export const sameId = (a: { idType: number; protocol: number; port: number; data: Uint8Array }, b: IdPayload): boolean =>
  a.idType === b.idType && a.protocol === b.protocol && a.port === b.port && Buffer.from(a.data).equals(b.data);

/** The ID payload body bytes that go into HASH_I/HASH_R and Quick Mode hashes. */
export function idBody(p: IdPayload): Buffer {
  const h = Buffer.alloc(4);
  h[0] = p.idType;
  h[1] = p.protocol;
  h.writeUInt16BE(p.port, 2);
  return Buffer.concat([h, p.data]);
}
