// The IKEv1 engine without I/O: datagrams, time and commands in; datagrams, SA installs, log events
// and the next timer out. Exchange steps live in main-mode.ts, aggressive-mode.ts, quick-mode.ts,
// informational.ts, nat-t.ts and dpd.ts.
import crypto from 'node:crypto';
import type { ConnectionConfig, EngineConfig, PeerConfig } from './config.js';
import { describePhase1 } from './proposals.js';
import { Exchange } from './numbers.js';
import { seededRng, systemRng, type Rng } from './rng.js';
import type { IpsecSa, IsakmpSa, QuickExchange, Xmit } from './sa.js';
import {
  endpointKey, isRefusal, type Command, type Effects, type Endpoint, type LogClassName, type LogEvent, type Millis,
  type Outgoing, type Refusal,
} from './types.js';
import { decodeHeader } from './wire.js';
import { mainModeInitiate, mainModeReceive } from './main-mode.js';
import { aggressiveInitiate, aggressiveReceive } from './aggressive-mode.js';
import { quickInitiate, quickReceive } from './quick-mode.js';
import { infoReceive, sendDeleteIpsec, sendDeleteIsakmp, sendUnprotectedNotify } from './informational.js';
import { dpdTick } from './dpd.js';

/** Phase 1 exchanges we answer and that are not yet finished, at most (see mayOpenHalfOpen). */
export const MAX_HALF_OPEN = 1024;

/** NAT-T keepalive interval (isakmpd NAT_T_KEEPALIVE_INTERVAL). */
export const NAT_KEEPALIVE_MS = 20_000;

