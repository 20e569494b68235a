// The userspace data plane: SAD + SPD + ESP/AH transforms behind the PF_KEY-shaped API (api.ts) and
// the packet API used by I/O adapters. Sans-I/O: packets and time in, packets and events out.
import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import type {
  AcquireEvent,
  DataPlaneEvents,
  DataPlaneStats,
  DropReason,
  ExpireEvent,
  FlowDirection,
  FlowInfo,
  FlowParams,
  InboundResult,
  KeyEngineApi,
  OutboundResult,
  PacketApi,
  Result,
  SaInfo,
  SaParams,
  SaProto,
  SaRef,
  Selector,
} from './api.js';
import { checkAlgs } from './algorithms.js';
import { ahLen } from './ah.js';
import { formatAddr, isUnspecified, normAddr, parseAddr } from './addr.js';
import { readU32 } from './esp.js';
import {
  PROTO_AH,
  PROTO_ESP,
  PROTO_IPV4,
  PROTO_IPV6,
  PROTO_UDP,
  parseIp,
  setTotalLength,
  tosOf,
  writeOuterHeader,
  type IpView,
} from './ip.js';
import type { CryptoProvider } from './provider.js';
import { defaultProvider } from './crypto-select.js';
import { Sa, Sad, reached } from './sad.js';
import { Spd, type Flow } from './spd.js';

export interface DataPlaneOptions {
  /** Crypto backend; default libcrypto EVP, falling back to node:crypto. */
  provider?: CryptoProvider;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /** UDP ports of the key manager's own traffic: never protected, whatever the SPD says. */
  bypassUdpPorts?: number[];
  /** Largest packet produced or accepted. */
  maxPacket?: number;
  /** Minimum milliseconds between two ACQUIREs for the same flow. */
  acquireIntervalMs?: number;
}

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const err = <T>(error: string): Result<T> => ({ ok: false, error });
const MAX_LAYERS = 4;
const SEQ_SOFT_MARGIN = 1 << 20;

export class DataPlane extends EventEmitter implements KeyEngineApi, PacketApi {
  readonly provider: CryptoProvider;
  private readonly clock: () => number;
  private readonly sad = new Sad();
  private readonly spd = new Spd();
  private readonly bypassPorts: Set<number>;
  private readonly maxPacket: number;
  private readonly acquireInterval: number;
  private readonly reserved = new Map<string, number>();
  private readonly drops: Partial<Record<DropReason, number>> = {};
  private inPackets = 0;
  private outPackets = 0;
  private readonly view: IpView = {} as IpView;
  private readonly used: Sa[] = [];

  constructor(opts: DataPlaneOptions = {}) {
    super();
    this.provider = opts.provider ?? defaultProvider();
    this.clock = opts.now ?? Date.now;
    this.bypassPorts = new Set(opts.bypassUdpPorts ?? [500, 4500]);
    this.maxPacket = opts.maxPacket ?? 65535;
    this.acquireInterval = opts.acquireIntervalMs ?? 1000;
  }

  override on<K extends keyof DataPlaneEvents>(ev: K, fn: DataPlaneEvents[K]): this {
    return super.on(ev, fn);
  }
  override off<K extends keyof DataPlaneEvents>(ev: K, fn: DataPlaneEvents[K]): this {
    return super.off(ev, fn);
  }

  // ---- key management (PF_KEY-shaped) ----

  getSpi(dst: string, proto: SaProto, range = { min: 0x100, max: 0xffffffff }): Result<number> {
    const d = normAddr(dst);
    if (!d) return err(`bad address ${dst}`);
    const min = Math.max(range.min, 0x100) >>> 0;
    const max = range.max >>> 0;
    if (min > max) return err('empty SPI range');
    for (let i = 0; i < 64; i++) {
      const spi = min + (crypto.randomInt(0, 2 ** 48 - 1) % (max - min + 1));
      const k = `${d}|${proto}|${spi}`;
      if (this.reserved.has(k) || this.sad.get({ dst: d, spi, proto })) continue;
      this.reserved.set(k, this.clock());
      return ok(spi);
    }
    return err('no free SPI in range');
  }

