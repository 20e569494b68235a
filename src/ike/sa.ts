// The records the engine keeps: ISAKMP SAs (phase 1), the Quick Mode exchanges running under them,
// and the IPsec SAs they produced. Fields are read directly (`show sa`, tests); a gateway keeps thousands of
// established SAs, so those records are compact (IsakmpSaRecord, IpsecSaRecord below).
import type { ConnectionConfig, IpsecTransform, PeerConfig, Phase1Transform } from './config.js';
import type { DhKeyPair, Phase1Keys } from '../crypto/index.js';
import type { Endpoint, IpsecSaSpec, Millis, Outgoing } from './types.js';
import type { Proposal } from '../isakmp/index.js';
import type { IdPayload } from './ids.js';
import { PayloadType } from '../isakmp/numbers.js';

/**
 * Records a message ID as used. The list is replaced by one of exactly the size needed: an array grown by push()
 * (or built by spreading) reserves room for 16 more elements.
 */
export function useMessageId(sa: IsakmpSa, m: number): void {
  sa.usedMessageIds = sa.usedMessageIds.concat(m);
}

/**
 * The configured transform equal to the one negotiated, if any: an established SA then points at the shared
 * configuration object instead of keeping a copy of its own.
 */
export function sharedTransform(configured: readonly Phase1Transform[], t: Phase1Transform): Phase1Transform {
  const same = (c: Phase1Transform): boolean =>
    c.encr === t.encr && c.keyLength === t.keyLength && c.hash === t.hash && c.auth === t.auth && c.group === t.group &&
    c.lifeSeconds === t.lifeSeconds && c.lifeKilobytes === t.lifeKilobytes;
  return configured.find(same) ?? t;
}

/** Retransmission and duplicate bookkeeping for one exchange (isakmpd transport.c / message.c). */
export interface Xmit {
  /** What we sent last; resent on timer while `awaitingReply`, and on a duplicate of `lastRecv`. */
  lastSent?: Outgoing[] | undefined;
  xmits: number;
  lastSentAt?: Millis;
  nextAt?: Millis;
  awaitingReply: boolean;
  /** Hashes of received messages, newest last; the newest one's duplicate triggers a resend. */
  recv: string[];
  startedAt: Millis;
  /**
   * A finished exchange's last message, kept only to answer a duplicate until Exchange-max-time: its bytes
   * as a one-byte string, which costs a third of a Buffer of its own (see keepOnlyReply).
   */
  reply?: { from: Endpoint; to: Endpoint; bytes: string };
}
/** No hashes yet. `recv` is always replaced, never changed in place (see IkeEngine.remember), so this is shared. */
const NO_HASHES = Object.freeze([]) as unknown as string[];

/** Every field present from the start, so V8 keeps them inside the object. */
export const newXmit = (now: Millis): Xmit => ({
  lastSent: undefined, xmits: 0, lastSentAt: undefined, nextAt: undefined, awaitingReply: false, recv: NO_HASHES, startedAt: now, reply: undefined,
});

/** The last message of an exchange, whether still whole or kept as a reply (see Xmit.reply). */
export function lastMessages(x: Xmit): Outgoing[] | undefined {
  if (x.lastSent) return x.lastSent;
  const r = x.reply;
  return r ? [{ from: r.from, to: r.to, data: Buffer.from(r.bytes, 'latin1') }] : undefined;
}

export type Phase1State = 'SA' | 'KE' | 'AUTH' | 'ESTABLISHED' | 'DEAD';

export interface IsakmpSa {
  serial: number;
  /** Each read gives a copy: a cookie changes only by assignment. */
  icookie: Buffer;
  rcookie: Buffer;
  /** The initiator cookie in hex: the SA's key in the engine's tables, kept so that lookups allocate nothing. */
  readonly icookieHex: string;
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
  /** Message IDs of exchanges under this SA so far (a short list; a Set would cost more than it holds). */
  usedMessageIds: number[];
}

