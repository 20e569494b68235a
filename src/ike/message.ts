// Putting a message on the wire and taking it off, through the one ISAKMP codec (src/isakmp), and
// encryption through the ISAKMP SA's keymat (src/crypto), which keeps one CBC IV chain per message ID
// (RFC 2409 appendix B). Received payloads keep their exact bytes (payloadSpan) for the hashes.
import type { Phase1Keys } from '../crypto/index.js';
import {
  decodeHeader, decodeMessage, decodePayloads, encodeMessage, encodePayloads, HEADER_LENGTH, isIsakmpError, makeHeader, payloadSpan,
  type Header, type Payload,
} from '../isakmp/index.js';
import { Flags, nameOrNumber, NotifyType } from '../isakmp/numbers.js';
import { refuse, type NotifyName, type Refusal } from './types.js';

export type { Header, Payload };

/** A Buffer view (no copy) of codec output, for the Buffer-minded code around it. */
export const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** The bytes of a payload chain as it goes on the wire (what the Quick Mode and Informational hashes cover). */
export const encodeChain = (ps: readonly Payload[]): Buffer => (ps.length ? asBuffer(encodePayloads(ps)) : Buffer.alloc(0));

/** A received payload with its generic header, exactly as the peer sent it. */
export function rawOf(p: Payload): Buffer {
  const s = payloadSpan(p);
  return s ? asBuffer(s.raw) : encodeChain([p]);
}

/** A received payload's body (after the generic header), exactly as the peer sent it: SAi_b, IDii_b. */
export function bodyOf(p: Payload): Buffer {
  const s = payloadSpan(p);
  return s ? asBuffer(s.body) : encodeChain([p]).subarray(4);
}

/** A codec failure as the engine's refusal value. */
export function refusalOf(err: unknown, reply: 'notify' | 'silent' = 'notify'): Refusal {
  if (isIsakmpError(err)) return refuse(err.notify.name as NotifyName, err.reason, reply);
  return refuse('PAYLOAD_MALFORMED', err instanceof Error ? err.message : String(err), reply);
}

/** The header of a datagram, checked as far as the header alone allows. */
export function readHeader(d: Uint8Array): Header | Refusal {
  let h: Header;
  try {
    h = decodeHeader(d);
  } catch (err) {
    return refusalOf(err, 'silent');
  }
  if (h.length !== d.length) return refuse('UNEQUAL_PAYLOAD_LENGTHS', `header length ${h.length} != datagram ${d.length}`, 'silent');
  if (h.ispi.every((x) => x === 0)) return refuse('INVALID_COOKIE', 'zero initiator cookie', 'silent');
  return h;
}

export const notifyName = (n: number): string => nameOrNumber(NotifyType, n);

export interface Built {
  data: Buffer;
  /**
   * The same message unencrypted (flags still show ENC): what the plaintext pcap records. Encoded only when
   * asked for (a capture is on); an unencrypted message is its own plaintext.
   */
  plain?: Buffer;
}

export function buildMessage(
  h: { icookie: Uint8Array; rcookie: Uint8Array; exchange: number; messageId: number; flags?: number },
  payloads: readonly Payload[],
  keys?: Phase1Keys,
  withPlain = true,
): Built {
  const flags = (h.flags ?? 0) | (keys ? Flags.ENC : 0);
  const header = makeHeader({ ispi: h.icookie, rspi: h.rcookie, exchange: h.exchange, messageId: h.messageId, flags, nextPayload: payloads[0]?.type ?? 0 });
  if (!keys) {
    const plain = asBuffer(encodeMessage({ header, payloads: [...payloads] }));
    return { data: plain, plain };
  }
  const chain = encodeChain(payloads);
  const ct = keys.encrypt(h.messageId, chain);
  const data = asBuffer(encodeMessage({ header, payloads: [], encrypted: ct }));
  return withPlain ? { data, plain: asBuffer(encodeMessage({ header, payloads: [], encrypted: chain })) } : { data };
}

export interface Opened {
  payloads: Payload[];
}

/**
 * Decodes (and decrypts) a message. The IV chain of its message ID advances only when the caller calls
 * keys.confirmIv(messageId) after accepting it, so a forged message cannot break the chain.
 */
export function openMessage(h: Header, datagram: Uint8Array, keys?: Phase1Keys): Opened | Refusal {
  const body = datagram.subarray(HEADER_LENGTH);
  try {
    // Plain messages go through the whole-message decoder: it knows Libreswan's 4-byte alignment padding.
    if (!(h.flags & Flags.ENC)) return { payloads: decodeMessage(datagram, { spans: true }).payloads };
    if (!keys) return refuse('INVALID_FLAGS', 'encrypted message without keys', 'silent');
    if (body.length === 0) return refuse('PAYLOAD_MALFORMED', 'empty encrypted body');
    const plain = keys.decrypt(h.messageId, body, { defer: true });
    if (!plain.ok) return refuse('PAYLOAD_MALFORMED', plain.error.reason);
    return { payloads: decodePayloads(h.nextPayload, plain.value, { decrypted: true, spans: true }) };
  } catch (err) {
    return refusalOf(err);
  }
}