/** How long a phase 1 responder waits before starting its own Quick Modes (see phase1Done). */
export const RESPONDER_QM_DELAY_MS = 2000;

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
  config: EngineConfig;
  readonly local: Endpoint[];
  readonly rng: Rng;
  /** ISAKMP SAs by initiator cookie (hex). */
  readonly sas = new Map<string, IsakmpSa>();
  /** Quick Mode exchanges by `${icookie}:${messageId}`. */
  readonly quick = new Map<string, QuickExchange>();
  /** IPsec SAs by id. */
  readonly ipsec = new Map<string, IpsecSa>();
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
    this.config = o.config;
    this.local = o.local;
    this.rng = o.rng ?? systemRng;
    if (o.allocSpi) this.allocSpiFn = o.allocSpi;
    if (o.natTPort) this.natTPort = o.natTPort;
  }

  readonly natTPort?: number;

  /**
   * After an authenticated message: if the peer now shows a different port (NAT mapping, the move to the
   * NAT-T port), later messages go there and leave from the port it reached.
   */
  followPeer(sa: IsakmpSa, from: Endpoint, to: Endpoint): void {
    sa.lastHeardAt = this.now;
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
    return this.run(now, () => this.dispatch(datagram, from, to));
  }

  tick(now: Millis): Effects {
    return this.run(now, () => this.timers());
  }

  command(c: Command, now: Millis): Effects {
    return this.run(now, () => this.doCommand(c));
  }

  private run(now: Millis, f: () => void): Effects {
    this.now = now;
    this.fx = { send: [], install: [], log: [] };
    try {
      f();
    } catch (err) {
      // A bug must not take the daemon down with it; the peer's packet is dropped and counted.
      this.drop('internal-error');
      this.log('misc', 0, `internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
    const fx = this.fx;
    const next = this.nextTimer();
    if (next !== undefined) fx.nextTimer = next;
    return fx;
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
    else delete x.nextAt;
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
      if (m !== 0 && !sa.usedMessageIds.has(m)) {
        sa.usedMessageIds.add(m);
        return m;
      }
    }
  }

  localFor(remote: Endpoint, peer?: PeerConfig): Endpoint {
    const v6 = remote.address.includes(':');
    const same = this.local.filter((l) => l.address.includes(':') === v6);
    if (peer?.localAddress) {
      const m = same.find((l) => l.address === peer.localAddress);
      if (m) return m;
      return { address: peer.localAddress, port: same[0]?.port ?? 500 };
    }
    return same[0] ?? this.local[0] ?? { address: v6 ? '::1' : '127.0.0.1', port: 500 };
  }

  peerByName(name: string): PeerConfig | undefined {
    return this.config.peers.find((p) => p.name.toLowerCase() === name.toLowerCase());
  }

  connectionByName(name: string): ConnectionConfig | undefined {
    return this.config.connections.find((c) => c.name.toLowerCase() === name.toLowerCase());
  }

  /** Phase 1 finished: count, report and start the Quick Modes that waited for it. */
  phase1Done(sa: IsakmpSa): void {
    sa.state = 'ESTABLISHED';
    sa.establishedAt = this.now;
    sa.hardAt = this.now + (sa.transform?.lifeSeconds ?? 3600) * 1000;
    if (sa.natLocal) sa.keepaliveAt = this.now + NAT_KEEPALIVE_MS;
    sa.lastHeardAt = this.now;
    sa.dpd = { peerSupports: sa.dpd?.peerSupports ?? false, seq: this.random(4).readUInt32BE(0) & 0x7fffffff, tries: 0 };
    this.stats.phase1Established++;
    const d = describePhase1(sa.transform!);
    this.log(
      'exchange', 0,
      `phase 1 done (${sa.initiator ? 'initiator' : 'responder'}): peer ${sa.peer.name} ${endpointKey(sa.remote)} ` +
        `id ${sa.idI ?? '?'} -> ${sa.idR ?? '?'} ${d.encr} ${d.hash} group ${d.group} icookie ${sa.icookie.toString('hex')} rcookie ${sa.rcookie.toString('hex')}`,
      'phase1-done',
    );
    // Our own attempt with the same peer that the peer never answered is now redundant: its waiting
    // connections ride on this SA. One the peer did answer is kept, since the peer holds it too.
    for (const other of [...this.sas.values()]) {
      if (other !== sa && other.initiator && other.state === 'SA' && other.step === 1 && other.peer.name === sa.peer.name) {
        for (const n of other.pending) if (!sa.pending.includes(n)) sa.pending.push(n);
        this.removeIsakmp(other);
        this.log('exchange', 10, `dropped our concurrent Main Mode with ${sa.peer.name}: the peer's completed first`);
      }
    }
    const pending = sa.pending.splice(0);
    if (sa.initiator) {
      for (const name of pending) this.startQuickIfDown(sa, name);
    } else {
      // As phase 1 responder, give the initiator a moment to start its own Quick Mode for the same
      // connection, so both ends do not negotiate a pair each.
      for (const name of pending) this.deferred.push({ name, at: this.now + RESPONDER_QM_DELAY_MS });
    }
  }

  /** A connection counts as up while it has an IPsec SA that is not yet due for renegotiation. */
  isUp(connection: string): boolean {
    return [...this.ipsec.values()].some((s) => s.spec.connection === connection && s.softAt > this.now);
  }

  private startQuickIfDown(sa: IsakmpSa, name: string): void {
    const c = this.connectionByName(name);
    if (!c) return;
    if (this.isUp(c.name)) return;
    if ([...this.quick.values()].some((q) => q.state !== 'DONE' && q.connection?.name === c.name)) return;
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
    sa.state = 'DEAD';
    this.sas.delete(sa.icookie.toString('hex'));
    for (const [k, q] of this.quick) {
      if (q.isakmp === sa) {
        this.releaseSpi(q.spiIn);
        this.quick.delete(k);
      }
    }
  }

  /**
   * INITIAL-CONTACT in an authenticated phase 1 (RFC 2407 4.6.3.3): the peer has rebooted or reconnected and
   * holds no state from before, so every older SA with it goes, without Deletes it could not read anyway.
   */
  initialContact(fresh: IsakmpSa): void {
    for (const s of [...this.ipsec.values()]) {
      if (s.spec.remote.address === fresh.remote.address) this.removeIpsec(s, 'INITIAL-CONTACT from the peer');
    }
    for (const old of [...this.sas.values()]) {
      if (old !== fresh && old.remote.address === fresh.remote.address && old.state === 'ESTABLISHED') {
        this.removeIsakmp(old);
        this.log('sa', 0, `ISAKMP SA with ${old.peer.name} replaced after INITIAL-CONTACT`, 'deleted');
      }
    }
  }

  /**
   * A flood of first messages must not grow state without bound: at most MAX_HALF_OPEN phase 1 exchanges
   * we answer but have not finished (each lives at most Exchange-max-time).
   */
  mayOpenHalfOpen(): boolean {
    let n = 0;
    for (const sa of this.sas.values()) if (!sa.initiator && sa.state !== 'ESTABLISHED') n++;
    if (n < MAX_HALF_OPEN) return true;
    this.drop('too-many-half-open');
    return false;
  }

  /** DPD found no answer: everything we have with this peer goes (it cannot read Deletes). */
  peerDead(sa: IsakmpSa): void {
    this.stats.failures++;
    this.log('exchange', 0, `peer ${sa.peer.name} ${endpointKey(sa.remote)} is dead (no answer to DPD)`, 'failed');
    for (const s of [...this.ipsec.values()]) if (s.spec.remote.address === sa.remote.address) this.removeIpsec(s, 'peer dead (DPD)');
    for (const o of [...this.sas.values()]) if (o.remote.address === sa.remote.address) this.removeIsakmp(o);
  }

  removeIpsec(sa: IpsecSa, reason: string): void {
    if (!this.ipsec.delete(sa.spec.id)) return;
    this.releaseSpi(sa.spec.inbound.spi);
    this.install({
      kind: 'delete', id: sa.spec.id, inboundSpi: sa.spec.inbound.spi, outboundSpi: sa.spec.outbound.spi,
      remote: sa.spec.remote, local: sa.spec.local, reason,
    });
    this.log('sa', 0, `IPsec SA ${sa.spec.connection} spi in 0x${hex32(sa.spec.inbound.spi)} out 0x${hex32(sa.spec.outbound.spi)} removed: ${reason}`, 'deleted');
  }

  establishedWith(peerName: string): IsakmpSa | undefined {
    for (const sa of this.sas.values()) if (sa.state === 'ESTABLISHED' && sa.peer.name === peerName) return sa;
    return undefined;
  }

  // ---------- inbound ----------

  private dispatch(datagram: Uint8Array, from: Endpoint, to: Endpoint): void {
    this.stats.received++;
    const h = decodeHeader(datagram);
    if (isRefusal(h)) {
      this.drop(h.notify.toLowerCase());
      this.log('message', 10, `dropped datagram from ${endpointKey(from)}: ${h.reason}`);
      return;
    }
    const key = h.icookie.toString('hex');
    const sa = this.sas.get(key);
    if (sa && !h.rcookie.every((b) => b === 0) && !sa.rcookie.every((b) => b === 0) && !h.rcookie.equals(sa.rcookie)) {
      this.drop('invalid_cookie');
      return;
    }
    if (sa && sa.remote.address !== from.address) {
      this.drop('address-mismatch');
      return;
    }
    switch (h.exchange) {
      case Exchange.ID_PROT:
        if (h.messageId !== 0) {
          this.drop('invalid_message_id');
          return;
        }
        mainModeReceive(this, sa, h, datagram, from, to);
        return;
      case Exchange.AGGRESSIVE:
        if (h.messageId !== 0) {
          this.drop('invalid_message_id');
          return;
        }
        aggressiveReceive(this, sa, h, datagram, from, to);
        return;
      case Exchange.QUICK:
        if (!sa) {
          this.drop('unknown-sa');
          return;
        }
        quickReceive(this, sa, h, datagram, from, to);
        return;
      case Exchange.INFO:
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
    const h = crypto.createHash('sha1').update(datagram).digest('hex');
    const i = x.recv.indexOf(h);
    if (i < 0) return false;
    this.stats.duplicates++;
    // At most one resend per second per exchange: a network that duplicates both ways must not turn
    // each copy into another copy (the peer's own retransmissions are 7 s or more apart).
    if (i === x.recv.length - 1 && x.lastSent && this.now - (x.lastSentAt ?? -Infinity) >= 1000) {
      for (const o of x.lastSent) this.emit(o);
      x.lastSentAt = this.now;
      this.log('message', 20, 'duplicate message: resending our last reply');
    } else {
      this.log('message', 20, 'duplicate of an older message dropped');
    }
    return true;
  }

  /** Remembers an accepted message so its retransmissions are recognised. */
  remember(x: Xmit, datagram: Uint8Array): void {
    x.recv.push(crypto.createHash('sha1').update(datagram).digest('hex'));
    if (x.recv.length > 3) x.recv.shift();
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

  private timers(): void {
    const maxAge = this.config.exchangeMaxTimeSec * 1000;
    for (const sa of [...this.sas.values()]) {
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
        // Quietly: IPsec SAs outlive their ISAKMP SA in IKEv1, and a Delete would make peers that tie
        // them together (strongSwan) drop the IPsec SAs as well. The peer's own timer retires its copy.
        this.log('sa', 0, `ISAKMP SA with ${sa.peer.name} expired`);
        this.removeIsakmp(sa);
      }
      if (sa.state === 'ESTABLISHED') sa.dpdNext = dpdTick(this, sa);
    }
    for (const [k, q] of [...this.quick]) {
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
    for (const s of [...this.ipsec.values()]) {
      if (s.softAt <= this.now && !s.rekeyStarted && s.hardAt > this.now) {
        // Renegotiate active connections before the hard lifetime; the old SA serves until then. If the
        // peer already rekeyed, the fresher SA is there and nothing is needed.
        s.rekeyStarted = true;
        const conn = this.connectionByName(s.spec.connection);
        if (conn && !conn.passive && !this.isUp(conn.name)) {
          this.log('sa', 10, `IPsec SA ${s.spec.id} of ${conn.name} reached its soft lifetime: renegotiating`);
          this.connect(conn.name);
        }
      }
    }
    for (const s of [...this.ipsec.values()]) {
      if (s.hardAt <= this.now) {
        const sa = this.establishedWith(s.peer);
        if (sa) sendDeleteIpsec(this, sa, [s]);
        this.removeIpsec(s, 'lifetime expired');
      }
    }
  }

  private nextTimer(): Millis | undefined {
    let t: number | undefined;
    const at = (x: number | undefined): void => {
      if (x !== undefined && (t === undefined || x < t)) t = x;
    };
    const maxAge = this.config.exchangeMaxTimeSec * 1000;
    for (const sa of this.sas.values()) {
      if (sa.state !== 'ESTABLISHED') {
        at(sa.createdAt + maxAge);
        if (sa.xmit.awaitingReply) at(sa.xmit.nextAt);
      } else {
        at(sa.hardAt);
        at(sa.keepaliveAt);
        if (this.config.dpdIntervalSec && sa.dpd?.peerSupports) {
          at(sa.dpd.outstanding !== undefined ? (sa.dpd.sentAt ?? this.now) + 5000 : (sa.lastHeardAt ?? this.now) + this.config.dpdIntervalSec * 1000);
        }
      }
    }
    for (const q of this.quick.values()) {
      if (q.state === 'DONE') at(q.keepUntil);
      else {
        at(q.xmit.startedAt + maxAge);
        if (q.xmit.awaitingReply) at(q.xmit.nextAt);
      }
    }
    for (const s of this.ipsec.values()) {
      at(s.hardAt);
      if (!s.rekeyStarted) at(s.softAt);
    }
    for (const d of this.deferred) at(d.at);
    return t;
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
            if (s.isakmpSerial === sa.serial && s.spec.id.endsWith(`:${hex32(c.messageId)}`)) this.deleteIpsecAndTell(s, 'deleted by operator');
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
      case 'expire': {
        const s = [...this.ipsec.values()].find((x) => x.spec.inbound.spi === c.spi || x.spec.outbound.spi === c.spi);
        if (!s) return;
        if (c.hard) this.deleteIpsecAndTell(s, 'hard lifetime reached in the data plane');
        else this.log('sa', 10, `soft expiry for IPsec SA ${s.spec.id}`);
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
    if ([...this.quick.values()].some((q) => q.state !== 'DONE' && q.connection?.name === conn.name)) return;
    const up = this.establishedWith(peer.name);
    if (up) {
      quickInitiate(this, up, conn);
      return;
    }
    for (const sa of this.sas.values()) {
      if (sa.peer.name === peer.name && sa.state !== 'DEAD' && sa.state !== 'ESTABLISHED') {
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
        const hit = byAddr ? s.spec.remote.address === c.address : s.spec.connection.toLowerCase() === c.name?.toLowerCase();
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
        icookie: sa.icookie.toString('hex'),
        rcookie: sa.rcookie.toString('hex'),
        ...(sa.transform ? describePhase1(sa.transform) : {}),
        ...(sa.idI ? { idI: sa.idI } : {}),
        ...(sa.idR ? { idR: sa.idR } : {}),
        ...(sa.hardAt !== undefined ? { expiresInSec: Math.max(0, Math.round((sa.hardAt - now) / 1000)) } : {}),
        exchange: sa.exchange,
        nat: sa.natLocal ? 'local' : sa.natRemote ? 'remote' : 'none',
        dpd: sa.dpd?.peerSupports ? 'yes' : 'no',
      })),
      ipsec: [...this.ipsec.values()].map((s) => ({
        id: s.spec.id,
        connection: s.spec.connection,
        peer: s.peer,
        local: endpointKey(s.spec.local),
        remote: endpointKey(s.spec.remote),
        spiIn: `0x${hex32(s.spec.inbound.spi)}`,
        spiOut: `0x${hex32(s.spec.outbound.spi)}`,
        protocol: s.spec.protocol,
        mode: s.spec.mode,
        encr: s.spec.encr === 'aes-cbc' ? `aes-${s.spec.keyLength * 8}-cbc` : s.spec.encr,
        integ: s.spec.integ,
        pfsGroup: s.spec.pfsGroup ?? null,
        localSelector: s.spec.localSelector,
        remoteSelector: s.spec.remoteSelector,
        encap: s.spec.udpEncap ? `udp ${s.spec.udpEncap.localPort}/${s.spec.udpEncap.remotePort}` : 'none',
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

export const hex32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
