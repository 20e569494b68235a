// The SPD: ordered flows, looked up without a linear scan. Flows are grouped by (family, source prefix
// length, destination prefix length) ("tuple space search"); each group hashes the masked address pair
// to a 32-bit key, and flows whose pairs share a key chain through Flow.chain. A lookup probes each
// group once, so its cost grows with the number of distinct prefix-length pairs (a handful in
// practice), not with the number of flows.
// A flow keeps its selector in one numeric form (IPv4 addresses as 32-bit integers, IPv6 as one array
// of eight words); the CIDR text is produced only when the flow is listed.
import type { FlowDirection, FlowInfo, FlowParams, FlowType, SaProto, SaRef, Selector } from './api.js';
import { formatPrefix, isUnspecified, normAddr, parseAddr, parsePrefix, v4Int, type Prefix } from './addr.js';

const GIVEN_PROTO = 1;
const GIVEN_SPORT = 2;
const GIVEN_DPORT = 4;

/** The mask of the first `len` bits of 32-bit word `word` of an address. */
function wordMask(len: number, word: number): number {
  const bits = len - word * 32;
  if (bits <= 0) return 0;
  return bits >= 32 ? -1 : -1 << (32 - bits);
}

/** Masked 32-bit words of an address (1 for IPv4, 4 for IPv6). */
function words(b: Uint8Array, off: number, n: number, len: number, out: Int32Array, at: number): void {
  for (let i = 0; i < n; i++) out[at + i] = v4Int(b, off + i * 4) & wordMask(len, i);
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return h ^ (h >>> 15);
}

function hashV4(s: number, d: number): number {
  return mix(mix(0x2545f491, s), d) | 0;
}

function hashV6(w: Int32Array): number {
  let h = 0x2545f491;
  for (let i = 0; i < 8; i++) h = mix(h, w[i]!);
  return h | 0;
}

export class Flow {
  readonly id: number;
  readonly direction: FlowDirection;
  readonly type: FlowType;
  hits = 0;
  /** When this flow last raised an ACQUIRE; -1 = never. */
  lastAcquire = -1;
  readonly family: 4 | 6;
  readonly slen: number;
  readonly dlen: number;
  /** IPv4 masked source and destination as signed 32-bit integers (0 for IPv6). */
  readonly s4: number;
  readonly d4: number;
  /** IPv6 masked source then destination, four words each (null for IPv4). */
  readonly a6: Int32Array | null;
  /** 0 = any */
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
  /** Which of proto/sport/dport the selector named, so that it is listed as it was given. */
  private readonly given: number;
  readonly peer: string | undefined;
  /** The peer in normal text form, undefined when none or unspecified (then the packet decides). */
  readonly peerNorm: string | undefined;
  readonly saProto: SaProto | undefined;
  readonly priority: number | undefined;
  readonly bundle: SaRef[] | undefined;
  /** Next flow of the same group whose addresses hash alike. */
  chain: Flow | undefined = undefined;

  constructor(id: number, f: FlowParams, src: Prefix, dst: Prefix) {
    const s = f.selector;
    this.id = id;
    this.direction = f.direction;
    this.type = f.type;
    this.family = src.addr.length === 4 ? 4 : 6;
    this.slen = src.len;
    this.dlen = dst.len;
    if (this.family === 4) {
      this.s4 = v4Int(src.addr);
      this.d4 = v4Int(dst.addr);
      this.a6 = null;
    } else {
      this.s4 = this.d4 = 0;
      this.a6 = new Int32Array(8);
      words(src.addr, 0, 4, 128, this.a6, 0);
      words(dst.addr, 0, 4, 128, this.a6, 4);
    }
    this.proto = s.proto ?? 0;
    this.sport = s.sport ?? 0;
    this.dport = s.dport ?? 0;
    this.given = (s.proto !== undefined ? GIVEN_PROTO : 0) | (s.sport !== undefined ? GIVEN_SPORT : 0) | (s.dport !== undefined ? GIVEN_DPORT : 0);
    this.peer = f.peer;
    const pa = f.peer !== undefined ? parseAddr(f.peer) : undefined;
    this.peerNorm = pa && !isUnspecified(pa) ? normAddr(f.peer!) : undefined;
    this.saProto = f.saProto;
    this.priority = f.priority;
    this.bundle = f.bundle ? f.bundle.map((r) => ({ dst: normAddr(r.dst)!, spi: r.spi, proto: r.proto })) : undefined;
  }

