// The data plane's key-management interface, shaped like PF_KEYv2 (RFC 2367): GETSPI, ADD/UPDATE,
// DELETE, flow (SPD) add/delete, FLUSH, DUMP, and EXPIRE/ACQUIRE messages going the other way.
// Key management (the IKE engine, ipsecadm) talks only to this interface, so a kernel backend could
// replace the userspace one without changes above it. Nothing here knows IKE.

/** Security protocol of an SA. */
export type SaProto = 'esp' | 'ah';
export type SaMode = 'tunnel' | 'transport';

/**
 * ESP encryption transforms. Names follow the IPsec DOI (RFC 2407 section 4.4.4) where one exists;
 * the AES-GCM ICV length is part of the name as in RFC 4106 (ESP_AES_GCM_8/12/16).
 * Key lengths: aes-* take 16/24/32 bytes of cipher key; aes-ctr, aes-gcm-* and aes-gmac take 4 more
 * bytes of salt/nonce at the end (RFC 3686 section 5.1, RFC 4106 section 8.1, RFC 4543 section 3.2).
 */
export type EncAlg =
  | 'null'
  | '3des-cbc'
  | 'aes-cbc'
  | 'aes-ctr'
  | 'aes-gcm-8'
  | 'aes-gcm-12'
  | 'aes-gcm-16'
  | 'aes-gmac';

/** Integrity transforms (RFC 2403, 2404, 4868). Key lengths 16, 20, 32, 48, 64 bytes. */
export type AuthAlg = 'none' | 'hmac-md5-96' | 'hmac-sha1-96' | 'hmac-sha2-256-128' | 'hmac-sha2-384-192' | 'hmac-sha2-512-256';

/** Mapping from IPsec DOI numbers (RFC 2407 4.4.4 ESP transform IDs, 4.5 auth algorithm attribute). */
export const ESP_TRANSFORM_ID: Readonly<Record<number, EncAlg>> = {
  3: '3des-cbc', // ESP_3DES
  11: 'null', // ESP_NULL
  12: 'aes-cbc', // ESP_AES (RFC 3602)
  13: 'aes-ctr', // ESP_AES_CTR (RFC 3686)
  18: 'aes-gcm-8', // RFC 4106
  19: 'aes-gcm-12',
  20: 'aes-gcm-16',
  23: 'aes-gmac', // ESP_NULL_AUTH_AES_GMAC (RFC 4543)
};
export const AUTH_ALGORITHM_ID: Readonly<Record<number, AuthAlg>> = {
  1: 'hmac-md5-96',
  2: 'hmac-sha1-96',
  5: 'hmac-sha2-256-128', // RFC 4868
  6: 'hmac-sha2-384-192',
  7: 'hmac-sha2-512-256',
};
/** AH transform IDs (RFC 2407 4.4.3) -> integrity algorithm. */
export const AH_TRANSFORM_ID: Readonly<Record<number, AuthAlg>> = {
  2: 'hmac-md5-96', // AH_MD5
  3: 'hmac-sha1-96', // AH_SHA
  5: 'hmac-sha2-256-128', // AH_SHA2_256
  6: 'hmac-sha2-384-192',
  7: 'hmac-sha2-512-256',
};

/** Identifies one SA: the SAD key (RFC 4301 section 4.1: destination, SPI, protocol). */
export interface SaRef {
  dst: string; // IPv4 or IPv6 text
  spi: number; // 32-bit, host order
  proto: SaProto;
}

/** Limits for one lifetime kind; unset or 0 means no limit. Seconds count from SA creation. */
export interface LifetimeLimits {
  bytes?: number;
  packets?: number;
  seconds?: number;
}

/** ESP-in-UDP (RFC 3948): ports of the outer UDP header as sent to dst. */
export interface UdpEncap {
  type: 'udp';
  sport: number;
  dport: number;
}

