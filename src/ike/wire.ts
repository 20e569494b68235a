// Message model and the byte layout of the payloads the exchanges use (RFC 2408 section 3).
// Decoding is strict and returns a Refusal naming the notify instead of throwing.
import { HEADER_LEN, ISAKMP_VERSION, Payload, PAYLOAD_NAME } from './numbers.js';
import { refuse, type Refusal } from './types.js';

export interface Header {
  icookie: Buffer;
  rcookie: Buffer;
  nextPayload: number;
  version: number;
  exchange: number;
  flags: number;
  messageId: number;
  length: number;
}

export interface Attr {
  type: number;
  /** Basic (TV) attributes carry a number; variable (TLV) ones carry bytes. */
  value: number | Buffer;
}
export interface Transform {
  num: number;
  id: number;
  attrs: Attr[];
}
export interface Proposal {
  num: number;
  protocol: number;
  spi: Buffer;
  transforms: Transform[];
}

export type PayloadBody =
  | { type: typeof Payload.SA; doi: number; situation: number; proposals: Proposal[] }
  | { type: typeof Payload.ID; idType: number; protocol: number; port: number; data: Buffer }
  | { type: typeof Payload.N; doi: number; protocol: number; spi: Buffer; notifyType: number; data: Buffer }
  | { type: typeof Payload.D; doi: number; protocol: number; spiSize: number; spis: Buffer[] }
  | { type: number; data: Buffer };

/** A decoded payload keeps its exact bytes: hashes are computed over what was on the wire. */
export type DecodedPayload = PayloadBody & { raw: Buffer; body: Buffer };

export interface Message {
  header: Header;
  payloads: DecodedPayload[];
}

export const attrNum = (attrs: Attr[], type: number): number | undefined => {
  const a = attrs.find((x) => x.type === type);
  if (!a) return undefined;
  if (typeof a.value === 'number') return a.value;
  if (a.value.length === 0 || a.value.length > 6) return undefined;
  return a.value.readUIntBE(0, a.value.length);
};

// ---------- encode ----------

function encodeAttr(a: Attr): Buffer {
  if (typeof a.value === 'number' && a.value <= 0xffff) {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(0x8000 | a.type, 0);
    b.writeUInt16BE(a.value, 2);
    return b;
  }
  const v = typeof a.value === 'number' ? u32(a.value) : a.value;
  const b = Buffer.alloc(4);
  b.writeUInt16BE(a.type, 0);
  b.writeUInt16BE(v.length, 2);
  return Buffer.concat([b, v]);
}

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};

function generic(next: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = next;
  h.writeUInt16BE(body.length + 4, 2);
  return Buffer.concat([h, body]);
}

export function encodeSaBody(doi: number, situation: number, proposals: Proposal[]): Buffer {
  const props = proposals.map((p, pi) => {
    const ts = p.transforms.map((t, ti) => {
      const body = Buffer.concat([Buffer.from([t.num, t.id, 0, 0]), ...t.attrs.map(encodeAttr)]);
      return generic(ti === p.transforms.length - 1 ? 0 : Payload.T, body);
    });
    const head = Buffer.from([p.num, p.protocol, p.spi.length, p.transforms.length]);
    return generic(pi === proposals.length - 1 ? 0 : Payload.P, Buffer.concat([head, p.spi, ...ts]));
  });
  return Buffer.concat([u32(doi), u32(situation), ...props]);
}

/** Body bytes (after the generic header) of one payload. */
export function encodeBody(p: PayloadBody): Buffer {
  switch (p.type) {
    case Payload.SA: {
      const sa = p as Extract<PayloadBody, { situation: number }>;
      return encodeSaBody(sa.doi, sa.situation, sa.proposals);
    }
    case Payload.ID: {
      const id = p as Extract<PayloadBody, { idType: number }>;
      const h = Buffer.alloc(4);
      h[0] = id.idType;
      h[1] = id.protocol;
      h.writeUInt16BE(id.port, 2);
      return Buffer.concat([h, id.data]);
    }
    case Payload.N: {
      const n = p as Extract<PayloadBody, { notifyType: number }>;
      const h = Buffer.alloc(8);
      h.writeUInt32BE(n.doi, 0);
      h[4] = n.protocol;
      h[5] = n.spi.length;
      h.writeUInt16BE(n.notifyType, 6);
      return Buffer.concat([h, n.spi, n.data]);
    }
    case Payload.D: {
      const d = p as Extract<PayloadBody, { spis: Buffer[] }>;
      const h = Buffer.alloc(8);
      h.writeUInt32BE(d.doi, 0);
      h[4] = d.protocol;
      h[5] = d.spiSize;
      h.writeUInt16BE(d.spis.length, 6);
      return Buffer.concat([h, ...d.spis]);
    }
    default:
      return Buffer.from((p as { data: Buffer }).data);
  }
}

