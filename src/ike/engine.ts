// The IKEv1 engine without I/O: datagrams, time and commands in; datagrams, SA installs, log events
// and the next timer out. Exchange steps live in main-mode.ts, aggressive-mode.ts, quick-mode.ts,
// informational.ts, nat-t.ts and dpd.ts.
import crypto from 'node:crypto';
import type { ConnectionConfig, EngineConfig, PeerConfig } from './config.js';
import { describePhase1 } from './proposals.js';
import { ownBytes, seededRng, systemRng, type Rng } from './rng.js';
import { endExchange, lastMessages, newXmit, sharedTransform, useMessageId, type IpsecSa, type IsakmpSa, type QuickExchange, type Xmit } from './sa.js';
import {
  endpointKey, isRefusal, type Command, type Effects, type Endpoint, type LogClassName, type LogEvent, type Millis,
  type Outgoing, type Refusal,
} from './types.js';
import { readHeader } from './message.js';
import { mainModeInitiate, mainModeReceive } from './main-mode.js';
import { aggressiveInitiate, aggressiveReceive } from './aggressive-mode.js';
import { encrName, qkey, quickInitiate, quickReceive } from './quick-mode.js';
import { infoReceive, sendDeleteIpsec, sendDeleteIsakmp, sendUnprotectedNotify } from './informational.js';
import { dpdTick } from './dpd.js';
import { IndexedMap } from './indexed-map.js';
import { TimerHeap } from './timer-heap.js';
import { acquire } from './acquire.js';
import { ExchangeType } from '../isakmp/numbers.js';

/** Phase 1 exchanges we answer and that are not yet finished, at most (see mayOpenHalfOpen). */
export const MAX_HALF_OPEN = 1024;
/** The same, from one peer address: one source cannot take the whole global budget. */
export const MAX_HALF_OPEN_PER_PEER = 16;

/** NAT-T keepalive interval (isakmpd NAT_T_KEEPALIVE_INTERVAL). */
export const NAT_KEEPALIVE_MS = 20_000;

/** How long a phase 1 responder waits before starting its own Quick Modes (see phase1Done). */
export const RESPONDER_QM_DELAY_MS = 2000;

/**
 * Aggressive Mode initiator: the gap between our third message and the first Quick Mode. Sent back to back,
 * a multi-threaded peer (strongSwan) may handle the Quick Mode first and ignore it as "phase 1 incomplete".
 */
export const AGGRESSIVE_QM_DELAY_MS = 250;

export interface Engine {
  receive(datagram: Uint8Array, from: Endpoint, to: Endpoint, now: Millis): Effects;
  tick(now: Millis): Effects;
  command(c: Command, now: Millis): Effects;
}

export interface EngineOptions {
  config: EngineConfig;
  /** Our addresses (with the IKE port) to initiate from, one per family. */
  local: Endpoint[];
  rng?: Rng;
  /** Chooses inbound SPIs; defaults to random unused values >= 0x100 (a data plane may supply GETSPI). */
  allocSpi?: () => number;
  /** The NAT-T port (-N, default 4500); NAT traversal is off without it (-T). */
  natTPort?: number;
  /**
   * Whether an event of this class and level (and kind) would be written (default: every one). Key dumps
   * and the phase 1 and 2 reports are only built when it says yes; the others are reported regardless.
   */
  logWanted?: (cls: LogClassName, level: number, kind?: LogEvent['kind']) => boolean;
}

export interface EngineStats {
  received: number;
  sent: number;
  retransmits: number;
  duplicates: number;
  phase1Established: number;
  phase2Established: number;
  failures: number;
  dropped: Record<string, number>;
}

export class IkeEngine implements Engine {
  #config!: EngineConfig;
  get config(): EngineConfig {
    return this.#config;
  }

  /** A new configuration can move any timer (Exchange-max-time, DPD): the next run queues them all again. */
  set config(c: EngineConfig) {
    this.#config = c;
    this.timersStale = true;
  }

  readonly local: Endpoint[];
  readonly rng: Rng;
  /** ISAKMP SAs by initiator cookie (hex), also by peer name and by peer address. */
  readonly sas = new IndexedMap<string, IsakmpSa>();
  readonly sasOfPeer = this.sas.index((sa) => sa.peer.name);
  readonly sasAt = this.sas.index((sa) => sa.remote.address);
  /** Quick Mode exchanges by `${icookie}:${messageId}`, also by connection. */
  readonly quick = new IndexedMap<string, QuickExchange>();
  readonly quickOf = this.quick.index((q) => q.connection?.name ?? '');
  readonly quickOfSa = this.quick.index((q) => q.isakmp.icookieHex);
  /** IPsec SAs by id, also by connection and by peer address. */
  readonly ipsec = new IndexedMap<string, IpsecSa>();
  readonly ipsecOf = this.ipsec.index((s) => s.connection);
  readonly ipsecAt = this.ipsec.index((s) => s.remoteAddress);
  /** by the initiator cookie of the ISAKMP SA that negotiated it (the start of its id) */
  readonly ipsecOfSa = this.ipsec.index((s) => s.id.slice(0, 16));
  /**
   * Whether sent encrypted messages carry their plaintext too (Outgoing.plain, for the plaintext pcap).
   * A daemon turns it on only while it captures: encoding each message twice costs every handshake.
   */
  keepPlain = true;
  readonly stats: EngineStats = {
    received: 0, sent: 0, retransmits: 0, duplicates: 0, phase1Established: 0, phase2Established: 0, failures: 0, dropped: {},
  };
  private serial = 0;
  /** Connections to start once their time comes (see phase1Done). */
  private readonly deferred: { name: string; at: Millis }[] = [];
  private readonly spisInUse = new Set<number>();
  private readonly allocSpiFn?: () => number;
  now: Millis = 0;
  private fx: Effects = { send: [], install: [], log: [] };