/** SADB_ADD / SADB_UPDATE. */
export interface SaParams {
  spi: number;
  proto: SaProto;
  /** Outer source and destination (the SA's endpoints). Both of one family. */
  src: string;
  dst: string;
  mode: SaMode;
  encap?: UdpEncap;
  /** ESP only. Defaults to 'null' when only auth is given. */
  enc?: { alg: EncAlg; key: Uint8Array };
  /** Required for AH; optional for ESP (not allowed with aes-gcm-* and aes-gmac). */
  auth?: { alg: AuthAlg; key: Uint8Array };
  /** Anti-replay window in packets (RFC 4303 3.4.3). 0 disables replay checks. Default 64. */
  replayWindow?: number;
  /** Extended sequence numbers (RFC 4304). */
  esn?: boolean;
  soft?: LifetimeLimits;
  hard?: LifetimeLimits;
  /** Free text shown by `show sa` (e.g. the IKE connection name). Never interpreted. */
  label?: string;
  /**
   * The one direction this host uses the SA in ('in': it decrypts, 'out': it encrypts), when the key
   * manager knows it. The context is then keyed at install and the SA keeps no copy of its keys;
   * packets the other way through it are dropped as 'unsupported'. Unset: contexts for either
   * direction are made on first use (ipsecadm, loopback setups that use one SA both ways).
   */
  direction?: 'in' | 'out';
}

/** Flow (SPD entry) actions, as ipsecadm(8) names them. */
export type FlowType = 'require' | 'acquire' | 'use' | 'dontacq' | 'bypass' | 'permit' | 'deny';
export type FlowDirection = 'in' | 'out';

/** Traffic selector. Addresses are CIDR text ("192.0.2.0/24", "2001:db8::/32", "192.0.2.1" = /32). */
export interface Selector {
  src: string;
  dst: string;
  /** IP protocol number; 0 or unset = any. */
  proto?: number;
  /** Ports; 0 or unset = any. Only meaningful for TCP/UDP/SCTP. */
  sport?: number;
  dport?: number;
}

export interface FlowParams {
  selector: Selector;
  direction: FlowDirection;
  type: FlowType;
  /**
   * SAs to apply, in the order applied to an outbound packet (innermost first; e.g. [esp, ah] gives
   * IP/AH/ESP/payload). For inbound flows, the SAs the packet must have come through.
   * Unset: chosen at packet time from `peer` and `saProto`, following `group` links (ipsecadm style).
   */
  bundle?: SaRef[];
  /** Remote SA endpoint (ipsecadm -dst). Unset or 0.0.0.0 / ::: the packet's own destination. */
  peer?: string;
  saProto?: SaProto;
  /** Lower sorts first when selectors overlap equally specific ones; default 0. */
  priority?: number;
}

/** A flow as stored; `id` is what deleteFlow takes back. */
export interface FlowInfo extends FlowParams {
  id: number;
  hits: number;
}

export type DropReason =
  | 'short'
  | 'malformed'
  | 'unknown-spi'
  | 'bad-icv'
  | 'bad-padding'
  | 'replay'
  | 'bad-next-header'
  | 'oversize'
  | 'policy-deny'
  | 'no-sa'
  | 'policy-mismatch'
  | 'seq-overflow'
  | 'expired'
  | 'unsupported';

export interface SaCounters {
  bytes: number;
  packets: number;
  replayDrops: number;
  authFailures: number;
  drops: Partial<Record<DropReason, number>>;
}

export interface SaInfo {
  spi: number;
  proto: SaProto;
  src: string;
  dst: string;
  mode: SaMode;
  encap?: UdpEncap;
  enc: EncAlg;
  auth: AuthAlg;
  replayWindow: number;
  esn: boolean;
  soft: LifetimeLimits;
  hard: LifetimeLimits;
  /** Milliseconds since the epoch (per the injected clock). */
  created: number;
  /** Next outbound sequence number to use (only meaningful for outbound use). */
  seqOut: bigint;
  /** Highest inbound sequence number seen. */
  seqInHigh: bigint;
  counters: SaCounters;
  softExpired: boolean;
  /** Grouped next SA (ipsecadm `group`), if any. */
  next?: SaRef;
  label?: string;
}

export interface DataPlaneStats {
  sas: number;
  flows: number;
  drops: Partial<Record<DropReason, number>>;
  inPackets: number;
  outPackets: number;
  crypto: 'libcrypto' | 'node:crypto';
}