/** Encodes a payload chain; returns each payload's full bytes (generic header included) too. */
export function encodePayloads(ps: PayloadBody[]): { bytes: Buffer; each: Buffer[] } {
  const each = ps.map((p, i) => generic(i + 1 < ps.length ? ps[i + 1]!.type : 0, encodeBody(p)));
  return { bytes: Buffer.concat(each), each };
}

export function encodeHeader(h: Omit<Header, 'length' | 'version'> & { version?: number }, bodyLength: number): Buffer {
  const b = Buffer.alloc(HEADER_LEN);
  h.icookie.copy(b, 0);
  h.rcookie.copy(b, 8);
  b[16] = h.nextPayload;
  b[17] = h.version ?? ISAKMP_VERSION;
  b[18] = h.exchange;
  b[19] = h.flags;
  b.writeUInt32BE(h.messageId >>> 0, 20);
  b.writeUInt32BE(HEADER_LEN + bodyLength, 24);
  return b;
}

// ---------- decode ----------

export function decodeHeader(d: Uint8Array): Header | Refusal {
  if (d.length < HEADER_LEN) return refuse('PAYLOAD_MALFORMED', `short datagram (${d.length} bytes)`, 'silent');
  const b = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  const h: Header = {
    icookie: Buffer.from(b.subarray(0, 8)),
    rcookie: Buffer.from(b.subarray(8, 16)),
    nextPayload: b[16]!,
    version: b[17]!,
    exchange: b[18]!,
    flags: b[19]!,
    messageId: b.readUInt32BE(20),
    length: b.readUInt32BE(24),
  };
  if (h.version >> 4 !== 1) return refuse('INVALID_MAJOR_VERSION', `major version ${h.version >> 4}`, 'silent');
  if (h.length !== d.length) return refuse('UNEQUAL_PAYLOAD_LENGTHS', `header length ${h.length} != datagram ${d.length}`, 'silent');
  if (h.icookie.every((x) => x === 0)) return refuse('INVALID_COOKIE', 'zero initiator cookie', 'silent');
  if (h.flags & ~0x07) return refuse('INVALID_FLAGS', `flags 0x${h.flags.toString(16)}`);
  return h;
}

function decodeAttrs(b: Buffer): Attr[] | Refusal {
  const out: Attr[] = [];
  let o = 0;
  while (o < b.length) {
    if (o + 4 > b.length) return refuse('PAYLOAD_MALFORMED', 'truncated attribute');
    const t = b.readUInt16BE(o);
    const lv = b.readUInt16BE(o + 2);
    if (t & 0x8000) {
      out.push({ type: t & 0x7fff, value: lv });
      o += 4;
    } else {
      if (o + 4 + lv > b.length) return refuse('PAYLOAD_MALFORMED', 'attribute overruns transform');
      out.push({ type: t, value: Buffer.from(b.subarray(o + 4, o + 4 + lv)) });
      o += 4 + lv;
    }
  }
  return out;
}

function decodeSa(body: Buffer): PayloadBody | Refusal {
  if (body.length < 8) return refuse('PAYLOAD_MALFORMED', 'short SA payload');
  const doi = body.readUInt32BE(0);
  const situation = body.readUInt32BE(4);
  const proposals: Proposal[] = [];
  let o = 8;
  let next: number = body.length > 8 ? Payload.P : 0;
  while (o < body.length) {
    if (next !== Payload.P) return refuse('BAD_PROPOSAL_SYNTAX', 'SA payload holds a non-proposal');
    if (o + 8 > body.length) return refuse('BAD_PROPOSAL_SYNTAX', 'truncated proposal');
    next = body[o]!;
    const plen = body.readUInt16BE(o + 2);
    if (plen < 8 || o + plen > body.length) return refuse('BAD_PROPOSAL_SYNTAX', 'proposal length out of range');
    const num = body[o + 4]!;
    const protocol = body[o + 5]!;
    const spiSize = body[o + 6]!;
    const ntrans = body[o + 7]!;
    if (8 + spiSize > plen) return refuse('BAD_PROPOSAL_SYNTAX', 'SPI overruns proposal');
    const spi = Buffer.from(body.subarray(o + 8, o + 8 + spiSize));
    const transforms: Transform[] = [];
    let t = o + 8 + spiSize;
    let tnext: number = Payload.T;
    while (t < o + plen) {
      if (tnext !== Payload.T) return refuse('BAD_PROPOSAL_SYNTAX', 'proposal holds a non-transform');
      if (t + 8 > o + plen) return refuse('BAD_PROPOSAL_SYNTAX', 'truncated transform');
      tnext = body[t]!;
      const tlen = body.readUInt16BE(t + 2);
      if (tlen < 8 || t + tlen > o + plen) return refuse('BAD_PROPOSAL_SYNTAX', 'transform length out of range');
      const attrs = decodeAttrs(body.subarray(t + 8, t + tlen));
      if (!Array.isArray(attrs)) return attrs;
      transforms.push({ num: body[t + 4]!, id: body[t + 5]!, attrs });
      t += tlen;
    }
    if (tnext !== 0) return refuse('BAD_PROPOSAL_SYNTAX', 'transform chain not terminated');
    if (transforms.length !== ntrans) return refuse('BAD_PROPOSAL_SYNTAX', `proposal says ${ntrans} transforms, holds ${transforms.length}`);
    proposals.push({ num, protocol, spi, transforms });
    o += plen;
  }
  if (next !== 0) return refuse('BAD_PROPOSAL_SYNTAX', 'proposal chain not terminated');
  if (proposals.length === 0) return refuse('BAD_PROPOSAL_SYNTAX', 'SA without proposals');
  return { type: Payload.SA, doi, situation, proposals };
}

