// The ISAKMP header (RFC 2408 3.1), payload chains and whole messages: strict decode and its exact
// inverse. An encrypted message decodes to its header plus the raw body; the engine decrypts that
// body and hands it to decodePayloads(..., { decrypted: true }), which tolerates the cipher padding.
import { guard, IsakmpError, toResult, type DecodeResult } from './errors.js';
import { Flags, NotifyType, PayloadType } from './numbers.js';
import { BODY_CODECS, LIMITS, NESTED_ONLY, beginGeneric, endGeneric, genericHeader } from './payloads.js';
import { Reader, Writer } from './reader.js';
import { isRawPayload, type Header, type IsakmpMessage, type Payload, type PayloadOf } from './types.js';

export const HEADER_LENGTH = 28;
export const ISAKMP_MAJOR = 1;
export const ISAKMP_MINOR = 0;
const KNOWN_FLAGS = Flags.ENC | Flags.COMMIT | Flags.AUTH_ONLY;

export interface DecodeOptions {
  /** the body came out of the cipher: bytes after the last payload are padding, not an error */
  decrypted?: boolean;
  /** absolute offset of body[0] for error reports (default 0) */
  base?: number;
  /**
   * remember each payload's bytes as received (see payloadSpan): hashes such as SAi_b, IDii_b and the
   * Quick Mode HASH(1)/(2) input are computed over exactly what was on the wire, not a re-encoding
   */
  spans?: boolean;
}

/** A received payload's bytes: `raw` with its generic header, `body` without it (views into the input). */
export interface PayloadSpan {
  raw: Uint8Array;
  body: Uint8Array;
}

// Kept under a non-enumerable symbol key, so decoded payloads stay plain data (JSON, deepEqual, encode).
// Not in a WeakMap: every received payload gets one, and inserting into one WeakMap shared by thousands
// of short-lived payloads cost about a microsecond each, besides the ephemeron work it gives every young
// collection.
const SPAN = Symbol('received bytes');
type WithSpan = Payload & { [SPAN]?: Uint8Array };
/** One descriptor object for every definition (defineProperty copies what it needs). */
const SPAN_DESCRIPTOR: { value: Uint8Array | undefined } = { value: undefined };

/** The received bytes of a payload decoded with `{ spans: true }`; undefined for any other payload. */
export function payloadSpan(p: Payload): PayloadSpan | undefined {
  const raw = (p as WithSpan)[SPAN];
  return raw ? { raw, body: raw.subarray(4) } : undefined;
}

/** Decode and check the 28-byte header; does not look at the payloads. */
export function decodeHeader(buf: Uint8Array): Header {
  return guard(() => {
    const r = new Reader(buf, 0, buf.length, 0);
    if (buf.length < HEADER_LENGTH) r.fail(NotifyType.PAYLOAD_MALFORMED, `datagram of ${buf.length} bytes is shorter than the ISAKMP header`, 0);
    const ispi = r.bytes(8, 'initiator cookie');
    const rspi = r.bytes(8, 'responder cookie');
    const nextPayload = r.u8('next payload');
    const version = r.u8('version');
    const major = version >> 4;
    const minor = version & 0x0f;
    if (major !== ISAKMP_MAJOR) r.fail(NotifyType.INVALID_MAJOR_VERSION, `major version ${major}`, 17);
    if (minor > ISAKMP_MINOR) r.fail(NotifyType.INVALID_MINOR_VERSION, `minor version ${minor}`, 17);
    const exchange = r.u8('exchange type');
    const flags = r.u8('flags');
    if (flags & ~KNOWN_FLAGS) r.fail(NotifyType.INVALID_FLAGS, `unknown flag bits 0x${(flags & ~KNOWN_FLAGS).toString(16)}`, 19);
    const messageId = r.u32('message id');
    const length = r.u32('length');
    return { ispi, rspi, nextPayload, major, minor, exchange, flags, messageId, length };
  });
}

/** Decode a whole datagram. The header length must equal the datagram length. */
export function decodeMessage(buf: Uint8Array, opts: Pick<DecodeOptions, 'spans'> = {}): IsakmpMessage {
  return guard(() => {
    const header = decodeHeader(buf);
    if (header.length !== buf.length)
      throw new IsakmpError(NotifyType.UNEQUAL_PAYLOAD_LENGTHS, `header length ${header.length}, datagram ${buf.length} bytes`, 24);
    if (header.flags & Flags.ENC) {
      return { header, payloads: [], encrypted: copy(buf, HEADER_LENGTH, buf.length) };
    }
    const { payloads, end } = chain(buf, HEADER_LENGTH, buf.length, header.nextPayload, { base: 0, allowAlignment: true, ...(opts.spans ? { spans: true } : {}) });
    if (end === buf.length) return { header, payloads };
    return { header, payloads, trailer: copy(buf, end, buf.length) };
  });
}

/** A plain Uint8Array copy (Buffer.slice would alias the caller's memory). */
function copy(buf: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from);
  out.set(buf.subarray(from, to));
  return out;
}

export function tryDecodeMessage(buf: Uint8Array): DecodeResult<IsakmpMessage> {
  return toResult(() => decodeMessage(buf));
}

/** Decode a payload chain that starts with payload type `first` and fills `body`. */
export function decodePayloads(first: number, body: Uint8Array, opts: DecodeOptions = {}): Payload[] {
  return guard(() => chain(body, 0, body.length, first, opts).payloads);
}

