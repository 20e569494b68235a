// Root only: real kernel TCP through two offloading TUN devices. Two network namespaces each get a TUN
// (TunPort with offloads, in a child process); the children's packet streams are joined by pipes, so
// what one TUN reads (super-packets cut into segments) the other writes (segments merged again). A TCP
// transfer must arrive intact, and both children must report offloads on and merged writes.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const IO_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/dataplane/io.js');
const BYTES = 8 << 20;

/** A child that relays its TUN to stdout and stdin to its TUN, framed by a 4-byte length. */
const CHILD = `
import { TunPort } from ${JSON.stringify(IO_JS)};
import { execFileSync } from 'node:child_process';
const [local, remote, mode] = process.argv.slice(1);
const tun = new TunPort('otun0', (e) => process.stderr.write('error ' + e.message + '\\n'), { offload: mode !== 'plain' });
const ip = (...a) => execFileSync('ip', a, { stdio: 'ignore' });
ip('link', 'set', 'lo', 'up');
ip('addr', 'add', local + '/32', 'dev', 'otun0');
ip('link', 'set', 'otun0', 'mtu', '1400', 'up');
ip('route', 'add', remote + '/32', 'dev', 'otun0');
let reads = 0;
tun.onPacket((p) => {
  reads++;
  const h = Buffer.alloc(4);
  h.writeUInt32BE(p.length);
  process.stdout.write(Buffer.concat([h, p]));
});
let acc = Buffer.alloc(0);
process.stdin.on('data', (d) => {
  acc = acc.length ? Buffer.concat([acc, d]) : d;
  while (acc.length >= 4 && acc.length >= 4 + acc.readUInt32BE(0)) {
    const n = acc.readUInt32BE(0);
    tun.write(new Uint8Array(acc.subarray(4, 4 + n)));
    acc = acc.subarray(4 + n);
  }
});
process.on('SIGTERM', () => {
  process.stderr.write('stats ' + JSON.stringify({ offload: tun.offload, reads, superPackets: tun.superPackets, ...tun.coalescing }) + '\\n');
  tun.close();
  process.exit(0);
});
process.stderr.write('ready ' + tun.offload + '\\n');
`;

const SERVER = `
import net from 'node:net';
import crypto from 'node:crypto';
const h = crypto.createHash('sha256');
let n = 0;
const srv = net.createServer((s) => {
  s.on('data', (d) => { h.update(d); n += d.length; });
  s.on('end', () => { process.stdout.write(JSON.stringify({ n, sha: h.digest('hex') }) + '\\n'); srv.close(); s.end(); });
});
srv.listen(5001, '198.51.100.1', () => process.stderr.write('listening\\n'));
`;

const CLIENT = `
import net from 'node:net';
const total = Number(process.argv[1]);
const s = net.connect({ host: '198.51.100.1', port: 5001, localAddress: '192.0.2.1' }, () => {
  const chunk = Buffer.alloc(65536);
  let sent = 0;
  const more = () => {
    while (sent < total) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = (sent + i * 7) & 0xff;
      sent += chunk.length;
      if (!s.write(Uint8Array.from(chunk))) return void s.once('drain', more);
    }
    s.end();
  };
  more();
});
s.on('close', () => process.exit(0));
`;

function expected(): string {
  const h = crypto.createHash('sha256');
  const chunk = Buffer.alloc(65536);
  for (let sent = 0; sent < BYTES; sent += chunk.length) {
    for (let i = 0; i < chunk.length; i++) chunk[i] = (sent + i * 7) & 0xff;
    h.update(chunk);
  }
  return h.digest('hex');
}

function waitLine(c: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re} (${buf.slice(-300)})`)), ms);
    c[stream]!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line) {
        clearTimeout(t);
        resolve(line);
      }
    });
    c.on('exit', () => setTimeout(() => reject(new Error(`exited before ${re} (${buf.slice(-300)})`)), 100));
  });
}

const hasIp = (): boolean => {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
// Root, a TUN device and iproute2 (bash scripts/interop-deps.sh installs it; .ci/run does so before npm test).
const rootOk = process.getuid?.() === 0 && fs.existsSync('/dev/net/tun') && hasIp();

/** A runs with offloads; B as asked. Both children and both namespaces are removed afterwards. */
async function transfer(bMode: 'offload' | 'plain'): Promise<void> {
  const tag = `ooff${process.pid}${bMode[0]}`;
  const nsA = `${tag}a`;
  const nsB = `${tag}b`;
  const kids: ChildProcess[] = [];
  const node = (ns: string, code: string, ...args: string[]): ChildProcess => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', code, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    kids.push(c);
    return c;
  };
  try {
    execFileSync('ip', ['netns', 'add', nsA]);
    execFileSync('ip', ['netns', 'add', nsB]);
    const a = node(nsA, CHILD, '192.0.2.1', '198.51.100.1', 'offload');
    const b = node(nsB, CHILD, '198.51.100.1', '192.0.2.1', bMode);
    const [ra, rb] = await Promise.all([waitLine(a, 'stderr', /^ready/, 10_000), waitLine(b, 'stderr', /^ready/, 10_000)]);
    assert.equal(ra, 'ready true', 'offloads on in A');
    assert.equal(rb, `ready ${bMode === 'offload'}`, 'offloads in B as asked');
    a.stdout!.pipe(b.stdin!);
    b.stdout!.pipe(a.stdin!);
    const server = node(nsB, SERVER);
    await waitLine(server, 'stderr', /^listening/, 10_000);
    const result = waitLine(server, 'stdout', /"sha"/, 45_000);
    node(nsA, CLIENT, String(BYTES));
    const got = JSON.parse(await result) as { n: number; sha: string };
    assert.equal(got.n, BYTES);
    assert.equal(got.sha, expected());
    const stats = await Promise.all(
      [a, b].map(async (c) => {
        const line = waitLine(c, 'stderr', /^stats/, 5_000);
        c.kill('SIGTERM');
        return JSON.parse((await line).slice(6)) as { offload: boolean; reads: number; superPackets: number; writes?: number; packets?: number };
      }),
    );
    // A's kernel handed over super-packets, cut into at most MTU-sized segments; B merged them again.
    assert.ok(stats[0]!.superPackets > 0, `A read super-packets: ${JSON.stringify(stats[0])}`);
    assert.ok(stats[0]!.reads * 1400 >= BYTES, `A segments: ${JSON.stringify(stats[0])}`);
    if (bMode === 'offload') assert.ok(stats[1]!.packets! > 2 * stats[1]!.writes!, `B merged segments: ${JSON.stringify(stats[1])}`);
    else assert.deepEqual([stats[1]!.offload, stats[1]!.superPackets, stats[1]!.writes], [false, 0, undefined]);
  } finally {
    for (const c of kids) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
    for (const ns of [nsA, nsB]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // not created
      }
    }
  }
}

describe('offload: kernel TCP through offloading TUN devices (root)', function () {
  before(function () {
    if (!rootOk) this.skip();
  });

  it('carries a TCP transfer intact, reading super-packets and writing merged ones', async function () {
    this.timeout(60_000);
    await transfer('offload');
  });

  it('carries it between an offloading TUN and a plain one (offloads turned off)', async function () {
    this.timeout(60_000);
    await transfer('plain');
  });
});
