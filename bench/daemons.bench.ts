// Handshakes per second between two isakmpd processes (no root), as a gateway meets its peers: the responder
// listens on one loopback address, the initiator on one address per peer (127.1.x.y), and every peer has its
// own connection, which the initiator is asked to start through its control socket. OAKLEY_BENCH_GATEWAY=0
// gives the responder one address per peer as well. Main Mode PSK + Quick Mode with PFS, MODP 2048 for both,
// with a steady number of handshakes under way. The first tunnels are not counted (V8 is still compiling the
// handshake path for the first thousand or two). Then the stream runs through several windows, back to back.
// Each daemon has a core, so the limit is one side's DH work (2 key pairs + 2 g^xy per handshake) on one core,
// measured on both cores at once as the daemons run (dh-cores.ts). This shared machine's speed drifts by up to
// 10 % within a second or two, and a limit measured away from the window it is compared with carried that
// drift into the figure. So both daemons are stopped (SIGSTOP) every SLICE_MS while DH is measured, and go on
// afterwards: each stretch between two stops is held against the mean of the limits at its ends. A window's
// rate is its tunnels (the responder's own count, `show stats`) over the time the daemons ran, and the figure
// is the median over the windows.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { request } from '../src/cli/isakmpctl/control.js';
import { measureDhLimit } from './crypto.bench.js';
import { DhCores } from './dh-cores.js';
import { MAX_HALF_OPEN } from '../src/ike/engine.js';

/** Tunnels finished inside each measured window (a window ends at the first count past this). */
const TUNNELS = Number(process.env['OAKLEY_BENCH_TUNNELS'] ?? 1000);
/** Measured windows; the figure is their median. */
const WINDOWS = Number(process.env['OAKLEY_BENCH_WINDOWS'] ?? 5);
// Negotiated first and not measured: V8 is still compiling the handshake path for the first thousand or two.
const WARMUP = Number(process.env['OAKLEY_BENCH_WARMUP'] ?? 2000);
// Handshakes under way at any time: enough that neither daemon waits for the other, under MAX_HALF_OPEN (past
// which the responder drops first messages and the figure would measure retransmission).
const IN_FLIGHT = Math.min(Number(process.env['OAKLEY_BENCH_IN_FLIGHT'] ?? 400), MAX_HALF_OPEN - 24);
// Tunnels configured: a window ends up to a poll's worth of tunnels past TUNNELS, and the stream runs on past the
// last window by up to IN_FLIGHT. Each initiator address takes two sockets (IKE and NAT-T), so this stays under
// a common limit of 20,000 files.
const OVERSHOOT = 300;
const TOTAL = WARMUP + WINDOWS * (TUNNELS + OVERSHOOT) + 2 * IN_FLIGHT;
/** Milliseconds the daemons run between two stops, and milliseconds of DH measured in each stop. */
const SLICE_MS = Number(process.env['OAKLEY_BENCH_SLICE_MS'] ?? 300);
const DH_SLICE_MS = 100;
/** Milliseconds of DH measured on one core at the end, for comparison. */
const DH_MS = 1000;
const TARGET = 0.7;
const CONNECT_BATCH = 50;
const POLL_MS = 20;
const VERBOSE = process.env['OAKLEY_BENCH_VERBOSE'] === '1';
const PORT = 15600 + (process.pid % 200);
const DEADLINE_MS = 60_000;
const ISAKMPD_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'isakmpd.js');