  private validate(p: SaParams): string | undefined {
    const s = parseAddr(p.src);
    const d = parseAddr(p.dst);
    if (!s) return `bad source address ${p.src}`;
    if (!d) return `bad destination address ${p.dst}`;
    if (s.length !== d.length) return 'source and destination must be of one address family';
    if (!Number.isInteger(p.spi) || p.spi < 0x100 || p.spi > 0xffffffff) return `SPI ${p.spi} out of range (0x100-0xffffffff)`;
    if (p.proto !== 'esp' && p.proto !== 'ah') return `unknown protocol ${String(p.proto)}`;
    if (p.mode !== 'tunnel' && p.mode !== 'transport') return `unknown mode ${String(p.mode)}`;
    if (p.encap && p.proto !== 'esp') return 'UDP encapsulation is for ESP only';
    const w = p.replayWindow ?? 64;
    if (!Number.isInteger(w) || w < 0 || w > 4096) return 'replay window must be 0-4096';
    if (p.direction !== undefined && p.direction !== 'in' && p.direction !== 'out') return `bad direction ${String(p.direction)}`;
    return checkAlgs(p.proto, p.enc, p.auth);
  }

  addSa(p: SaParams): Result<SaRef> {
    const e = this.validate(p);
    if (e) return err(e);
    const d = normAddr(p.dst)!;
    if (this.sad.get({ dst: d, spi: p.spi, proto: p.proto })) return err(`SA ${p.proto} ${d} spi 0x${p.spi.toString(16)} exists`);
    this.reserved.delete(`${d}|${p.proto}|${p.spi}`);
    let sa: Sa;
    try {
      sa = new Sa(p, this.clock(), this.provider);
    } catch (e) {
      return err(`cannot key the SA: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.sad.add(sa);
    return ok(sa.ref);
  }

  updateSa(p: SaParams): Result<SaRef> {
    const e = this.validate(p);
    if (e) return err(e);
    const d = normAddr(p.dst)!;
    const sa = this.sad.get({ dst: d, spi: p.spi, proto: p.proto });
    if (!sa) {
      if (!this.reserved.has(`${d}|${p.proto}|${p.spi}`)) return err(`no SA ${p.proto} ${d} spi 0x${p.spi.toString(16)}`);
      return this.addSa(p);
    }
    try {
      sa.rekey(p, this.provider);
    } catch (e) {
      this.sad.remove(sa);
      return err(`cannot key the SA: ${e instanceof Error ? e.message : String(e)}`);
    }
    return ok(sa.ref);
  }

  deleteSa(ref: SaRef): Result<void> {
    const sa = this.sad.get(ref);
    if (!sa) {
      const d = normAddr(ref.dst);
      if (d && this.reserved.delete(`${d}|${ref.proto}|${ref.spi}`)) return ok(undefined);
      return err(`no SA ${ref.proto} ${ref.dst} spi 0x${(ref.spi >>> 0).toString(16)}`);
    }
    this.sad.remove(sa);
    return ok(undefined);
  }

  groupSa(first: SaRef, second: SaRef): Result<void> {
    const a = this.sad.get(first);
    const b = this.sad.get(second);
    if (!a) return err(`no SA ${first.proto} ${first.dst} spi 0x${first.spi.toString(16)}`);
    if (!b) return err(`no SA ${second.proto} ${second.dst} spi 0x${second.spi.toString(16)}`);
    if (a === b) return err('cannot group an SA with itself');
    a.next = b.ref;
    return ok(undefined);
  }

  getSa(ref: SaRef): SaInfo | undefined {
    return this.sad.get(ref)?.info();
  }

  listSas(): SaInfo[] {
    return [...this.sad.all()].map((s) => s.info());
  }

  addFlow(f: FlowParams): Result<number> {
    if (f.direction !== 'in' && f.direction !== 'out') return err(`bad direction ${String(f.direction)}`);
    const types = ['require', 'acquire', 'use', 'dontacq', 'bypass', 'permit', 'deny'];
    if (!types.includes(f.type)) return err(`bad flow type ${String(f.type)}`);
    if (f.peer !== undefined && !parseAddr(f.peer)) return err(`bad peer address ${f.peer}`);
    for (const r of f.bundle ?? []) if (!parseAddr(r.dst)) return err(`bad SA destination ${r.dst}`);
    const s = f.selector;
    for (const [n, v] of [['proto', s.proto], ['sport', s.sport], ['dport', s.dport]] as const)
      if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > (n === 'proto' ? 255 : 65535))) return err(`bad ${n} ${v}`);
    if (this.spd.findSame(f.selector, f.direction)) return err('an identical flow exists');
    const r = this.spd.add(f);
    if (typeof r === 'string') return err(r);
    return ok(r.id);
  }

  deleteFlow(idOrFlow: number | { selector: Selector; direction: FlowDirection }): Result<void> {
    const id = typeof idOrFlow === 'number' ? idOrFlow : this.spd.findSame(idOrFlow.selector, idOrFlow.direction)?.id;
    if (id === undefined || !this.spd.remove(id)) return err('no such flow');
    return ok(undefined);
  }

  listFlows(): FlowInfo[] {
    return this.spd.all().map((f) => f.info());
  }

  flush(what: { esp?: boolean; ah?: boolean; flows?: boolean } = {}): { sas: number; flows: number } {
    const all = !what.esp && !what.ah && !what.flows;
    let sas = 0;
    for (const sa of [...this.sad.all()]) {
      if (all || (what.esp && sa.proto === 'esp') || (what.ah && sa.proto === 'ah')) {
        this.sad.remove(sa);
        sas++;
      }
    }
    if (all) this.reserved.clear();
    const flows = all || what.flows ? this.spd.clear() : 0;
    return { sas, flows };
  }

  stats(): DataPlaneStats {
    return {
      sas: this.sad.size,
      flows: this.spd.size,
      drops: { ...this.drops },
      inPackets: this.inPackets,
      outPackets: this.outPackets,
      crypto: this.provider.name,
    };
  }

  tick(now = this.clock()): void {
    for (const sa of [...this.sad.all()]) this.checkLifetime(sa, now);
    for (const [k, t] of this.reserved) if (now - t > 60_000) this.reserved.delete(k);
  }

  private checkLifetime(sa: Sa, now: number): void {
    const age = (now - sa.created) / 1000;
    const hard = reached(sa.hard, sa.bytes, sa.packets, age);
    if (hard) {
      this.expire(sa, 'hard', hard);
      return;
    }
    if (!sa.softExpired) {
      const soft = reached(sa.soft, sa.bytes, sa.packets, age);
      if (soft) {
        sa.softExpired = true;
        this.emitExpire(sa, 'soft', soft);
      }
    }
  }

  private expire(sa: Sa, kind: 'hard', reason: ExpireEvent['reason']): void {
    if (sa.hardExpired) return;
    sa.hardExpired = true;
    this.sad.remove(sa);
    this.emitExpire(sa, kind, reason);
  }

  private emitExpire(sa: Sa, kind: 'soft' | 'hard', reason: ExpireEvent['reason']): void {
    const e: ExpireEvent = { kind, sa: sa.ref, reason, src: sa.srcText, ...(sa.label ? { label: sa.label } : {}) };
    this.emit('expire', e);
  }

  private count(sa: Sa, bytes: number, now: number): void {
    sa.bytes += bytes;
    sa.packets++;
    if (sa.soft || sa.hard) this.checkLifetime(sa, now);
  }

  private drop<T extends { action: 'drop'; reason: DropReason }>(reason: DropReason, sa?: Sa): T {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    sa?.drop(reason);
    return { action: 'drop', reason } as T;
  }

  /** Test hook: start an SA's outbound counter and replay window at a given sequence number. */
  setSequence(ref: SaRef, seqOut: number, seqInTop?: number): boolean {
    const sa = this.sad.get(ref);
    if (!sa) return false;
    sa.seqOut = seqOut;
    if (seqInTop !== undefined) sa.top = seqInTop;
    return true;
  }

  // ---- packet path ----

  outbound(pkt: Uint8Array, now = this.clock()): OutboundResult {
    const v = parseIp(pkt, this.view);
    if (!v) return this.drop('malformed');
    if (v.totalLen > this.maxPacket) return this.drop('oversize');
    const packet = v.totalLen === pkt.length ? pkt : pkt.subarray(0, v.totalLen);
    if (v.proto === PROTO_UDP && (this.bypassPorts.has(v.sport) || this.bypassPorts.has(v.dport)))
      return { action: 'clear', packet };
    const flow = this.spd.lookup('out', packet, v.srcOff, v.dstOff, v.addrLen, v.proto, v.sport, v.dport);
    if (!flow) return { action: 'clear', packet };
    flow.hits++;
    switch (flow.type) {
      case 'bypass':
      case 'permit':
        return { action: 'clear', packet };
      case 'deny':
        return this.drop('policy-deny');
    }
    const bundle = this.resolveBundle(flow, packet, v);
    if (!bundle) {
      if (flow.type !== 'dontacq') this.acquire(flow, packet, v, now);
      // "acquire"/"use" may send in clear meanwhile; "require"/"dontacq" never do.
      if (flow.type === 'acquire' || flow.type === 'use') return { action: 'clear', packet };
      return this.drop('no-sa');
    }
    let cur = packet;
    for (const sa of bundle) {
      const r = sa.proto === 'esp' ? this.espOut(sa, cur, now) : this.ahOut(sa, cur, now);
      if (typeof r === 'string') return this.drop(r, sa);
      cur = r;
    }
    this.outPackets++;
    const last = bundle[bundle.length - 1]!;
    if (last.encap) {
      const hl = cur[0]! >> 4 === 4 ? (cur[0]! & 0x0f) * 4 : 40;
      return { action: 'protect', out: { bytes: cur.subarray(hl), src: last.srcText, dst: last.dstText, encap: { ...last.encap } } };
    }
    return { action: 'protect', out: { bytes: cur, src: last.srcText, dst: last.dstText } };
  }

  private resolveBundle(flow: Flow, pkt: Uint8Array, v: IpView): Sa[] | undefined {
    const out: Sa[] = [];
    if (flow.bundle && flow.bundle.length) {
      for (const r of flow.bundle) {
        const sa = this.sad.get(r);
        if (!sa || sa.larval) return undefined;
        out.push(sa);
      }
      return out;
    }
    const peer = flow.peerNorm ?? formatAddr(pkt, v.dstOff, v.addrLen);
    let sa = this.sad.forPeer(peer, flow.saProto ?? 'esp');
    while (sa && out.length < MAX_LAYERS) {
      out.push(sa);
      sa = sa.next ? this.sad.get(sa.next) : undefined;
    }
    return out.length ? out : undefined;
  }

  private acquire(flow: Flow, pkt: Uint8Array, v: IpView, now: number): void {
    if (flow.lastAcquire >= 0 && now - flow.lastAcquire < this.acquireInterval) return;
    flow.lastAcquire = now;
    const e: AcquireEvent = {
      flowId: flow.id,
      selector: flow.selector,
      packet: { src: formatAddr(pkt, v.srcOff, v.addrLen), dst: formatAddr(pkt, v.dstOff, v.addrLen), proto: v.proto, sport: v.sport, dport: v.dport },
      ...(flow.peer ? { peer: flow.peer } : {}),
      saProto: flow.saProto ?? 'esp',
    };
    this.emit('acquire', e);
  }

  private nextSeq(sa: Sa): number | undefined {
    if (sa.seqOut >= sa.seqMax) {
      // RFC 4303 3.3.3: the counter never cycles; the SA is finished.
      this.expire(sa, 'hard', 'packets');
      return undefined;
    }
    if (!sa.softExpired && sa.seqOut >= sa.seqMax - SEQ_SOFT_MARGIN) {
      // Ask for a rekey while about a million sequence numbers are left.
      sa.softExpired = true;
      this.emitExpire(sa, 'soft', 'packets');
    }
    return ++sa.seqOut;
  }

  private espOut(sa: Sa, p: Uint8Array, now: number): Uint8Array | DropReason {
    const v = parseIp(p, this.view)!;
    const esp = sa.esp(true, this.provider);
    if (!esp) return 'unsupported'; // an inbound-only SA
    const tunnel = sa.mode === 'tunnel';
    if (!tunnel && v.addrLen !== sa.alen) return 'policy-mismatch'; // transport keeps the family
    const payOff = tunnel ? 0 : v.hdrLen;
    const payLen = v.totalLen - payOff;
    const hl = tunnel ? (sa.alen === 4 ? 20 : 40) : v.hdrLen;
    const total = hl + esp.size(payLen);
    if (total > this.maxPacket) return 'oversize';
    const seq = this.nextSeq(sa);
    if (seq === undefined) return 'seq-overflow';
    const out = new Uint8Array(total);
    const nextHdr = startOutput(out, p, v, sa, PROTO_ESP, tunnel, hl, total);
    esp.seal(sa.spi, Math.floor(seq / 0x1_0000_0000), seq % 0x1_0000_0000, p, payOff, payLen, nextHdr, out, hl);
    if (!tunnel) setTotalLength(out, total);
    this.count(sa, payLen, now);
    return out;
  }

  private ahOut(sa: Sa, p: Uint8Array, now: number): Uint8Array | DropReason {
    const v = parseIp(p, this.view)!;
    const ah = sa.ah(true, this.provider);
    if (!ah) return 'unsupported';
    const tunnel = sa.mode === 'tunnel';
    if (!tunnel && v.addrLen !== sa.alen) return 'policy-mismatch';
    const v6 = tunnel ? sa.alen === 16 : v.version === 6;
    const ahSize = ahLen(ah.row.icvLen, v6);
    const hl = tunnel ? (v6 ? 40 : 20) : v.hdrLen;
    const payOff = tunnel ? 0 : v.hdrLen;
    const payLen = v.totalLen - payOff;
    const total = hl + ahSize + payLen;
    if (total > this.maxPacket) return 'oversize';
    const seq = this.nextSeq(sa);
    if (seq === undefined) return 'seq-overflow';
    const out = new Uint8Array(total);
    const nextHdr = startOutput(out, p, v, sa, PROTO_AH, tunnel, hl, total);
    if (!tunnel) setTotalLength(out, total);
    out.set(p.subarray(payOff, payOff + payLen), hl + ahSize);
    ah.seal(out, total, hl, hl, ahSize, nextHdr, sa.spi, seq);
    if (!tunnel && v.version === 4) setTotalLength(out, total); // recompute checksum after sealing
    this.count(sa, payLen, now);
    return out;
  }

  inboundUdp(esp: Uint8Array, outer: { src: string; dst: string; sport: number; dport: number }, now = this.clock()): InboundResult {
    const s = this.udpAddr(outer.src, 0);
    let d = this.udpAddr(outer.dst, 1);
    if (d && isUnspecified(d) && esp.length >= 4) {
      // A wildcard-bound socket does not know which local address was hit: the SPI decides.
      const sa = this.sad.findBySpi(readU32(esp, 0), 'esp');
      if (sa) {
        d = new Uint8Array(sa.alen);
        sa.putDst(d, 0);
      }
    }
    if (!s || !d || s.length !== d.length) return this.drop('malformed');
    const hl = s.length === 4 ? 20 : 40;
    if (esp.length + hl > this.maxPacket) return this.drop('oversize');
    const p = new Uint8Array(hl + esp.length);
    writeOuterHeader(p, 0, s, d, PROTO_ESP, esp.length);
    p.set(esp, hl);
    return this.inbound(p, now);
  }

  // The outer addresses of the last ESP-in-UDP datagram, parsed: a burst comes from one peer to one
  // address, and parsing address text per datagram costs more than the rest of the encapsulation.
  private readonly udpAddrText: [string, string] = ['', ''];
  private readonly udpAddrBytes: [Uint8Array | undefined, Uint8Array | undefined] = [undefined, undefined];
  private udpAddr(text: string, which: 0 | 1): Uint8Array | undefined {
    if (text !== this.udpAddrText[which]) {
      this.udpAddrText[which] = text;
      this.udpAddrBytes[which] = parseAddr(text);
    }
    return this.udpAddrBytes[which];
  }

  /** Processes a received packet; ESP/AH layers are removed in place (the buffer is reused). */
  inbound(pkt: Uint8Array, now = this.clock()): InboundResult {
    let p = pkt;
    this.used.length = 0;
    for (let layer = 0; ; layer++) {
      const v = parseIp(p, this.view);
      if (!v) return this.drop('malformed', this.used[this.used.length - 1]);
      if (v.totalLen > this.maxPacket) return this.drop('oversize');
      if (v.totalLen !== p.length) p = p.subarray(0, v.totalLen);
      if (v.proto !== PROTO_ESP && v.proto !== PROTO_AH) break;
      if (layer >= MAX_LAYERS) return this.drop('malformed');
      if (v.fragment) return this.drop('unsupported');
      const r = v.proto === PROTO_ESP ? this.espIn(p, v, now) : this.ahIn(p, v, now);
      if (typeof r === 'string') return this.drop(r, r === 'unknown-spi' ? undefined : this.lastSa);
      p = r;
    }
    const v = this.view;
    const flow = this.spd.lookup('in', p, v.srcOff, v.dstOff, v.addrLen, v.proto, v.sport, v.dport);
    if (flow) {
      flow.hits++;
      if (flow.type === 'deny') return this.drop('policy-deny');
      if (flow.type === 'require' || flow.type === 'dontacq' || ((flow.type === 'acquire' || flow.type === 'use') && this.used.length)) {
        if (!this.matchesInbound(flow)) return this.drop('policy-mismatch', this.used[0]);
      }
    }
    this.inPackets++;
    return { action: 'deliver', packet: p };
  }

  private lastSa: Sa | undefined;

  private matchesInbound(flow: Flow): boolean {
    if (this.used.length === 0) return false;
    if (flow.bundle && flow.bundle.length) {
      return flow.bundle.every((r) => this.used.some((sa) => sa.spi === r.spi >>> 0 && sa.proto === r.proto && sa.dstText === r.dst));
    }
    const proto = flow.saProto ?? 'esp';
    const peer = flow.peerNorm;
    return this.used.some((sa) => sa.proto === proto && (!peer || sa.srcText === peer));
  }

  private espIn(p: Uint8Array, v: IpView, now: number): Uint8Array | DropReason {
    const off = v.hdrLen;
    const len = v.totalLen - off;
    this.lastSa = undefined;
    if (len < 8) return 'short';
    const sa = this.sad.find(p, v.dstOff, v.addrLen, readU32(p, off), 'esp');
    if (!sa || sa.larval) return 'unknown-spi';
    this.lastSa = sa;
    const seq = sa.check(readU32(p, off + 4));
    if (seq < 0) return 'replay';
    const hdrLen = v.hdrLen;
    const version = v.version;
    const protoFieldOff = v.protoFieldOff;
    const esp = sa.esp(false, this.provider);
    if (!esp) return 'unsupported'; // an outbound-only SA
    const r = esp.open(p, off, len, Math.floor(seq / 0x1_0000_0000));
    if (!r.ok) return r.reason;
    sa.accept(seq);
    this.used.push(sa);
    this.count(sa, r.len, now);
    if (sa.mode === 'tunnel') {
      if (r.nextHdr !== PROTO_IPV4 && r.nextHdr !== PROTO_IPV6) return 'bad-next-header';
      const inner = p.subarray(r.off, r.off + r.len);
      const iv = parseIp(inner);
      if (!iv || iv.version !== (r.nextHdr === PROTO_IPV4 ? 4 : 6) || iv.totalLen !== r.len) return 'bad-next-header';
      return inner;
    }
    if (r.nextHdr === 59) return 'bad-next-header'; // dummy packet (RFC 4303 2.6): discard
    // Transport: slide the IP header up to the plaintext and restore the protocol field.
    const start = r.off - hdrLen;
    p.copyWithin(start, 0, hdrLen);
    const out = p.subarray(start, r.off + r.len);
    out[protoFieldOff] = r.nextHdr;
    setTotalLength(out, out.length);
    void version;
    return out;
  }

  private ahIn(p: Uint8Array, v: IpView, now: number): Uint8Array | DropReason {
    const off = v.hdrLen;
    this.lastSa = undefined;
    if (v.totalLen - off < 12) return 'short';
    const sa = this.sad.find(p, v.dstOff, v.addrLen, readU32(p, off + 4), 'ah');
    if (!sa || sa.larval) return 'unknown-spi';
    this.lastSa = sa;
    const seq = sa.check(readU32(p, off + 8));
    if (seq < 0) return 'replay';
    const hdrLen = v.hdrLen;
    const protoFieldOff = v.protoFieldOff;
    const totalLen = v.totalLen;
    const ah = sa.ah(false, this.provider);
    if (!ah) return 'unsupported';
    const bad = ah.verify(p, totalLen, hdrLen, off, seq);
    if (bad) return bad;
    sa.accept(seq);
    this.used.push(sa);
    const nextHdr = p[off]!;
    const ahSize = (p[off + 1]! + 2) * 4;
    const payOff = off + ahSize;
    this.count(sa, totalLen - payOff, now);
    if (sa.mode === 'tunnel') {
      if (nextHdr !== PROTO_IPV4 && nextHdr !== PROTO_IPV6) return 'bad-next-header';
      const inner = p.subarray(payOff, totalLen);
      const iv = parseIp(inner);
      if (!iv || iv.totalLen !== inner.length) return 'bad-next-header';
      return inner;
    }
    const start = payOff - hdrLen;
    p.copyWithin(start, 0, hdrLen);
    const out = p.subarray(start, totalLen);
    out[protoFieldOff] = nextHdr;
    setTotalLength(out, out.length);
    return out;
  }
}

// An SA keeps its endpoints as integers (IPv4) or one packed array (IPv6); the outer header is written
// from these scratch copies, filled per packet.
const OUTER4 = [new Uint8Array(4), new Uint8Array(4)] as const;
const OUTER6 = [new Uint8Array(16), new Uint8Array(16)] as const;

/**
 * The IP header an outbound ESP or AH packet starts with: a new outer header in tunnel mode, or the
 * packet's own header with its protocol field pointing at ESP/AH in transport mode. Returns the next
 * header value the ESP trailer or AH header must carry.
 */
function startOutput(out: Uint8Array, p: Uint8Array, v: IpView, sa: Sa, proto: number, tunnel: boolean, hl: number, total: number): number {
  if (tunnel) {
    const [src, dst] = sa.alen === 4 ? OUTER4 : OUTER6;
    sa.putSrc(src, 0);
    sa.putDst(dst, 0);
    writeOuterHeader(out, 0, src, dst, proto, total - hl, tosOf(p));
    return v.version === 4 ? PROTO_IPV4 : PROTO_IPV6;
  }
  out.set(p.subarray(0, hl), 0);
  out[v.protoFieldOff] = proto;
  return v.proto;
}