  constructor(o: EngineOptions) {
    // What a run adds can have timers earlier than the cached earliest one: note the ISAKMP SA it hangs off.
    this.sas.onSet = (sa) => this.touched?.add(sa.icookieHex);
    this.quick.onSet = (q) => this.touched?.add(q.isakmp.icookieHex);
    this.ipsec.onSet = (s) => this.touched?.add(s.id.slice(0, 16));
    this.config = o.config;
    this.local = o.local;
    this.rng = o.rng ?? systemRng;
    if (o.allocSpi) this.allocSpiFn = o.allocSpi;
    if (o.natTPort) this.natTPort = o.natTPort;
    if (o.logWanted) this.logWanted = o.logWanted;
  }

  private readonly logWanted?: (cls: LogClassName, level: number, kind?: LogEvent['kind']) => boolean;

  /**
   * Whether a log event of `cls` at `level` (and `kind`: the completion reports follow -v) would be written;
   * callers skip building messages nobody reads.
   */
  logs(cls: LogClassName, level: number, kind?: LogEvent['kind']): boolean {
    return this.logWanted ? this.logWanted(cls, level, kind) : true;
  }

  readonly natTPort?: number;

  /**
   * After an authenticated message: if the peer now shows a different port (NAT mapping, the move to the
   * NAT-T port), later messages go there and leave from the port it reached.
   */
  followPeer(sa: IsakmpSa, from: Endpoint, to: Endpoint, bytes = 0): void {
    sa.lastHeardAt = this.now;
    if (bytes) this.countIkeBytes(sa, bytes);
    if (from.port !== sa.remote.port || to.port !== sa.local.port) {
      this.log('exchange', 10, `peer ${sa.peer.name} now at ${endpointKey(from)} (we at ${endpointKey(to)})`);
      sa.remote = { ...from };
      sa.local = { ...to };
    }
  }

  static seeded(config: EngineConfig, local: Endpoint[], seed: string | number): IkeEngine {
    return new IkeEngine({ config, local, rng: seededRng(seed) });
  }

  // ---------- the three entry points ----------

  receive(datagram: Uint8Array, from: Endpoint, to: Endpoint, now: Millis): Effects {
    // A datagram changes the timers of its own ISAKMP SA and what hangs off it, and of what it adds (see run).
    const key = datagram.length >= 8 ? Buffer.from(datagram.buffer, datagram.byteOffset, 8).toString('hex') : undefined;
    return this.run(now, () => this.dispatch(datagram, from, to, key), key);
  }

  tick(now: Millis): Effects {
    // Only the groups whose time has come are looked at; they note themselves as touched (see timers).
    return this.run(now, () => this.timers(), '');
  }

  command(c: Command, now: Millis): Effects {
    // connect and acquire only add exchanges (or queue a connection on one in progress), and expire notes the
    // SA it moves, so what they touched is all that can have moved a timer; the data plane sends the latter two
    // at traffic's pace. Other commands are rare and queue every timer again.
    return this.run(now, () => this.doCommand(c), c.type === 'connect' || c.type === 'acquire' || c.type === 'expire' ? '' : undefined);
  }

  /** ISAKMP SAs (by initiator cookie) something was added under during the current run. */
  private touched: Set<string> | undefined;
  private readonly touchedSet = new Set<string>();

