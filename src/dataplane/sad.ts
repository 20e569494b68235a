// The SAD: SAs keyed by (destination, SPI, protocol), found in O(1) through a map on the SPI.
// An SA is one object of fixed shape: addresses as integers (IPv4) or one byte array (IPv6), keys in
// one array until the contexts that need them exist, the replay window inline (Sa extends it), and the
// index links inside the SA itself, so that ten thousand idle tunnels cost little memory each.
import type { AuthAlg, DropReason, EncAlg, LifetimeLimits, SaInfo, SaMode, SaParams, SaProto, SaRef, UdpEncap } from './api.js';
import { AhCrypto } from './ah.js';
import { EspCrypto } from './esp.js';
import { AUTH } from './algorithms.js';
import { normAddr, parseAddr, putV4, v4Int } from './addr.js';
import type { CryptoProvider } from './provider.js';
import { ReplayWindow } from './replay.js';

export const SEQ_MAX_32 = 0xffff_ffff;
export const SEQ_MAX_64 = Number.MAX_SAFE_INTEGER;

const EMPTY = new Uint8Array(0);
const LARVAL = 1;
const SOFT_EXPIRED = 2;
const HARD_EXPIRED = 4;
/** Installed for one direction: its one context was made at install. */
const ONE_WAY = 8;

/**
 * Lifetime limits are set per connection, so thousands of SAs carry the same few: each distinct one is
 * kept once, frozen (a bounded table; past it, SAs get copies of their own).
 */
const sharedLimits = new Map<string, Readonly<LifetimeLimits>>();
const SHARED_LIMITS_MAX = 256;
function shareLimits(l: LifetimeLimits): LifetimeLimits {
  const keys = Object.keys(l);
  const plain = keys.every((k) => (k === 'bytes' || k === 'packets' || k === 'seconds') && (typeof l[k] === 'number' || l[k] === undefined));
  if (!plain) return { ...l };
  const part = (k: keyof LifetimeLimits): string => (k in l ? String(l[k]) : '-');
  const key = `${part('bytes')}|${part('packets')}|${part('seconds')}`;
  let s = sharedLimits.get(key);
  if (!s) {
    if (sharedLimits.size >= SHARED_LIMITS_MAX) return { ...l };
    sharedLimits.set(key, (s = Object.freeze({ ...l })));
  }
  return s;
}

export class Sa extends ReplayWindow {
  /** The SPI as a signed 32-bit integer: a small integer to V8 whatever its top bit. */
  private spi32: number;
  readonly proto: SaProto;
  mode: SaMode;
  readonly srcText: string;
  readonly dstText: string;
  /** IPv4 endpoints as signed 32-bit integers (0 for IPv6). */
  readonly src4: number;
  readonly dst4: number;
  /** IPv6 endpoints, source then destination (null for IPv4). */
  readonly addr6: Uint8Array | null;
  encAlg: EncAlg;
  authAlg: AuthAlg;
  /**
   * Encryption key then authentication key, in one array, kept for contexts made on first use; null
   * when the SA was installed for one direction (its context is made at once and holds the keys).
   */
  private keys: Uint8Array | null;
  encap: UdpEncap | undefined;
  /** Shared and frozen (see shareLimits): never modified in place. */
  soft: Readonly<LifetimeLimits> | undefined;
  hard: Readonly<LifetimeLimits> | undefined;
  label: string | undefined;
  created: number;
  /** Last sequence number sent. */
  seqOut = 0;
  bytes = 0;
  packets = 0;
  /** Per-reason drop counts, created on the first drop: most SAs never drop anything. */
  drops: Partial<Record<DropReason, number>> | undefined = undefined;
  /** LARVAL | SOFT_EXPIRED | HARD_EXPIRED | ONE_WAY. */
  private flags = 0;
  next: SaRef | undefined = undefined;
  /** Contexts per direction, made on first use: an SA normally carries traffic one way only. */
  private cryptoOut: EspCrypto | AhCrypto | undefined = undefined;
  private cryptoIn: EspCrypto | AhCrypto | undefined = undefined;
  /** The SAD's chains: next SA with the same SPI, next older SA to the same destination and protocol. */
  spiNext: Sa | undefined = undefined;
  peerNext: Sa | undefined = undefined;
  /** Order of arrival in the SAD: "newest" for the by-peer index. */
  serial = 0;

