// The numbers of ISAKMP/IKEv1 (RFC 2407, 2408, 2409 and later registrations) with their names.
// One source of truth for the codec, the configuration and the policy: every table maps a
// symbolic name (isakmpd's spelling, as written in isakmpd.conf) to its number and back.
//
// A table is a frozen object of NAME -> number constants, so `ExchangeType.QUICK_MODE` is a typed
// literal; the reverse index and aliases sit behind a symbol so enumerating a table yields only its
// canonical entries.

const META: unique symbol = Symbol('number-table');

export interface TableMeta {
  readonly title: string;
  /** number -> canonical name */
  readonly names: ReadonlyMap<number, string>;
  /** normalised name (upper case, '-' and ' ' as '_') -> number; includes aliases */
  readonly numbers: ReadonlyMap<string, number>;
}

export type NumberTable<T extends Record<string, number> = Record<string, number>> = Readonly<T> & {
  readonly [META]: TableMeta;
};

/** A value of a table: the union of its numbers. */
export type ValueOf<T> = T extends NumberTable<infer R> ? R[keyof R] : never;

export function normaliseName(name: string): string {
  return name.trim().toUpperCase().replace(/[-\s]+/g, '_');
}

export function defineTable<const T extends Record<string, number>>(
  title: string,
  entries: T,
  aliases: Record<string, number> = {},
): NumberTable<T> {
  const names = new Map<number, string>();
  const numbers = new Map<string, number>();
  for (const [name, n] of Object.entries(entries)) {
    if (!names.has(n)) names.set(n, name); // the first name listed for a number is canonical
    numbers.set(normaliseName(name), n);
  }
  for (const [name, n] of Object.entries(aliases)) {
    const key = normaliseName(name);
    if (!numbers.has(key)) numbers.set(key, n);
  }
  const table = { ...entries };
  Object.defineProperty(table, META, { value: { title, names, numbers } satisfies TableMeta, enumerable: false });
  return Object.freeze(table) as NumberTable<T>;
}

export function tableMeta(table: NumberTable): TableMeta {
  return table[META];
}

/** Canonical name of `n`, or undefined when the table has none. */
export function nameOf(table: NumberTable, n: number): string | undefined {
  return table[META].names.get(n);
}

/** Canonical name of `n`, or the decimal number when unknown (for logs). */
export function nameOrNumber(table: NumberTable, n: number): string {
  return table[META].names.get(n) ?? String(n);
}

/** Number for a name (case-insensitive, '-' and '_' equivalent, aliases accepted). */
export function numberOf(table: NumberTable, name: string): number | undefined {
  return table[META].numbers.get(normaliseName(name));
}

/** All canonical [name, number] pairs, in declaration order. */
export function entriesOf(table: NumberTable): Array<[string, number]> {
  return [...table[META].names.entries()].map(([n, name]) => [name, n]);
}

// ---------------------------------------------------------------------------------------------
// ISAKMP base (RFC 2408)

export const ExchangeType = defineTable('exchange type', {
  NONE: 0,
  BASE: 1,
  ID_PROT: 2,
  AUTH_ONLY: 3,
  AGGRESSIVE: 4,
  INFO: 5,
  TRANSACTION: 6, // Mode Config (draft-ietf-ipsec-isakmp-mode-cfg)
  QUICK_MODE: 32, // RFC 2409
  NEW_GROUP_MODE: 33,
}, { MAIN: 2, MAIN_MODE: 2, IDENTITY_PROTECTION: 2, AGGRESSIVE_MODE: 4, INFORMATIONAL: 5, QUICK: 32, NEW_GROUP: 33, MODE_CFG: 6 });

export const PayloadType = defineTable('payload type', {
  NONE: 0,
  SA: 1,
  PROPOSAL: 2,
  TRANSFORM: 3,
  KEY_EXCH: 4,
  ID: 5,
  CERT: 6,
  CERT_REQ: 7,
  HASH: 8,
  SIG: 9,
  NONCE: 10,
  NOTIFY: 11,
  DELETE: 12,
  VENDOR: 13,
  ATTRIBUTE: 14, // Mode Config
  SAK: 15, // GDOI (RFC 6407), named only
  SAT: 16,
  KD: 17,
  SEQ: 18,
  POP: 19,
  NAT_D: 20, // RFC 3947
  NAT_OA: 21,
  NAT_D_DRAFT: 130, // draft-ietf-ipsec-nat-t-ike-02/03
  NAT_OA_DRAFT: 131,
  FRAGMENT: 132, // Cisco-style IKE fragmentation
}, { KE: 4, CR: 7, N: 11, NOTIFICATION: 11, D: 12, VID: 13, VENDOR_ID: 13, ATTR: 14, MODE_CFG: 14 });

