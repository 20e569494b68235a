// What the engine needs to know about peers and connections. The daemon builds this from isakmpd.conf;
// tests build it directly. Names follow isakmpd.conf(5) so the mapping stays obvious.
import type { Endpoint, EspEncr, IntegAlg } from './types.js';
import { IkeEncryption } from '../isakmp/numbers.js';
import type { NotifyName } from './types.js';

export interface Phase1Transform {
  /** IKE ENCRYPTION_ALGORITHM value (src/isakmp IkeEncryption). */
  encr: number;
  keyLength?: number;
  /** IKE HASH_ALGORITHM value. */
  hash: number;
  /** AUTHENTICATION_METHOD; only PRE_SHARED is implemented here. */
  auth: number;
  group: number;
  lifeSeconds: number;
  /** LIFE_TYPE KILOBYTES: the ISAKMP SA expires after this much IKE traffic under it. */
  lifeKilobytes?: number;
}

/** An ID as isakmpd's <Phase1-ID>/<IPsec-ID> sections describe it. */
export type IdSpec =
  | { type: 'IPV4_ADDR' | 'IPV6_ADDR'; address: string; protocol?: number; port?: number }
  | { type: 'IPV4_ADDR_SUBNET' | 'IPV6_ADDR_SUBNET'; network: string; netmask: string; protocol?: number; port?: number }
  | { type: 'FQDN' | 'USER_FQDN' | 'KEY_ID'; name: string };

export interface PeerConfig {
  name: string;
  /** Where to send; for a Default (any address) peer this is absent. */
  address?: Endpoint;
  localAddress?: string;
  /** Pre-shared key (Authentication=); absent for a peer that authenticates with certificates only. */
  psk?: Uint8Array;
  exchange: 'main' | 'aggressive';
  transforms: Phase1Transform[];
  /** Our phase 1 ID; default: our address. */
  id?: IdSpec;
  /** The phase 1 ID the peer must send; default: its address. */
  remoteId?: IdSpec;
  /**
   * Force-encapsulation=yes (an oakley extension): claim a NAT that is not there, so that ESP goes in
   * UDP on port 4500 anyway (strongSwan's encap=yes).
   */
  forceEncapsulation?: boolean;
}

export interface IpsecTransform {
  /** ESP (default) or AH; AH transforms use `integ` only (encr 'null'). */
  protocol?: 'esp' | 'ah';
  encr: EspEncr;
  keyLength?: number;
  integ: IntegAlg;
  mode: 'tunnel' | 'transport';
  /** Set on a received transform whose ENCAPSULATION_MODE asks for ESP in UDP (NAT-T). */
  udpEncap?: boolean;
  /** GROUP_DESCRIPTION: PFS with this group. */
  pfsGroup?: number;
  lifeSeconds: number;
  /** SA_LIFE_TYPE KILOBYTES (RFC 2407 4.5): the SA is renegotiated, then deleted, after this much traffic. */
  lifeKilobytes?: number;
  /** Extended sequence numbers (RFC 4304 EXTENDED_SEQ attribute). */
  esn?: boolean;
}
/** A suite is one proposal number; isakmpd sends each suite as its own proposal (AH and ESP transforms of a suite form a bundle). */
export interface IpsecSuite {
  name: string;
  transforms: IpsecTransform[];
}

export interface ConnectionConfig {
  name: string;
  peer: string;
  suites: IpsecSuite[];
  localId?: IdSpec;
  remoteId?: IdSpec;
  /** Active connections are started at startup and kept up; passive ones are only accepted. */
  passive?: boolean;
}

/** An ID payload as received or sent (type, protocol, port, data), for policy decisions. */
export interface IdValue {
  idType: number;
  protocol: number;
  port: number;
  data: Uint8Array;
}

/** What a Quick Mode responder asks its policy (KeyNote when Use-Keynote is on) before accepting. */
export interface Phase2PolicyQuery {
  peer: string;
  connection: string;
  /** How phase 1 authenticated the peer: its pre-shared key, or the principals its certificate gave. */
  psk?: Uint8Array;
  principals?: string[];
  /** KeyNote credentials derived from the peer's certificate chain (issuer licenses subject). */
  credentials?: string[];
  phase1: { exchange: 'main' | 'aggressive'; group: number; localAddress: string; remoteAddress: string; remotePort: number; remoteId?: IdValue };
  initiator: boolean;
  pfs: boolean;
  /** The chosen ESP transform as it was on the wire (the AH one for AH alone). */
  transformId: number;
  attributes: { type: number; value: number }[];
  /** Every protocol of the chosen proposal (AH+ESP bundles), in the offer's order. */
  protocols?: { protocol: 'esp' | 'ah'; transformId: number; attributes: { type: number; value: number }[] }[];
  localFilter?: IdValue;
  remoteFilter?: IdValue;
}
export type Phase2Policy = (q: Phase2PolicyQuery) => { allow: true } | { allow: false; reason: string };

/** The optional Phase 1 check (an oakley extension, `[General] Phase1-policy=yes`): asked once the peer authenticated. */
export interface Phase1PolicyQuery {
  peer: string;
  exchange: 'main' | 'aggressive';
  group: number;
  localAddress: string;
  remoteAddress: string;
  remoteId: IdValue;
  initiator: boolean;
  psk?: Uint8Array;
  principals?: string[];
  credentials?: string[];
}
export type Phase1Policy = (q: Phase1PolicyQuery) => { allow: true } | { allow: false; reason: string };

/** A CERT or CERT_REQ payload body: the encoding (4 = X.509 signature) and the data. */
export interface CertBodyValue {
  encoding: number;
  data: Uint8Array;
}

/**
 * RSA signature authentication (AUTHENTICATION_METHOD RSA_SIG), provided by the daemon over its
 * certificate stores; the engine only moves payloads and asks.
 */
export interface CertAuth {
  /** Our certificate (and chain) for a local ID, as CERT payload bodies. */
  certificates(localId: IdValue): CertBodyValue[];
  /** HASH_I/HASH_R signed with our private key for that ID; undefined when we have none. */
  sign(hash: Uint8Array, localId: IdValue): Uint8Array | undefined;
  /** The peer's certificate must chain to a trusted CA, name its ID and have signed `hash`. */
  verify(q: { certs: CertBodyValue[]; id: IdValue; hash: Uint8Array; signature: Uint8Array; expectedId?: IdValue }):
    | { ok: true; principals: string[]; subject: string; credentials: string[] }
    | { ok: false; notify: NotifyName; reason: string };
  /** CERT_REQ bodies naming the CAs we trust (sent in messages 3 and 4). */
  certRequests(): CertBodyValue[];
}

export interface EngineConfig {
  peers: PeerConfig[];
  connections: ConnectionConfig[];
  /** [Phase 1] <address>=peer lookups; `Default` covers unknown addresses. */
  phase1ByAddress: Record<string, string>;
  defaultPeer?: string;
  retransmits: number;
  exchangeMaxTimeSec: number;
  certAuth?: CertAuth;
  /** DPD-check-interval in seconds; 0 or absent: we never ask, but still answer. */
  dpdIntervalSec?: number;
  policy?: Phase2Policy;
  /** Default-phase-2-suites: offered for SAs the data plane asks for (ACQUIRE) that no connection covers. */
  defaultSuites?: IpsecSuite[];
  /** When set, phase 1 with an authenticated peer must also pass this check (see Phase1PolicyQuery). */
  phase1Policy?: Phase1Policy;
}

export const DEFAULTS = { retransmits: 3, exchangeMaxTimeSec: 120 } as const;
