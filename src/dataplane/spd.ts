// The SPD: ordered flows, looked up without a linear scan. Flows are grouped by (family, source prefix
// length, destination prefix length) ("tuple space search"); each group hashes the masked address pair.
// A lookup probes each group once, so its cost grows with the number of distinct prefix-length pairs
// (a handful in practice), not with the number of flows.
import type { FlowDirection, FlowInfo, FlowParams, Selector } from './api.js';
import { formatPrefix, parsePrefix, type Prefix } from './addr.js';

export interface Flow extends FlowInfo {
  src: Prefix;
  dst: Prefix;
  /** 0 = any */
  proto: number;
  sport: number;
  dport: number;
  lastAcquire: number;
}

interface Group {
  family: 4 | 6;
  slen: number;
  dlen: number;
  table: Map<string | number, Map<string | number, Flow[]>>;
}

/** Ordering among candidates: explicit priority, then specificity, then age. Lower sorts first. */
function better(a: Flow, b: Flow): boolean {
  const pa = a.priority ?? 0;
  const pb = b.priority ?? 0;
  if (pa !== pb) return pa < pb;
  const sa = a.src.len + a.dst.len + (a.proto ? 1 : 0) + (a.sport ? 1 : 0) + (a.dport ? 1 : 0);
  const sb = b.src.len + b.dst.len + (b.proto ? 1 : 0) + (b.sport ? 1 : 0) + (b.dport ? 1 : 0);
  if (sa !== sb) return sa > sb;
  return a.id < b.id;
}

function v4Num(b: Uint8Array, off: number, len: number): number {
  if (len === 0) return 0;
  const n = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  return len === 32 ? n : (n & (0xffffffff << (32 - len))) >>> 0;
}

function v6Key(b: Uint8Array, off: number, len: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    s += ((b[off + i]! & ((0xff << (8 - bits)) & 0xff)) | 0x100).toString(16);
  }
  return s;
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

  add(f: FlowParams): Flow | string {
    const sel = Spd.parseSelector(f.selector);
    if (typeof sel === 'string') return sel;
    const flow: Flow = {
      ...f,
      selector: { ...f.selector, src: formatPrefix(sel.src), dst: formatPrefix(sel.dst) },
      id: this.nextId++,
      hits: 0,
      src: sel.src,
      dst: sel.dst,
      proto: f.selector.proto ?? 0,
      sport: f.selector.sport ?? 0,
      dport: f.selector.dport ?? 0,
      lastAcquire: -Infinity,
    };
    const family = sel.src.addr.length === 4 ? 4 : 6;
    const groups = this.groups[f.direction];
    let g = groups.find((x) => x.family === family && x.slen === sel.src.len && x.dlen === sel.dst.len);
    if (!g) {
      g = { family, slen: sel.src.len, dlen: sel.dst.len, table: new Map() };
      groups.push(g);
    }
    const k1 = this.key(g.family, sel.src.addr, 0, g.slen);
    const k2 = this.key(g.family, sel.dst.addr, 0, g.dlen);
    let inner = g.table.get(k1);
    if (!inner) g.table.set(k1, (inner = new Map()));
    let l = inner.get(k2);
    if (!l) inner.set(k2, (l = []));
    l.push(flow);
    this.byId.set(flow.id, flow);
    return flow;
  }

  // IPv4 keys are numbers (no allocation per lookup); IPv6 keys are hex strings.
  private key(family: 4 | 6, a: Uint8Array, off: number, len: number): string | number {
    return family === 4 ? v4Num(a, off, len) : v6Key(a, off, len);
  }

  remove(id: number): Flow | undefined {
    const f = this.byId.get(id);
    if (!f) return undefined;
    this.byId.delete(id);
    const groups = this.groups[f.direction];
    const family = f.src.addr.length === 4 ? 4 : 6;
    const gi = groups.findIndex((x) => x.family === family && x.slen === f.src.len && x.dlen === f.dst.len);
    const g = groups[gi]!;
    const k1 = this.key(family, f.src.addr, 0, f.src.len);
    const k2 = this.key(family, f.dst.addr, 0, f.dst.len);
    const inner = g.table.get(k1)!;
    const l = inner.get(k2)!;
    l.splice(l.indexOf(f), 1);
    if (l.length === 0) inner.delete(k2);
    if (inner.size === 0) g.table.delete(k1);
    if (g.table.size === 0) groups.splice(gi, 1);
    return f;
  }

  /** The flow with exactly this selector and direction, found through the same hash tables. */
  findSame(selector: Selector, dir: FlowDirection): Flow | undefined {
    const sel = Spd.parseSelector(selector);
    if (typeof sel === 'string') return undefined;
    const family = sel.src.addr.length === 4 ? 4 : 6;
    const g = this.groups[dir].find((x) => x.family === family && x.slen === sel.src.len && x.dlen === sel.dst.len);
    const l = g?.table.get(this.key(family, sel.src.addr, 0, sel.src.len))?.get(this.key(family, sel.dst.addr, 0, sel.dst.len));
    return l?.find((f) => f.proto === (selector.proto ?? 0) && f.sport === (selector.sport ?? 0) && f.dport === (selector.dport ?? 0));
  }

  /** The best flow for a packet's addresses (at offsets in pkt), protocol and ports. */
  lookup(dir: FlowDirection, pkt: Uint8Array, srcOff: number, dstOff: number, alen: 4 | 16, proto: number, sport: number, dport: number): Flow | undefined {
    const family = alen === 4 ? 4 : 6;
    let best: Flow | undefined;
    for (const g of this.groups[dir]) {
      if (g.family !== family) continue;
      const inner = g.table.get(this.key(family, pkt, srcOff, g.slen));
      if (!inner) continue;
      const l = inner.get(this.key(family, pkt, dstOff, g.dlen));
      if (!l) continue;
      for (const f of l) {
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