  private prefixText(dst: boolean): string {
    const len = dst ? this.dlen : this.slen;
    let addr: Uint8Array;
    if (this.family === 4) {
      const a = dst ? this.d4 : this.s4;
      addr = Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
    } else {
      addr = new Uint8Array(16);
      for (let i = 0; i < 4; i++) {
        const w = this.a6![(dst ? 4 : 0) + i]!;
        addr.set([w >>> 24, (w >>> 16) & 0xff, (w >>> 8) & 0xff, w & 0xff], i * 4);
      }
    }
    return formatPrefix({ addr, len });
  }

  /** The selector in the text form `listFlows` and ACQUIRE events show. */
  get selector(): Selector {
    return {
      src: this.prefixText(false),
      dst: this.prefixText(true),
      ...(this.given & GIVEN_PROTO ? { proto: this.proto } : {}),
      ...(this.given & GIVEN_SPORT ? { sport: this.sport } : {}),
      ...(this.given & GIVEN_DPORT ? { dport: this.dport } : {}),
    };
  }

  info(): FlowInfo {
    return {
      selector: this.selector,
      direction: this.direction,
      type: this.type,
      ...(this.bundle ? { bundle: this.bundle.map((r) => ({ ...r })) } : {}),
      ...(this.peer !== undefined ? { peer: this.peer } : {}),
      ...(this.saProto !== undefined ? { saProto: this.saProto } : {}),
      ...(this.priority !== undefined ? { priority: this.priority } : {}),
      id: this.id,
      hits: this.hits,
    };
  }
}

interface Group {
  family: 4 | 6;
  slen: number;
  dlen: number;
  /** IPv4: the prefix masks as signed 32-bit integers. */
  smask: number;
  dmask: number;
  table: Map<number, Flow>;
}

/** Ordering among candidates: explicit priority, then specificity, then age. Lower sorts first. */
function better(a: Flow, b: Flow): boolean {
  const pa = a.priority ?? 0;
  const pb = b.priority ?? 0;
  if (pa !== pb) return pa < pb;
  const sa = a.slen + a.dlen + (a.proto ? 1 : 0) + (a.sport ? 1 : 0) + (a.dport ? 1 : 0);
  const sb = b.slen + b.dlen + (b.proto ? 1 : 0) + (b.sport ? 1 : 0) + (b.dport ? 1 : 0);
  if (sa !== sb) return sa > sb;
  return a.id < b.id;
}

// Per-lookup scratch for IPv6 words (masked per group): lookups are synchronous.
const PKT6 = new Int32Array(8);
const KEY6 = new Int32Array(8);

function sameV6(f: Flow, k: Int32Array): boolean {
  const a = f.a6!;
  for (let i = 0; i < 8; i++) if (a[i] !== k[i]) return false;
  return true;
}

export class Spd {
  private nextId = 1;
  private readonly byId = new Map<number, Flow>();
  private readonly groups: Record<FlowDirection, Group[]> = { in: [], out: [] };

  get size(): number {
    return this.byId.size;
  }

  static parseSelector(s: Selector): { src: Prefix; dst: Prefix } | string {
    const src = parsePrefix(s.src);
    const dst = parsePrefix(s.dst);
    if (!src) return `bad source network ${s.src}`;
    if (!dst) return `bad destination network ${s.dst}`;
    if (src.addr.length !== dst.addr.length) return 'source and destination must be of one address family';
    return { src, dst };
  }

  private group(dir: FlowDirection, family: 4 | 6, slen: number, dlen: number, create: boolean): Group | undefined {
    const groups = this.groups[dir];
    let g = groups.find((x) => x.family === family && x.slen === slen && x.dlen === dlen);
    if (!g && create) {
      g = { family, slen, dlen, smask: wordMask(slen, 0), dmask: wordMask(dlen, 0), table: new Map() };
      groups.push(g);
    }
    return g;
  }

  /** The hash key of a flow's masked address pair (IPv6 words left in KEY6). */
  private static keyOf(f: Flow): number {
    if (f.family === 4) return hashV4(f.s4, f.d4);
    KEY6.set(f.a6!);
    return hashV6(KEY6);
  }

  add(f: FlowParams): Flow | string {
    const sel = Spd.parseSelector(f.selector);
    if (typeof sel === 'string') return sel;
    const flow = new Flow(this.nextId++, f, sel.src, sel.dst);
    const g = this.group(f.direction, flow.family, flow.slen, flow.dlen, true)!;
    const k = Spd.keyOf(flow);
    const head = g.table.get(k);
    if (!head) g.table.set(k, flow);
    else {
      let t = head;
      while (t.chain) t = t.chain;
      t.chain = flow;
    }
    this.byId.set(flow.id, flow);
    return flow;
  }