export const Flags = defineTable('header flag', { ENC: 1, COMMIT: 2, AUTH_ONLY: 4 }, { ENCRYPTION: 1, E: 1, C: 2, A: 4 });

export const Doi = defineTable('DOI', { ISAKMP: 0, IPSEC: 1 }, { IPSEC_DOI: 1 });

export const ProtocolId = defineTable('protocol', {
  ISAKMP: 1,
  IPSEC_AH: 2,
  IPSEC_ESP: 3,
  IPCOMP: 4,
}, { AH: 2, ESP: 3, PROTO_ISAKMP: 1 });

export const Situation = defineTable('IPsec situation bit', { IDENTITY_ONLY: 1, SECRECY: 2, INTEGRITY: 4 }, { SIT_IDENTITY_ONLY: 1 });

export const CertEncoding = defineTable('certificate encoding', {
  NONE: 0,
  PKCS: 1,
  PGP: 2,
  DNS: 3,
  X509_SIG: 4,
  X509_KE: 5,
  KERBEROS: 6,
  CRL: 7,
  ARL: 8,
  SPKI: 9,
  X509_ATTR: 10,
  KEYNOTE: 11,
  HASH_URL_X509: 12,
  HASH_URL_BUNDLE: 13,
}, { X509: 4, X509_SIGNATURE: 4, PKCS7: 1 });

export const NotifyType = defineTable('notify type', {
  INVALID_PAYLOAD_TYPE: 1,
  DOI_NOT_SUPPORTED: 2,
  SITUATION_NOT_SUPPORTED: 3,
  INVALID_COOKIE: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_MINOR_VERSION: 6,
  INVALID_EXCHANGE_TYPE: 7,
  INVALID_FLAGS: 8,
  INVALID_MESSAGE_ID: 9,
  INVALID_PROTOCOL_ID: 10,
  INVALID_SPI: 11,
  INVALID_TRANSFORM_ID: 12,
  ATTRIBUTES_NOT_SUPPORTED: 13,
  NO_PROPOSAL_CHOSEN: 14,
  BAD_PROPOSAL_SYNTAX: 15,
  PAYLOAD_MALFORMED: 16,
  INVALID_KEY_INFORMATION: 17,
  INVALID_ID_INFORMATION: 18,
  INVALID_CERT_ENCODING: 19,
  INVALID_CERTIFICATE: 20,
  CERT_TYPE_UNSUPPORTED: 21,
  INVALID_CERT_AUTHORITY: 22,
  INVALID_HASH_INFORMATION: 23,
  AUTHENTICATION_FAILED: 24,
  INVALID_SIGNATURE: 25,
  ADDRESS_NOTIFICATION: 26,
  NOTIFY_SA_LIFETIME: 27,
  CERTIFICATE_UNAVAILABLE: 28,
  UNSUPPORTED_EXCHANGE_TYPE: 29,
  UNEQUAL_PAYLOAD_LENGTHS: 30,
  STATUS_CONNECTED: 16384,
  RESPONDER_LIFETIME: 24576, // IPsec DOI (RFC 2407 4.6.3)
  REPLAY_STATUS: 24577,
  INITIAL_CONTACT: 24578,
  R_U_THERE: 36136, // RFC 3706
  R_U_THERE_ACK: 36137,
  UNITY_LOAD_BALANCE: 40501,
}, { CONNECTED: 16384, IPSEC_RESPONDER_LIFETIME: 24576, IPSEC_REPLAY_STATUS: 24577, IPSEC_INITIAL_CONTACT: 24578, DPD_R_U_THERE: 36136, DPD_R_U_THERE_ACK: 36137 });

/** A notify type as errors carry it: the number and its name. */
export interface NotifyRef {
  readonly number: number;
  readonly name: string;
}
export function notifyRef(n: number): NotifyRef {
  return { number: n, name: nameOrNumber(NotifyType, n) };
}

