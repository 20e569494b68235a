// Timer work at a gateway: N tunnels between two in-process engines (ike-memory.bench.ts's configuration,
// MODP 1024 to set them up quickly) with DPD every 30 s, their last-heard times spread over the interval as a
// gateway's would be, then two minutes of virtual time in which every tunnel is asked R-U-THERE and answers
// four times. The figure is the CPU per DPD message with 10,000 tunnels beside the same with 1,000: a timer
// that costs the same however many tunnels there are keeps the ratio near 1, a tick that scans every SA
// makes it grow with the count.
import { IkeEngine } from '../src/ike/engine.js';
import { seededRng } from '../src/ike/rng.js';
import type { Effects, Endpoint } from '../src/ike/types.js';
import { config } from './ike-memory.bench.js';

const SIZES = [1000, 10000] as const;
const DPD_SEC = 30;
const VIRTUAL_MS = 120_000;
/** At most this ratio between the per-message costs at 10,000 and 1,000 tunnels. */
const TARGET = 1.5;

interface Side {
  engine: IkeEngine;
  next: number | undefined;
}

interface Figures {
  tunnels: number;
  messages: number;
  ticks: number;
  cpuMs: number;
}

function measure(n: number): Figures {
  const sides: Side[] = ([1, 2] as const).map((s) => {
    const { config: c, local } = config(s, n, 2);
    const engine = new IkeEngine({ config: { ...c, dpdIntervalSec: DPD_SEC }, local, rng: seededRng(`timers-${s}-${n}`), logWanted: () => false });
    engine.keepPlain = false;
    return { engine, next: undefined };
  });
  const [a, b] = sides as [Side, Side];
  const other = (s: Side): Side => (s === a ? b : a);
  const queue: { to: Side; data: Uint8Array; from: Endpoint; at: Endpoint }[] = [];
  let now = 1000;
  let up = 0;
  let messages = 0;
  const take = (s: Side, fx: Effects): void => {
    if (fx.nextTimer !== undefined) s.next = fx.nextTimer;
    for (const o of fx.send) {
      messages++;
      queue.push({ to: other(s), data: o.data, from: o.from, at: o.to });
    }
    if (s === b) up += fx.install.filter((i) => i.kind === 'add').length;
  };
  const drain = (): void => {
    for (let m = queue.shift(); m; m = queue.shift()) take(m.to, m.to.engine.receive(m.data, m.from, m.at, now));
  };
  for (let i = 0; i < n; i++) {
    take(a, a.engine.command({ type: 'connect', name: `c${i}` }, now));
    if (i % 200 === 199) drain();
  }
  drain();
  if (up !== n) throw new Error(`${up} of ${n} tunnels came up`);
  // Peers last heard at random times within the interval, as on a gateway that has run for a while; a command
  // then makes each engine queue every timer again.
  let seed = 1;
  for (const s of sides) {
    for (const sa of s.engine.sas.values()) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      sa.lastHeardAt = now - (seed % (DPD_SEC * 1000));
    }
    take(s, s.engine.command({ type: 'teardown', name: '-' }, now));
  }
  drain();
  messages = 0;
  let ticks = 0;
  const end = now + VIRTUAL_MS;
  const c0 = process.cpuUsage();
  for (;;) {
    const t = Math.min(a.next ?? Infinity, b.next ?? Infinity);
    if (t > end) break;
    now = Math.max(now, t);
    for (const s of sides) {
      if ((s.next ?? Infinity) > now) continue;
      s.next = undefined;
      ticks++;
      take(s, s.engine.tick(now));
    }
    drain();
  }
  const c = process.cpuUsage(c0);
  return { tunnels: n, messages, ticks, cpuMs: (c.user + c.system) / 1000 };
}

export async function bench(): Promise<void> {
  measure(200); // warm the code
  const figures = SIZES.map(measure);
  const per = (f: Figures): number => f.cpuMs / f.messages;
  console.log(`DPD every ${DPD_SEC} s, ${VIRTUAL_MS / 60_000} minutes of virtual time, two engines in one process:`);
  for (const f of figures) {
    console.log(
      `  ${String(f.tunnels).padStart(6)} tunnels: ${f.messages} DPD messages in ${f.ticks} timer ticks, ${f.cpuMs.toFixed(0)} ms CPU, ` +
        `${(per(f) * 1000).toFixed(1)} µs per message`,
    );
  }
  const ratio = per(figures[1]!) / per(figures[0]!);
  console.log(
    `  per message at ${SIZES[1]} tunnels / at ${SIZES[0]}: ${ratio.toFixed(2)} (limit: the same message at ${SIZES[0]} tunnels; ` +
      `target at most ${TARGET}: ${ratio <= TARGET ? 'met' : 'not met'})`,
  );
}
