// The SAD: SAs keyed by (destination, SPI, protocol), found in O(1) through a map on the SPI.
import type { AuthAlg, DropReason, LifetimeLimits, SaInfo, SaParams, SaRef } from './api.js';
import { AhCrypto } from './ah.js';
import { EspCrypto } from './esp.js';
import { addrEqual, formatAddr, parseAddr } from './addr.js';
import type { CryptoProvider } from './provider.js';
import { ReplayWindow } from './replay.js';

export const SEQ_MAX_32 = 0xffff_ffff;
export const SEQ_MAX_64 = Number.MAX_SAFE_INTEGER;

export class Sa {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly srcText: string;
  readonly dstText: string;
  created: number;
  /** Last sequence number sent. */
  seqOut = 0;
  replay: ReplayWindow;
  bytes = 0;
  packets = 0;
  replayDrops = 0;
  authFailures = 0;
  /** Per-reason drop counts, created on the first drop: most SAs never drop anything. */
  drops?: Partial<Record<DropReason, number>>;
  softExpired = false;
  hardExpired = false;
  next?: SaRef;
  private espOut?: EspCrypto;
  private espIn?: EspCrypto;
  private ahOut?: AhCrypto;
  private ahIn?: AhCrypto;
  /** A GETSPI reservation: no keys yet. */
  larval = false;

  constructor(
    public p: SaParams,
    private readonly provider: CryptoProvider,
    now: number,
  ) {
    this.src = parseAddr(p.src)!;
    this.dst = parseAddr(p.dst)!;
    this.srcText = formatAddr(this.src);
    this.dstText = formatAddr(this.dst);
    this.created = now;
    this.replay = new ReplayWindow(p.replayWindow ?? 64, !!p.esn);
  }

  get ref(): SaRef {
    return { dst: this.dstText, spi: this.p.spi, proto: this.p.proto };
  }

  get seqMax(): number {
    return this.p.esn ? SEQ_MAX_64 : SEQ_MAX_32;
  }

  esp(out: boolean): EspCrypto {
    const make = () =>
      new EspCrypto(
        this.provider,
        this.p.enc?.alg ?? 'null',
        this.p.enc?.key ?? new Uint8Array(0),
        this.p.auth?.alg ?? 'none',
        this.p.auth?.key ?? new Uint8Array(0),
        out,
        !!this.p.esn,
      );
    if (out) return (this.espOut ??= make());
    return (this.espIn ??= make());
  }

  ah(out: boolean): AhCrypto {
    const make = () => new AhCrypto(this.provider, this.p.auth!.alg as Exclude<AuthAlg, 'none'>, this.p.auth!.key, !!this.p.esn);
    if (out) return (this.ahOut ??= make());
    return (this.ahIn ??= make());
  }

  /** Replace keys and lifetimes (SADB_UPDATE), keeping counters. */
  rekey(p: SaParams): void {
    this.free();
    this.p = p;
    this.larval = false;
    this.replay = new ReplayWindow(p.replayWindow ?? 64, !!p.esn);
  }

  free(): void {
    this.espOut?.free();
    this.espIn?.free();
    this.ahOut?.free();
    this.ahIn?.free();
    this.espOut = this.espIn = undefined;
    this.ahOut = this.ahIn = undefined;
  }

  drop(reason: DropReason): void {
    const d = (this.drops ??= {});
    d[reason] = (d[reason] ?? 0) + 1;
    if (reason === 'replay') this.replayDrops++;
    if (reason === 'bad-icv') this.authFailures++;
  }