// ---------------------------------------------------------------------------------------------
// IPsec DOI (RFC 2407)

export const IdType = defineTable('ID type', {
  IPV4_ADDR: 1,
  FQDN: 2,
  USER_FQDN: 3,
  IPV4_ADDR_SUBNET: 4,
  IPV6_ADDR: 5,
  IPV6_ADDR_SUBNET: 6,
  IPV4_RANGE: 7,
  IPV6_RANGE: 8,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
}, { IPV4_ADDR_RANGE: 7, IPV6_ADDR_RANGE: 8, RFC822_ADDR: 3, ID_IPV4_ADDR: 1, ID_FQDN: 2, ID_USER_FQDN: 3 });

export const IsakmpTransformId = defineTable('ISAKMP transform', { KEY_IKE: 1 }, { IKE: 1 });

export const EspTransformId = defineTable('ESP transform', {
  DES_IV64: 1,
  DES: 2,
  '3DES': 3,
  RC5: 4,
  IDEA: 5,
  CAST: 6,
  BLOWFISH: 7,
  '3IDEA': 8,
  DES_IV32: 9,
  RC4: 10,
  NULL: 11,
  AES: 12,
  AES_CTR: 13,
  AES_CCM_8: 14,
  AES_CCM_12: 15,
  AES_CCM_16: 16,
  AES_GCM_8: 18,
  AES_GCM_12: 19,
  AES_GCM_16: 20,
  SEED_CBC: 21,
  CAMELLIA: 22,
  AES_GMAC: 23,
  AES_MARS: 249,
  AES_RC6: 250,
  AES_RIJNDAEL: 251,
  AES_SERPENT: 252,
  AES_TWOFISH: 253,
}, { TRIPLEDES: 3, '3DES_CBC': 3, AES_CBC: 12, NULL_AUTH_AES_GMAC: 23, AES_GCM: 20 });

export const AhTransformId = defineTable('AH transform', {
  MD5: 2,
  SHA: 3,
  DES: 4,
  SHA2_256: 5,
  SHA2_384: 6,
  SHA2_512: 7,
  RIPEMD: 8,
  AES_XCBC_MAC: 9,
  RSA: 10,
  AES_128_GMAC: 11,
  AES_192_GMAC: 12,
  AES_256_GMAC: 13,
}, { SHA1: 3, SHA256: 5, SHA384: 6, SHA512: 7 });

export const IpcompTransformId = defineTable('IPCOMP transform', { OUI: 1, DEFLATE: 2, LZS: 3, V42BIS: 4 });

