// The ISAKMP/IPsec DOI numbers the engine speaks (RFC 2407, 2408, 2409, 3947, 3706).
// The full dictionary with every name lives in src/isakmp; this is the subset the exchanges need,
// kept in one place so the engine never spells a magic number inline.

export const ISAKMP_VERSION = 0x10;
export const HEADER_LEN = 28;

export const Exchange = { ID_PROT: 2, AGGRESSIVE: 4, INFO: 5, QUICK: 32 } as const;
export const Flag = { ENC: 1, COMMIT: 2, AUTH_ONLY: 4 } as const;

export const Payload = {
  NONE: 0, SA: 1, P: 2, T: 3, KE: 4, ID: 5, CERT: 6, CR: 7, HASH: 8, SIG: 9, NONCE: 10, N: 11, D: 12,
  VID: 13, ATTR: 14, NAT_D: 20, NAT_OA: 21, NAT_D_DRAFT: 130, NAT_OA_DRAFT: 131,
} as const;
export type PayloadName = keyof typeof Payload;
export const PAYLOAD_NAME: Record<number, PayloadName> = Object.fromEntries(
  Object.entries(Payload).map(([k, v]) => [v, k as PayloadName]),
);

export const DOI_IPSEC = 1;
export const SIT_IDENTITY_ONLY = 1;
export const Proto = { ISAKMP: 1, AH: 2, ESP: 3, IPCOMP: 4 } as const;
export const KEY_IKE = 1;

/** Phase 1 (IKE) attribute types and values, RFC 2409 appendix A. */
export const IkeAttr = {
  ENCRYPTION_ALGORITHM: 1, HASH_ALGORITHM: 2, AUTHENTICATION_METHOD: 3, GROUP_DESCRIPTION: 4,
  GROUP_TYPE: 5, LIFE_TYPE: 11, LIFE_DURATION: 12, PRF: 13, KEY_LENGTH: 14,
} as const;
export const IkeEncr = { DES_CBC: 1, BLOWFISH_CBC: 3, '3DES_CBC': 5, CAST_CBC: 6, AES_CBC: 7 } as const;
export const IkeHash = { MD5: 1, SHA: 2, SHA2_256: 4, SHA2_384: 5, SHA2_512: 6 } as const;
export const IkeAuth = { PRE_SHARED: 1, DSS: 2, RSA_SIG: 3 } as const;
export const LifeType = { SECONDS: 1, KILOBYTES: 2 } as const;

/** Phase 2 (IPsec DOI) attribute types and values, RFC 2407 section 4.5. */
export const IpsecAttr = {
  SA_LIFE_TYPE: 1, SA_LIFE_DURATION: 2, GROUP_DESCRIPTION: 3, ENCAPSULATION_MODE: 4,
  AUTHENTICATION_ALGORITHM: 5, KEY_LENGTH: 6, KEY_ROUNDS: 7, ECN_TUNNEL: 10,
} as const;
export const EncapMode = {
  TUNNEL: 1, TRANSPORT: 2, UDP_ENCAP_TUNNEL: 3, UDP_ENCAP_TRANSPORT: 4,
  /** draft-ietf-ipsec-nat-t-ike-00..03 values, used with the draft NAT-T variants */
  UDP_ENCAP_TUNNEL_DRAFT: 61443, UDP_ENCAP_TRANSPORT_DRAFT: 61444,
} as const;
export const IpsecAuth = { HMAC_MD5: 1, HMAC_SHA: 2, HMAC_SHA2_256: 5, HMAC_SHA2_384: 6, HMAC_SHA2_512: 7 } as const;
export const EspId = { '3DES': 3, NULL: 11, AES: 12 } as const;

export const IdType = {
  IPV4_ADDR: 1, FQDN: 2, USER_FQDN: 3, IPV4_ADDR_SUBNET: 4, IPV6_ADDR: 5, IPV6_ADDR_SUBNET: 6,
  IPV4_ADDR_RANGE: 7, IPV6_ADDR_RANGE: 8, KEY_ID: 11,
} as const;

/** Notify message types, RFC 2408 section 3.14.1 and RFC 2407 section 4.6.3. */
export const Notify = {
  INVALID_PAYLOAD_TYPE: 1, DOI_NOT_SUPPORTED: 2, SITUATION_NOT_SUPPORTED: 3, INVALID_COOKIE: 4,
  INVALID_MAJOR_VERSION: 5, INVALID_MINOR_VERSION: 6, INVALID_EXCHANGE_TYPE: 7, INVALID_FLAGS: 8,
  INVALID_MESSAGE_ID: 9, INVALID_PROTOCOL_ID: 10, INVALID_SPI: 11, INVALID_TRANSFORM_ID: 12,
  ATTRIBUTES_NOT_SUPPORTED: 13, NO_PROPOSAL_CHOSEN: 14, BAD_PROPOSAL_SYNTAX: 15, PAYLOAD_MALFORMED: 16,
  INVALID_KEY_INFORMATION: 17, INVALID_ID_INFORMATION: 18, INVALID_CERT_ENCODING: 19, INVALID_CERTIFICATE: 20,
  CERT_TYPE_UNSUPPORTED: 21, INVALID_CERT_AUTHORITY: 22, INVALID_HASH_INFORMATION: 23, AUTHENTICATION_FAILED: 24,
  INVALID_SIGNATURE: 25, ADDRESS_NOTIFICATION: 26, NOTIFY_SA_LIFETIME: 27, CERTIFICATE_UNAVAILABLE: 28,
  UNSUPPORTED_EXCHANGE_TYPE: 29, UNEQUAL_PAYLOAD_LENGTHS: 30,
  CONNECTED: 16384, RESPONDER_LIFETIME: 24576, REPLAY_STATUS: 24577, INITIAL_CONTACT: 24578,
  R_U_THERE: 36136, R_U_THERE_ACK: 36137,
} as const;
export type NotifyName = keyof typeof Notify;
export const NOTIFY_NAME: Record<number, NotifyName> = Object.fromEntries(
  Object.entries(Notify).map(([k, v]) => [v, k as NotifyName]),
);
export const notifyName = (n: number): string => NOTIFY_NAME[n] ?? `NOTIFY_${n}`;