function decodeBody(type: number, body: Buffer): PayloadBody | Refusal {
  switch (type) {
    case Payload.SA:
      return decodeSa(body);
    case Payload.ID:
      if (body.length < 4) return refuse('PAYLOAD_MALFORMED', 'short ID payload');
      return { type, idType: body[0]!, protocol: body[1]!, port: body.readUInt16BE(2), data: Buffer.from(body.subarray(4)) };
    case Payload.N: {
      if (body.length < 8) return refuse('PAYLOAD_MALFORMED', 'short notify payload');
      const spiSize = body[5]!;
      if (8 + spiSize > body.length) return refuse('PAYLOAD_MALFORMED', 'notify SPI overruns payload');
      return {
        type, doi: body.readUInt32BE(0), protocol: body[4]!, notifyType: body.readUInt16BE(6),
        spi: Buffer.from(body.subarray(8, 8 + spiSize)), data: Buffer.from(body.subarray(8 + spiSize)),
      };
    }
    case Payload.D: {
      if (body.length < 8) return refuse('PAYLOAD_MALFORMED', 'short delete payload');
      const spiSize = body[5]!;
      const n = body.readUInt16BE(6);
      if (8 + spiSize * n !== body.length) return refuse('PAYLOAD_MALFORMED', 'delete payload SPI count disagrees with length');
      const spis: Buffer[] = [];
      for (let i = 0; i < n; i++) spis.push(Buffer.from(body.subarray(8 + i * spiSize, 8 + (i + 1) * spiSize)));
      return { type, doi: body.readUInt32BE(0), protocol: body[4]!, spiSize, spis };
    }
    default:
      return { type, data: Buffer.from(body) };
  }
}

/** Payload types a message may carry at top level (RFC 2408 3.1 plus NAT-T). */
const TOP_LEVEL = new Set<number>([1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 20, 21, 130, 131]);

/** Decodes the payload chain that starts with `first`; trailing bytes after the last payload are padding. */
export function decodePayloads(first: number, b: Buffer): DecodedPayload[] | Refusal {
  const out: DecodedPayload[] = [];
  let next = first;
  let o = 0;
  while (next !== 0) {
    if (!TOP_LEVEL.has(next)) return refuse('INVALID_PAYLOAD_TYPE', `payload type ${next} not allowed here`);
    if (out.length >= 64) return refuse('PAYLOAD_MALFORMED', 'too many payloads');
    if (o + 4 > b.length) return refuse('PAYLOAD_MALFORMED', `truncated ${PAYLOAD_NAME[next] ?? next} header`);
    if (b[o + 1] !== 0) return refuse('PAYLOAD_MALFORMED', 'reserved byte not zero');
    const len = b.readUInt16BE(o + 2);
    if (len < 4 || o + len > b.length) return refuse('PAYLOAD_MALFORMED', `${PAYLOAD_NAME[next] ?? next} length ${len} out of range`);
    const raw = Buffer.from(b.subarray(o, o + len));
    const body = raw.subarray(4);
    const p = decodeBody(next, body);
    if ('notify' in p) return p;
    out.push({ ...p, raw, body } as DecodedPayload);
    next = b[o]!;
    o += len;
  }
  return out;
}

export const payloadsOf = <T extends PayloadBody>(m: { payloads: DecodedPayload[] }, type: number): (T & DecodedPayload)[] =>
  m.payloads.filter((p) => p.type === type) as (T & DecodedPayload)[];