/** The transform-ID table that applies to a proposal's protocol, if any. */
export function transformTableFor(protocol: number): NumberTable | undefined {
  switch (protocol) {
    case ProtocolId.ISAKMP: return IsakmpTransformId;
    case ProtocolId.IPSEC_AH: return AhTransformId;
    case ProtocolId.IPSEC_ESP: return EspTransformId;
    case ProtocolId.IPCOMP: return IpcompTransformId;
    default: return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Data-attribute value tables

export const IkeEncryption = defineTable('IKE encryption algorithm', {
  DES_CBC: 1,
  IDEA_CBC: 2,
  BLOWFISH_CBC: 3,
  RC5_R16_B64_CBC: 4,
  '3DES_CBC': 5,
  CAST_CBC: 6,
  AES_CBC: 7,
  CAMELLIA_CBC: 8,
}, { TRIPLEDES_CBC: 5, '3DES': 5, AES: 7, DES: 1, BLOWFISH: 3, CAST: 6 });

export const IkeHash = defineTable('IKE hash algorithm', {
  MD5: 1,
  SHA: 2,
  TIGER: 3,
  SHA2_256: 4,
  SHA2_384: 5,
  SHA2_512: 6,
}, { SHA1: 2, SHA256: 4, SHA384: 5, SHA512: 6 });

export const IkeAuthMethod = defineTable('IKE authentication method', {
  PRE_SHARED: 1,
  DSS: 2,
  RSA_SIG: 3,
  RSA_ENC: 4,
  RSA_ENC_REV: 5,
  EL_GAMAL_ENC: 6,
  EL_GAMAL_ENC_REV: 7,
  ECDSA_SIG: 8,
  ECDSA_SHA256: 9, // RFC 4754
  ECDSA_SHA384: 10,
  ECDSA_SHA512: 11,
  HYBRID_INIT_RSA: 64221, // draft-ietf-ipsec-isakmp-hybrid-auth
  HYBRID_RESP_RSA: 64222,
  HYBRID_INIT_DSS: 64223,
  HYBRID_RESP_DSS: 64224,
  XAUTH_INIT_PRE_SHARED: 65001, // draft-ietf-ipsec-isakmp-xauth
  XAUTH_RESP_PRE_SHARED: 65002,
  XAUTH_INIT_DSS: 65003,
  XAUTH_RESP_DSS: 65004,
  XAUTH_INIT_RSA: 65005,
  XAUTH_RESP_RSA: 65006,
  XAUTH_INIT_RSA_ENC: 65007,
  XAUTH_RESP_RSA_ENC: 65008,
  XAUTH_INIT_RSA_ENC_REV: 65009,
  XAUTH_RESP_RSA_ENC_REV: 65010,
}, { RSA_REV_ENC: 5, PSK: 1, PRE_SHARED_KEY: 1, RSA_SIGNATURE: 3, DSS_SIG: 2 });

export const GroupDescription = defineTable('group description', {
  MODP_768: 1,
  MODP_1024: 2,
  EC2N_155: 3,
  EC2N_185: 4,
  MODP_1536: 5,
  EC2N_163SECT: 6,
  EC2N_163K: 7,
  EC2N_283SECT: 8,
  EC2N_283K: 9,
  EC2N_409SECT: 10,
  EC2N_409K: 11,
  EC2N_571SECT: 12,
  EC2N_571K: 13,
  MODP_2048: 14,
  MODP_3072: 15,
  MODP_4096: 16,
  MODP_6144: 17,
  MODP_8192: 18,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  MODP_1024_160: 22, // RFC 5114
  MODP_2048_224: 23,
  MODP_2048_256: 24,
  ECP_192: 25,
  ECP_224: 26,
  BP_224: 27, // RFC 6932 brainpool
  BP_256: 28,
  BP_384: 29,
  BP_512: 30,
}, { MODP768: 1, MODP1024: 2, MODP1536: 5, MODP2048: 14, MODP3072: 15, MODP4096: 16, MODP6144: 17, MODP8192: 18, ECP256: 19, ECP384: 20, ECP521: 21 });

export const GroupType = defineTable('group type', { MODP: 1, ECP: 2, EC2N: 3 });

export const LifeType = defineTable('life type', { SECONDS: 1, KILOBYTES: 2 });

export const EncapsulationMode = defineTable('encapsulation mode', {
  TUNNEL: 1,
  TRANSPORT: 2,
  UDP_ENCAP_TUNNEL: 3, // RFC 3947
  UDP_ENCAP_TRANSPORT: 4,
  UDP_ENCAP_TUNNEL_DRAFT: 61443, // draft-ietf-ipsec-nat-t-ike
  UDP_ENCAP_TRANSPORT_DRAFT: 61444,
});

export const IpsecAuthAlgorithm = defineTable('IPsec authentication algorithm', {
  HMAC_MD5: 1,
  HMAC_SHA: 2,
  DES_MAC: 3,
  KPDK: 4,
  HMAC_SHA2_256: 5,
  HMAC_SHA2_384: 6,
  HMAC_SHA2_512: 7,
  HMAC_RIPEMD: 8,
  AES_XCBC_MAC: 9,
  SIG_RSA: 10,
  AES_128_GMAC: 11,
  AES_192_GMAC: 12,
  AES_256_GMAC: 13,
}, { HMAC_SHA1: 2, HMAC_SHA256: 5, HMAC_SHA384: 6, HMAC_SHA512: 7 });

export const ExtendedSeq = defineTable('extended sequence number', { ENABLED: 1 });

// Mode Config (draft-ietf-ipsec-isakmp-mode-cfg-05) and XAUTH (draft-ietf-ipsec-isakmp-xauth-06)
export const CfgType = defineTable('configuration message type', { CFG_REQUEST: 1, CFG_REPLY: 2, CFG_SET: 3, CFG_ACK: 4 }, { REQUEST: 1, REPLY: 2, SET: 3, ACK: 4 });

export const XauthType = defineTable('XAUTH type', { GENERIC: 0, RADIUS_CHAP: 1, OTP: 2, SKEY: 3 });

// ---------------------------------------------------------------------------------------------
// Data-attribute dictionaries

/** 'basic' attributes must be sent in TV form (RFC 2409 "B"); 'variable' may use TLV (or TV when it fits). */
export type AttributeForm = 'basic' | 'variable';

export interface AttributeDef {
  readonly type: number;
  readonly name: string;
  readonly form: AttributeForm;
  /** Names of the values, when they are enumerated. */
  readonly values?: NumberTable;
}

export interface AttributeDictionary {
  readonly title: string;
  /** attribute type names <-> numbers */
  readonly types: NumberTable;
  readonly byType: ReadonlyMap<number, AttributeDef>;
}

function defineDictionary(title: string, defs: AttributeDef[]): AttributeDictionary {
  const types: Record<string, number> = {};
  for (const d of defs) types[d.name] = d.type;
  return Object.freeze({ title, types: defineTable(title, types), byType: new Map(defs.map((d) => [d.type, d])) });
}

/** Phase 1 (IKE) SA attributes, RFC 2409 appendix A. */
export const IkeAttr = defineTable('IKE attribute', {
  ENCRYPTION_ALGORITHM: 1,
  HASH_ALGORITHM: 2,
  AUTHENTICATION_METHOD: 3,
  GROUP_DESCRIPTION: 4,
  GROUP_TYPE: 5,
  GROUP_PRIME: 6,
  GROUP_GENERATOR_1: 7,
  GROUP_GENERATOR_2: 8,
  GROUP_CURVE_A: 9,
  GROUP_CURVE_B: 10,
  LIFE_TYPE: 11,
  LIFE_DURATION: 12,
  PRF: 13,
  KEY_LENGTH: 14,
  FIELD_SIZE: 15,
  GROUP_ORDER: 16,
  BLOCK_SIZE: 17,
});

export const IKE_ATTRIBUTES: AttributeDictionary = defineDictionary('IKE attribute', [
  { type: 1, name: 'ENCRYPTION_ALGORITHM', form: 'basic', values: IkeEncryption },
  { type: 2, name: 'HASH_ALGORITHM', form: 'basic', values: IkeHash },
  { type: 3, name: 'AUTHENTICATION_METHOD', form: 'basic', values: IkeAuthMethod },
  { type: 4, name: 'GROUP_DESCRIPTION', form: 'basic', values: GroupDescription },
  { type: 5, name: 'GROUP_TYPE', form: 'basic', values: GroupType },
  { type: 6, name: 'GROUP_PRIME', form: 'variable' },
  { type: 7, name: 'GROUP_GENERATOR_1', form: 'variable' },
  { type: 8, name: 'GROUP_GENERATOR_2', form: 'variable' },
  { type: 9, name: 'GROUP_CURVE_A', form: 'variable' },
  { type: 10, name: 'GROUP_CURVE_B', form: 'variable' },
  { type: 11, name: 'LIFE_TYPE', form: 'basic', values: LifeType },
  { type: 12, name: 'LIFE_DURATION', form: 'variable' },
  { type: 13, name: 'PRF', form: 'basic' },
  { type: 14, name: 'KEY_LENGTH', form: 'basic' },
  { type: 15, name: 'FIELD_SIZE', form: 'basic' },
  { type: 16, name: 'GROUP_ORDER', form: 'variable' },
  { type: 17, name: 'BLOCK_SIZE', form: 'basic' },
]);

/** Phase 2 (IPsec DOI) SA attributes, RFC 2407 4.5 and later registrations. */
export const IpsecAttr = defineTable('IPsec attribute', {
  SA_LIFE_TYPE: 1,
  SA_LIFE_DURATION: 2,
  GROUP_DESCRIPTION: 3,
  ENCAPSULATION_MODE: 4,
  AUTHENTICATION_ALGORITHM: 5,
  KEY_LENGTH: 6,
  KEY_ROUNDS: 7,
  COMPRESS_DICTIONARY_SIZE: 8,
  COMPRESS_PRIVATE_ALGORITHM: 9,
  ECN_TUNNEL: 10, // RFC 3168
  EXTENDED_SEQ: 11, // RFC 4304
  AUTH_KEY_LENGTH: 12,
  SIG_ENC_ALGORITHM: 13,
  ADDRESS_PRESERVATION: 14,
  SA_DIRECTION: 15,
});

export const IPSEC_ATTRIBUTES: AttributeDictionary = defineDictionary('IPsec attribute', [
  { type: 1, name: 'SA_LIFE_TYPE', form: 'basic', values: LifeType },
  { type: 2, name: 'SA_LIFE_DURATION', form: 'variable' },
  { type: 3, name: 'GROUP_DESCRIPTION', form: 'basic', values: GroupDescription },
  { type: 4, name: 'ENCAPSULATION_MODE', form: 'basic', values: EncapsulationMode },
  { type: 5, name: 'AUTHENTICATION_ALGORITHM', form: 'basic', values: IpsecAuthAlgorithm },
  { type: 6, name: 'KEY_LENGTH', form: 'basic' },
  { type: 7, name: 'KEY_ROUNDS', form: 'basic' },
  { type: 8, name: 'COMPRESS_DICTIONARY_SIZE', form: 'basic' },
  { type: 9, name: 'COMPRESS_PRIVATE_ALGORITHM', form: 'variable' },
  { type: 10, name: 'ECN_TUNNEL', form: 'basic' },
  { type: 11, name: 'EXTENDED_SEQ', form: 'basic', values: ExtendedSeq },
  { type: 12, name: 'AUTH_KEY_LENGTH', form: 'basic' },
  { type: 13, name: 'SIG_ENC_ALGORITHM', form: 'basic' },
  { type: 14, name: 'ADDRESS_PRESERVATION', form: 'basic' },
  { type: 15, name: 'SA_DIRECTION', form: 'basic' },
]);

/** Mode Config / XAUTH attributes carried in the ATTRIBUTE payload (14). */
export const CfgAttr = defineTable('configuration attribute', {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP4_NBNS: 4,
  INTERNAL_ADDRESS_EXPIRY: 5,
  INTERNAL_IP4_DHCP: 6,
  APPLICATION_VERSION: 7,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_NETMASK: 9,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP6_NBNS: 11,
  INTERNAL_IP6_DHCP: 12,
  INTERNAL_IP4_SUBNET: 13,
  SUPPORTED_ATTRIBUTES: 14,
  INTERNAL_IP6_SUBNET: 15,
  XAUTH_TYPE: 16520,
  XAUTH_USER_NAME: 16521,
  XAUTH_USER_PASSWORD: 16522,
  XAUTH_PASSCODE: 16523,
  XAUTH_MESSAGE: 16524,
  XAUTH_CHALLENGE: 16525,
  XAUTH_DOMAIN: 16526,
  XAUTH_STATUS: 16527,
  XAUTH_NEXT_PIN: 16528,
  XAUTH_ANSWER: 16529,
});

export const CFG_ATTRIBUTES: AttributeDictionary = defineDictionary('configuration attribute', [
  ...entriesOf(CfgAttr).map(([name, type]): AttributeDef => ({
    type,
    name,
    form: name === 'XAUTH_TYPE' || name === 'XAUTH_STATUS' ? 'basic' : 'variable',
    ...(name === 'XAUTH_TYPE' ? { values: XauthType } : {}),
  })),
]);

/** The attribute dictionary for a transform in a proposal of the given protocol. */
export function attributeDictionaryFor(protocol: number): AttributeDictionary {
  return protocol === ProtocolId.ISAKMP ? IKE_ATTRIBUTES : IPSEC_ATTRIBUTES;
}

export function attributeDef(dict: AttributeDictionary, typeOrName: number | string): AttributeDef | undefined {
  const t = typeof typeOrName === 'number' ? typeOrName : numberOf(dict.types, typeOrName);
  return t === undefined ? undefined : dict.byType.get(t);
}

/** Name of an attribute value, e.g. (IKE_ATTRIBUTES, 1, 7) -> 'AES_CBC'; undefined when not enumerated. */
export function attributeValueName(dict: AttributeDictionary, type: number, value: number): string | undefined {
  const def = dict.byType.get(type);
  return def?.values ? nameOf(def.values, value) : undefined;
}

/** Number of an attribute value by names, e.g. (IKE_ATTRIBUTES, 'ENCRYPTION_ALGORITHM', 'aes_cbc') -> 7. */
export function attributeValueNumber(dict: AttributeDictionary, type: number | string, value: string): number | undefined {
  const def = attributeDef(dict, type);
  return def?.values ? numberOf(def.values, value) : undefined;
}
