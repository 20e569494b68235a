// Typed records for the ISAKMP header and payloads (RFC 2408 section 3, IPsec DOI RFC 2407 4.6,
// NAT-T RFC 3947, Mode Config). Payloads are plain data, discriminated on `type`; the codec is the
// only place that knows their byte layout.

export interface Header {
  /** initiator cookie, 8 bytes */
  ispi: Uint8Array;
  /** responder cookie, 8 bytes */
  rspi: Uint8Array;
  /** type of the first payload (for an encrypted message, of the first encrypted payload) */
  nextPayload: number;
  major: number;
  minor: number;
  exchange: number;
  flags: number;
  messageId: number;
  /** total length including the header, as on the wire */
  length: number;
}

/** A data attribute: a number is the TV (basic) form, bytes the TLV (variable) form. */
export interface DataAttribute {
  type: number;
  value: number | Uint8Array;
}

export interface Transform {
  number: number;
  id: number;
  attributes: DataAttribute[];
}

export interface Proposal {
  number: number;
  protocol: number;
  spi: Uint8Array;
  transforms: Transform[];
}

export interface SaPayload {
  type: 1;
  doi: number;
  situation: number;
  proposals: Proposal[];
}

export interface KePayload {
  type: 4;
  data: Uint8Array;
}

export interface IdPayload {
  type: 5;
  idType: number;
  /** IPsec DOI: IP protocol (0 = any) */
  protocol: number;
  /** IPsec DOI: port (0 = any) */
  port: number;
  data: Uint8Array;
}

export interface CertPayload {
  type: 6;
  encoding: number;
  data: Uint8Array;
}

export interface CertReqPayload {
  type: 7;
  encoding: number;
  /** certificate authority (DER name), possibly empty */
  data: Uint8Array;
}

export interface HashPayload {
  type: 8;
  data: Uint8Array;
}

export interface SigPayload {
  type: 9;
  data: Uint8Array;
}

export interface NoncePayload {
  type: 10;
  data: Uint8Array;
}

export interface NotifyPayload {
  type: 11;
  doi: number;
  protocol: number;
  spi: Uint8Array;
  notifyType: number;
  data: Uint8Array;
}

export interface DeletePayload {
  type: 12;
  doi: number;
  protocol: number;
  /** SPI size in bytes; kept because a Delete with no SPIs still states it */
  spiSize: number;
  spis: Uint8Array[];
}

export interface VendorPayload {
  type: 13;
  data: Uint8Array;
}

export interface AttributePayload {
  type: 14;
  cfgType: number;
  identifier: number;
  attributes: DataAttribute[];
}

export interface NatDPayload {
  type: 20 | 130;
  data: Uint8Array;
}

export interface NatOaPayload {
  type: 21 | 131;
  idType: number;
  data: Uint8Array;
}

/** IKEv1 fragment (Cisco-style, also strongSwan and Libreswan): a piece of a whole ISAKMP message. */
export interface FragmentPayload {
  type: 132;
  fragmentId: number;
  /** 1-based */
  number: number;
  /** bit 0: last fragment */
  flags: number;
  data: Uint8Array;
}

/** Any payload type the codec does not parse; kept as raw bytes so it round-trips. */
export interface RawPayload {
  type: number;
  raw: true;
  data: Uint8Array;
}

export type KnownPayload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | CertReqPayload
  | HashPayload
  | SigPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorPayload
  | AttributePayload
  | NatDPayload
  | NatOaPayload
  | FragmentPayload;

export type Payload = KnownPayload | RawPayload;

/** The payload record for a payload type number. */
export type PayloadOf<T extends number> = Extract<KnownPayload, { type: T }> extends never
  ? RawPayload
  : Extract<KnownPayload, { type: T }>;

export interface IsakmpMessage {
  header: Header;
  /** decoded payloads; empty when the message is encrypted and not yet decrypted */
  payloads: Payload[];
  /** the encrypted body (everything after the header) when the ENC flag is set */
  encrypted?: Uint8Array;
  /** zero bytes after the last payload that align a plaintext message to 4 bytes (Libreswan) */
  trailer?: Uint8Array;
}

export function isRawPayload(p: Payload): p is RawPayload {
  return (p as RawPayload).raw === true;
}