/** What an exchange module states when it creates an ISAKMP SA; everything else starts unset. */
export type IsakmpSaStart = Pick<IsakmpSa, 'serial' | 'icookie' | 'rcookie' | 'initiator' | 'exchange' | 'peer' | 'local' | 'remote' | 'state' | 'step' | 'xmit' | 'createdAt' | 'pending'> &
  Partial<IsakmpSa>;

/** What only the Phase 1 exchange of an ISAKMP SA uses. */
interface ExchangeMaterial {
  offered: Phase1Transform[] | undefined;
  saiB: Buffer | undefined;
  dh: DhKeyPair | undefined;
  gxi: Buffer | undefined;
  gxr: Buffer | undefined;
  ni: Buffer | undefined;
  nr: Buffer | undefined;
  peerIdAm: IdPayload | undefined;
}
const EXCHANGE_FIELDS = ['offered', 'saiB', 'dh', 'gxi', 'gxr', 'ni', 'nr', 'peerIdAm'] as const satisfies readonly (keyof ExchangeMaterial)[];

/** Phase 1 is over: drops g^x, nonces, the DH key pair, SAi_b, the offer and Aggressive Mode's first ID. */
export function endExchange(sa: IsakmpSa): void {
  sa.dh = sa.gxi = sa.gxr = sa.saiB = sa.ni = sa.nr = sa.peerIdAm = sa.offered = undefined;
  if (sa instanceof IsakmpSaRecord) sa.endExchange();
}

/** A new ISAKMP SA record (see IsakmpSaRecord). */
export function newIsakmpSa(o: IsakmpSaStart): IsakmpSa {
  return new IsakmpSaRecord(o);
}

/** Bytes kept as a one-byte string: a short string costs a few dozen bytes, a small Buffer ~200 besides its contents. */
const toLatin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
/**
 * A fresh Buffer of its own (not a slice of Node's shared pool) with the bytes of a one-byte string. Copied
 * by hand: these are cookies and IDs of a few bytes, read several times per message, and Buffer#write's
 * encoder costs more than the copy.
 */
function fromLatin1(s: string, start = 0, end = s.length): Buffer {
  const b = Buffer.alloc(end - start);
  for (let i = start; i < end; i++) b[i - start] = s.charCodeAt(i);
  return b;
}

/**
 * An ISAKMP SA record. Thousands are kept, so every field is present from the start (V8 keeps them inside the
 * object), and the cookies and the peer's ID are held as one-byte strings that come out as fresh Buffers on
 * each read. A returned Buffer is a copy: a cookie changes by assignment (`sa.rcookie = ...`).
 */
class IsakmpSaRecord implements IsakmpSa {
  serial: number;
  #cookies: string;
  #icookieHex: string;
  /** ID type, protocol, port (2 bytes) and data of the peer's ID payload. */
  #peerId: string | undefined;
  /** What only the Phase 1 exchange uses, in an object of its own that goes when it is over (endExchange). */
  #hs: ExchangeMaterial | undefined;
  initiator: boolean;
  exchange: 'main' | 'aggressive';
  peer: PeerConfig;
  local: Endpoint;
  remote: Endpoint;
  state: Phase1State;
  step: number;
  transform: Phase1Transform | undefined;
  keys: Phase1Keys | undefined;
  idI: string | undefined;
  idR: string | undefined;
  principals: string[] | undefined;
  credentials: string[] | undefined;
  peerCert: string | undefined;
  xmit: Xmit;
  natT: 'rfc' | 'draft' | undefined;
  natLocal: boolean | undefined;
  natRemote: boolean | undefined;
  keepaliveAt: Millis | undefined;
  lastHeardAt: Millis | undefined;
  dpd: IsakmpSa['dpd'];
  dpdNext: Millis | undefined;
  createdAt: Millis;
  establishedAt: Millis | undefined;
  hardAt: Millis | undefined;
  ikeBytes: number | undefined;
  pending: string[];
  usedMessageIds: number[];