  private run(now: Millis, f: () => void, touchedSa?: string): Effects {
    this.now = now;
    this.fx = { send: [], install: [], log: [] };
    let full = touchedSa === undefined || this.timersStale;
    // One set reused by every run; a run inside another (none today) would get its own.
    const outer = this.touched;
    const touched = (this.touched = outer ? new Set<string>() : this.touchedSet);
    if (!outer) touched.clear();
    if (touchedSa) touched.add(touchedSa);
    try {
      f();
    } catch (err) {
      // A bug must not take the daemon down with it; the peer's packet is dropped and counted.
      this.drop('internal-error');
      this.log('misc', 0, `internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      full = true;
    } finally {
      this.touched = outer;
    }
    const fx = this.fx;
    // Only the SAs this run named, added to or found due (and their Quick Modes and IPsec SAs) can have moved a
    // timer; each goes back into the heap at its new time. Anything else (a command, a new configuration)
    // queues every group again.
    if (full) this.rebuildTimers();
    else for (const k of touched) this.requeue(k);
    this.timersStale = false;
    const next = this.earliestTimer();
    if (this.verifyTimers) {
      const exact = this.nextTimer();
      if (exact !== undefined && (next === undefined || exact < next)) this.timerMisses++;
    }
    if (next !== undefined) fx.nextTimer = next;
    return fx;
  }

  /**
   * Each group (an ISAKMP SA by initiator cookie, with its Quick Modes and IPsec SAs) has at most one live entry
   * in the heap, at the time recorded here; an entry at any other time is left over and skipped. The live entry
   * is the group's earliest timer, because every change to a group happens in a run that touches it, and each
   * such run queues the group again.
   */
  private readonly heap = new TimerHeap();
  private readonly queued = new Map<string, Millis>();
  /** Set when the configuration changes outside a run: the next run queues every group again. */
  private timersStale = true;
  /** Tests: check every heap-derived next time against a full scan; misses are counted here. */
  verifyTimers = false;
  timerMisses = 0;

  private requeue(key: string): void {
    const t = this.timersTouchedBy(key);
    if (t === undefined) {
      this.queued.delete(key);
      return;
    }
    if (this.queued.get(key) === t) return;
    this.queued.set(key, t);
    this.heap.push(t, key);
    // The entry a group had before is left behind, to be skipped when it comes up (a time that moved later
    // must not wake the daemon for nothing); when such entries outnumber the live ones the heap is built
    // again from the live ones alone.
    if (this.heap.size > 2 * this.queued.size + 1024) {
      this.heap.clear();
      for (const [k, at] of this.queued) this.heap.push(at, k);
    }
  }

  private rebuildTimers(): void {
    this.heap.clear();
    this.queued.clear();
    for (const k of this.sas.keys()) this.requeue(k);
    for (const q of this.quick.values()) this.requeue(q.isakmp.icookieHex);
    for (const s of this.ipsec.values()) this.requeue(s.id.slice(0, 16));
  }

  private earliestTimer(): Millis | undefined {
    const h = this.heap;
    while (h.size && this.queued.get(h.topKey!) !== h.topAt) h.pop();
    let next = h.topAt;
    for (const d of this.deferred) next = minTime(next, d.at);
    return next;
  }

  /** The groups whose time has come, taken off the heap. */
  private dueGroups(): string[] {
    const due: string[] = [];
    const h = this.heap;
    while (h.size && h.topAt! <= this.now) {
      const key = h.topKey!;
      const at = h.topAt!;
      h.pop();
      if (this.queued.get(key) !== at) continue;
      this.queued.delete(key);
      due.push(key);
    }
    return due;
  }

  private timersTouchedBy(icookieHex: string): Millis | undefined {
    let t: Millis | undefined;
    const sa = this.sas.get(icookieHex);
    if (sa) t = minTime(t, this.timerOfSa(sa));
    this.quickOfSa.each(icookieHex, (q) => (t = minTime(t, this.timerOfQuick(q))));
    this.ipsecOfSa.each(icookieHex, (s) => (t = minTime(t, this.timerOfIpsec(s))));
    return t;
  }

  // ---------- helpers used by the exchange modules ----------

  log(cls: LogClassName, level: number, msg: string, kind?: LogEvent['kind']): void {
    this.fx.log.push(kind ? { cls, level, msg, kind } : { cls, level, msg });
  }

  drop(reason: string): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }

  emit(o: Outgoing): void {
    this.stats.sent++;
    this.fx.send.push(o);
  }

  install(c: Effects['install'][number]): void {
    this.fx.install.push(c);
  }

  /** Sends a message of an exchange and arms (or clears) its retransmission. */
  sendTracked(x: Xmit, out: Outgoing, awaitReply: boolean): void {
    x.lastSent = [out];
    x.awaitingReply = awaitReply;
    x.xmits = 1;
    x.lastSentAt = this.now;
    if (awaitReply) x.nextAt = this.now + (x.xmits * 2 + 5) * 1000;
    else x.nextAt = undefined;
    this.emit(out);
  }

  random(n: number): Buffer {
    return this.rng.bytes(n);
  }

  newSerial(): number {
    return ++this.serial;
  }

  allocSpi(): number {
    for (;;) {
      const spi = this.allocSpiFn ? this.allocSpiFn() : this.random(4).readUInt32BE(0);
      if (spi >= 0x100 && !this.spisInUse.has(spi)) {
        this.spisInUse.add(spi);
        return spi;
      }
    }
  }

  releaseSpi(spi: number): void {
    this.spisInUse.delete(spi);
  }

  newMessageId(sa: IsakmpSa): number {
    for (;;) {
      const m = this.random(4).readUInt32BE(0);
      if (m !== 0 && !sa.usedMessageIds.includes(m)) {
        useMessageId(sa, m);
        return m;
      }
    }
  }

  localFor(remote: Endpoint, peer?: PeerConfig): Endpoint {
    const v6 = remote.address.includes(':');
    // A gateway may listen on many addresses: look them up, do not scan them per exchange.
    const locals = (this.localIndex ??= indexLocal(this.local));
    const first = v6 ? locals.first6 : locals.first4;
    if (peer?.localAddress) {
      const m = locals.byAddress.get(peer.localAddress);
      if (m && m.address.includes(':') === v6) return m;
      return { address: peer.localAddress, port: first?.port ?? 500 };
    }
    return first ?? this.local[0] ?? { address: v6 ? '::1' : '127.0.0.1', port: 500 };
  }

  private localIndex?: LocalIndex;

  peerByName(name: string): PeerConfig | undefined {
    return this.names().peers.get(name.toLowerCase());
  }

  connectionByName(name: string): ConnectionConfig | undefined {
    return this.names().connections.get(name.toLowerCase());
  }

  /** The connections naming this peer (case-insensitively), in configuration order. */
  connectionsOfPeer(peer: string): readonly ConnectionConfig[] {
    return this.names().ofPeer.get(peer.toLowerCase()) ?? [];
  }

  /**
   * Peers and connections by lower-cased name, and connections by peer, rebuilt when the configuration
   * object is replaced (reload) or its lists change length (dynamic connections).
   */
  private byName?: {
    of: EngineConfig; peers: Map<string, PeerConfig>; connections: Map<string, ConnectionConfig>; ofPeer: Map<string, ConnectionConfig[]>; count: number;
  };
  private names(): NonNullable<IkeEngine['byName']> {
    const c = this.config;
    if (this.byName?.of !== c || this.byName.peers.size !== c.peers.length || this.byName.count !== c.connections.length) {
      const peers = new Map<string, PeerConfig>();
      for (const p of c.peers) if (!peers.has(lower(p.name))) peers.set(lower(p.name), p);
      const connections = new Map<string, ConnectionConfig>();
      const ofPeer = new Map<string, ConnectionConfig[]>();
      for (const x of c.connections) {
        if (!connections.has(lower(x.name))) connections.set(lower(x.name), x);
        const list = ofPeer.get(lower(x.peer));
        if (list) list.push(x);
        else ofPeer.set(lower(x.peer), [x]);
      }
      this.byName = { of: c, peers, connections, ofPeer, count: c.connections.length };
    }
    return this.byName;
  }

  /**
   * Phase 1 KILOBYTES lifetime: authenticated IKE traffic under the ISAKMP SA, both ways. Past the limit the
   * SA expires at the next timer, as at its time limit.
   */
  countIkeBytes(sa: IsakmpSa, n: number): void {
    const before = sa.ikeBytes ?? 0;
    sa.ikeBytes = before + n;
    const kb = sa.transform?.lifeKilobytes;
    // only the datagram that crosses the limit ends the SA's lifetime
    if (kb && sa.state === 'ESTABLISHED' && before <= kb * 1024 && sa.ikeBytes > kb * 1024) {
      this.log('sa', 10, `ISAKMP SA with ${sa.peer.name} reached its lifetime of ${kb} KB`);
      sa.hardAt = this.now;
    }
  }

  /** Phase 1 finished: count, report and start the Quick Modes that waited for it. */
  phase1Done(sa: IsakmpSa): void {
    this.closedHalfOpen(sa);
    // From here only SKEYID_d, SKEYID_a, the cipher key and the IV chains are needed: the exchange material
    // goes (and SKEYID, SKEYID_e, g^xi/g^xr inside the keys: HASH_I/HASH_R are done), the transform becomes
    // the shared configured one, and the last message is kept only in the form a duplicate gets it back.
    endExchange(sa);
    sa.keys?.endPhase1();
    if (sa.transform) sa.transform = sharedTransform(sa.peer.transforms, sa.transform);
    keepOnlyReply(sa.xmit);
    sa.state = 'ESTABLISHED';
    sa.establishedAt = this.now;
    sa.hardAt = this.now + (sa.transform?.lifeSeconds ?? 3600) * 1000;
    if (sa.natLocal) sa.keepaliveAt = this.now + NAT_KEEPALIVE_MS;
    sa.lastHeardAt = this.now;
    sa.dpd = { peerSupports: sa.dpd?.peerSupports ?? false, seq: this.random(4).readUInt32BE(0) & 0x7fffffff, tries: 0 };
    this.stats.phase1Established++;
    if (this.logs('exchange', 0, 'phase1-done')) {
      const d = describePhase1(sa.transform!);
      this.log(
        'exchange', 0,
        `phase 1 done (${sa.initiator ? 'initiator' : 'responder'}): peer ${sa.peer.name} ${endpointKey(sa.remote)} ` +
          `id ${sa.idI ?? '?'} -> ${sa.idR ?? '?'} ${d.encr} ${d.hash} group ${d.group} icookie ${sa.icookieHex} rcookie ${sa.rcookie.toString('hex')}`,
        'phase1-done',
      );
    }
    // Our own attempt with the same peer that the peer never answered is now redundant: its waiting
    // connections ride on this SA. One the peer did answer is kept, since the peer holds it too.
    for (const other of [...this.sasOfPeer(sa.peer.name)]) {
      if (other !== sa && other.initiator && other.state === 'SA' && other.step === 1 && other.peer.name === sa.peer.name) {
        for (const n of other.pending) if (!sa.pending.includes(n)) sa.pending.push(n);
        this.removeIsakmp(other);
        this.log('exchange', 10, `dropped our concurrent Main Mode with ${sa.peer.name}: the peer's completed first`);
      }
    }
    const pending = sa.pending.splice(0);
    if (sa.initiator && sa.exchange === 'aggressive') {
      for (const name of pending) this.deferred.push({ name, at: this.now + AGGRESSIVE_QM_DELAY_MS });
    } else if (sa.initiator) {
      for (const name of pending) this.startQuickIfDown(sa, name);
    } else {
      // As phase 1 responder, give the initiator a moment to start its own Quick Mode for the same
      // connection, so both ends do not negotiate a pair each.
      for (const name of pending) this.deferred.push({ name, at: this.now + RESPONDER_QM_DELAY_MS });
    }
  }

