// Putting a message on the wire and taking it off: header, payload chain, CBC encryption with the
// IV chain of the exchange (RFC 2409 appendix B / RFC 2408 3.1 padding).
import { cbcDecrypt, cbcEncrypt, type CipherSpec } from './crypto-adapter.js';
import { Flag, HEADER_LEN } from './numbers.js';
import { refuse, type Refusal } from './types.js';
import { decodePayloads, encodeHeader, type DecodedPayload, type Header } from './wire.js';

export interface Crypt {
  cipher: CipherSpec;
  key: Buffer;
  iv: Buffer;
}

export interface Built {
  data: Buffer;
  /** The same message unencrypted (flags still show ENC): what the plaintext pcap records. */
  plain: Buffer;
  /** Last ciphertext block: the next IV of the chain. */
  nextIv?: Buffer;
}

export function buildMessage(
  h: { icookie: Buffer; rcookie: Buffer; exchange: number; messageId: number; flags?: number },
  firstType: number,
  chain: Buffer,
  crypt?: Crypt,
): Built {
  const flags = (h.flags ?? 0) | (crypt ? Flag.ENC : 0);
  const head = { icookie: h.icookie, rcookie: h.rcookie, nextPayload: firstType, exchange: h.exchange, flags, messageId: h.messageId };
  const plain = Buffer.concat([encodeHeader(head, chain.length), chain]);
  if (!crypt) return { data: plain, plain };
  const block = crypt.cipher.block;
  const padded = Buffer.concat([chain, Buffer.alloc((block - (chain.length % block)) % block)]);
  const ct = cbcEncrypt(crypt.cipher, crypt.key, crypt.iv, padded);
  return {
    data: Buffer.concat([encodeHeader(head, ct.length), ct]),
    plain,
    nextIv: Buffer.from(ct.subarray(ct.length - block)),
  };
}

export interface Opened {
  payloads: DecodedPayload[];
  /** IV for the next message of this chain; commit it only once the message is accepted. */
  nextIv?: Buffer;
  plainBody: Buffer;
}

export function openMessage(h: Header, datagram: Uint8Array, crypt?: Crypt): Opened | Refusal {
  const body = Buffer.from(datagram.subarray(HEADER_LEN));
  if (!(h.flags & Flag.ENC)) {
    const ps = decodePayloads(h.nextPayload, body);
    return 'notify' in ps ? ps : { payloads: ps, plainBody: body };
  }
  if (!crypt) return refuse('INVALID_FLAGS', 'encrypted message without keys', 'silent');
  const block = crypt.cipher.block;
  if (body.length === 0 || body.length % block !== 0) return refuse('PAYLOAD_MALFORMED', 'ciphertext not a whole number of blocks');
  const plain = cbcDecrypt(crypt.cipher, crypt.key, crypt.iv, body);
  const ps = decodePayloads(h.nextPayload, plain);
  if ('notify' in ps) return ps;
  return { payloads: ps, nextIv: Buffer.from(body.subarray(body.length - block)), plainBody: plain };
}