  constructor(o: IsakmpSaStart) {
    this.serial = o.serial;
    this.#cookies = toLatin1(o.icookie.subarray(0, 8)) + toLatin1(o.rcookie.subarray(0, 8));
    this.#icookieHex = Buffer.from(o.icookie.buffer, o.icookie.byteOffset, 8).toString('hex');
    this.#peerId = undefined;
    this.#hs = undefined;
    this.initiator = o.initiator;
    this.exchange = o.exchange;
    this.peer = o.peer;
    this.local = o.local;
    this.remote = o.remote;
    this.state = o.state;
    this.step = o.step;
    this.transform = o.transform;
    this.keys = o.keys;
    this.idI = o.idI;
    this.idR = o.idR;
    this.principals = o.principals;
    this.credentials = o.credentials;
    this.peerCert = o.peerCert;
    this.xmit = o.xmit;
    this.natT = o.natT;
    this.natLocal = o.natLocal;
    this.natRemote = o.natRemote;
    this.keepaliveAt = o.keepaliveAt;
    this.lastHeardAt = o.lastHeardAt;
    this.dpd = o.dpd;
    this.dpdNext = o.dpdNext;
    this.createdAt = o.createdAt;
    this.establishedAt = o.establishedAt;
    this.hardAt = o.hardAt;
    this.ikeBytes = o.ikeBytes;
    this.pending = o.pending;
    this.usedMessageIds = o.usedMessageIds ?? [];
    if (o.peerId) this.peerId = o.peerId;
    this.offered = o.offered;
    this.saiB = o.saiB;
    this.dh = o.dh;
    this.gxi = o.gxi;
    this.gxr = o.gxr;
    this.ni = o.ni;
    this.nr = o.nr;
    this.peerIdAm = o.peerIdAm;
  }