  /** A connection counts as up while it has an IPsec SA that is not yet due for renegotiation. */
  isUp(connection: string): boolean {
    for (const s of this.ipsecOf(connection)) if (s.softAt > this.now) return true;
    return false;
  }

  private startQuickIfDown(sa: IsakmpSa, name: string): void {
    const c = this.connectionByName(name);
    if (!c) return;
    if (this.isUp(c.name)) return;
    if (this.negotiating(c.name)) return;
    quickInitiate(this, sa, c);
  }

  /** An exchange failed: report once, answer with a notify when the refusal says so, and free state. */
  failPhase1(sa: IsakmpSa, why: string, refusal?: Refusal): void {
    if (sa.state === 'DEAD') return;
    this.stats.failures++;
    if (refusal && refusal.reply === 'notify') sendUnprotectedNotify(this, sa, refusal.notify);
    // A responder exchange that never got past the first message is noise (scans, floods): debug level.
    const quiet = !sa.initiator && sa.step <= 2;
    this.log('exchange', quiet ? 10 : 0, `phase 1 with ${sa.peer.name} ${endpointKey(sa.remote)} failed: ${why}`, 'failed');
    for (const name of sa.pending) this.log('exchange', 0, `connection ${name} not established: phase 1 failed`, 'failed');
    this.removeIsakmp(sa);
  }

  removeIsakmp(sa: IsakmpSa): void {
    this.closedHalfOpen(sa);
    sa.state = 'DEAD';
    const hex = sa.icookieHex;
    this.sas.delete(hex);
    // Its Quick Modes by index (keyed "icookie:message ID", see quick-mode.ts), not by a scan of all of them.
    for (const q of this.quickOfSa(hex)) {
      if (q.isakmp !== sa) continue;
      this.releaseSpi(q.spiIn);
      if (q.spiInAh) this.releaseSpi(q.spiInAh);
      if (!this.quick.delete(`${hex}:${q.messageId}`)) for (const [k, x] of this.quick) if (x === q) this.quick.delete(k);
    }
  }

  /**
   * INITIAL-CONTACT in an authenticated phase 1 (RFC 2407 4.6.3.3): the peer has rebooted or reconnected and
   * holds no state from before, so every older SA with it goes, without Deletes it could not read anyway.
   */
  initialContact(fresh: IsakmpSa): void {
    for (const s of [...this.ipsecAt(fresh.remote.address)]) this.removeIpsec(s, 'INITIAL-CONTACT from the peer');
    for (const old of [...this.sasAt(fresh.remote.address)]) {
      if (old !== fresh && old.state === 'ESTABLISHED') {
        this.removeIsakmp(old);
        this.log('sa', 0, `ISAKMP SA with ${old.peer.name} replaced after INITIAL-CONTACT`, 'deleted');
      }
    }
  }