  /** p must have passed DataPlane validation (addresses of one family, algorithms and keys checked). */
  constructor(p: SaParams, now: number, provider: CryptoProvider) {
    super(p.replayWindow ?? 64, !!p.esn);
    const s = parseAddr(p.src)!;
    const d = parseAddr(p.dst)!;
    this.spi32 = p.spi | 0;
    this.proto = p.proto;
    this.mode = p.mode;
    this.srcText = normAddr(p.src)!;
    this.dstText = normAddr(p.dst)!;
    if (s.length === 4) {
      this.src4 = v4Int(s);
      this.dst4 = v4Int(d);
      this.addr6 = null;
    } else {
      this.src4 = this.dst4 = 0;
      this.addr6 = new Uint8Array(32);
      this.addr6.set(s, 0);
      this.addr6.set(d, 16);
    }
    this.encAlg = 'null';
    this.authAlg = 'none';
    this.keys = null;
    this.encap = undefined;
    this.soft = undefined;
    this.hard = undefined;
    this.label = undefined;
    this.created = now;
    this.setParams(p, provider);
  }

  /** May throw when the provider cannot make a context (the caller reports it). */
  private setParams(p: SaParams, provider: CryptoProvider): void {
    this.mode = p.mode;
    this.encAlg = p.enc?.alg ?? 'null';
    this.authAlg = p.auth?.alg ?? 'none';
    const ek = p.enc?.key ?? EMPTY;
    const ak = p.auth?.key ?? EMPTY;
    // Copied byte by byte from the caller's arrays: the SA owns its keys and never shares their memory.
    if (ek.length + ak.length) {
      const k = new Uint8Array(ek.length + ak.length);
      for (let i = 0; i < ek.length; i++) k[i] = ek[i]!;
      for (let i = 0; i < ak.length; i++) k[ek.length + i] = ak[i]!;
      this.keys = k;
    } else this.keys = null;
    this.encap = p.encap ? { type: p.encap.type, sport: p.encap.sport, dport: p.encap.dport } : undefined;
    this.soft = p.soft ? shareLimits(p.soft) : undefined;
    this.hard = p.hard ? shareLimits(p.soft === p.hard ? this.soft! : p.hard) : undefined;
    this.label = p.label;
    this.flags &= ~ONE_WAY;
    if (p.direction === 'in' || p.direction === 'out') {
      // One direction only: key its context now and keep no copy of the keys.
      const out = p.direction === 'out';
      if (this.proto === 'esp') this.esp(out, provider);
      else this.ah(out, provider);
      this.keys = null;
      this.flags |= ONE_WAY;
    }
  }

  get larval(): boolean {
    return (this.flags & LARVAL) !== 0;
  }
  set larval(v: boolean) {
    this.flags = v ? this.flags | LARVAL : this.flags & ~LARVAL;
  }
  get softExpired(): boolean {
    return (this.flags & SOFT_EXPIRED) !== 0;
  }
  set softExpired(v: boolean) {
    this.flags = v ? this.flags | SOFT_EXPIRED : this.flags & ~SOFT_EXPIRED;
  }
  get hardExpired(): boolean {
    return (this.flags & HARD_EXPIRED) !== 0;
  }
  set hardExpired(v: boolean) {
    this.flags = v ? this.flags | HARD_EXPIRED : this.flags & ~HARD_EXPIRED;
  }
  get replayDrops(): number {
    return this.drops?.replay ?? 0;
  }
  get authFailures(): number {
    return this.drops?.['bad-icv'] ?? 0;
  }
  /** 4 or 16. */
  get alen(): number {
    return this.addr6 ? 16 : 4;
  }
  /** Bytes of the encryption key (with its salt) at the start of the packed keys. */
  private get encKeyLen(): number {
    if (!this.keys) return 0;
    return this.keys.length - (this.authAlg === 'none' ? 0 : AUTH[this.authAlg].keyLen);
  }

  get spi(): number {
    return this.spi32 >>> 0;
  }

  get ref(): SaRef {
    return { dst: this.dstText, spi: this.spi, proto: this.proto };
  }

  get seqMax(): number {
    return this.esn ? SEQ_MAX_64 : SEQ_MAX_32;
  }

  /** Whether the SA's destination is the address at b[off..off+len). */
  dstIs(b: Uint8Array, off: number, len: number): boolean {
    if (len !== this.alen) return false;
    if (len === 4) return v4Int(b, off) === this.dst4;
    const a = this.addr6!;
    for (let i = 0; i < 16; i++) if (b[off + i] !== a[16 + i]) return false;
    return true;
  }