/**
 * Lifetime expiry (SADB_EXPIRE). Soft: rekey (also raised, reason 'packets', when an outbound SA is
 * within 2^20 sequence numbers of its end); hard: the SA is already deleted when this fires (also when
 * the sequence number would wrap, which it never does).
 */
export interface ExpireEvent {
  kind: 'soft' | 'hard';
  sa: SaRef;
  reason: 'bytes' | 'packets' | 'seconds';
  src: string;
  label?: string;
}

/** SADB_ACQUIRE: an outbound packet matched a require/acquire flow with no usable SA. */
export interface AcquireEvent {
  flowId: number;
  selector: Selector;
  /** The packet's addresses and ports, for a key manager that negotiates per host. */
  packet: { src: string; dst: string; proto: number; sport: number; dport: number };
  peer?: string;
  saProto: SaProto;
}

export interface DataPlaneEvents {
  expire: (e: ExpireEvent) => void;
  acquire: (e: AcquireEvent) => void;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

/** The key-management interface. Implemented by DataPlane in ./dataplane.ts. */
export interface KeyEngineApi {
  /** SADB_GETSPI: reserve an SPI unused for (dst, proto). Range default 0x100..0xffffffff. */
  getSpi(dst: string, proto: SaProto, range?: { min: number; max: number }): Result<number>;
  /** SADB_ADD. Fails if (dst, spi, proto) exists (other than as a reserved GETSPI larval SA). */
  addSa(p: SaParams): Result<SaRef>;
  /** SADB_UPDATE: replace keys/lifetimes of an existing (or larval) SA; counters are kept. */
  updateSa(p: SaParams): Result<SaRef>;
  /** SADB_DELETE. Flows referring to it stay (they fall back to acquire/drop per type). */
  deleteSa(ref: SaRef): Result<void>;
  /** ipsecadm `group`: applying `first` also applies `second` (first inner, second outer). */
  groupSa(first: SaRef, second: SaRef): Result<void>;
  getSa(ref: SaRef): SaInfo | undefined;
  listSas(): SaInfo[];
  addFlow(f: FlowParams): Result<number>;
  /** Delete by id, or by an identical selector+direction. */
  deleteFlow(idOrFlow: number | { selector: Selector; direction: FlowDirection }): Result<void>;
  listFlows(): FlowInfo[];
  /** SADB_FLUSH: SAs of the given protocols (default all) and, when all, every flow. */
  flush(what?: { esp?: boolean; ah?: boolean; flows?: boolean }): { sas: number; flows: number };
  stats(): DataPlaneStats;
  /** Advance lifetimes (seconds) with the injected clock; call about once a second. */
  tick(now?: number): void;
  on<K extends keyof DataPlaneEvents>(ev: K, fn: DataPlaneEvents[K]): this;
  off<K extends keyof DataPlaneEvents>(ev: K, fn: DataPlaneEvents[K]): this;
}

/** Where an encapsulated packet goes on the wire. */
export interface WireOut {
  /** Full IP packet (outer header + ESP/AH) when encap is none; the ESP bytes alone when udp. */
  bytes: Uint8Array;
  src: string;
  dst: string;
  encap?: UdpEncap;
}

export type OutboundResult =
  | { action: 'protect'; out: WireOut }
  | { action: 'clear'; packet: Uint8Array }
  | { action: 'drop'; reason: DropReason };

export type InboundResult = { action: 'deliver'; packet: Uint8Array } | { action: 'drop'; reason: DropReason };

/** The packet path, used by I/O adapters (TUN, sockets) and by loopback mode. */
export interface PacketApi {
  /** A plaintext IP packet leaving this host (from TUN or the API). */
  outbound(ipPacket: Uint8Array, now?: number): OutboundResult;
  /**
   * A protected packet arriving. `ipPacket` is a full IP packet whose protocol is 50 or 51 (raw
   * sockets), or, for ESP-in-UDP, `esp` bytes with the outer addresses given.
   */
  inbound(ipPacket: Uint8Array, now?: number): InboundResult;
  inboundUdp(esp: Uint8Array, outer: { src: string; dst: string; sport: number; dport: number }, now?: number): InboundResult;
}
