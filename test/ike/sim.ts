// An in-memory network with a virtual clock for engine tests: datagrams are queued with a latency and
// can be dropped or duplicated by a filter; engine timers fire when the clock reaches them.
import { IkeEngine } from '../../src/ike/engine.js';
import type { EngineConfig, PeerConfig, ConnectionConfig } from '../../src/ike/config.js';
import { seededRng } from '../../src/ike/rng.js';
import { endpointKey, type Effects, type Endpoint, type LogEvent, type SaChange } from '../../src/ike/types.js';
import { IkeAuthMethod, IkeEncryption, IkeHash } from '../../src/isakmp/numbers.js';

export interface Node {
  name: string;
  ep: Endpoint;
  engine: IkeEngine;
  timer?: number;
  installs: SaChange[];
  logs: LogEvent[];
}

export interface Packet {
  at: number;
  from: Endpoint;
  to: Endpoint;
  data: Uint8Array;
  /** The engine's plaintext copy of an encrypted message (Outgoing.plain), when it made one. */
  plain?: Uint8Array;
  seq: number;
}

export type Filter = (p: Packet) => 'pass' | 'drop' | 'dup';

export class SimNet {
  now = 0;
  readonly nodes = new Map<string, Node>();
  private queue: Packet[] = [];
  private seq = 0;
  latency = 10;
  filter: Filter = () => 'pass';
  readonly wire: Packet[] = [];

  add(name: string, ep: Endpoint, config: EngineConfig, seed: string, natTPort?: number): Node {
    const engine = new IkeEngine({ config, local: [ep], rng: seededRng(seed), ...(natTPort ? { natTPort } : {}) });
    // every incremental next-timer computation is checked against a full scan in simulated runs
    engine.verifyTimers = true;
    const n: Node = { name, ep, engine, installs: [], logs: [] };
    this.nodes.set(endpointKey(ep), n);
    if (natTPort) this.nodes.set(endpointKey({ address: ep.address, port: natTPort }), n);
    return n;
  }

  /** A NAT in front of `inside`: its datagrams leave from `outside` with a new port per inner port. */
  private nat?: { inside: string; outside: string; out: Map<number, number>; back: Map<number, number> };
  addNat(inside: string, outside: string): void {
    this.nat = { inside, outside, out: new Map(), back: new Map() };
  }
  private natOut(from: Endpoint): Endpoint {
    const n = this.nat;
    if (!n || from.address !== n.inside) return from;
    let p = n.out.get(from.port);
    if (p === undefined) {
      p = 30000 + n.out.size;
      n.out.set(from.port, p);
      n.back.set(p, from.port);
    }
    return { address: n.outside, port: p };
  }
  private natIn(to: Endpoint): Endpoint | undefined {
    const n = this.nat;
    if (!n || to.address !== n.outside) return to;
    const p = n.back.get(to.port);
    return p === undefined ? undefined : { address: n.inside, port: p };
  }

  apply(n: Node, fx: Effects): void {
    if (n.engine.timerMisses) throw new Error(`${n.name}: the engine's next timer missed an earlier one`);
    n.installs.push(...fx.install);
    n.logs.push(...fx.log);
    n.timer = fx.nextTimer;
    for (const o of fx.send) {
      const p: Packet = { at: this.now + this.latency, from: this.natOut(o.from), to: o.to, data: o.data, ...(o.plain ? { plain: o.plain } : {}), seq: this.seq++ };
      this.wire.push(p);
      const verdict = this.filter(p);
      if (verdict === 'drop') continue;
      this.queue.push(p);
      if (verdict === 'dup') this.queue.push({ ...p, at: p.at + 1, seq: this.seq++ });
    }
  }

  command(n: Node, c: Parameters<IkeEngine['command']>[0]): void {
    this.apply(n, n.engine.command(c, this.now));
  }

