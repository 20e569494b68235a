#!/usr/bin/env node
// npm start: two isakmpd daemons on 127.0.0.1 (samples/demo/{west,east}.conf, ports 15000/15001) negotiate
// Main Mode + Quick Mode; then test packets cross the tunnel through each daemon's data plane, with this
// process carrying the ESP bytes between them (loopback mode: no TUN, no root); then both stop cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, run as ctl } from './isakmpctl/control.js';
import { realMain } from './main.js';
import { ipUdpPacket } from '../util/pcap.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function repoRoot(): string {
  let d = here;
  for (;;) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'samples', 'demo'))) return d;
    const up = path.dirname(d);
    if (up === d) throw new Error('cannot find samples/demo above ' + here);
    d = up;
  }
}

interface Side {
  name: 'west' | 'east';
  port: number;
  natT: number;
  dir: string;
  sock: string;
  proc?: ChildProcess;
  log: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, f: () => Promise<T | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => false as const);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(150);
  }
}

function start(s: Side, conf: string): void {
  const args = [
    path.join(here, 'isakmpd.js'), '-d', '-v', '-T', '-c', conf, '-p', String(s.port), '-N', String(s.natT),
    '-f', path.join(s.dir, `${s.name}.fifo`), '-i', path.join(s.dir, `${s.name}.pid`), '--control', s.sock, '-K',
  ];
  s.proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // However the demo ends (an error, a closed stdout pipe, ^C), its daemons end with it: no orphans
  // holding the demo ports.
  const child = s.proc;
  process.once('exit', () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
  const keep = (b: Buffer): void => {
    s.log += b.toString();
  };
  s.proc.stdout!.on('data', keep);
  s.proc.stderr!.on('data', keep);
}

async function stop(s: Side): Promise<number | null> {
  const p = s.proc;
  if (!p || p.exitCode !== null || !p.pid) return p?.exitCode ?? null;
  const exited = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  process.kill(p.pid, 'SIGTERM');
  const code = await Promise.race([exited, sleep(5000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    process.kill(p.pid, 'SIGKILL');
    return null;
  }
  return code;
}

type PacketReply = { ok: boolean; action?: string; hex?: string; reason?: string; error?: string };

/** One test packet from `from`'s protected network to `to`'s, through both data planes. */
async function push(from: Side, to: Side, src: string, dst: string, n: number): Promise<string> {
  let ok = 0;
  let espLen = 0;
  for (let i = 0; i < n; i++) {
    const inner = Buffer.from(ipUdpPacket({ src, sport: 40000 + i, dst, dport: 7 }, Buffer.from(`oakley demo packet ${i} ${from.name}->${to.name}`)));
    const out = (await request(from.sock, { cmd: 'packet', dir: 'out', hex: inner.toString('hex') })) as PacketReply;
    if (!out.ok || out.action !== 'protect' || !out.hex) throw new Error(`${from.name} did not protect the packet: ${out.error ?? out.reason ?? out.action}`);
    espLen = out.hex.length / 2;
    const back = (await request(to.sock, { cmd: 'packet', dir: 'in', hex: out.hex })) as PacketReply;
    if (!back.ok || back.action !== 'deliver') throw new Error(`${to.name} dropped the ESP packet: ${back.error ?? back.reason}`);
    if (back.hex !== inner.toString('hex')) throw new Error(`${to.name} delivered different bytes than ${from.name} sent`);
    ok++;
  }
  return `${from.name} ${src} -> ${to.name} ${dst}: ${n} packets sent as ${espLen}-byte ESP packets, ${ok} delivered intact`;
}

// `npm start | head`: a reader that goes away ends the demo quietly (the exit handler stops the daemons).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

realMain(async () => {
  const root = repoRoot();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-demo-'));
  const west: Side = { name: 'west', port: 15000, natT: 15500, dir, sock: path.join(dir, 'west.sock'), log: '' };
  const east: Side = { name: 'east', port: 15001, natT: 15501, dir, sock: path.join(dir, 'east.sock'), log: '' };
  let failed = false;
  try {
    // One after the other: west's first Main Mode message finds nobody, east's finds west ready, and
    // the tunnel comes up once (started together, both would negotiate and keep a pair each).
    for (const s of [west, east]) {
      // isakmpd refuses a configuration others can read: work on private copies.
      const conf = path.join(dir, `${s.name}.conf`);
      fs.copyFileSync(path.join(root, 'samples', 'demo', `${s.name}.conf`), conf);
      fs.chmodSync(conf, 0o600);
      start(s, conf);
      await until(`isakmpd ${s.name} to answer on its control socket`, 10_000, async () => {
        if (s.proc!.exitCode !== null) throw new Error(`isakmpd ${s.name} exited (code ${s.proc!.exitCode})`);
        return (await request(s.sock, { cmd: 'show', what: 'stats' }, 1000)).ok;
      });
    }
    console.log(`Started isakmpd west (127.0.0.1:${west.port}, pid ${west.proc!.pid}) and east (127.0.0.1:${east.port}, pid ${east.proc!.pid}).`);
    console.log('Waiting for Main Mode (PSK, AES-128/SHA-1/group 14) and Quick Mode (ESP AES-128/HMAC-SHA-1, PFS group 14)...\n');
    await until('IPsec SAs on both sides', 30_000, async () => {
      for (const s of [west, east]) if (s.proc!.exitCode !== null) throw new Error(`isakmpd ${s.name} exited (code ${s.proc!.exitCode})`);
      const a = (await request(west.sock, { cmd: 'show', what: 'sa' })) as { ipsec?: unknown[] };
      const b = (await request(east.sock, { cmd: 'show', what: 'sa' })) as { ipsec?: unknown[] };
      return (a.ipsec?.length ?? 0) > 0 && (b.ipsec?.length ?? 0) > 0;
    });
    for (const s of [west, east]) {
      console.log(`=== isakmpctl -s ${s.sock} show sa   (${s.name})`);
      await ctl(['-s', s.sock, 'show', 'sa']);
      console.log('');
    }
    console.log('=== test packets through the tunnel (data plane loopback mode: ESP bytes carried by this demo)');
    console.log(await push(west, east, '192.0.2.10', '198.51.100.10', 3));
    console.log(await push(east, west, '198.51.100.10', '192.0.2.10', 3));
    console.log('');
    console.log(`=== isakmpctl -s ${west.sock} show sa   (west, with packet counters)`);
    await ctl(['-s', west.sock, 'show', 'sa']);
    console.log('');
  } catch (err) {
    failed = true;
    console.error(`demo failed: ${(err as Error).message}`);
    for (const s of [west, east]) console.error(`--- isakmpd ${s.name} log ---\n${s.log.trim().split('\n').slice(-20).join('\n')}`);
    if (/EADDRINUSE/.test(west.log + east.log)) console.error('UDP port 15000 or 15001 on 127.0.0.1 is in use: is another demo or isakmpd running?');
  }
  const codes = [await stop(west), await stop(east)];
  console.log(`Stopped both daemons (exit codes ${codes.join(', ')}); they sent Deletes for their SAs on the way out.`);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!failed && codes.some((c) => c !== 0)) {
    console.error('demo failed: a daemon did not stop cleanly');
    return 1;
  }
  return failed ? 1 : 0;
});