  /** Writes the source (or destination) address bytes at b[off..]. */
  putSrc(b: Uint8Array, off: number): void {
    if (this.alen === 4) putV4(b, off, this.src4);
    else b.set(this.addr6!.subarray(0, 16), off);
  }
  putDst(b: Uint8Array, off: number): void {
    if (this.alen === 4) putV4(b, off, this.dst4);
    else b.set(this.addr6!.subarray(16, 32), off);
  }

  /** Bytes of key material the SA still holds for contexts not made yet (0 when installed for one direction). */
  get keyBytes(): number {
    return this.keys ? this.keys.length : 0;
  }

  /** The context for one direction; undefined when the SA was installed for the other direction only. */
  esp(out: boolean, provider: CryptoProvider): EspCrypto | undefined {
    const have = out ? this.cryptoOut : this.cryptoIn;
    if (have) return have as EspCrypto;
    if (this.flags & ONE_WAY) return undefined;
    const k = this.keys ?? EMPTY;
    const e = this.encKeyLen;
    const c = new EspCrypto(provider, this.encAlg, k, this.authAlg, k, out, this.esn, e, e, undefined, true);
    if (out) this.cryptoOut = c;
    else this.cryptoIn = c;
    return c;
  }

  ah(out: boolean, provider: CryptoProvider): AhCrypto | undefined {
    const have = out ? this.cryptoOut : this.cryptoIn;
    if (have) return have as AhCrypto;
    if (this.flags & ONE_WAY) return undefined;
    const c = new AhCrypto(provider, this.authAlg as Exclude<AuthAlg, 'none'>, this.keys ?? EMPTY, this.esn, this.encKeyLen, undefined, true);
    if (out) this.cryptoOut = c;
    else this.cryptoIn = c;
    return c;
  }

  /** Replace keys and lifetimes (SADB_UPDATE), keeping counters. */
  rekey(p: SaParams, provider: CryptoProvider): void {
    this.free();
    this.resetWindow(p.replayWindow ?? 64, !!p.esn);
    this.larval = false;
    this.setParams(p, provider);
  }

  free(): void {
    this.cryptoOut?.free();
    this.cryptoIn?.free();
    this.cryptoOut = this.cryptoIn = undefined;
  }

  drop(reason: DropReason): void {
    const d = (this.drops ??= {});
    d[reason] = (d[reason] ?? 0) + 1;
  }

  info(): SaInfo {
    return {
      spi: this.spi,
      proto: this.proto,
      src: this.srcText,
      dst: this.dstText,
      mode: this.mode,
      ...(this.encap ? { encap: { ...this.encap } } : {}),
      enc: this.proto === 'esp' ? this.encAlg : 'null',
      auth: this.authAlg,
      replayWindow: this.size,
      esn: this.esn,
      soft: { ...(this.soft ?? {}) },
      hard: { ...(this.hard ?? {}) },
      created: this.created,
      seqOut: BigInt(this.seqOut + 1),
      seqInHigh: BigInt(this.top),
      counters: {
        bytes: this.bytes,
        packets: this.packets,
        replayDrops: this.replayDrops,
        authFailures: this.authFailures,
        drops: { ...this.drops },
      },
      softExpired: this.softExpired,
      ...(this.next ? { next: { ...this.next } } : {}),
      ...(this.label ? { label: this.label } : {}),
    };
  }
}

/** Which limit of `l` the counters reached, if any. */
export function reached(l: LifetimeLimits | undefined, bytes: number, packets: number, ageSec: number): 'bytes' | 'packets' | 'seconds' | undefined {
  if (!l) return undefined;
  if (l.bytes && bytes >= l.bytes) return 'bytes';
  if (l.packets && packets >= l.packets) return 'packets';
  if (l.seconds && ageSec >= l.seconds) return 'seconds';
  return undefined;
}

// Contexts of an SA are freed when it leaves the SAD; should a whole SAD be dropped without a flush
// (a data plane left to the collector), one finalizer per SAD frees what its SAs still hold. This
// replaces a finalizer registration per context, which cost more than the SA's own record.
const sadRegistry = new FinalizationRegistry<Map<number, Sa>>((bySpi) => {
  for (const head of bySpi.values()) for (let sa: Sa | undefined = head; sa; sa = sa.spiNext) sa.free();
});