  remove(id: number): Flow | undefined {
    const f = this.byId.get(id);
    if (!f) return undefined;
    this.byId.delete(id);
    const groups = this.groups[f.direction];
    const g = this.group(f.direction, f.family, f.slen, f.dlen, false)!;
    const k = Spd.keyOf(f);
    const head = g.table.get(k);
    if (head === f) {
      if (f.chain) g.table.set(k, f.chain);
      else g.table.delete(k);
    } else {
      for (let t = head; t; t = t.chain) {
        if (t.chain === f) {
          t.chain = f.chain;
          break;
        }
      }
    }
    f.chain = undefined;
    if (g.table.size === 0) groups.splice(groups.indexOf(g), 1);
    return f;
  }

  /** The flow with exactly this selector and direction, found through the same hash tables. */
  findSame(selector: Selector, dir: FlowDirection): Flow | undefined {
    const sel = Spd.parseSelector(selector);
    if (typeof sel === 'string') return undefined;
    const family = sel.src.addr.length === 4 ? 4 : 6;
    const g = this.group(dir, family, sel.src.len, sel.dst.len, false);
    if (!g) return undefined;
    const proto = selector.proto ?? 0;
    const sport = selector.sport ?? 0;
    const dport = selector.dport ?? 0;
    let k: number;
    let s4 = 0;
    let d4 = 0;
    if (family === 4) {
      s4 = v4Int(sel.src.addr);
      d4 = v4Int(sel.dst.addr);
      k = hashV4(s4, d4);
    } else {
      words(sel.src.addr, 0, 4, 128, KEY6, 0);
      words(sel.dst.addr, 0, 4, 128, KEY6, 4);
      k = hashV6(KEY6);
    }
    for (let f = g.table.get(k); f; f = f.chain) {
      if (family === 4 ? f.s4 !== s4 || f.d4 !== d4 : !sameV6(f, KEY6)) continue;
      if (f.proto === proto && f.sport === sport && f.dport === dport) return f;
    }
    return undefined;
  }

  /** The best flow for a packet's addresses (at offsets in pkt), protocol and ports. */
  lookup(dir: FlowDirection, pkt: Uint8Array, srcOff: number, dstOff: number, alen: 4 | 16, proto: number, sport: number, dport: number): Flow | undefined {
    const groups = this.groups[dir];
    let best: Flow | undefined;
    if (alen === 4) {
      const s = v4Int(pkt, srcOff);
      const d = v4Int(pkt, dstOff);
      for (let gi = 0; gi < groups.length; gi++) {
        const g = groups[gi]!;
        if (g.family !== 4) continue;
        const ms = s & g.smask;
        const md = d & g.dmask;
        for (let f = g.table.get(hashV4(ms, md)); f; f = f.chain) {
          if (f.s4 !== ms || f.d4 !== md) continue;
          if (f.proto && f.proto !== proto) continue;
          if (f.sport && f.sport !== sport) continue;
          if (f.dport && f.dport !== dport) continue;
          if (!best || better(f, best)) best = f;
        }
      }
      return best;
    }
    words(pkt, srcOff, 4, 128, PKT6, 0);
    words(pkt, dstOff, 4, 128, PKT6, 4);
    for (let gi = 0; gi < groups.length; gi++) {
      const g = groups[gi]!;
      if (g.family !== 6) continue;
      for (let i = 0; i < 4; i++) {
        KEY6[i] = PKT6[i]! & wordMask(g.slen, i);
        KEY6[4 + i] = PKT6[4 + i]! & wordMask(g.dlen, i);
      }
      for (let f = g.table.get(hashV6(KEY6)); f; f = f.chain) {
        if (!sameV6(f, KEY6)) continue;
        if (f.proto && f.proto !== proto) continue;
        if (f.sport && f.sport !== sport) continue;
        if (f.dport && f.dport !== dport) continue;
        if (!best || better(f, best)) best = f;
      }
    }
    return best;
  }

  all(): Flow[] {
    return [...this.byId.values()];
  }

  clear(): number {
    const n = this.byId.size;
    this.byId.clear();
    this.groups.in = [];
    this.groups.out = [];
    return n;
  }
}