  // The exchange material reads and writes as plain fields; the accessors put it in #hs, made on the
  // first write of a value, so an SA past Phase 1 carries none of it.
  declare offered: ExchangeMaterial['offered'];
  declare saiB: ExchangeMaterial['saiB'];
  declare dh: ExchangeMaterial['dh'];
  declare gxi: ExchangeMaterial['gxi'];
  declare gxr: ExchangeMaterial['gxr'];
  declare ni: ExchangeMaterial['ni'];
  declare nr: ExchangeMaterial['nr'];
  declare peerIdAm: ExchangeMaterial['peerIdAm'];
  static {
    for (const k of EXCHANGE_FIELDS) {
      Object.defineProperty(IsakmpSaRecord.prototype, k, {
        get(this: IsakmpSaRecord) {
          return this.#hs?.[k];
        },
        set(this: IsakmpSaRecord, v: unknown) {
          if (v !== undefined || this.#hs) (this.#exchange() as unknown as Record<string, unknown>)[k] = v;
        },
      });
    }
  }

  #exchange(): ExchangeMaterial {
    return (this.#hs ??= { offered: undefined, saiB: undefined, dh: undefined, gxi: undefined, gxr: undefined, ni: undefined, nr: undefined, peerIdAm: undefined });
  }

  /** Phase 1 is over: the exchange material goes, with the object that held it. */
  endExchange(): void {
    this.#hs = undefined;
  }

  get icookie(): Buffer {
    return fromLatin1(this.#cookies, 0, 8);
  }
  set icookie(b: Uint8Array) {
    this.#cookies = toLatin1(b.subarray(0, 8)) + this.#cookies.slice(8);
    this.#icookieHex = Buffer.from(b.buffer, b.byteOffset, 8).toString('hex');
  }
  get icookieHex(): string {
    return this.#icookieHex;
  }
  get rcookie(): Buffer {
    return fromLatin1(this.#cookies, 8, 16);
  }
  set rcookie(b: Uint8Array) {
    this.#cookies = this.#cookies.slice(0, 8) + toLatin1(b.subarray(0, 8));
  }

  get peerId(): IdPayload | undefined {
    const p = this.#peerId;
    if (p === undefined) return undefined;
    return {
      type: PayloadType.ID, idType: p.charCodeAt(0), protocol: p.charCodeAt(1), port: (p.charCodeAt(2) << 8) | p.charCodeAt(3),
      data: fromLatin1(p, 4),
    };
  }
  set peerId(id: IdPayload | undefined) {
    this.#peerId = id === undefined ? undefined : String.fromCharCode(id.idType, id.protocol, id.port >> 8, id.port & 0xff) + toLatin1(id.data);
  }
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

/** A Quick Mode record with every field present from the start (V8 keeps them inside the object). */
export function newQuick(o: Pick<QuickExchange, 'messageId' | 'isakmp' | 'initiator' | 'state' | 'spiIn' | 'xmit'> & { connection?: ConnectionConfig }): QuickExchange {
  return {
    messageId: o.messageId, isakmp: o.isakmp, initiator: o.initiator, connection: o.connection, state: o.state, ni: undefined, nr: undefined,
    dh: undefined, gxy: undefined, spiIn: o.spiIn, spiInAh: undefined, parts: undefined, proposals: undefined, idci: undefined, idcr: undefined,
    xmit: o.xmit, natOa: undefined, keepUntil: undefined,
  };
}

export interface IpsecSa {
  /** The SA as installed, without keys (they went to the data plane only); built on each read. */
  readonly spec: IpsecSaSpec;
  /** spec.id, spec.connection and spec.remote.address, without building the spec (the engine's indexes). */
  readonly id: string;
  readonly connection: string;
  readonly remoteAddress: string;
  peer: string;
  isakmpSerial: number;
  /** Whether `spi` is one of its SPIs (either direction, ESP or AH), without building the spec. */
  hasSpi(spi: number): boolean;
  createdAt: Millis;
  /** isakmpd sa_setup_expirations: a new SA is negotiated at a random 85-95 % of the lifetime. */
  softAt: Millis;
  rekeyStarted?: boolean;
  hardAt: Millis;
}

/** What a new IPsec SA record takes besides its spec (the rest is read from the spec). */
type IpsecSaStart = Omit<IpsecSa, 'spec' | 'id' | 'connection' | 'remoteAddress' | 'hasSpi'>;

/** What every IPsec SA negotiated alike has in common; records share one object per combination. */
interface IpsecAlgo {
  readonly protocol: IpsecSaSpec['protocol'];
  readonly mode: IpsecSaSpec['mode'];
  readonly encr: IpsecSaSpec['encr'];
  readonly keyLength: number;
  readonly integ: IpsecSaSpec['integ'];
  readonly pfsGroup: number | undefined;
  readonly lifeSeconds: number;
  readonly lifeKilobytes: number | undefined;
  readonly esn: boolean | undefined;
  readonly ahInteg: IpsecSaSpec['integ'] | undefined;
}
const algos = new Map<string, IpsecAlgo>();
/** Bounds the sharing table; a cleared table only means new records stop sharing with older ones. */
const MAX_ALGOS = 256;

function internAlgo(s: IpsecSaSpec): IpsecAlgo {
  const a: IpsecAlgo = {
    protocol: s.protocol, mode: s.mode, encr: s.encr, keyLength: s.keyLength, integ: s.integ, pfsGroup: s.pfsGroup,
    lifeSeconds: s.lifeSeconds, lifeKilobytes: s.lifeKilobytes, esn: s.esn, ahInteg: s.ah?.integ,
  };
  const k = JSON.stringify(Object.values(a));
  const had = algos.get(k);
  if (had) return had;
  if (algos.size >= MAX_ALGOS) algos.clear();
  algos.set(k, a);
  return a;
}

const NO_KEY = new Uint8Array(0);
const keyless = (spi: number): IpsecSaSpec['inbound'] => ({ spi, encKey: NO_KEY, authKey: NO_KEY });

/**
 * An IPsec SA record. Thousands are kept, so it holds only what differs between SAs (id, SPIs, endpoints,
 * selectors, times) and shares the rest (see IpsecAlgo) with the configuration and other records; `spec` is
 * rebuilt from that on each read, keyless.
 */
class IpsecSaRecord implements IpsecSa {
  peer: string;
  isakmpSerial: number;
  createdAt: Millis;
  softAt: Millis;
  rekeyStarted: boolean | undefined;
  hardAt: Millis;
  readonly #id: string;
  readonly #connection: string;
  readonly #local: Endpoint;
  readonly #remote: Endpoint;
  readonly #localSelector: string;
  readonly #remoteSelector: string;
  readonly #spiIn: number;
  readonly #spiOut: number;
  readonly #ahSpiIn: number | undefined;
  readonly #ahSpiOut: number | undefined;
  readonly #udpEncap: IpsecSaSpec['udpEncap'];
  readonly #natOa: IpsecSaSpec['natOa'];
  readonly #algo: IpsecAlgo;

  constructor(spec: IpsecSaSpec, o: IpsecSaStart) {
    this.peer = o.peer;
    this.isakmpSerial = o.isakmpSerial;
    this.createdAt = o.createdAt;
    this.softAt = o.softAt;
    this.rekeyStarted = o.rekeyStarted;
    this.hardAt = o.hardAt;
    this.#id = spec.id;
    this.#connection = spec.connection;
    this.#local = spec.local;
    this.#remote = spec.remote;
    this.#localSelector = spec.localSelector;
    this.#remoteSelector = spec.remoteSelector;
    this.#spiIn = spec.inbound.spi;
    this.#spiOut = spec.outbound.spi;
    this.#ahSpiIn = spec.ah?.inbound.spi;
    this.#ahSpiOut = spec.ah?.outbound.spi;
    this.#udpEncap = spec.udpEncap;
    this.#natOa = spec.natOa;
    this.#algo = internAlgo(spec);
  }

  get id(): string {
    return this.#id;
  }
  get connection(): string {
    return this.#connection;
  }
  get remoteAddress(): string {
    return this.#remote.address;
  }

  hasSpi(spi: number): boolean {
    return spi === this.#spiIn || spi === this.#spiOut || (this.#ahSpiIn !== undefined && (spi === this.#ahSpiIn || spi === this.#ahSpiOut));
  }

  get spec(): IpsecSaSpec {
    const a = this.#algo;
    return {
      id: this.#id, connection: this.#connection, local: this.#local, remote: this.#remote, protocol: a.protocol, mode: a.mode,
      encr: a.encr, keyLength: a.keyLength, integ: a.integ,
      ...(a.pfsGroup !== undefined ? { pfsGroup: a.pfsGroup } : {}),
      lifeSeconds: a.lifeSeconds,
      ...(a.lifeKilobytes !== undefined ? { lifeKilobytes: a.lifeKilobytes } : {}),
      ...(a.esn !== undefined ? { esn: a.esn } : {}),
      localSelector: this.#localSelector, remoteSelector: this.#remoteSelector,
      ...(this.#udpEncap ? { udpEncap: this.#udpEncap } : {}),
      inbound: keyless(this.#spiIn), outbound: keyless(this.#spiOut),
      ...(this.#natOa ? { natOa: this.#natOa } : {}),
      ...(a.ahInteg !== undefined ? { ah: { integ: a.ahInteg, inbound: keyless(this.#ahSpiIn!), outbound: keyless(this.#ahSpiOut!) } } : {}),
    };
  }
}

/** The engine's record of a negotiated IPsec SA (its keys stay out of it). */
export function newIpsecSa(spec: IpsecSaSpec, o: IpsecSaStart): IpsecSa {
  return new IpsecSaRecord(spec, o);
}
