// Handshakes per second between two isakmpd processes (no root): each daemon listens on N loopback
// addresses (127.1.x.y on one side, 127.2.x.y on the other, one UDP port), every address pair is its own
// peer with its own connection, and the initiator is asked to connect them through its control socket.
// Main Mode PSK + Quick Mode with PFS, MODP 2048 for both, with a steady number of handshakes under way.
// The first tunnels are not counted (V8 is still compiling the handshake path for the first thousand or two);
// the rate is the tunnels finished in the window after them divided by its length (the daemons' own counts,
// `show stats`), printed beside the DH-bound limit of one side measured in the same run: each daemon has a
// core, so the limit is one side's DH work (2 key pairs + 2 g^xy per handshake) on one core.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { request } from '../src/cli/isakmpctl/control.js';
import { measureDhLimit } from './crypto.bench.js';
import { MAX_HALF_OPEN } from '../src/ike/engine.js';

/** Tunnels finished inside the measured window. */
const TUNNELS = Number(process.env['OAKLEY_BENCH_TUNNELS'] ?? 3000);
// Negotiated first and not measured: V8 is still compiling the handshake path for the first thousand or two.
const WARMUP = Number(process.env['OAKLEY_BENCH_WARMUP'] ?? 3000);
// Handshakes under way at any time: under MAX_HALF_OPEN, past which the responder drops first messages and
// the figure would measure retransmission.
const IN_FLIGHT = Math.min(1000, MAX_HALF_OPEN - 24);
/** Tunnels configured: the stream runs on past the window by up to IN_FLIGHT. */
const TOTAL = WARMUP + TUNNELS + IN_FLIGHT;
const TARGET = 0.7;
const CONNECT_BATCH = 100;
const POLL_MS = 20;
const VERBOSE = process.env['OAKLEY_BENCH_VERBOSE'] === '1';
const PORT = 15600 + (process.pid % 200);
const DEADLINE_MS = 60_000;
const ISAKMPD_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'isakmpd.js');

const address = (side: 1 | 2, i: number): string => `127.${side}.${Math.floor(i / 250)}.${(i % 250) + 1}`;

export function conf(side: 1 | 2, n: number): string {
  const other = side === 1 ? 2 : 1;
  const local = Array.from({ length: n }, (_, i) => address(side, i));
  const out: string[] = [
    '[General]',
    `Listen-on=${local.join(',')}`,
    'Retransmits=3',
    'Exchange-max-time=30',
    // Stopping without Deletes for thousands of SAs: the DH limit is measured once both have gone.
    'Delete-SAs=no',
    '',
    '[Phase 1]',
    ...local.map((_, i) => `${address(other, i)}=peer-${i}`),
    '',
  ];
  // Passive on both sides: nothing starts at boot; the initiator starts them on request.
  out.push('[Phase 2]', `Passive-connections=${local.map((_, i) => `conn-${i}`).join(',')}`, '');
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
  ], { stdio: ['ignore', 'ignore', fd] });
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