  /**
   * A flood of first messages must not grow state without bound: at most MAX_HALF_OPEN phase 1 exchanges
   * we answer but have not finished, MAX_HALF_OPEN_PER_PEER of them from one address (each lives at most
   * Exchange-max-time). Counted as they open and close, so the check costs nothing per datagram.
   */
  mayOpenHalfOpen(from?: Endpoint): boolean {
    if (this.halfOpenTotal >= MAX_HALF_OPEN) {
      this.drop('too-many-half-open');
      return false;
    }
    if (from && (this.halfOpenByPeer.get(from.address) ?? 0) >= MAX_HALF_OPEN_PER_PEER) {
      this.drop('too-many-half-open-peer');
      return false;
    }
    return true;
  }

  private halfOpenTotal = 0;
  private readonly halfOpenByPeer = new Map<string, number>();
  private readonly halfOpen = new WeakSet<IsakmpSa>();

  /** A responder phase 1 exchange starts holding state (see mayOpenHalfOpen). */
  openedHalfOpen(sa: IsakmpSa): void {
    if (this.halfOpen.has(sa)) return;
    this.halfOpen.add(sa);
    this.halfOpenTotal++;
    this.halfOpenByPeer.set(sa.remote.address, (this.halfOpenByPeer.get(sa.remote.address) ?? 0) + 1);
  }

  private closedHalfOpen(sa: IsakmpSa): void {
    if (!this.halfOpen.delete(sa)) return;
    this.halfOpenTotal--;
    const n = (this.halfOpenByPeer.get(sa.remote.address) ?? 1) - 1;
    if (n > 0) this.halfOpenByPeer.set(sa.remote.address, n);
    else this.halfOpenByPeer.delete(sa.remote.address);
  }

  /** Half-open phase 1 exchanges now: in all, and per peer address (for `show stats`). */
  halfOpenCounts(): { total: number; peers: number; largest: number } {
    return { total: this.halfOpenTotal, peers: this.halfOpenByPeer.size, largest: Math.max(0, ...this.halfOpenByPeer.values()) };
  }

  /** DPD found no answer: everything we have with this peer goes (it cannot read Deletes). */
  peerDead(sa: IsakmpSa): void {
    this.stats.failures++;
    this.log('exchange', 0, `peer ${sa.peer.name} ${endpointKey(sa.remote)} is dead (no answer to DPD)`, 'failed');
    for (const s of [...this.ipsecAt(sa.remote.address)]) this.removeIpsec(s, 'peer dead (DPD)');
    for (const o of [...this.sasAt(sa.remote.address)]) this.removeIsakmp(o);
  }

  removeIpsec(sa: IpsecSa, reason: string): void {
    const p = sa.spec;
    if (!this.ipsec.delete(p.id)) return;
    this.releaseSpi(p.inbound.spi);
    if (p.ah) this.releaseSpi(p.ah.inbound.spi);
    this.install({
      kind: 'delete', id: p.id, inboundSpi: p.inbound.spi, outboundSpi: p.outbound.spi,
      remote: p.remote, local: p.local, reason,
    });
    this.log('sa', 0, `IPsec SA ${p.connection} spi in 0x${hex32(p.inbound.spi)} out 0x${hex32(p.outbound.spi)} removed: ${reason}`, 'deleted');
  }

  establishedWith(peerName: string): IsakmpSa | undefined {
    // one past its lifetime (waiting for a last Quick Mode to finish) takes no new work
    for (const sa of this.sasOfPeer(peerName)) if (sa.state === 'ESTABLISHED' && !(sa.hardAt !== undefined && sa.hardAt <= this.now)) return sa;
    return undefined;
  }

  /** A Quick Mode for this connection is under way. */
  negotiating(connection: string): boolean {
    for (const q of this.quickOf(connection)) if (q.state !== 'DONE') return true;
    return false;
  }

  // ---------- inbound ----------

  /** `icookieHex`: the datagram's first 8 bytes in hex, when the caller has worked them out already. */
  private dispatch(datagram: Uint8Array, from: Endpoint, to: Endpoint, icookieHex?: string): void {
    this.stats.received++;
    const h = readHeader(datagram);
    if (isRefusal(h)) {
      this.drop(h.notify.toLowerCase());
      this.log('message', 10, `dropped datagram from ${endpointKey(from)}: ${h.reason}`);
      return;
    }
    const key = icookieHex ?? Buffer.from(h.ispi).toString('hex');
    const sa = this.sas.get(key);
    if (sa && !h.rspi.every((b) => b === 0) && !sa.rcookie.every((b) => b === 0) && !sa.rcookie.equals(h.rspi)) {
      this.drop('invalid_cookie');
      return;
    }
    if (sa && sa.remote.address !== from.address) {
      this.drop('address-mismatch');
      return;
    }
    switch (h.exchange) {
      case ExchangeType.ID_PROT:
      case ExchangeType.AGGRESSIVE:
        // Phase 1 messages carry message ID 0 (RFC 2408 3.1).
        if (h.messageId !== 0) {
          this.drop('invalid_message_id');
          return;
        }
        (h.exchange === ExchangeType.ID_PROT ? mainModeReceive : aggressiveReceive)(this, sa, h, datagram, from, to);
        return;
      case ExchangeType.QUICK_MODE:
        if (!sa) {
          this.drop('unknown-sa');
          return;
        }
        quickReceive(this, sa, h, datagram, from, to);
        return;
      case ExchangeType.INFO:
        if (!sa) {
          this.drop('unknown-sa');
          return;
        }
        infoReceive(this, sa, h, datagram, from, to);
        return;
      default:
        this.drop('unsupported_exchange_type');
        this.log('message', 10, `exchange type ${h.exchange} from ${endpointKey(from)} not supported`);
    }
  }

  /**
   * Duplicate handling shared by all exchanges: a copy of the newest message we received gets our last
   * reply again without reprocessing; a copy of an older one is dropped.
   */
  isDuplicate(x: Xmit, datagram: Uint8Array): boolean {
    const i = x.recv.indexOf(messageHash(datagram));
    if (i < 0) return false;
    this.stats.duplicates++;
    // At most one resend per second per exchange: a network that duplicates both ways must not turn
    // each copy into another copy (the peer's own retransmissions are 7 s or more apart).
    const again = i === x.recv.length - 1 ? lastMessages(x) : undefined;
    if (again && this.now - (x.lastSentAt ?? -Infinity) >= 1000) {
      for (const o of again) this.emit(o);
      x.lastSentAt = this.now;
      this.log('message', 20, 'duplicate message: resending our last reply');
    } else {
      this.log('message', 20, 'duplicate of an older message dropped');
    }
    return true;
  }