const GATEWAY = process.env['OAKLEY_BENCH_GATEWAY'] !== '0';
const address = (side: 1 | 2, i: number): string =>
  side === 2 && GATEWAY ? '127.2.0.1' : `127.${side}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

export function conf(side: 1 | 2, n: number): string {
  const other = side === 1 ? 2 : 1;
  const local = [...new Set(Array.from({ length: n }, (_, i) => address(side, i)))];
  const out: string[] = [
    '[General]',
    `Listen-on=${local.join(',')}`,
    'Retransmits=3',
    'Exchange-max-time=30',
    // Stopping without Deletes for thousands of SAs: the DH limit is measured once both have gone.
    'Delete-SAs=no',
    '',
    '[Phase 1]',
    ...(side === 1 && GATEWAY ? [] : Array.from({ length: n }, (_, i) => `${address(other, i)}=peer-${i}`)),
    '',
  ];
  // Passive on both sides: nothing starts at boot; the initiator starts them on request.
  out.push('[Phase 2]', `Passive-connections=${Array.from({ length: n }, (_, i) => `conn-${i}`).join(',')}`, '');
  for (let i = 0; i < n; i++) {
    out.push(
      `[peer-${i}]`, 'Phase=1', `Address=${address(other, i)}`, `Local-address=${address(side, i)}`, `Port=${PORT}`,
      'Configuration=bench-mm', 'Authentication=daemons-bench-secret', '',
      `[conn-${i}]`, 'Phase=2', `ISAKMP-peer=peer-${i}`, 'Configuration=bench-qm', `Local-ID=host-${side}-${i}`, `Remote-ID=host-${other}-${i}`, '',
      `[host-${side}-${i}]`, 'ID-type=IPV4_ADDR', `Address=${side === 1 ? '192.0.2' : '198.51.100'}.${(i % 250) + 1}`, '',
      `[host-${other}-${i}]`, 'ID-type=IPV4_ADDR', `Address=${other === 1 ? '192.0.2' : '198.51.100'}.${(i % 250) + 1}`, '',
    );
  }
  out.push('[bench-mm]', 'EXCHANGE_TYPE=ID_PROT', 'Transforms=AES-128-SHA-GRP14', '', '[bench-qm]', 'EXCHANGE_TYPE=QUICK_MODE', 'Suites=QM-ESP-AES-128-SHA-PFS-GRP14-SUITE', '');
  return out.join('\n');
}

interface Daemon {
  child: ChildProcess;
  sock: string;
  log: string;
  /** Phase 2 SAs established, and messages retransmitted or received twice, at the last poll. */
  done: number;
  resent: number;
  exited?: string;
}

function start(dir: string, side: 1 | 2, n: number): Daemon {
  const name = side === 1 ? 'initiator' : 'responder';
  const file = path.join(dir, `${name}.conf`);
  fs.writeFileSync(file, conf(side, n), { mode: 0o600 });
  const sock = path.join(dir, `${name}.sock`);
  // The log goes to a file, not a pipe: a pipe's writer stalls whenever this process is slow to read.
  const log = path.join(dir, `${name}.log`);
  const fd = fs.openSync(log, 'w');
  const prof = process.env['OAKLEY_BENCH_PROF']; // DIR: a --cpu-prof profile of each daemon
  const nodeArgs = process.env['OAKLEY_BENCH_NODE_ARGS']; // extra node flags for both daemons, space-separated
  const child = spawn(process.execPath, [
    ...(nodeArgs ? nodeArgs.split(' ').filter(Boolean) : []),
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    ISAKMPD_JS, '-d', ...(VERBOSE ? ['-v'] : []), '-n', '-K', '-c', file, '-p', String(PORT), '-N', String(PORT + 1), '-f', path.join(dir, `${name}.fifo`),
    '-i', path.join(dir, `${name}.pid`), '-R', path.join(dir, `${name}.report`), '--control', sock,
  ], { stdio: ['ignore', process.env['OAKLEY_BENCH_KEEP'] === '1' ? fd : 'ignore', fd] }); // V8's traces go to stdout
  fs.closeSync(fd);
  const d: Daemon = { child, sock, log, done: 0, resent: 0 };
  child.on('exit', (code, sig) => {
    const last = fs.readFileSync(log, 'utf8').trim().split('\n').slice(-4).join(' | ');
    d.exited = `exited (${sig ?? code}): ${last}`;
  });
  return d;
}

/** Phase 2 SAs the daemon has established so far (its control socket's stats). */
async function poll(d: Daemon): Promise<void> {
  const r = await request(d.sock, { cmd: 'show', what: 'stats' });
  const ike = (r as { stats?: { ike?: { phase2Established?: number; retransmits?: number; duplicates?: number } } }).stats?.ike;
  if (typeof ike?.phase2Established === 'number') d.done = ike.phase2Established;
  d.resent = (ike?.retransmits ?? 0) + (ike?.duplicates ?? 0);
}

/** CPU seconds (user + system) in a /proc stat file (clock ticks of 10 ms); NaN once the process has gone. */
function statSeconds(file: string): number {
  try {
    const f = fs.readFileSync(file, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The most resident memory a process has had (VmHWM), in MiB; NaN once it has gone. */
function peakRssMiB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds a whole process has used. */
const cpuSeconds = (pid: number | undefined): number => statSeconds(`/proc/${pid}/stat`);

/**
 * CPU seconds per thread: `main`, and the others by name and thread id (V8's compiler and GC helpers are
 * all named node).
 */
function threadSeconds(pid: number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    // the process has gone: an empty map
  }
  for (const t of tasks) {
    const file = `/proc/${pid}/task/${t}/stat`;
    let name = 'main';
    if (t !== String(pid)) {
      const f = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      name = `${f.slice(f.indexOf('(') + 1, f.lastIndexOf(')')).trim()}#${Number(t) - Number(pid)}`;
    }
    const s = statSeconds(file);
    if (!Number.isNaN(s)) out.set(name, s);
  }
  return out;
}

