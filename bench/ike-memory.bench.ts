// Memory per established tunnel: N tunnels negotiated in-process between two IkeEngine instances (each
// tunnel its own peer pair on loopback addresses, Main Mode PSK + Quick Mode, ESP AES-CBC/HMAC-SHA1),
// installed into one DataPlane per side through the daemon's DataplaneLink, then one packet each way
// through every tunnel so that each SA has its libcrypto contexts. Measured in a child process run with
// --expose-gc so every step starts from a collected heap; printed per tunnel per side (one daemon's
// cost) beside the 8 KiB target, and broken down by component.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { IkeEngine } from '../src/ike/engine.js';
import type { ConnectionConfig, EngineConfig, PeerConfig } from '../src/ike/config.js';
import { IkeAuthMethod as IkeAuth, IkeEncryption as IkeEncr, IkeHash } from '../src/isakmp/numbers.js';
import { seededRng } from '../src/ike/rng.js';
import type { Effects, Endpoint } from '../src/ike/types.js';
import { DataPlane } from '../src/dataplane/dataplane.js';
import { DataplaneLink } from '../src/daemon/dataplane-link.js';
import { udpPacket } from '../test/dataplane/helpers.js';

const TARGET = 8 * 1024;
const SIZES = [1000, 10000];
/** Whole child run, negotiation included; a slower machine reports the count it reached. */
const CHILD_BUDGET_MS = 60_000;