  /** Remembers an accepted message so its retransmissions are recognised. */
  remember(x: Xmit, datagram: Uint8Array): void {
    // replaced, never changed in place (newXmit shares its empty list); concat() sizes the array exactly
    x.recv = x.recv.slice(-2).concat(messageHash(datagram));
  }

  // ---------- timers ----------

  private retransmitDue(x: Xmit): 'idle' | 'resent' | 'give-up' {
    if (!x.awaitingReply || x.nextAt === undefined || x.nextAt > this.now) return 'idle';
    if (x.xmits > this.config.retransmits) return 'give-up';
    for (const o of x.lastSent ?? []) this.emit(o);
    this.stats.retransmits++;
    x.lastSentAt = this.now;
    x.xmits++;
    x.nextAt = this.now + (x.xmits * 2 + 5) * 1000;
    return 'resent';
  }

  /**
   * The groups whose time has come, in the order a full pass would take them: their ISAKMP SAs, then their
   * Quick Modes, connections waiting to start, then their IPsec SAs' soft and hard lifetimes. A record that an
   * earlier step removed is passed over.
   */
  private timers(): void {
    const maxAge = this.config.exchangeMaxTimeSec * 1000;
    const due = this.dueGroups();
    for (const k of due) this.touched?.add(k);
    for (const k of due) {
      const sa = this.sas.get(k);
      if (!sa) continue;
      if (sa.state !== 'ESTABLISHED') {
        if (this.now - sa.createdAt >= maxAge) {
          this.failPhase1(sa, `exchange took longer than Exchange-max-time (${this.config.exchangeMaxTimeSec} s)`);
          continue;
        }
        if (this.retransmitDue(sa.xmit) === 'give-up') {
          this.failPhase1(sa, `no reply after ${sa.xmit.xmits} transmissions, giving up`);
        }
      } else if (sa.keepaliveAt !== undefined && sa.keepaliveAt <= this.now && !(sa.hardAt !== undefined && sa.hardAt <= this.now)) {
        // Behind a NAT: keep its mapping for the NAT-T port alive (RFC 3948 2.3, isakmpd every 20 s).
        this.emit({ from: sa.local, to: sa.remote, data: Uint8Array.of(0xff), keepalive: true });
        sa.keepaliveAt = this.now + NAT_KEEPALIVE_MS;
      } else if (sa.hardAt !== undefined && sa.hardAt <= this.now) {
        if (this.quickOfSa(sa.icookieHex).some((q) => q.state !== 'DONE')) {
          // A Quick Mode still running under it finishes first (each is bounded by Exchange-max-time).
          sa.hardAt = this.now + 1000;
        } else {
          // Quietly: IPsec SAs outlive their ISAKMP SA in IKEv1, and a Delete would make peers that tie
          // them together (strongSwan) drop the IPsec SAs as well. The peer's own timer retires its copy.
          this.log('sa', 0, `ISAKMP SA with ${sa.peer.name} expired`);
          this.removeIsakmp(sa);
        }
      }
      if (sa.state === 'ESTABLISHED') {
        sa.dpdNext = dpdTick(this, sa);
        // Past Exchange-max-time no copy of the peer's last phase 1 message can still come: its reply goes.
        if ((sa.xmit.lastSent || sa.xmit.reply) && sa.establishedAt !== undefined && this.now - sa.establishedAt >= maxAge) sa.xmit = newXmit(sa.establishedAt);
      }
    }
    for (const q of due.flatMap((k) => this.quickOfSa(k))) {
      const k = qkey(q.isakmp, q.messageId);
      if (this.quick.get(k) !== q) continue;
      if (q.state === 'DONE') {
        if (q.keepUntil !== undefined && q.keepUntil <= this.now) this.quick.delete(k);
        continue;
      }
      const tooOld = this.now - q.xmit.startedAt >= maxAge;
      const r = tooOld ? 'give-up' : this.retransmitDue(q.xmit);
      if (r === 'give-up') {
        this.stats.failures++;
        this.quick.delete(k);
        q.isakmp.keys?.forgetIv(q.messageId);
        this.releaseSpi(q.spiIn);
        if (q.spiInAh) this.releaseSpi(q.spiInAh);
        this.log('exchange', 0, `quick mode ${q.connection?.name ?? ''} with ${q.isakmp.peer.name} failed: ${tooOld ? 'Exchange-max-time reached' : 'no reply, giving up'}`, 'failed');
      }
    }
    for (let i = this.deferred.length - 1; i >= 0; i--) {
      const d = this.deferred[i]!;
      if (d.at > this.now) continue;
      this.deferred.splice(i, 1);
      const conn = this.connectionByName(d.name);
      const sa = conn && this.establishedWith(conn.peer);
      if (sa) this.startQuickIfDown(sa, d.name);
    }
    const ipsec = due.flatMap((k) => this.ipsecOfSa(k));
    for (const s of ipsec) {
      if (this.ipsec.get(s.id) !== s) continue;
      if (s.softAt <= this.now && !s.rekeyStarted && s.hardAt > this.now) {
        // Renegotiate active connections before the hard lifetime; the old SA serves until then. If the
        // peer already rekeyed, the fresher SA is there and nothing is needed.
        s.rekeyStarted = true;
        const conn = this.connectionByName(s.connection);
        if (conn && !conn.passive && !this.isUp(conn.name)) {
          this.log('sa', 10, `IPsec SA ${s.id} of ${conn.name} reached its soft lifetime: renegotiating`);
          this.connect(conn.name);
        }
      }
    }
    for (const s of ipsec) {
      if (this.ipsec.get(s.id) !== s) continue;
      if (s.hardAt <= this.now) {
        const sa = this.establishedWith(s.peer);
        if (sa) sendDeleteIpsec(this, sa, [s]);
        this.removeIpsec(s, 'lifetime expired');
      }
    }
  }

