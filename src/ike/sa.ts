// The records the engine keeps: ISAKMP SAs (phase 1), the Quick Mode exchanges running under them,
// and the IPsec SAs they produced. Plain data, so `show sa` and tests can read them directly.
import type { ConnectionConfig, IpsecTransform, PeerConfig, Phase1Transform } from './config.js';
import type { DhKeyPair, Phase1Keys } from '../crypto/index.js';
import type { Endpoint, IpsecSaSpec, Millis, Outgoing } from './types.js';
import type { Proposal } from '../isakmp/index.js';
import type { IdPayload } from './ids.js';

/** Retransmission and duplicate bookkeeping for one exchange (isakmpd transport.c / message.c). */
export interface Xmit {
  /** What we sent last; resent on timer while `awaitingReply`, and on a duplicate of `lastRecv`. */
  lastSent?: Outgoing[];
  xmits: number;
  lastSentAt?: Millis;
  nextAt?: Millis;
  awaitingReply: boolean;
  /** Hashes of received messages, newest last; the newest one's duplicate triggers a resend. */
  recv: string[];
  startedAt: Millis;
}
export const newXmit = (now: Millis): Xmit => ({ xmits: 0, awaitingReply: false, recv: [], startedAt: now });

export type Phase1State = 'SA' | 'KE' | 'AUTH' | 'ESTABLISHED' | 'DEAD';

export interface IsakmpSa {
  serial: number;
  icookie: Buffer;
  rcookie: Buffer;
  initiator: boolean;
  exchange: 'main' | 'aggressive';
  peer: PeerConfig;
  local: Endpoint;
  remote: Endpoint;
  state: Phase1State;
  /** Next step we expect to receive (index into MAIN_MODE or AGGRESSIVE_MODE). */
  step: number;
  /** What we offered or accept; dropped once established. */
  offered?: Phase1Transform[];
  transform?: Phase1Transform;
  saiB?: Buffer;
  dh?: DhKeyPair;
  gxi?: Buffer;
  gxr?: Buffer;
  ni?: Buffer;
  nr?: Buffer;
  /** SKEYID*, the hashes and the CBC IV chains (src/crypto keymat); set once g^xy is known. */
  keys?: Phase1Keys;
  idI?: string;
  idR?: string;
  /** The peer's phase 1 ID payload, for policy. */
  peerId?: IdPayload;
  /** RSA_SIG: the requesting principals the peer's certificate gave (for KeyNote), and its subject. */
  principals?: string[];
  credentials?: string[];
  peerCert?: string;
  /** Aggressive Mode responder: IDii from the first message, checked with HASH_I in the third. */
  peerIdAm?: IdPayload;
  xmit: Xmit;
  /** NAT-T variant agreed through vendor IDs, and what the NAT-D payloads showed. */
  natT?: 'rfc' | 'draft';
  natLocal?: boolean;
  natRemote?: boolean;
  keepaliveAt?: Millis;
  /** Last authenticated message from the peer (DPD counts idle time from it). */
  lastHeardAt?: Millis;
  dpd?: { peerSupports: boolean; seq: number; outstanding?: number; tries: number; sentAt?: Millis };
  dpdNext?: Millis;
  createdAt: Millis;
  establishedAt?: Millis;
  hardAt?: Millis;
  /** IKE bytes under this SA, both ways (for a KILOBYTES lifetime). */
  ikeBytes?: number;
  /** Connections waiting for this SA to come up. */
  pending: string[];
  usedMessageIds: Set<number>;
}

export type QmState = 'SENT1' | 'SENT2' | 'DONE';

export interface QuickExchange {
  messageId: number;
  isakmp: IsakmpSa;
  initiator: boolean;
  connection?: ConnectionConfig;
  state: QmState;
  ni?: Buffer;
  nr?: Buffer;
  dh?: DhKeyPair;
  /** PFS g^xy, kept by the responder between HASH(2) and HASH(3). */
  gxy?: Buffer;
  /** Our inbound SPI for ESP (or for AH in an AH-only proposal); spiInAh for AH offered next to ESP. */
  spiIn: number;
  spiInAh?: number;
  /** The negotiated SAs: one per protocol of the chosen proposal (ESP, AH, or both). */
  parts?: { protocol: 'esp' | 'ah'; chosen: IpsecTransform; spiIn: number; peerSpi: number }[];
  proposals?: Proposal[];
  idci?: IdPayload;
  idcr?: IdPayload;
  xmit: Xmit;
  /** NAT-OA (RFC 3947 5.2): the original addresses the peer stated, for transport mode behind a NAT. */
  natOa?: { initiator?: string; responder?: string };
  /** Finished exchanges are kept until Exchange-max-time so duplicates still get their answer. */
  keepUntil?: Millis;
}

export interface IpsecSa {
  spec: IpsecSaSpec;
  peer: string;
  isakmpSerial: number;
  createdAt: Millis;
  /** isakmpd sa_setup_expirations: a new SA is negotiated at a random 85-95 % of the lifetime. */
  softAt: Millis;
  rekeyStarted?: boolean;
  hardAt: Millis;
}