  /** Runs events in time order until `done` holds or nothing is left before `limit` ms. */
  run(limit: number, done: () => boolean = () => false): void {
    for (let guard = 0; guard < 100000; guard++) {
      if (done()) return;
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const pkt = this.queue[0];
      let nextTimer: { n: Node; at: number } | undefined;
      for (const n of this.nodes.values()) if (n.timer !== undefined && (!nextTimer || n.timer < nextTimer.at)) nextTimer = { n, at: n.timer };
      const tPkt = pkt?.at ?? Infinity;
      const tTim = nextTimer?.at ?? Infinity;
      const t = Math.min(tPkt, tTim);
      if (t === Infinity || t > limit) {
        this.now = Math.max(this.now, Math.min(limit, t === Infinity ? limit : this.now));
        return;
      }
      this.now = t;
      if (tPkt <= tTim) {
        this.queue.shift();
        const to = this.natIn(pkt!.to);
        const dst = to && this.nodes.get(endpointKey(to));
        // A NAT-T keepalive is for the transport; it never reaches the engine.
        if (dst && to && !(pkt!.data.length === 1 && pkt!.data[0] === 0xff)) this.apply(dst, dst.engine.receive(pkt!.data, pkt!.from, to, this.now));
      } else {
        this.apply(nextTimer!.n, nextTimer!.n.engine.tick(this.now));
      }
    }
    throw new Error('simulation did not settle');
  }
}

export const EAST: Endpoint = { address: '127.0.0.1', port: 500 };
export const WEST: Endpoint = { address: '127.0.0.2', port: 500 };

export const P1_AES_SHA_MODP2048 = { encr: IkeEncryption.AES_CBC, keyLength: 128, hash: IkeHash.SHA, auth: IkeAuthMethod.PRE_SHARED, group: 14, lifeSeconds: 3600 };
export const P1_3DES_SHA_MODP1024 = { encr: IkeEncryption['3DES_CBC'], hash: IkeHash.SHA, auth: IkeAuthMethod.PRE_SHARED, group: 2, lifeSeconds: 3600 };

export interface PairOptions {
  pskEast?: string;
  pskWest?: string;
  pfs?: number;
  lifeSeconds?: number;
  westTransforms?: PeerConfig['transforms'];
  eastTransforms?: PeerConfig['transforms'];
  retransmits?: number;
  exchangeEast?: 'main' | 'aggressive';
  exchangeWest?: 'main' | 'aggressive';
}

/** east and west, each with a peer section for the other and one tunnel connection 192.0.2.0/24 <-> 198.51.100.0/24. */
export function pairConfigs(o: PairOptions = {}): { east: EngineConfig; west: EngineConfig } {
  const mk = (self: 'east' | 'west'): EngineConfig => {
    const other = self === 'east' ? WEST : EAST;
    const peerName = self === 'east' ? 'peer-west' : 'peer-east';
    const psk = Buffer.from((self === 'east' ? o.pskEast : o.pskWest) ?? 'mekmitasdigoat');
    const peer: PeerConfig = {
      name: peerName, address: other, psk, exchange: (self === 'east' ? o.exchangeEast : o.exchangeWest) ?? 'main',
      transforms: (self === 'east' ? o.eastTransforms : o.westTransforms) ?? [P1_AES_SHA_MODP2048],
    };
    const nets = { east: '192.0.2.0', west: '198.51.100.0' };
    const conn: ConnectionConfig = {
      name: self === 'east' ? 'east-west' : 'west-east',
      peer: peerName,
      suites: [{
        name: 'QM-ESP-AES-SHA-SUITE',
        transforms: [{ encr: 'aes-cbc', keyLength: 128, integ: 'hmac-sha1', mode: 'tunnel', lifeSeconds: o.lifeSeconds ?? 1200, ...(o.pfs ? { pfsGroup: o.pfs } : {}) }],
      }],
      localId: { type: 'IPV4_ADDR_SUBNET', network: nets[self], netmask: '255.255.255.0' },
      remoteId: { type: 'IPV4_ADDR_SUBNET', network: nets[self === 'east' ? 'west' : 'east'], netmask: '255.255.255.0' },
    };
    return {
      peers: [peer], connections: [conn], phase1ByAddress: { [other.address]: peerName },
      retransmits: o.retransmits ?? 3, exchangeMaxTimeSec: 120,
    };
  };
  return { east: mk('east'), west: mk('west') };
}

export const added = (n: Node): Extract<SaChange, { kind: 'add' }>[] =>
  n.installs.filter((c): c is Extract<SaChange, { kind: 'add' }> => c.kind === 'add');
export const deleted = (n: Node): Extract<SaChange, { kind: 'delete' }>[] =>
  n.installs.filter((c): c is Extract<SaChange, { kind: 'delete' }> => c.kind === 'delete');
export const events = (n: Node, kind: LogEvent['kind']): LogEvent[] => n.logs.filter((l) => l.kind === kind);