  private nextTimer(): Millis | undefined {
    let t: Millis | undefined;
    for (const sa of this.sas.values()) t = minTime(t, this.timerOfSa(sa));
    for (const q of this.quick.values()) t = minTime(t, this.timerOfQuick(q));
    for (const s of this.ipsec.values()) t = minTime(t, this.timerOfIpsec(s));
    for (const d of this.deferred) t = minTime(t, d.at);
    return t;
  }

  private timerOfSa(sa: IsakmpSa): Millis | undefined {
    const maxAge = this.config.exchangeMaxTimeSec * 1000;
    let t: Millis | undefined;
    if (sa.state !== 'ESTABLISHED') {
      t = minTime(t, sa.createdAt + maxAge);
      if (sa.xmit.awaitingReply) t = minTime(t, sa.xmit.nextAt);
    } else {
      t = minTime(t, sa.hardAt);
      if ((sa.xmit.lastSent || sa.xmit.reply) && sa.establishedAt !== undefined) t = minTime(t, sa.establishedAt + maxAge);
      t = minTime(t, sa.keepaliveAt);
      if (this.config.dpdIntervalSec && sa.dpd?.peerSupports) {
        // as dpdTick reckons it
        t = minTime(t, sa.dpd.outstanding !== undefined ? (sa.dpd.sentAt ?? this.now) + 5000 : (sa.lastHeardAt ?? sa.establishedAt ?? this.now) + this.config.dpdIntervalSec * 1000);
      }
    }
    return t;
  }

  private timerOfQuick(q: QuickExchange): Millis | undefined {
    if (q.state === 'DONE') return q.keepUntil;
    return minTime(q.xmit.startedAt + this.config.exchangeMaxTimeSec * 1000, q.xmit.awaitingReply ? q.xmit.nextAt : undefined);
  }

  private timerOfIpsec(s: IpsecSa): Millis | undefined {
    return minTime(s.hardAt, s.rekeyStarted ? undefined : s.softAt);
  }

  // ---------- commands ----------

  private doCommand(c: Command): void {
    switch (c.type) {
      case 'connect':
        return this.connect(c.name);
      case 'teardown':
        return this.teardown(c);
      case 'teardown-all':
        for (const s of [...this.ipsec.values()]) this.deleteIpsecAndTell(s, 'teardown');
        return;
      case 'delete': {
        const sa = this.sas.get(c.icookie.toLowerCase());
        if (!sa || (c.rcookie && sa.rcookie.toString('hex') !== c.rcookie.toLowerCase())) {
          this.log('ui', 0, `no SA with cookies ${c.icookie} ${c.rcookie}`);
          return;
        }
        if (c.messageId === undefined) {
          if (sa.state === 'ESTABLISHED') sendDeleteIsakmp(this, sa);
          this.removeIsakmp(sa);
          this.log('sa', 0, `ISAKMP SA with ${sa.peer.name} deleted`, 'deleted');
        } else {
          for (const s of [...this.ipsec.values()]) {
            if (s.isakmpSerial === sa.serial && s.id.endsWith(`:${hex32(c.messageId)}`)) this.deleteIpsecAndTell(s, 'deleted by operator');
          }
        }
        return;
      }
      case 'shutdown':
        for (const s of [...this.ipsec.values()]) {
          if (c.sendDeletes) this.deleteIpsecAndTell(s, 'shutdown');
          else this.removeIpsec(s, 'shutdown');
        }
        for (const sa of [...this.sas.values()]) {
          if (c.sendDeletes && sa.state === 'ESTABLISHED') sendDeleteIsakmp(this, sa);
          this.removeIsakmp(sa);
        }
        return;
      case 'acquire': {
        const name = acquire(this, c.src, c.dst, c.peer);
        if (name) this.connect(name);
        return;
      }
      case 'expire': {
        let s: IpsecSa | undefined;
        for (const x of this.ipsec.values()) {
          if (x.hasSpi(c.spi)) {
            s = x;
            break;
          }
        }
        if (!s) return;
        if (c.hard) this.deleteIpsecAndTell(s, `hard lifetime (${c.reason ?? 'data plane'}) reached`);
        else if (s.softAt > this.now) {
          // Soft byte (or packet) limit in the data plane: renegotiate now, as at the soft time limit.
          this.log('sa', 10, `soft expiry (${c.reason ?? 'data plane'}) for IPsec SA ${s.id}: renegotiating`);
          s.softAt = this.now;
          this.touched?.add(s.id.slice(0, 16));
        }
        return;
      }
    }
  }

  private deleteIpsecAndTell(s: IpsecSa, reason: string): void {
    const sa = this.establishedWith(s.peer);
    if (sa) sendDeleteIpsec(this, sa, [s]);
    this.removeIpsec(s, reason);
  }

  private connect(name: string): void {
    const conn = this.connectionByName(name);
    if (!conn) {
      this.log('ui', 0, `connect: no connection named ${name}`, 'failed');
      return;
    }
    const peer = this.peerByName(conn.peer);
    if (!peer || !peer.address) {
      this.log('ui', 0, `connect: connection ${name} has no usable ISAKMP-peer ${conn.peer}`, 'failed');
      return;
    }
    if (this.isUp(conn.name)) {
      this.log('exchange', 20, `connection ${name} is already up`);
      return;
    }
    if (this.negotiating(conn.name)) return;
    const up = this.establishedWith(peer.name);
    if (up) {
      quickInitiate(this, up, conn);
      return;
    }
    for (const sa of this.sasOfPeer(peer.name)) {
      if (sa.state !== 'DEAD' && sa.state !== 'ESTABLISHED') {
        if (!sa.pending.includes(conn.name)) sa.pending.push(conn.name);
        return;
      }
    }
    if (peer.exchange === 'aggressive') aggressiveInitiate(this, peer, [conn.name]);
    else mainModeInitiate(this, peer, [conn.name]);
  }