/**
 * Libreswan pads plaintext messages with zeros to a multiple of 4 bytes (pluto's message
 * alignment); strongSwan accepts that (see the Libreswan Aggressive Mode capture), so we do too: at most 3 zero bytes that make
 * the whole message 4-byte aligned. Anything else after the last payload is an error.
 */
function isAlignmentPadding(buf: Uint8Array, from: number, end: number): boolean {
  if (end - from > 3 || end % 4 !== 0) return false;
  for (let i = from; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

function chain(buf: Uint8Array, start: number, end: number, first: number, opts: DecodeOptions & { allowAlignment?: boolean }): { payloads: Payload[]; end: number } {
  const base = opts.base ?? 0;
  const r = new Reader(buf, start, end, base);
  const out: Payload[] = [];
  let next = first;
  while (next !== PayloadType.NONE) {
    if (out.length >= LIMITS.payloads) r.fail(NotifyType.PAYLOAD_MALFORMED, `more than ${LIMITS.payloads} payloads`);
    if (NESTED_ONLY.has(next)) r.fail(NotifyType.INVALID_PAYLOAD_TYPE, `payload type ${next} outside an SA`);
    const type = next;
    const start = r.pos;
    const [n, body] = genericHeader(r, `payload ${type}`);
    next = n;
    const p = decodeBody(type, body);
    if (opts.spans) {
      SPAN_DESCRIPTOR.value = buf.subarray(start, r.pos);
      Object.defineProperty(p, SPAN, SPAN_DESCRIPTOR);
      SPAN_DESCRIPTOR.value = undefined;
    }
    out.push(p);
  }
  if (r.remaining !== 0 && !opts.decrypted && !(opts.allowAlignment && isAlignmentPadding(buf, r.pos, end)))
    r.fail(NotifyType.UNEQUAL_PAYLOAD_LENGTHS, `${r.remaining} bytes after the last payload`);
  return { payloads: out, end: r.pos };
}

function decodeBody(type: number, r: Reader): Payload {
  const codec = BODY_CODECS.get(type);
  if (!codec) return { type, raw: true, data: r.rest('payload data') };
  const p = codec.decode(r, type);
  if (r.remaining !== 0) r.fail(NotifyType.PAYLOAD_MALFORMED, `${r.remaining} stray bytes in payload ${type}`);
  return p;
}

/** Encode a payload chain (what the engine encrypts); the first payload's type goes in the header. */
export function encodePayloads(payloads: readonly Payload[]): Uint8Array {
  const w = new Writer(512);
  writeChain(w, payloads);
  return w.finish();
}

function writeChain(w: Writer, payloads: readonly Payload[]): void {
  payloads.forEach((p, i) => {
    const next = i + 1 < payloads.length ? payloads[i + 1]!.type : PayloadType.NONE;
    const at = beginGeneric(w, next);
    if (isRawPayload(p)) w.bytes(p.data);
    else {
      const codec = BODY_CODECS.get(p.type);
      if (!codec) throw new TypeError(`payload type ${p.type} has no codec; give it as { raw: true, data }`);
      codec.encode(w, p);
    }
    endGeneric(w, at);
  });
}

/**
 * Encode a message. Length and next-payload are computed from the content (for an encrypted
 * message, `encrypted` is the body and header.nextPayload names its first payload).
 */
export function encodeMessage(msg: IsakmpMessage): Uint8Array {
  const h = msg.header;
  if (h.ispi.length !== 8 || h.rspi.length !== 8) throw new RangeError('cookies must be 8 bytes');
  const w = new Writer(HEADER_LENGTH + 512);
  w.bytes(h.ispi);
  w.bytes(h.rspi);
  const encrypted = (h.flags & Flags.ENC) !== 0;
  if (encrypted && !msg.encrypted) throw new TypeError('ENC flag set but no encrypted body given');
  w.u8(encrypted ? h.nextPayload : (msg.payloads[0]?.type ?? PayloadType.NONE));
  w.u8(((h.major & 0xf) << 4) | (h.minor & 0xf));
  w.u8(h.exchange);
  w.u8(h.flags);
  w.u32(h.messageId);
  w.u32(0);
  if (encrypted) w.bytes(msg.encrypted!);
  else {
    writeChain(w, msg.payloads);
    if (msg.trailer) w.bytes(msg.trailer);
  }
  const out = w.finish();
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(24, out.length);
  return out;
}

/** A header with the usual defaults (version 1.0, no flags); length is filled in by encodeMessage. */
export function makeHeader(h: Partial<Header> & Pick<Header, 'ispi' | 'exchange'>): Header {
  return {
    rspi: new Uint8Array(8),
    nextPayload: PayloadType.NONE,
    major: ISAKMP_MAJOR,
    minor: ISAKMP_MINOR,
    flags: 0,
    messageId: 0,
    length: 0,
    ...h,
  };
}

// --- finding payloads ----------------------------------------------------------------------------

export function findPayload<T extends number>(payloads: readonly Payload[], type: T): PayloadOf<T> | undefined {
  return payloads.find((p) => p.type === type) as PayloadOf<T> | undefined;
}

export function findPayloads<T extends number>(payloads: readonly Payload[], type: T): PayloadOf<T>[] {
  return payloads.filter((p) => p.type === type) as PayloadOf<T>[];
}

export function hasPayload(payloads: readonly Payload[], type: number): boolean {
  return payloads.some((p) => p.type === type);
}
