// Runs real isakmpd processes on 127.0.0.1 high ports for loopback tests, and talks to them through
// their FIFO and control socket. Processes are stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../../src/cli/isakmpctl/control.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The compiled daemon next to this compiled test (works for dist/ and per-area output folders). */
export const ISAKMPD = path.join(here, '..', '..', 'src', 'cli', 'isakmpd.js');
export const ISAKMPCTL = path.join(here, '..', '..', 'src', 'cli', 'isakmpctl.js');

export interface Daemon {
  name: string;
  dir: string;
  port: number;
  sock: string;
  fifo: string;
  pidFile: string;
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-loop-'));
}

/** Two free-looking high ports; loopback tests of other areas pick their own. */
export function randomPorts(): [number, number] {
  const base = 20000 + Math.floor(Math.random() * 20000) * 2;
  return [base, base + 1];
}

export function confFor(o: {
  self: 'east' | 'west'; peerPort: number; active: boolean; psk?: string; pfs?: boolean; policyFile?: string;
}): string {
  const nets = { east: ['198.51.100.0', '192.0.2.0'], west: ['192.0.2.0', '198.51.100.0'] }[o.self];
  return `[General]
Listen-on=		127.0.0.1
Retransmits=		3
Exchange-max-time=	30
${o.policyFile ? `Use-Keynote=		yes\nPolicy-file=		${o.policyFile}\n` : ''}
[Phase 1]
127.0.0.1=		peer

[Phase 2]
${o.active ? 'Connections' : 'Passive-connections'}=	tunnel

[peer]
Phase=			1
Address=		127.0.0.1
Port=			${o.peerPort}
Configuration=		mm
Authentication=		${o.psk ?? 'loopback-test-key'}

[mm]
EXCHANGE_TYPE=		ID_PROT
Transforms=		AES-128-SHA-GRP14

[tunnel]
Phase=			2
ISAKMP-peer=		peer
Configuration=		qm
Local-ID=		net-local
Remote-ID=		net-remote

[qm]
EXCHANGE_TYPE=		QUICK_MODE
Suites=			${o.pfs ? 'QM-ESP-AES-128-SHA-PFS-GRP14-SUITE' : 'QM-ESP-AES-128-SHA-SUITE'}

[net-local]
ID-type=		IPV4_ADDR_SUBNET
Network=		${nets[0]}
Netmask=		255.255.255.0

[net-remote]
ID-type=		IPV4_ADDR_SUBNET
Network=		${nets[1]}
Netmask=		255.255.255.0
`;
}

export async function startDaemon(name: string, dir: string, port: number, conf: string, extra: string[] = [], keynote = false): Promise<Daemon> {
  const confPath = path.join(dir, `${name}.conf`);
  fs.writeFileSync(confPath, conf, { mode: 0o600 });
  const d = {
    name, dir, port,
    sock: path.join(dir, `${name}.sock`),
    fifo: path.join(dir, `${name}.fifo`),
    pidFile: path.join(dir, `${name}.pid`),
  };
  const proc = spawn(process.execPath, [
    ISAKMPD, '-d', '-v', '-c', confPath, '-p', String(port), '-T', '-f', d.fifo, '-i', d.pidFile, '-R', path.join(dir, `${name}.report`), '--control', d.sock, ...(keynote ? [] : ['-K']), ...extra,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const daemon: Daemon = { ...d, proc, output: () => out, exited };
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`${name} exited early: ${out}`);
    try {
      return (await request(d.sock, { cmd: 'show', what: 'stats' }, 2000)).ok;
    } catch {
      return false;
    }
  }, 10_000, `${name} control socket`);
  return daemon;
}

export async function waitFor<T>(f: () => Promise<T | false | undefined> | T | false | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ShowSa {
  ok: boolean;
  isakmp: Record<string, unknown>[];
  ipsec: { connection: string; spiIn: string; spiOut: string; localSelector: string; remoteSelector: string; pfsGroup: number | null }[];
}

export async function showSa(d: Daemon): Promise<ShowSa> {
  return (await request(d.sock, { cmd: 'show', what: 'sa' })) as unknown as ShowSa;
}

export function fifo(d: Daemon, line: string): void {
  fs.appendFileSync(d.fifo, line + '\n');
}

export function kill(d: Daemon | undefined, sig: NodeJS.Signals = 'SIGKILL'): void {
  if (d?.proc.pid && d.proc.exitCode === null) {
    try {
      process.kill(d.proc.pid, sig);
    } catch {
      // already gone
    }
  }
}