  private teardown(c: Extract<Command, { type: 'teardown' }>): void {
    const byAddr = c.address !== undefined;
    const phase = c.phase ?? (byAddr ? undefined : 2);
    if (phase !== 1) {
      for (const s of [...this.ipsec.values()]) {
        const p = s.spec;
        const hit = byAddr ? p.remote.address === c.address : p.connection.toLowerCase() === c.name?.toLowerCase();
        if (hit) this.deleteIpsecAndTell(s, 'teardown');
      }
    }
    if (phase !== 2) {
      for (const sa of [...this.sas.values()]) {
        const hit = byAddr ? sa.remote.address === c.address : sa.peer.name.toLowerCase() === c.name?.toLowerCase();
        if (!hit) continue;
        if (sa.state === 'ESTABLISHED') sendDeleteIsakmp(this, sa);
        this.removeIsakmp(sa);
        this.log('sa', 0, `ISAKMP SA with ${sa.peer.name} torn down`, 'deleted');
      }
    }
  }

  // ---------- state for `show` ----------

  snapshot(): EngineSnapshot {
    const now = this.now;
    return {
      isakmp: [...this.sas.values()].map((sa) => ({
        peer: sa.peer.name,
        role: sa.initiator ? 'initiator' : 'responder',
        state: sa.state,
        local: endpointKey(sa.local),
        remote: endpointKey(sa.remote),
        icookie: sa.icookieHex,
        rcookie: sa.rcookie.toString('hex'),
        ...(sa.transform ? describePhase1(sa.transform) : {}),
        ...(sa.idI ? { idI: sa.idI } : {}),
        ...(sa.idR ? { idR: sa.idR } : {}),
        ...(sa.hardAt !== undefined ? { expiresInSec: Math.max(0, Math.round((sa.hardAt - now) / 1000)) } : {}),
        exchange: sa.exchange,
        nat: sa.natLocal ? 'local' : sa.natRemote ? 'remote' : 'none',
        dpd: sa.dpd?.peerSupports ? 'yes' : 'no',
      })),
      // an IpsecSa rebuilds its spec on each read (see sa.ts): once per record here
      ipsec: [...this.ipsec.values()].map((s) => ({ s, p: s.spec })).map(({ s, p }) => ({
        id: p.id,
        connection: p.connection,
        peer: s.peer,
        local: endpointKey(p.local),
        remote: endpointKey(p.remote),
        spiIn: `0x${hex32(p.inbound.spi)}`,
        spiOut: `0x${hex32(p.outbound.spi)}`,
        protocol: p.protocol,
        mode: p.mode,
        encr: encrName(p.encr, p.keyLength * 8),
        integ: p.integ,
        ...(p.ah ? { ah: p.ah.integ, ahSpiIn: `0x${hex32(p.ah.inbound.spi)}`, ahSpiOut: `0x${hex32(p.ah.outbound.spi)}` } : {}),
        lifeSeconds: p.lifeSeconds,
        lifeKilobytes: p.lifeKilobytes ?? null,
        pfsGroup: p.pfsGroup ?? null,
        localSelector: p.localSelector,
        remoteSelector: p.remoteSelector,
        encap: p.udpEncap ? `udp ${p.udpEncap.localPort}/${p.udpEncap.remotePort}` : 'none',
        expiresInSec: Math.max(0, Math.round((s.hardAt - now) / 1000)),
      })),
      exchanges: [...this.quick.values()].filter((q) => q.state !== 'DONE').length +
        [...this.sas.values()].filter((s) => s.state !== 'ESTABLISHED').length,
    };
  }
}

export interface EngineSnapshot {
  isakmp: Array<Record<string, string | number>>;
  ipsec: Array<Record<string, string | number | null>>;
  exchanges: number;
}

/** The lower-case form of a name; the name itself when it already is (no second copy of the string is kept). */
const lower = (s: string): string => {
  const l = s.toLowerCase();
  return l === s ? s : l;
};

const minTime = (a: Millis | undefined, b: Millis | undefined): Millis | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

export const hex32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/**
 * SHA-1 of a received message as a 20-character one-byte ('binary') string (half the size of its hex form);
 * one-shot where Node has it, which leaves no native hash object for the garbage collector to finalize.
 */
const messageHash: (datagram: Uint8Array) => string = typeof crypto.hash === 'function'
  ? (datagram) => crypto.hash('sha1', datagram, 'binary')
  : (datagram) => crypto.createHash('sha1').update(datagram).digest('binary');

/**
 * A finished exchange answers duplicates with its last message, kept as a one-byte string (an encoded message
 * is a view of the encoder's larger buffer, and a small Buffer of its own costs ~200 bytes besides its
 * contents). The plaintext copy for -l is not kept. One still waiting for a reply keeps it whole.
 */
export function keepOnlyReply(x: Xmit): void {
  const last = x.lastSent;
  if (last && last.length === 1 && !x.awaitingReply) {
    const o = last[0]!;
    x.reply = { from: o.from, to: o.to, bytes: Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength).toString('latin1') };
    x.lastSent = undefined;
  } else if (last) x.lastSent = last.map((o) => ({ from: o.from, to: o.to, data: o.data.byteLength === o.data.buffer.byteLength ? o.data : ownBytes(o.data) }));
  // only a copy of the newest message earns a resend; older ones are dropped by the exchange's state anyway
  if (x.recv.length > 1) x.recv = x.recv.slice(-1);
}

interface LocalIndex {
  first4?: Endpoint;
  first6?: Endpoint;
  /** the first endpoint with each address */
  byAddress: Map<string, Endpoint>;
}

function indexLocal(local: readonly Endpoint[]): LocalIndex {
  const x: LocalIndex = { byAddress: new Map() };
  for (const l of local) {
    if (l.address.includes(':')) x.first6 ??= l;
    else x.first4 ??= l;
    if (!x.byAddress.has(l.address)) x.byAddress.set(l.address, l);
  }
  return x;
}
