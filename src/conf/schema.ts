// What each kind of section may hold: one table read by validation, by the dump (tag order) and by docs.
// Symbolic values come from the shared number tables in src/isakmp/numbers.ts; isakmpd matches them
// case-insensitively against its own spelling, without aliases, so validation does the same.
import {
  Doi, ExchangeType, IkeEncryption, IkeHash, IkeAuthMethod, GroupDescription, GroupType, LifeType, ProtocolId,
  EspTransformId, AhTransformId, IpcompTransformId, EncapsulationMode, IpsecAuthAlgorithm, IdType, type NumberTable,
} from '../isakmp/numbers.js';

export type Kind =
  | 'general' | 'phase1-root' | 'phase2-root' | 'x509' | 'keynote'
  | 'isakmp-peer' | 'phase1-id' | 'isakmp-configuration' | 'isakmp-transform' | 'lifetime'
  | 'ipsec-connection' | 'ipsec-configuration' | 'ipsec-suite' | 'ipsec-protocol' | 'ipsec-transform' | 'ipsec-id'
  | 'initiator-id' | 'ikecfg-id';

export type TagSpec =
  | { t: 'int'; min?: number; max?: number }
  | { t: 'offer'; any?: boolean; multipleOf?: number }
  | { t: 'sym'; table: NumberTable; only?: readonly string[]; implemented?: readonly string[]; any?: boolean }
  | { t: 'ref'; kind: Kind }
  | { t: 'refs'; kind: Kind; any?: boolean }
  | { t: 'oneOf'; values: readonly string[] }
  | { t: 'str' }
  | { t: 'flag' }
  | { t: 'port' }
  | { t: 'psk' }
  | { t: 'addr'; names?: boolean }
  | { t: 'list' };

export interface SectionSpec {
  title: string;
  tags: Record<string, TagSpec>;
  /** Tags that isakmpd itself sets at run time: accepted silently. */
  internal?: readonly string[];
}

const LIFE: TagSpec = { t: 'refs', kind: 'lifetime', any: true };
const GROUPS_IMPLEMENTED = ['MODP_768', 'MODP_1024', 'EC2N_155', 'EC2N_185', 'MODP_1536', 'MODP_2048', 'MODP_3072', 'MODP_4096',
  'MODP_6144', 'MODP_8192', 'ECP_256', 'ECP_384', 'ECP_521', 'ECP_192', 'ECP_224', 'BP_224', 'BP_256', 'BP_384', 'BP_512'];

