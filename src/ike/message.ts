// Putting a message on the wire and taking it off: header, payload chain, and encryption through the ISAKMP
// SA's keymat (src/crypto), which keeps one CBC IV chain per message ID (RFC 2409 appendix B).
import type { Phase1Keys } from '../crypto/index.js';
import { Flag, HEADER_LEN } from './numbers.js';
import { refuse, type Refusal } from './types.js';
import { decodePayloads, encodeHeader, type DecodedPayload, type Header } from './wire.js';

export interface Built {
  data: Buffer;
  /** The same message unencrypted (flags still show ENC): what the plaintext pcap records. */
  plain: Buffer;
}

export function buildMessage(
  h: { icookie: Buffer; rcookie: Buffer; exchange: number; messageId: number; flags?: number },
  firstType: number,
  chain: Buffer,
  keys?: Phase1Keys,
): Built {
  const flags = (h.flags ?? 0) | (keys ? Flag.ENC : 0);
  const head = { icookie: h.icookie, rcookie: h.rcookie, nextPayload: firstType, exchange: h.exchange, flags, messageId: h.messageId };
  const plain = Buffer.concat([encodeHeader(head, chain.length), chain]);
  if (!keys) return { data: plain, plain };
  const ct = keys.encrypt(h.messageId, chain);
  return { data: Buffer.concat([encodeHeader(head, ct.length), ct]), plain };
}

export interface Opened {
  payloads: DecodedPayload[];
}

/**
 * Decodes (and decrypts) a message. The IV chain of its message ID advances only when the caller calls
 * keys.confirmIv(messageId) after accepting it, so a forged message cannot break the chain.
 */
export function openMessage(h: Header, datagram: Uint8Array, keys?: Phase1Keys): Opened | Refusal {
  const body = Buffer.from(datagram.subarray(HEADER_LEN));
  if (!(h.flags & Flag.ENC)) {
    const ps = decodePayloads(h.nextPayload, body);
    return 'notify' in ps ? ps : { payloads: ps };
  }
  if (!keys) return refuse('INVALID_FLAGS', 'encrypted message without keys', 'silent');
  if (body.length === 0) return refuse('PAYLOAD_MALFORMED', 'empty encrypted body');
  const plain = keys.decrypt(h.messageId, body, { defer: true });
  if (!plain.ok) return refuse('PAYLOAD_MALFORMED', plain.error.reason);
  const ps = decodePayloads(h.nextPayload, Buffer.from(plain.value));
  if ('notify' in ps) return ps;
  return { payloads: ps };
}