/** Polls `ok` every 20 ms until it holds; fails when a daemon exits or after `ms`. */
async function until(what: string, ok: () => boolean | Promise<boolean>, d: Daemon[], ms = DEADLINE_MS): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    for (const x of d) if (x.exited) throw new Error(`${what}: daemon ${x.exited}`);
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Both daemons stopped between two stretches of the stream: the responder's count when it was last polled,
 * the CPU both had used by then, and the DH limit measured on both cores while they stood still.
 */
interface Slice {
  /** when both daemons stood still; when the count was read before that, and the count */
  t: number;
  counted: number;
  done: number;
  cpu: number[];
  threads: Map<string, number>[];
  /** handshakes per second DH allows on one core (the mean of the cores) */
  dh: number;
  /** when both daemons were running again, and this process's CPU then */
  resumed: number;
  self: NodeJS.CpuUsage;
  /** this process's CPU when the count was read */
  selfAtCount: NodeJS.CpuUsage;
  mono: bigint;
}

interface WindowFigures {
  tunnels: number;
  seconds: number;
  rate: number;
  limit: number;
  dhMin: number;
  dhMax: number;
  slices: number;
  /** CPU ms per handshake, [responder, initiator]: whole process and main thread */
  cpu: number[];
  main: number[];
  benchMs: number;
  /** mean milliseconds from reading the count to both daemons standing still */
  stopMs: number;
  threads: string[];
}

/** The process's state letter from /proc (T when stopped); '' once it has gone. */
function procState(pid: number | undefined): string {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return f.charAt(f.lastIndexOf(')') + 2);
  } catch {
    return '';
  }
}