export const SECTION_SPECS: Record<Kind, SectionSpec> = {
  general: {
    title: 'General',
    tags: {
      'Acquire-Only': { t: 'flag' },
      'Check-interval': { t: 'int', min: 1 },
      'Default-phase-1-ID': { t: 'ref', kind: 'phase1-id' },
      'Default-phase-1-lifetime': { t: 'offer' },
      'Default-phase-2-lifetime': { t: 'offer' },
      'Default-phase-2-suites': { t: 'refs', kind: 'ipsec-suite' },
      'DPD-check-interval': { t: 'int', min: 0 },
      'Exchange-max-time': { t: 'int', min: 1 },
      'Listen-on': { t: 'list' },
      'Loglevel': { t: 'list' },
      'Logverbose': { t: 'flag' },
      'NAT-T-Keepalive': { t: 'int' },
      'Policy-file': { t: 'str' },
      'Pubkey-directory': { t: 'str' },
      'Renegotiate-on-HUP': { t: 'flag' },
      'Retransmits': { t: 'int', min: 0 },
      'Shared-SADB': { t: 'flag' },
      'Use-Keynote': { t: 'str' },
      'Delete-SAs': { t: 'str' },
      // oakley extensions (isakmpd has none of these): the optional Phase 1 KeyNote check, and the MTUs
      // of the TUN device and of the outer link when the daemon carries traffic itself (--tun).
      'Phase1-policy': { t: 'str' },
      'Tun-MTU': { t: 'int', min: 576, max: 65535 },
      'Link-MTU': { t: 'int', min: 576, max: 65535 },
    },
  },
  'phase1-root': { title: 'Phase 1', tags: { Default: { t: 'ref', kind: 'isakmp-peer' } } },
  'phase2-root': {
    title: 'Phase 2',
    tags: { Connections: { t: 'refs', kind: 'ipsec-connection' }, 'Passive-connections': { t: 'refs', kind: 'ipsec-connection' } },
  },
  x509: {
    title: 'X509-certificates',
    tags: {
      'Accept-self-signed': { t: 'flag' },
      'CA-directory': { t: 'str' },
      'Cert-directory': { t: 'str' },
      'CRL-directory': { t: 'str' },
      'Private-key': { t: 'str' },
      'Private-key-directory': { t: 'str' },
    },
  },
  keynote: { title: 'KeyNote', tags: { 'Credential-directory': { t: 'str' } } },
  'isakmp-peer': {
    title: 'ISAKMP-peer',
    tags: {
      Phase: { t: 'int', min: 1, max: 1 },
      Transport: { t: 'oneOf', values: ['udp', 'udp_physical', 'udp_encap'] },
      Address: { t: 'addr' },
      'Local-address': { t: 'addr' },
      Port: { t: 'port' },
      Configuration: { t: 'ref', kind: 'isakmp-configuration' },
      Authentication: { t: 'psk' },
      ID: { t: 'ref', kind: 'phase1-id' },
      'Remote-ID': { t: 'ref', kind: 'phase1-id' },
      Flags: { t: 'list' },
      // oakley extension (isakmpd has none): claim a NAT in phase 1 so ESP goes in UDP on port 4500
      // even without one (strongSwan's encap=yes); with --tun that path sends with UDP GSO.
      'Force-encapsulation': { t: 'oneOf', values: ['yes', 'no'] },
    },
  },
  'phase1-id': {
    title: 'Phase1-ID',
    tags: {
      'ID-type': { t: 'sym', table: IdType, only: ['IPV4_ADDR', 'IPV4_ADDR_SUBNET', 'IPV6_ADDR', 'IPV6_ADDR_SUBNET', 'FQDN', 'USER_FQDN', 'KEY_ID', 'DER_ASN1_DN', 'DER_ASN1_GN'] },
      Address: { t: 'addr', names: true },
      Network: { t: 'addr', names: true },
      Netmask: { t: 'addr' },
      Name: { t: 'str' },
    },
  },
  'isakmp-configuration': {
    title: 'ISAKMP-configuration',
    tags: {
      DOI: { t: 'sym', table: Doi },
      EXCHANGE_TYPE: { t: 'sym', table: ExchangeType, only: ['ID_PROT', 'AGGRESSIVE'] },
      Transforms: { t: 'refs', kind: 'isakmp-transform' },
    },
  },
  'isakmp-transform': {
    title: 'ISAKMP-transform',
    tags: {
      ENCRYPTION_ALGORITHM: { t: 'sym', table: IkeEncryption, any: true, implemented: ['3DES_CBC', 'BLOWFISH_CBC', 'CAST_CBC', 'AES_CBC'] },
      HASH_ALGORITHM: { t: 'sym', table: IkeHash, any: true, implemented: ['MD5', 'SHA', 'SHA2_256', 'SHA2_384', 'SHA2_512'] },
      AUTHENTICATION_METHOD: { t: 'sym', table: IkeAuthMethod, any: true, implemented: ['PRE_SHARED', 'RSA_SIG'] },
      GROUP_DESCRIPTION: { t: 'sym', table: GroupDescription, any: true, implemented: GROUPS_IMPLEMENTED },
      GROUP_TYPE: { t: 'sym', table: GroupType, any: true },
      PRF: { t: 'str' },
      KEY_LENGTH: { t: 'offer', any: true, multipleOf: 8 },
      FIELD_SIZE: { t: 'int' },
      GROUP_ORDER: { t: 'str' },
      Life: LIFE,
    },
  },
  lifetime: {
    title: 'Lifetime',
    tags: {
      LIFE_TYPE: { t: 'sym', table: LifeType },
      LIFE_DURATION: { t: 'offer', any: true },
    },
  },
  'ipsec-connection': {
    title: 'IPsec-connection',
    tags: {
      Phase: { t: 'int', min: 2, max: 2 },
      'ISAKMP-peer': { t: 'ref', kind: 'isakmp-peer' },
      Configuration: { t: 'ref', kind: 'ipsec-configuration' },
      'Local-ID': { t: 'ref', kind: 'ipsec-id' },
      'Remote-ID': { t: 'ref', kind: 'ipsec-id' },
      Flags: { t: 'list' },
      'PF-Tag': { t: 'str' },
      'NAT-ID': { t: 'ref', kind: 'ipsec-id' },
    },
    internal: ['Acquire-ID', 'Refcount', 'Credentials', 'Credential_Type', 'PKAuthentication'],
  },
  'ipsec-configuration': {
    title: 'IPsec-configuration',
    tags: {
      DOI: { t: 'sym', table: Doi },
      EXCHANGE_TYPE: { t: 'sym', table: ExchangeType, only: ['QUICK_MODE'] },
      Suites: { t: 'refs', kind: 'ipsec-suite' },
    },
  },
  'ipsec-suite': { title: 'IPsec-suite', tags: { Protocols: { t: 'refs', kind: 'ipsec-protocol' } } },
  'ipsec-protocol': {
    title: 'IPsec-protocol',
    tags: {
      PROTOCOL_ID: { t: 'sym', table: ProtocolId, only: ['IPSEC_AH', 'IPSEC_ESP', 'IPCOMP'] },
      ReplayWindow: { t: 'int' },
      Transforms: { t: 'refs', kind: 'ipsec-transform' },
    },
  },
  'ipsec-transform': {
    title: 'IPsec-transform',
    tags: {
      // The TRANSFORM_ID table depends on the protocol; validate.ts picks it.
      TRANSFORM_ID: { t: 'str' },
      ENCAPSULATION_MODE: { t: 'sym', table: EncapsulationMode, any: true },
      AUTHENTICATION_ALGORITHM: { t: 'sym', table: IpsecAuthAlgorithm, any: true, only: ['HMAC_MD5', 'HMAC_SHA', 'DES_MAC', 'KPDK', 'HMAC_SHA2_256', 'HMAC_SHA2_384', 'HMAC_SHA2_512', 'HMAC_RIPEMD'] },
      GROUP_DESCRIPTION: { t: 'sym', table: GroupDescription, any: true, implemented: GROUPS_IMPLEMENTED },
      KEY_LENGTH: { t: 'offer', any: true, multipleOf: 8 },
      KEY_ROUNDS: { t: 'int' },
      COMPRESS_DICTIONARY_SIZE: { t: 'int' },
      COMPRESS_PRIVATE_ALGORITHM: { t: 'int' },
      ECN_TUNNEL: { t: 'str' },
      Life: LIFE,
    },
  },
  'ipsec-id': {
    title: 'IPsec-ID',
    tags: {
      'ID-type': { t: 'sym', table: IdType, only: ['IPV4_ADDR', 'IPV6_ADDR', 'IPV4_ADDR_SUBNET', 'IPV6_ADDR_SUBNET'] },
      Address: { t: 'addr', names: true },
      Network: { t: 'addr', names: true },
      Netmask: { t: 'addr' },
      Protocol: { t: 'str' },
      Port: { t: 'str' },
    },
  },
  'initiator-id': { title: 'Initiator-ID', tags: { Authentication: { t: 'psk' } } },
  'ikecfg-id': {
    title: 'IKECFG-ID',
    tags: {
      Address: { t: 'addr' },
      Netmask: { t: 'addr' },
      Nameserver: { t: 'addr' },
      'WINS-server': { t: 'addr' },
      'DHCP-server': { t: 'addr' },
      Lifetime: { t: 'int' },
      Prefix: { t: 'int' },
      Mode: { t: 'str' },
      Attributes: { t: 'list' },
    },
  },
};

/** TRANSFORM_ID tables by PROTOCOL_ID, as isakmpd picks them (ipsec.c). */
export const TRANSFORM_TABLES: Record<string, NumberTable> = {
  IPSEC_ESP: EspTransformId,
  IPSEC_AH: AhTransformId,
  IPCOMP: IpcompTransformId,
};