const outer = (side: 1 | 2, i: number): string => `127.${side * 10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
// Host selectors inside the documentation ranges: tunnel i joins 192.0.2.(i%256) and 198.51.100.(i/256).
const inner = (side: 1 | 2, i: number): string => (side === 1 ? `192.0.2.${i & 255}` : `198.51.100.${i >> 8}`);

export function config(side: 1 | 2, n: number, group: number): { config: EngineConfig; local: Endpoint[] } {
  const other = side === 1 ? 2 : 1;
  const peers: PeerConfig[] = [];
  const connections: ConnectionConfig[] = [];
  const phase1ByAddress: Record<string, string> = {};
  const local: Endpoint[] = [];
  for (let i = 0; i < n; i++) {
    const me = outer(side, i);
    const them = outer(other, i);
    local.push({ address: me, port: 500 });
    peers.push({
      name: `p${i}`, address: { address: them, port: 500 }, localAddress: me, psk: Buffer.from('memory-bench-key'), exchange: 'main',
      transforms: [{ encr: IkeEncr.AES_CBC, keyLength: 128, hash: IkeHash.SHA, auth: IkeAuth.PRE_SHARED, group, lifeSeconds: 3600 }],
    });
    connections.push({
      name: `c${i}`, peer: `p${i}`, passive: side === 2,
      suites: [{ name: 's', transforms: [{ encr: 'aes-cbc', keyLength: 128, integ: 'hmac-sha1', mode: 'tunnel', lifeSeconds: 1200 }] }],
      localId: { type: 'IPV4_ADDR', address: inner(side, i) },
      remoteId: { type: 'IPV4_ADDR', address: inner(other, i) },
    });
    phase1ByAddress[them] = `p${i}`;
  }
  return { config: { peers, connections, phase1ByAddress, retransmits: 3, exchangeMaxTimeSec: 120 }, local };
}

interface Mem {
  rss: number;
  /** Anonymous resident memory (heap, malloc, stacks): what the process itself allocated, not code pages. */
  rssAnon: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

function sample(): Mem {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  const anon = /RssAnon:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return { rss: m.rss, rssAnon: anon ? Number(anon[1]) * 1024 : NaN, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** A 64-byte IPv4/UDP packet from src to dst (discard port 9 both ways). */
const probe = (src: string, dst: string): Uint8Array => udpPacket(src, dst, 9, 9, new Uint8Array(36));

export interface MemoryResult {
  n: number;
  established: number;
  seconds: number;
  steps: { name: string; mem: Mem }[];
}

/** Young-generation size: V8 grows it under allocation load and gives it back once the process idles. */
const newSpace = (): number => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
const IDLE_NEW_SPACE = 2 << 20;
const IDLE_DEADLINE_MS = 40_000;

/**
 * A daemon that has finished a burst of negotiations goes idle, and V8's memory reducer then shrinks
 * the young generation it grew during the burst (tens of MB, whatever the tunnel count). Resident
 * memory is read after that, as an operator would see it on a gateway at rest: polled with a deadline.
 */
async function idle(): Promise<boolean> {
  const end = Date.now() + IDLE_DEADLINE_MS;
  while (Date.now() < end) {
    if (newSpace() <= IDLE_NEW_SPACE) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Tunnels negotiated, used and dropped before the baseline: the first handshakes page in code, compile
 * it and grow the allocator's arenas once per process, which is no tunnel's cost.
 */
const WARM_UP = 100;

/** Runs in the child: negotiates n tunnels and samples memory after each stage. */
export async function measure(
  n: number,
  budgetMs: number,
  inspect?: (a: IkeEngine, b: IkeEngine) => void,
  inspectEnd?: (a: IkeEngine, b: IkeEngine, dpa: DataPlane, dpb: DataPlane) => void,
  opts: { warmUp?: number; rest?: boolean } = {},
): Promise<MemoryResult> {
  const warm = opts.warmUp ?? WARM_UP;
  if (warm > 0) await measure(warm, budgetMs, undefined, undefined, { warmUp: 0, rest: false });
  const steps: MemoryResult['steps'] = [];
  const keep: unknown[] = [];
  steps.push({ name: 'baseline', mem: sample() });
  const group = 2; // MODP 1024: the DH group does not change what is kept once established
  const ca = config(1, n, group);
  const cb = config(2, n, group);
  keep.push(ca, cb);
  steps.push({ name: 'config', mem: sample() });
  const a = new IkeEngine({ config: ca.config, local: ca.local, rng: seededRng('mem-a') });
  const b = new IkeEngine({ config: cb.config, local: cb.local, rng: seededRng('mem-b') });
  const dpa = new DataPlane();
  const dpb = new DataPlane();
  const linka = new DataplaneLink(dpa, true, () => {});
  const linkb = new DataplaneLink(dpb, true, () => {});
  steps.push({ name: 'engines', mem: sample() });
  let now = 0;
  let installs = 0;
  const queue: { to: IkeEngine; data: Uint8Array; from: Endpoint; at: Endpoint }[] = [];
  // Installs are held back so that engine and data plane memory are sampled apart.
  const pending: { link: DataplaneLink; c: Effects['install'][number] }[] = [];
  const take = (fx: Effects, from: IkeEngine): void => {
    for (const c of fx.install) {
      pending.push({ link: from === a ? linka : linkb, c });
      if (c.kind === 'add') installs++;
    }
    for (const o of fx.send) queue.push({ to: from === a ? b : a, data: o.data, from: o.from, at: o.to });
  };
  const t0 = performance.now();
  let started = 0;
  const BATCH = 200;
  while (started < n && performance.now() - t0 < budgetMs) {
    const end = Math.min(n, started + BATCH);
    for (; started < end; started++) take(a.command({ type: 'connect', name: `c${started}` }, now), a);
    for (let guard = 0; queue.length && guard < BATCH * 40; guard++) {
      const m = queue.shift()!;
      take(m.to.receive(m.data, m.from, m.at, now), m.to);
    }
    now += 10;
  }
  const seconds = (performance.now() - t0) / 1000;
  queue.length = 0;
  const established = installs / 2;
  steps.push({ name: 'engine, exchanges still kept', mem: sample() });
  // Finished exchanges stay for Exchange-max-time to answer duplicates; the steady state is after that.
  now += 130_000;
  take(a.tick(now), a);
  take(b.tick(now), b);
  for (let guard = 0; queue.length && guard < n * 4; guard++) {
    const m = queue.shift()!;
    take(m.to.receive(m.data, m.from, m.at, now), m.to);
  }
  queue.length = 0;
  steps.push({ name: 'engine, steady', mem: sample() });
  inspect?.(a, b);
  for (const { link, c } of pending) link.apply(c);
  pending.length = 0;
  steps.push({ name: 'data plane SAs + flows', mem: sample() });
  for (let i = 0; i < established; i++) {
    const out = dpa.outbound(probe(inner(1, i), inner(2, i)));
    if (out.action === 'protect') dpb.inbound(out.out.bytes);
    const back = dpb.outbound(probe(inner(2, i), inner(1, i)));
    if (back.action === 'protect') dpa.inbound(back.out.bytes);
  }
  steps.push({ name: 'crypto contexts (after traffic)', mem: sample() });
  const settled = opts.rest === false || (await idle());
  steps.push({ name: settled ? 'idle (young generation returned)' : 'idle (young generation still large at the deadline)', mem: sample() });
  inspectEnd?.(a, b, dpa, dpb);
  keep.push(a, b, dpa, dpb, linka, linkb);
  if (keep.length === 0) console.log(''); // keeps everything reachable until here
  return { n, established, seconds, steps };
}

const kib = (b: number): string => `${(b / 1024).toFixed(2)} KiB`;

function report(r: MemoryResult): void {
  const per = r.established * 2; // tunnels x sides: one daemon's share
  const at = (name: string): Mem => r.steps.find((x) => x.name === name)!.mem;
  const line = (label: string, from: Mem, to: Mem): { heap: number; ext: number; rss: number } => {
    const d = { heap: (to.heapUsed - from.heapUsed) / per, ext: (to.external - from.external) / per, rss: (to.rss - from.rss) / per };
    console.log(`  ${label.padEnd(44)} heap ${kib(d.heap).padStart(10)}  external ${kib(d.ext).padStart(10)}  rss ${kib(d.rss).padStart(10)}`);
    return d;
  };
  console.log(`${r.n} tunnels requested, ${r.established} established in ${r.seconds.toFixed(1)} s (both peers in one process; figures per tunnel per side)`);
  const rest = r.steps[r.steps.length - 1]!.mem;
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `  rss before the tunnels ${mib(at('engines').rss)} (anonymous ${mib(at('engines').rssAnon)}), with them at rest ${mib(rest.rss)} ` +
      `(anonymous ${mib(rest.rssAnon)}); ${WARM_UP} tunnels were negotiated, used and dropped first`,
  );
  line('configuration (peer + connection; not counted)', at('baseline'), at('config'));
  line('engine records, finished exchanges still kept', at('engines'), at('engine, exchanges still kept'));
  line('engine records, steady (after Exchange-max-time)', at('engines'), at('engine, steady'));
  line('data plane: 2 SAs + 2 flows, idle', at('engine, steady'), at('data plane SAs + flows'));
  line('data plane: crypto contexts after traffic', at('data plane SAs + flows'), at('crypto contexts (after traffic)'));
  line('established tunnel, steady, carrying traffic', at('engines'), at('crypto contexts (after traffic)'));
  const last = r.steps[r.steps.length - 1]!;
  const t = line(`established tunnel, ${last.name}`, at('engines'), last.mem);
  const worst = Math.max(t.rss, t.heap + t.ext);
  console.log(
    `  => ${kib(worst)} per tunnel (larger of rss and heap+external)   target ${kib(TARGET)}: ` +
      (worst <= TARGET ? 'met' : `missed, ${(worst / TARGET).toFixed(1)}x over`),
  );
}

export async function bench(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const done: MemoryResult[] = [];
  for (const n of SIZES) {
    let out: string;
    try {
      out = execFileSync(process.execPath, ['--expose-gc', self, '--child', String(n)], { encoding: 'utf8', timeout: CHILD_BUDGET_MS + 60_000, maxBuffer: 1 << 20 });
    } catch (e) {
      console.log(`${n} tunnels: child failed: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (!line) {
      console.log(`${n} tunnels: no result`);
      continue;
    }
    const r = JSON.parse(line) as MemoryResult;
    report(r);
    done.push(r);
  }
  // The slope between the two sizes leaves out every fixed cost of the process.
  if (done.length === 2 && done[1]!.established > done[0]!.established) {
    const [x, y] = done as [MemoryResult, MemoryResult];
    const rest = (m: MemoryResult): Mem => m.steps[m.steps.length - 1]!.mem;
    const sides = 2 * (y.established - x.established);
    const rss = (rest(y).rss - rest(x).rss) / sides;
    const heap = (rest(y).heapUsed + rest(y).external - rest(x).heapUsed - rest(x).external) / sides;
    console.log(
      `marginal cost per tunnel per side, ${x.established} -> ${y.established} tunnels: rss ${kib(rss)}, heap+external ${kib(heap)}   target ${kib(TARGET)}: ` +
        (Math.max(rss, heap) <= TARGET ? 'met' : 'missed'),
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  console.log(JSON.stringify(await measure(Number(process.argv[3]), CHILD_BUDGET_MS)));
}