export async function bench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-daemons-'));
  const daemons: Daemon[] = [];
  let dh: DhCores | undefined;
  try {
    daemons.push(start(dir, 2, TOTAL), start(dir, 1, TOTAL));
    const [resp, init] = daemons as [Daemon, Daemon];
    dh = await DhCores.open(14, 2);
    await until('control sockets', () => fs.existsSync(resp.sock) && fs.existsSync(init.sock), daemons, 20_000);
    let issued = 0;
    // A steady stream: about IN_FLIGHT handshakes are always under way, and a finished one makes room for the
    // next (batches of names, as `isakmpctl connect NAME...`). The responder finishes each tunnel last (on Quick
    // Mode message 3), so its count says what is done. The stream runs until `enough` holds after a poll.
    const stream = async (enough: () => boolean): Promise<void> => {
      const end = Date.now() + DEADLINE_MS;
      for (;;) {
        for (const x of daemons) if (x.exited) throw new Error(`daemon ${x.exited}`);
        if (Date.now() > end) throw new Error(`${resp.done} tunnels, ${issued} asked for: no progress within ${DEADLINE_MS / 1000} s`);
        await poll(resp);
        if (enough()) return;
        const room = Math.min(IN_FLIGHT - (issued - resp.done), TOTAL - issued);
        if (room >= Math.min(CONNECT_BATCH, TOTAL - issued) && room > 0) {
          const requests: Promise<unknown>[] = [];
          for (let i = 0; i < room; i += CONNECT_BATCH) {
            const names = Array.from({ length: Math.min(CONNECT_BATCH, room - i) }, (_, k) => `conn-${issued + i + k}`);
            requests.push(request(init.sock, { cmd: 'connect', names }).then((r) => {
              if (!r.ok) throw new Error(`connect refused: ${r.error}`);
            }));
          }
          issued += room;
          await Promise.all(requests);
        } else await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    // Both daemons stand still (SIGSTOP) while DH is measured on both cores, then go on where they were: the
    // datagrams in flight wait in the sockets, and a stop is far shorter than the first retransmission (7 s).
    const slice = async (): Promise<Slice> => {
      await poll(resp);
      const t = performance.now();
      const done = resp.done;
      const selfAtCount = process.cpuUsage();
      try {
        for (const d of daemons) d.child.kill('SIGSTOP');
        // Waited for by spinning: a stretch ends when both stand still, and a timer here would let them run on.
        // The tunnels they finish between the count and the stop go to the next stretch, and those before the
        // first count of a window balance those after its last.
        const spinUntil = performance.now() + 5_000;
        while (!daemons.every((d) => procState(d.child.pid) === 'T')) {
          for (const x of daemons) if (x.exited) throw new Error(`daemon ${x.exited}`);
          if (performance.now() > spinUntil) throw new Error('the daemons did not stop within 5 s');
        }
        const stopped = performance.now();
        const cpu = daemons.map((d) => cpuSeconds(d.child.pid));
        const threads = daemons.map((d) => threadSeconds(d.child.pid));
        const rates = await dh!.measure(DH_SLICE_MS);
        const mono = process.hrtime.bigint() / 1000n;
        for (const d of daemons) d.child.kill('SIGCONT');
        const resumed = performance.now();
        return { t: stopped, counted: t, done, cpu, threads, dh: rates.reduce((a, b) => a + b, 0) / rates.length, resumed, self: process.cpuUsage(), selfAtCount, mono };
      } finally {
        for (const d of daemons) if (d.exited === undefined) d.child.kill('SIGCONT');
      }
    };
    const resent = (): number => resp.resent + init.resent;

    const w0 = performance.now();
    await stream(() => resp.done >= WARMUP);
    const warmRate = resp.done / ((performance.now() - w0) / 1000);
    const warmDone = resp.done;
    await poll(init);
    const resentBefore = resent();
    // The windows follow each other without a break; each is a series of stretches of SLICE_MS between stops.
    const windows: WindowFigures[] = [];
    let at = await slice();
    for (let w = 0; w < WINDOWS; w++) {
      const first = at;
      const stretches: [Slice, Slice][] = [];
      while (at.done < first.done + TUNNELS) {
        if (issued === TOTAL) throw new Error(`all ${TOTAL} configured tunnels asked for before window ${w + 1} had ${TUNNELS}`);
        const from = at;
        await stream(() => resp.done >= first.done + TUNNELS || performance.now() - from.resumed >= SLICE_MS);
        at = await slice();
        stretches.push([from, at]);
      }
      windows.push(windowFigures(stretches));
      // Monotonic microseconds, to cut a profile (`--cpu-prof`, or `perf record -k mono`) to the window.
      if (process.env['OAKLEY_BENCH_PROF'] || process.env['OAKLEY_BENCH_MARKS']) console.log(`  profile window ${w + 1}: ${first.mono} ${at.mono}`);
    }
    await until('the stream to drain', async () => (await poll(resp), resp.done >= issued), daemons);
    await poll(init);
    const resentDuring = resent() - resentBefore;
    // For comparison only: one core doing DH while the other idles.
    const alone = measureDhLimit(14, DH_MS);
    const peaks = daemons.map((d) => peakRssMiB(d.child.pid));
    for (const d of daemons) d.child.kill('SIGTERM');
    await until('daemons to stop', () => daemons.every((d) => d.exited !== undefined), [], 10_000).catch(() => {
      for (const d of daemons) if (d.exited === undefined) d.child.kill('SIGKILL');
    });
    report(windows, warmDone, warmRate, alone, resentDuring);
    console.log(`    peak resident memory: initiator ${peaks[1]!.toFixed(0)} MiB, responder ${peaks[0]!.toFixed(0)} MiB (${TOTAL} peers configured, ${issued} tunnels up)`);
  } catch (e) {
    console.log(`handshakes between two daemons: failed: ${(e as Error).message}`);
  } finally {
    dh?.close();
    for (const d of daemons) if (d.exited === undefined) d.child.kill('SIGKILL');
    if (process.env['OAKLEY_BENCH_KEEP'] === '1') console.log(`    kept: ${dir}`); // the daemons' configs and logs
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A window's rate is its tunnels over the time both daemons ran; its limit is each stretch's DH limit (the
 * mean of the measurements at its two ends) weighted by the stretch's length.
 */
function windowFigures(stretches: [Slice, Slice][]): WindowFigures {
  const first = stretches[0]![0];
  const last = stretches[stretches.length - 1]![1];
  let seconds = 0;
  let allowed = 0;
  let selfMs = 0;
  for (const [a, b] of stretches) {
    const s = (b.t - a.resumed) / 1000;
    seconds += s;
    allowed += s * ((a.dh + b.dh) / 2);
    selfMs += (b.selfAtCount.user + b.selfAtCount.system - a.self.user - a.self.system) / 1000;
  }
  const tunnels = last.done - first.done;
  const perHs = (s: number): number => (s / tunnels) * 1000;
  const cpu = last.cpu.map((c, i) => perHs(c - first.cpu[i]!));
  const main = last.threads.map((t, i) => perHs((t.get('main') ?? NaN) - (first.threads[i]!.get('main') ?? NaN)));
  const threads = last.threads.map((t, i) =>
    [...t]
      .map(([n, s]) => [n, perHs(s - (first.threads[i]!.get(n) ?? 0))] as const)
      .filter(([, ms]) => ms >= 0.005)
      .map(([n, ms]) => `${n} ${ms.toFixed(2)}`)
      .join(', '),
  );
  const dhs = [first, ...stretches.map(([, b]) => b)].map((s) => s.dh);
  return {
    tunnels, seconds, rate: tunnels / seconds, limit: allowed / seconds, dhMin: Math.min(...dhs), dhMax: Math.max(...dhs),
    slices: stretches.length, cpu, main, benchMs: selfMs / tunnels, threads,
    stopMs: stretches.reduce((a, [, b]) => a + b.t - b.counted, 0) / stretches.length,
  };
}

function report(windows: WindowFigures[], warmDone: number, warmRate: number, alone: number, resent: number): void {
  const ratios = windows.map((w) => w.rate / w.limit);
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
  const ms = (x: number): string => x.toFixed(2);
  console.log(
    `Main Mode PSK + Quick Mode PFS (MODP 2048, AES-128/SHA-1) between two isakmpd processes on loopback, ${IN_FLIGHT} handshakes ` +
      `under way at a time, one peer each; ${warmDone} warm-up tunnels first (${warmRate.toFixed(1)}/s, not counted), then ${windows.length} ` +
      `windows of ${TUNNELS} tunnels, both daemons stopped every ${SLICE_MS} ms while DH is measured for ${DH_SLICE_MS} ms on both cores:`,
  );
  windows.forEach((w, i) => {
    console.log(
      `  window ${i + 1}: ${w.rate.toFixed(1)} handshakes/s (${w.tunnels} in ${w.seconds.toFixed(2)} s running); DH-bound limit ${w.limit.toFixed(1)} ` +
        `(${w.slices + 1} measurements, ${w.dhMin.toFixed(0)}-${w.dhMax.toFixed(0)}): ${pct(w.rate / w.limit)}; CPU per handshake: initiator ${ms(w.cpu[1]!)} ms ` +
        `(main thread ${ms(w.main[1]!)}), responder ${ms(w.cpu[0]!)} ms (main thread ${ms(w.main[0]!)}); DH alone ${ms(1000 / w.limit)} ms`,
    );
  });
  console.log(
    `  median of the windows: reached ${pct(median)} of the DH-bound limit of one side on one core (target ${TARGET * 100} %: ` +
      `${median >= TARGET ? 'met' : 'not met'}; range ${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))}; the machine has ${os.cpus().length} ` +
      `cores for both daemons and this process); messages retransmitted or received twice: ${resent}`,
  );
  console.log(
    `    the limits are DH on both cores at once, as the two daemons run; one core alone, the other idle: ${alone.toFixed(1)} handshakes/s ` +
      `(last limit ${windows[windows.length - 1]!.limit.toFixed(1)})`,
  );
  const last = windows[windows.length - 1]!;
  console.log(
    `    this process (connect requests, polling), last window: ${last.benchMs.toFixed(3)} ms per handshake; from a count to both daemons ` +
      `stopped: ${last.stopMs.toFixed(2)} ms`,
  );
  console.log(`    by thread, last window (ms per handshake; V8's helpers are all named node): initiator ${last.threads[1]}; responder ${last.threads[0]}`);
}