  info(): SaInfo {
    const p = this.p;
    return {
      spi: p.spi,
      proto: p.proto,
      src: this.srcText,
      dst: this.dstText,
      mode: p.mode,
      ...(p.encap ? { encap: { ...p.encap } } : {}),
      enc: p.proto === 'esp' ? (p.enc?.alg ?? 'null') : 'null',
      auth: p.auth?.alg ?? 'none',
      replayWindow: p.replayWindow ?? 64,
      esn: !!p.esn,
      soft: { ...(p.soft ?? {}) },
      hard: { ...(p.hard ?? {}) },
      created: this.created,
      seqOut: BigInt(this.seqOut + 1),
      seqInHigh: BigInt(this.replay.top),
      counters: {
        bytes: this.bytes,
        packets: this.packets,
        replayDrops: this.replayDrops,
        authFailures: this.authFailures,
        drops: { ...this.drops },
      },
      softExpired: this.softExpired,
      ...(this.next ? { next: { ...this.next } } : {}),
      ...(p.label ? { label: p.label } : {}),
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

const PROTO_NUM = { esp: 50, ah: 51 } as const;

function matches(sa: Sa, dst: Uint8Array, dstOff: number, dstLen: number, proto: 'esp' | 'ah'): boolean {
  return sa.p.proto === proto && sa.dst.length === dstLen && addrEqual(dst, dstOff, sa.dst, dstLen);
}

export class Sad {
  /** One SA per SPI in practice: stored bare, an array only when SPIs collide across destinations. */
  private readonly bySpi = new Map<number, Sa | Sa[]>();
  /** Newest SA per "dst|proto", for flows that name a peer but no SPI (ipsecadm style). */
  private readonly byPeer = new Map<string, Sa[]>();
  size = 0;

  find(dst: Uint8Array, dstOff: number, dstLen: number, spi: number, proto: 'esp' | 'ah'): Sa | undefined {
    const e = this.bySpi.get(spi);
    if (!e) return undefined;
    if (!Array.isArray(e)) return matches(e, dst, dstOff, dstLen, proto) ? e : undefined;
    for (const sa of e) if (matches(sa, dst, dstOff, dstLen, proto)) return sa;
    return undefined;
  }

  /** By SPI alone, for ESP-in-UDP on a wildcard socket that cannot tell its local address. */
  findBySpi(spi: number, proto: 'esp' | 'ah'): Sa | undefined {
    const e = this.bySpi.get(spi);
    if (!e) return undefined;
    if (!Array.isArray(e)) return e.p.proto === proto ? e : undefined;
    return e.find((sa) => sa.p.proto === proto);
  }

  get(ref: SaRef): Sa | undefined {
    const d = parseAddr(ref.dst);
    return d ? this.find(d, 0, d.length, ref.spi >>> 0, ref.proto) : undefined;
  }

  add(sa: Sa): void {
    const spi = sa.p.spi >>> 0;
    const e = this.bySpi.get(spi);
    if (!e) this.bySpi.set(spi, sa);
    else if (Array.isArray(e)) e.push(sa);
    else this.bySpi.set(spi, [e, sa]);
    const k = `${sa.dstText}|${PROTO_NUM[sa.p.proto]}`;
    let pl = this.byPeer.get(k);
    if (!pl) this.byPeer.set(k, (pl = []));
    pl.push(sa);
    this.size++;
  }

  remove(sa: Sa): void {
    const spi = sa.p.spi >>> 0;
    const e = this.bySpi.get(spi);
    if (e === sa) {
      this.bySpi.delete(spi);
      this.size--;
    } else if (Array.isArray(e)) {
      const i = e.indexOf(sa);
      if (i >= 0) {
        e.splice(i, 1);
        this.size--;
      }
      if (e.length === 1) this.bySpi.set(spi, e[0]!);
      else if (e.length === 0) this.bySpi.delete(spi);
    }
    const k = `${sa.dstText}|${PROTO_NUM[sa.p.proto]}`;
    const pl = this.byPeer.get(k);
    if (pl) {
      const i = pl.indexOf(sa);
      if (i >= 0) pl.splice(i, 1);
      if (pl.length === 0) this.byPeer.delete(k);
    }
    sa.free();
  }

  /** Newest usable SA to dst for proto. */
  forPeer(dstText: string, proto: 'esp' | 'ah'): Sa | undefined {
    const pl = this.byPeer.get(`${dstText}|${PROTO_NUM[proto]}`);
    if (!pl) return undefined;
    for (let i = pl.length - 1; i >= 0; i--) if (!pl[i]!.larval && !pl[i]!.hardExpired) return pl[i];
    return undefined;
  }

  *all(): IterableIterator<Sa> {
    for (const e of this.bySpi.values()) {
      if (Array.isArray(e)) yield* e;
      else yield e;
    }
  }
}