export async function bench(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-daemons-'));
  const daemons: Daemon[] = [];
  try {
    // DH is measured before the daemons start and again after they stop: this machine's speed drifts by
    // several per cent within a minute, and the mean of the two brackets the run.
    const limitBefore = measureDhLimit(14, 1500);
    daemons.push(start(dir, 2, TOTAL), start(dir, 1, TOTAL));
    const [resp, init] = daemons as [Daemon, Daemon];
    await until('control sockets', () => fs.existsSync(resp.sock) && fs.existsSync(init.sock), daemons, 20_000);
    // A steady stream: about IN_FLIGHT handshakes are always under way, and a finished one makes room for the
    // next (batches of names, as `isakmpctl connect NAME...`). The responder finishes each tunnel last (on Quick
    // Mode message 3), so its count says what is done. The window runs from the first poll that sees WARMUP
    // tunnels done to the first that sees WARMUP + TUNNELS; the stream goes on past it, so the window never
    // holds the ramp at the start or the drain at the end.
    const mark = () => ({
      t: performance.now(), done: resp.done, resent: resp.resent + init.resent, cpu: daemons.map((d) => cpuSeconds(d.child.pid)),
      threads: daemons.map((d) => threadSeconds(d.child.pid)), self: process.cpuUsage(), mono: process.hrtime.bigint() / 1000n,
    });
    let issued = 0;
    let from: ReturnType<typeof mark> | undefined;
    let to: ReturnType<typeof mark> | undefined;
    const w0 = performance.now();
    const end = Date.now() + DEADLINE_MS * 2;
    while (!to) {
      for (const x of daemons) if (x.exited) throw new Error(`daemon ${x.exited}`);
      if (Date.now() > end) throw new Error(`${resp.done} of ${WARMUP + TUNNELS} tunnels within ${(DEADLINE_MS * 2) / 1000} s`);
      await poll(resp);
      if (!from && resp.done >= WARMUP) {
        await poll(init);
        from = mark();
      } else if (from && resp.done >= WARMUP + TUNNELS) {
        await poll(init);
        to = mark();
        break;
      }
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
    const warmRate = from!.done / ((from!.t - w0) / 1000);
    const measured = to.done - from!.done;
    if (process.env['OAKLEY_BENCH_PROF']) console.log(`  profile window: ${from!.mono} ${to.mono}`);
    const seconds = (to.t - from!.t) / 1000;
    const resent = to.resent - from!.resent;
    const cpu = daemons.map((_, i) => to!.cpu[i]! - from!.cpu[i]!);
    const selfUse = process.cpuUsage(from!.self);
    const benchMs = (selfUse.user + selfUse.system) / 1000 / measured;
    const mainCpu = to.threads.map((t, i) => (t.get('main') ?? NaN) - (from!.threads[i]!.get('main') ?? NaN));
    const threads = to.threads.map((t, i) =>
      [...t]
        .map(([n, s]) => [n, ((s - (from!.threads[i]!.get(n) ?? 0)) / measured) * 1000] as const)
        .filter(([, ms]) => ms >= 0.005)
        .map(([n, ms]) => `${n} ${ms.toFixed(2)}`)
        .join(', '),
    );
    for (const d of daemons) d.child.kill('SIGTERM');
    await until('daemons to stop', () => daemons.every((d) => d.exited !== undefined), [], 10_000).catch(() => {
      for (const d of daemons) if (d.exited === undefined) d.child.kill('SIGKILL');
    });
    await until('daemons to go', () => daemons.every((d) => d.exited !== undefined), [], 5_000).catch(() => undefined);
    const rate = measured / seconds;
    const limitAfter = measureDhLimit(14, 1500);
    const limit = (limitBefore + limitAfter) / 2;
    console.log(`Main Mode PSK + Quick Mode PFS (MODP 2048, AES-128/SHA-1) between two isakmpd processes on loopback, ${IN_FLIGHT} handshakes under way at a time, one peer each:`);
    console.log(`  ${measured} tunnels in ${seconds.toFixed(2)} s: ${rate.toFixed(1)} handshakes/s (after ${from!.done} warm-up tunnels at ${warmRate.toFixed(1)}/s, not counted)`);
    console.log(
      `  DH-bound limit of one side on one core: ${limit.toFixed(1)} handshakes/s (${limitBefore.toFixed(0)} before the daemons ran, ${limitAfter.toFixed(0)} after); ` +
        `reached ${((rate / limit) * 100).toFixed(0)} % ` +
        `(target ${TARGET * 100} %: ${rate / limit >= TARGET ? 'met' : 'not met'}; the machine has ${os.cpus().length} cores for both daemons and this process)`,
    );
    // CPU time is not stretched by other load on the machine, unlike the rate.
    console.log(
      `  CPU per handshake: initiator ${((cpu[1]! / measured) * 1000).toFixed(2)} ms, responder ${((cpu[0]! / measured) * 1000).toFixed(2)} ms; ` +
        `DH alone ${(1000 / limit).toFixed(2)} ms per side`,
    );
    const ms = (s: number): string => ((s / measured) * 1000).toFixed(2);
    console.log(
      `    of which main thread: initiator ${ms(mainCpu[1]!)} ms, responder ${ms(mainCpu[0]!)} ms; ` +
        `other threads (V8 compiler and GC helpers): initiator ${ms(cpu[1]! - mainCpu[1]!)} ms, responder ${ms(cpu[0]! - mainCpu[0]!)} ms`,
    );
    console.log(`    retransmitted or duplicate messages while measuring (both daemons): ${resent}`);
    console.log(`    this process (connect requests, polling): ${benchMs.toFixed(2)} ms per handshake`);
    console.log(`    by thread (ms per handshake; V8's helpers are all named node): initiator ${threads[1]}; responder ${threads[0]}`);
  } catch (e) {
    console.log(`handshakes between two daemons: failed: ${(e as Error).message}`);
  } finally {
    for (const d of daemons) if (d.exited === undefined) d.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
