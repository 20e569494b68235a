// Byte layouts of the payload bodies (the part after the 4-byte generic payload header), as a table
// from payload type to {decode, encode}. Strict: lengths must agree at every level, reserved fields
// must be zero, counts are bounded, and each failure names the notify type to answer with.
import { NotifyType, PayloadType, Doi, Situation } from './numbers.js';
import { Reader, Writer } from './reader.js';
import type {
  DataAttribute,
  Payload,
  Proposal,
  SaPayload,
  Transform,
} from './types.js';

export const LIMITS = Object.freeze({
  /** payloads in one message or decrypted body */
  payloads: 128,
  proposals: 64,
  transformsPerProposal: 64,
  attributes: 128,
  deleteSpis: 4096,
});

const AF_TV = 0x8000;

// --- data attributes (RFC 2408 3.3) ---------------------------------------------------------------

export function decodeAttributes(r: Reader, what: string): DataAttribute[] {
  const out: DataAttribute[] = [];
  while (r.remaining > 0) {
    if (out.length >= LIMITS.attributes) r.fail(NotifyType.PAYLOAD_MALFORMED, `${what}: more than ${LIMITS.attributes} attributes`);
    if (r.remaining < 4) r.fail(NotifyType.PAYLOAD_MALFORMED, `${what}: ${r.remaining} stray bytes after the last attribute`);
    const t = r.u16('attribute type');
    if (t & AF_TV) {
      out.push({ type: t & 0x7fff, value: r.u16('attribute value') });
    } else {
      const len = r.u16('attribute length');
      if (len > r.remaining) r.fail(NotifyType.PAYLOAD_MALFORMED, `${what}: attribute ${t} length ${len} exceeds its container`, r.pos - 2);
      out.push({ type: t, value: r.bytes(len, 'attribute value') });
    }
  }
  return out;
}

export function encodeAttributes(w: Writer, attrs: readonly DataAttribute[]): void {
  for (const a of attrs) {
    if (!Number.isInteger(a.type) || a.type < 0 || a.type > 0x7fff) throw new RangeError(`attribute type out of range: ${a.type}`);
    if (typeof a.value === 'number') {
      w.u16(a.type | AF_TV);
      w.u16(a.value);
    } else {
      w.u16(a.type);
      w.u16(a.value.length);
      w.bytes(a.value);
    }
  }
}

/**
 * Build an attribute from a number the way peers expect: TV when it fits 16 bits, otherwise TLV
 * with the shortest 4- or 8-byte big-endian value (RFC 2409 sends lifetimes this way).
 */
export function attr(type: number, value: number | bigint | Uint8Array): DataAttribute {
  if (value instanceof Uint8Array) return { type, value };
  const v = BigInt(value);
  if (v < 0n) throw new RangeError(`attribute value negative: ${v}`);
  if (v <= 0xffffn) return { type, value: Number(v) };
  const n = v <= 0xffffffffn ? 4 : 8;
  const out = new Uint8Array(n);
  let x = v;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  if (x !== 0n) throw new RangeError(`attribute value too large: ${v}`);
  return { type, value: out };
}

