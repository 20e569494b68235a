// Shapes that cross the engine boundary: what the daemon feeds in and what it must carry out.
import type { NotifyType } from '../isakmp/numbers.js';

/** A notify type by its name in src/isakmp's table (what a Refusal names). */
export type NotifyName = Extract<keyof typeof NotifyType, string>;

export type Millis = number;

export interface Endpoint {
  address: string;
  port: number;
}
export const endpointKey = (e: Endpoint): string => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);

/** A datagram to send. `plain` is the message before encryption, for the plaintext pcap (-L). */
export interface Outgoing {
  from: Endpoint;
  to: Endpoint;
  data: Uint8Array;
  plain?: Uint8Array;
  /** A NAT-T keepalive (one 0xff byte, RFC 3948 2.3): sent as is, without the non-ESP marker. */
  keepalive?: boolean;
}

/** isakmpd's debug classes (isakmpd(8) -D). */
export const LogClass = {
  misc: 0, transport: 1, message: 2, crypto: 3, timer: 4, sysdep: 5, sa: 6, exchange: 7, negotiation: 8,
  policy: 9, ui: 10,
} as const;
export type LogClassName = keyof typeof LogClass;

export interface LogEvent {
  cls: LogClassName;
  /** isakmpd debug level: 0 = always, higher = chattier; crypto keys only at 99. */
  level: number;
  msg: string;
  /** Set on completed/failed phases, so the daemon can print -v summaries. */
  kind?: 'phase1-done' | 'phase2-done' | 'failed' | 'deleted';
}

export type EspEncr =
  | 'aes-cbc' | '3des-cbc' | 'null' | 'aes-ctr' | 'aes-gcm-8' | 'aes-gcm-12' | 'aes-gcm-16' | 'aes-gmac';
/** 'none' for combined-mode ESP (GCM, GMAC), which carries its own ICV. */
export type IntegAlg = 'hmac-md5' | 'hmac-sha1' | 'hmac-sha2-256' | 'hmac-sha2-384' | 'hmac-sha2-512' | 'none';

/** Keys for one direction of an IPsec SA. */
export interface SaKeys {
  spi: number;
  encKey: Uint8Array;
  authKey: Uint8Array;
}

/** One negotiated IPsec SA pair, as the data plane must install it. */
export interface IpsecSaSpec {
  id: string;
  connection: string;
  local: Endpoint;
  remote: Endpoint;
  /** ESP, or AH alone; AH negotiated next to ESP (a bundle) is `ah`. */
  protocol: 'esp' | 'ah';
  mode: 'tunnel' | 'transport';
  encr: EspEncr;
  keyLength: number;
  integ: IntegAlg;
  pfsGroup?: number;
  lifeSeconds: number;
  /** Byte lifetime (SA_LIFE_TYPE KILOBYTES) the data plane enforces, raising EXPIRE events. */
  lifeKilobytes?: number;
  esn?: boolean;
  localSelector: string;
  remoteSelector: string;
  /** ESP in UDP (RFC 3948) when NAT-T is in use: our port and the peer's. */
  udpEncap?: { localPort: number; remotePort: number };
  inbound: SaKeys;
  outbound: SaKeys;
  /** NAT-OA: the original (pre-NAT) addresses of both ends as the peer stated them (transport mode, NAT-T). */
  natOa?: { local?: string; remote?: string };
  /** The AH SA pair of an AH+ESP bundle, applied outside ESP. */
  ah?: { integ: IntegAlg; inbound: SaKeys; outbound: SaKeys };
}

export type SaChange =
  | { kind: 'add'; sa: IpsecSaSpec }
  | { kind: 'delete'; id: string; inboundSpi: number; outboundSpi: number; remote: Endpoint; local: Endpoint; reason: string };

export interface Effects {
  send: Outgoing[];
  install: SaChange[];
  log: LogEvent[];
  /** When the engine next needs tick(); undefined when it has no pending timer. */
  nextTimer?: Millis;
}

export type Command =
  | { type: 'connect'; name: string }
  | { type: 'teardown'; name?: string; address?: string; phase?: 1 | 2 }
  | { type: 'delete'; icookie: string; rcookie: string; messageId?: number }
  | { type: 'teardown-all' }
  | { type: 'shutdown'; sendDeletes: boolean }
  | { type: 'expire'; spi: number; hard: boolean; reason?: 'bytes' | 'packets' | 'seconds' }
  /** Data plane ACQUIRE: an outbound packet from `src` to `dst` matched a flow without an SA (towards `peer`). */
  | { type: 'acquire'; src: string; dst: string; peer?: string };

/** A failure that already knows its answer: which notify, whether to send it, and why. */
export interface Refusal {
  notify: NotifyName;
  data?: Uint8Array;
  reply: 'notify' | 'silent';
  reason: string;
}
export const refuse = (notify: NotifyName, reason: string, reply: 'notify' | 'silent' = 'notify'): Refusal => ({
  notify,
  reason,
  reply,
});
export const isRefusal = (x: unknown): x is Refusal =>
  typeof x === 'object' && x !== null && 'notify' in x && 'reason' in x && 'reply' in x;