export class Sad {
  /** SAs by SPI (as a signed 32-bit key); SPIs shared across destinations chain through Sa.spiNext. */
  private readonly bySpi = new Map<number, Sa>();
  /**
   * Newest SA per destination text, one map per protocol, older ones chained through Sa.peerNext: for
   * flows that name a peer but no SPI (ipsecadm style). Built on first use: a key manager whose flows
   * all name their SAs (the IKE daemon) never pays for it.
   */
  private byPeer: { esp: Map<string, Sa>; ah: Map<string, Sa> } | undefined;
  private nextSerial = 1;
  size = 0;

  constructor() {
    sadRegistry.register(this, this.bySpi);
  }

  find(dst: Uint8Array, dstOff: number, dstLen: number, spi: number, proto: SaProto): Sa | undefined {
    for (let sa = this.bySpi.get(spi | 0); sa; sa = sa.spiNext) if (sa.proto === proto && sa.dstIs(dst, dstOff, dstLen)) return sa;
    return undefined;
  }

  /** By SPI alone, for ESP-in-UDP on a wildcard socket that cannot tell its local address. */
  findBySpi(spi: number, proto: SaProto): Sa | undefined {
    for (let sa = this.bySpi.get(spi | 0); sa; sa = sa.spiNext) if (sa.proto === proto) return sa;
    return undefined;
  }

  get(ref: SaRef): Sa | undefined {
    let norm: string | undefined;
    for (let sa = this.bySpi.get(ref.spi | 0); sa; sa = sa.spiNext) {
      if (sa.proto !== ref.proto) continue;
      if (sa.dstText === ref.dst) return sa;
      // Refs usually carry the normal form already; other spellings are normalised once.
      norm ??= normAddr(ref.dst) ?? '';
      if (sa.dstText === norm) return sa;
    }
    return undefined;
  }

  add(sa: Sa): void {
    const k = sa.spi | 0;
    const head = this.bySpi.get(k);
    sa.spiNext = undefined;
    if (!head) this.bySpi.set(k, sa);
    else {
      let t = head;
      while (t.spiNext) t = t.spiNext;
      t.spiNext = sa;
    }
    sa.serial = this.nextSerial++;
    if (this.byPeer) Sad.linkPeer(this.byPeer, sa);
    this.size++;
  }

  private static linkPeer(byPeer: NonNullable<Sad['byPeer']>, sa: Sa): void {
    const peers = byPeer[sa.proto];
    sa.peerNext = peers.get(sa.dstText);
    peers.set(sa.dstText, sa);
  }

  private peers(): NonNullable<Sad['byPeer']> {
    if (this.byPeer) return this.byPeer;
    const b = { esp: new Map<string, Sa>(), ah: new Map<string, Sa>() };
    for (const sa of [...this.all()].sort((x, y) => x.serial - y.serial)) Sad.linkPeer(b, sa);
    return (this.byPeer = b);
  }

  remove(sa: Sa): void {
    const k = sa.spi | 0;
    const head = this.bySpi.get(k);
    if (head === sa) {
      if (sa.spiNext) this.bySpi.set(k, sa.spiNext);
      else this.bySpi.delete(k);
      this.size--;
    } else {
      for (let t = head; t; t = t.spiNext) {
        if (t.spiNext === sa) {
          t.spiNext = sa.spiNext;
          this.size--;
          break;
        }
      }
    }
    sa.spiNext = undefined;
    if (this.byPeer) {
      const peers = this.byPeer[sa.proto];
      const ph = peers.get(sa.dstText);
      if (ph === sa) {
        if (sa.peerNext) peers.set(sa.dstText, sa.peerNext);
        else peers.delete(sa.dstText);
      } else {
        for (let t = ph; t; t = t.peerNext) {
          if (t.peerNext === sa) {
            t.peerNext = sa.peerNext;
            break;
          }
        }
      }
    }
    sa.peerNext = undefined;
    sa.free();
  }

  /** Newest usable SA to dst (normal text form) for proto. */
  forPeer(dstText: string, proto: SaProto): Sa | undefined {
    for (let sa = this.peers()[proto].get(dstText); sa; sa = sa.peerNext) if (!sa.larval && !sa.hardExpired) return sa;
    return undefined;
  }

  *all(): IterableIterator<Sa> {
    for (const head of this.bySpi.values()) for (let sa: Sa | undefined = head; sa; sa = sa.spiNext) yield sa;
  }
}