/** The numeric value of an attribute (TV, or TLV up to 8 bytes); undefined for longer values. */
export function attrNumber(a: DataAttribute): number | bigint | undefined {
  if (typeof a.value === 'number') return a.value;
  if (a.value.length > 8) return undefined;
  let v = 0n;
  for (const b of a.value) v = (v << 8n) | BigInt(b);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

// --- SA / proposal / transform (RFC 2408 3.4-3.6, RFC 2407 4.6.1) --------------------------------

function decodeSa(r: Reader): SaPayload {
  const doi = r.u32('SA DOI');
  if (doi !== Doi.IPSEC && doi !== Doi.ISAKMP) r.fail(NotifyType.DOI_NOT_SUPPORTED, `SA DOI ${doi} not supported`, r.pos - 4);
  const situation = r.u32('SA situation');
  // Secrecy and integrity situations carry labelled-domain data nobody implements (isakmpd neither).
  if (situation & (Situation.SECRECY | Situation.INTEGRITY) || situation > 7)
    r.fail(NotifyType.SITUATION_NOT_SUPPORTED, `situation 0x${situation.toString(16)} not supported`, r.pos - 4);
  const proposals: Proposal[] = [];
  let next: number = PayloadType.PROPOSAL;
  if (r.remaining === 0) r.fail(NotifyType.BAD_PROPOSAL_SYNTAX, 'SA without proposals');
  while (next !== PayloadType.NONE) {
    if (next !== PayloadType.PROPOSAL) r.fail(NotifyType.BAD_PROPOSAL_SYNTAX, `payload ${next} inside SA where a proposal belongs`);
    if (proposals.length >= LIMITS.proposals) r.fail(NotifyType.BAD_PROPOSAL_SYNTAX, `more than ${LIMITS.proposals} proposals`);
    const start = r.pos;
    const [n, body] = genericHeader(r, 'proposal', NotifyType.BAD_PROPOSAL_SYNTAX);
    next = n;
    const p = decodeProposal(body);
    const prev = proposals[proposals.length - 1];
    if (prev && p.number < prev.number) r.fail(NotifyType.BAD_PROPOSAL_SYNTAX, `proposal numbers decrease (${prev.number} then ${p.number})`, start);
    proposals.push(p);
  }
  if (r.remaining !== 0) r.fail(NotifyType.UNEQUAL_PAYLOAD_LENGTHS, `${r.remaining} bytes after the last proposal`);
  return { type: PayloadType.SA, doi, situation, proposals };
}

function decodeProposal(r: Reader): Proposal {
  const number = r.u8('proposal number');
  const protocol = r.u8('protocol id');
  const spiSize = r.u8('SPI size');
  const count = r.u8('number of transforms');
  const spi = r.bytes(spiSize, 'proposal SPI');
  if (count === 0) r.fail(NotifyType.BAD_PROPOSAL_SYNTAX, 'proposal without transforms', r.pos - 1 - spiSize);
  const transforms: Transform[] = [];
  let next: number = PayloadType.TRANSFORM;
  while (next !== PayloadType.NONE) {
    if (next !== PayloadType.TRANSFORM) r.fail(NotifyType.BAD_PROPOSAL_SYNTAX, `payload ${next} inside a proposal where a transform belongs`);
    if (transforms.length >= count) r.fail(NotifyType.BAD_PROPOSAL_SYNTAX, `more transforms than the ${count} announced`);
    const [n, body] = genericHeader(r, 'transform', NotifyType.BAD_PROPOSAL_SYNTAX);
    next = n;
    const tnum = body.u8('transform number');
    const id = body.u8('transform id');
    if (body.u16('transform reserved') !== 0) body.fail(NotifyType.PAYLOAD_MALFORMED, 'transform RESERVED2 not zero', body.pos - 2);
    transforms.push({ number: tnum, id, attributes: decodeAttributes(body, 'transform') });
  }
  if (transforms.length !== count) r.fail(NotifyType.BAD_PROPOSAL_SYNTAX, `proposal announces ${count} transforms, carries ${transforms.length}`);
  if (r.remaining !== 0) r.fail(NotifyType.UNEQUAL_PAYLOAD_LENGTHS, `${r.remaining} bytes after the last transform`);
  return { number, protocol, spi, transforms };
}

function encodeSa(w: Writer, p: SaPayload): void {
  w.u32(p.doi);
  w.u32(p.situation);
  p.proposals.forEach((prop, i) => {
    const last = i === p.proposals.length - 1;
    const h = beginGeneric(w, last ? PayloadType.NONE : PayloadType.PROPOSAL);
    w.u8(prop.number);
    w.u8(prop.protocol);
    w.u8(prop.spi.length);
    w.u8(prop.transforms.length);
    w.bytes(prop.spi);
    prop.transforms.forEach((t, j) => {
      const th = beginGeneric(w, j === prop.transforms.length - 1 ? PayloadType.NONE : PayloadType.TRANSFORM);
      w.u8(t.number);
      w.u8(t.id);
      w.u16(0);
      encodeAttributes(w, t.attributes);
      endGeneric(w, th);
    });
    endGeneric(w, h);
  });
}

// --- generic payload header (RFC 2408 3.2) -----------------------------------------------------

/** Reads next-payload, RESERVED and length; returns the next type and a reader over the body. */
export function genericHeader(r: Reader, what: string, shortNotify: number = NotifyType.PAYLOAD_MALFORMED): [number, Reader] {
  const start = r.pos;
  if (r.remaining < 4) r.fail(shortNotify, `${what}: truncated generic header (${r.remaining} bytes)`);
  const next = r.u8('next payload');
  if (r.u8('reserved') !== 0) r.fail(NotifyType.PAYLOAD_MALFORMED, `${what}: RESERVED not zero`, start + 1);
  const len = r.u16('payload length');
  if (len < 4) r.fail(NotifyType.PAYLOAD_MALFORMED, `${what}: length ${len} shorter than its header`, start + 2);
  if (len - 4 > r.remaining) r.fail(NotifyType.UNEQUAL_PAYLOAD_LENGTHS, `${what}: length ${len} runs past its container (${r.remaining + 4} bytes left)`, start + 2);
  return [next, r.sub(len - 4, what)];
}

export function beginGeneric(w: Writer, next: number): number {
  const at = w.len;
  w.u8(next);
  w.u8(0);
  w.u16(0);
  return at;
}

export function endGeneric(w: Writer, at: number): void {
  w.set16(at + 2, w.len - at);
}

// --- the table ----------------------------------------------------------------------------------

interface BodyCodec {
  decode(r: Reader, type: number): Payload;
  encode(w: Writer, p: Payload): void;
}

const dataOnly: BodyCodec = {
  decode: (r, type) => ({ type, data: r.rest('payload data') }) as Payload,
  encode: (w, p) => w.bytes((p as { data: Uint8Array }).data),
};

function typed<P extends Payload>(decode: (r: Reader, type: number) => P, encode: (w: Writer, p: P) => void): BodyCodec {
  return { decode, encode: (w, p) => encode(w, p as P) };
}

const natOa = typed(
  (r, type) => {
    const idType = r.u8('NAT-OA ID type');
    if (r.u8('reserved') !== 0 || r.u16('reserved') !== 0) r.fail(NotifyType.PAYLOAD_MALFORMED, 'NAT-OA RESERVED not zero', r.pos - 3);
    return { type: type as 21 | 131, idType, data: r.rest('NAT-OA address') };
  },
  (w, p) => {
    w.u8(p.idType);
    w.u8(0);
    w.u16(0);
    w.bytes(p.data);
  },
);

export const BODY_CODECS: ReadonlyMap<number, BodyCodec> = new Map<number, BodyCodec>([
  [PayloadType.SA, typed((r) => decodeSa(r), encodeSa)],
  [PayloadType.KEY_EXCH, dataOnly],
  [PayloadType.ID, typed(
    (r) => ({ type: PayloadType.ID, idType: r.u8('ID type'), protocol: r.u8('ID protocol'), port: r.u16('ID port'), data: r.rest('ID data') }),
    (w, p) => {
      w.u8(p.idType);
      w.u8(p.protocol);
      w.u16(p.port);
      w.bytes(p.data);
    },
  )],
  [PayloadType.CERT, typed(
    (r) => ({ type: PayloadType.CERT, encoding: r.u8('certificate encoding'), data: r.rest('certificate data') }),
    (w, p) => {
      w.u8(p.encoding);
      w.bytes(p.data);
    },
  )],
  [PayloadType.CERT_REQ, typed(
    (r) => ({ type: PayloadType.CERT_REQ, encoding: r.u8('certificate type'), data: r.rest('certificate authority') }),
    (w, p) => {
      w.u8(p.encoding);
      w.bytes(p.data);
    },
  )],
  [PayloadType.HASH, dataOnly],
  [PayloadType.SIG, dataOnly],
  [PayloadType.NONCE, dataOnly],
  [PayloadType.NOTIFY, typed(
    (r) => {
      const doi = r.u32('notify DOI');
      const protocol = r.u8('notify protocol');
      const spiSize = r.u8('notify SPI size');
      const notifyType = r.u16('notify message type');
      const spi = r.bytes(spiSize, 'notify SPI');
      return { type: PayloadType.NOTIFY, doi, protocol, spi, notifyType, data: r.rest('notification data') };
    },
    (w, p) => {
      w.u32(p.doi);
      w.u8(p.protocol);
      w.u8(p.spi.length);
      w.u16(p.notifyType);
      w.bytes(p.spi);
      w.bytes(p.data);
    },
  )],
  [PayloadType.DELETE, typed(
    (r) => {
      const doi = r.u32('delete DOI');
      const protocol = r.u8('delete protocol');
      const spiSize = r.u8('delete SPI size');
      const count = r.u16('number of SPIs');
      if (count > LIMITS.deleteSpis) r.fail(NotifyType.PAYLOAD_MALFORMED, `delete lists ${count} SPIs`, r.pos - 2);
      if (spiSize * count !== r.remaining)
        r.fail(NotifyType.PAYLOAD_MALFORMED, `delete: ${count} SPIs of ${spiSize} bytes do not fill ${r.remaining} bytes`, r.pos - 2);
      const spis: Uint8Array[] = [];
      for (let i = 0; i < count; i++) spis.push(r.bytes(spiSize, 'delete SPI'));
      return { type: PayloadType.DELETE, doi, protocol, spiSize, spis };
    },
    (w, p) => {
      w.u32(p.doi);
      w.u8(p.protocol);
      w.u8(p.spiSize);
      w.u16(p.spis.length);
      for (const s of p.spis) {
        if (s.length !== p.spiSize) throw new RangeError(`delete SPI of ${s.length} bytes, SPI size ${p.spiSize}`);
        w.bytes(s);
      }
    },
  )],
  [PayloadType.VENDOR, dataOnly],
  [PayloadType.ATTRIBUTE, typed(
    (r) => {
      const cfgType = r.u8('configuration type');
      if (r.u8('reserved') !== 0) r.fail(NotifyType.PAYLOAD_MALFORMED, 'attribute payload RESERVED not zero', r.pos - 1);
      const identifier = r.u16('identifier');
      return { type: PayloadType.ATTRIBUTE, cfgType, identifier, attributes: decodeAttributes(r, 'attribute payload') };
    },
    (w, p) => {
      w.u8(p.cfgType);
      w.u8(0);
      w.u16(p.identifier);
      encodeAttributes(w, p.attributes);
    },
  )],
  [PayloadType.NAT_D, dataOnly],
  [PayloadType.NAT_D_DRAFT, dataOnly],
  [PayloadType.NAT_OA, natOa],
  [PayloadType.NAT_OA_DRAFT, natOa],
  [PayloadType.FRAGMENT, typed(
    (r) => {
      const fragmentId = r.u16('fragment id');
      const number = r.u8('fragment number');
      const flags = r.u8('fragment flags');
      if (number === 0) r.fail(NotifyType.PAYLOAD_MALFORMED, 'fragment number 0', r.pos - 2);
      return { type: PayloadType.FRAGMENT, fragmentId, number, flags, data: r.rest('fragment data') };
    },
    (w, p) => {
      w.u16(p.fragmentId);
      w.u8(p.number);
      w.u8(p.flags);
      w.bytes(p.data);
    },
  )],
]);

export const FRAGMENT_LAST = 0x01;

/** Payload types that may only appear nested inside an SA. */
export const NESTED_ONLY: ReadonlySet<number> = new Set([PayloadType.PROPOSAL, PayloadType.TRANSFORM]);
