import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from '../../src/cli/isakmpctl/control.js';
import { ISAKMPD, confFor, kill, randomPorts, tempDir, waitFor, type Daemon } from './harness.js';
import { spawn } from 'node:child_process';

const run = promisify(execFile);
const DEMO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'demo.js');

describe('npm start (the two-daemon demo)', function () {
  this.timeout(60_000);
  it('brings a tunnel up on 127.0.0.1, carries packets both ways and stops both daemons', async () => {
    const { stdout } = await run(process.execPath, [DEMO], { timeout: 50_000 });
    assert.match(stdout, /west 192\.0\.2\.10 -> east 198\.51\.100\.10: 3 packets sent as \d+-byte ESP packets, 3 delivered intact/);
    assert.match(stdout, /east 198\.51\.100\.10 -> west 192\.0\.2\.10: 3 packets sent as \d+-byte ESP packets, 3 delivered intact/);
    assert.match(stdout, /IPsec SAs \(phase 2\):[\s\S]*demo-west-east[\s\S]*3\/3/);
    assert.match(stdout, /exit codes 0, 0/);
  });
});

describe('isakmpd NAT-T port (-N)', function () {
  this.timeout(30_000);
  let d: Daemon | undefined;
  const dir = tempDir();
  after(() => {
    kill(d);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('demultiplexes port 4500: marked IKE to the engine, keepalives ignored, junk counted', async () => {
    const [p, peer] = randomPorts();
    const natT = p - 10000;
    const confPath = path.join(dir, 'n.conf');
    fs.writeFileSync(confPath, confFor({ self: 'west', peerPort: peer, active: false }), { mode: 0o600 });
    const sock = path.join(dir, 'n.sock');
    const proc = spawn(process.execPath, [ISAKMPD, '-d', '-c', confPath, '-p', String(p), '-N', String(natT), '-f', path.join(dir, 'n.fifo'), '-i', path.join(dir, 'n.pid'), '--control', sock, '-K'], { stdio: 'ignore' });
    d = { name: 'n', dir, port: p, sock, fifo: '', pidFile: '', proc, output: () => '', exited: new Promise((r) => proc.on('exit', r)) };
    await waitFor(async () => (await request(sock, { cmd: 'show', what: 'stats' }, 1000).catch(() => ({ ok: false }))).ok, 10_000, 'daemon up');
    const s = dgram.createSocket('udp4');
    const send = (b: Buffer): Promise<void> => new Promise((r) => s.send(b, natT, '127.0.0.1', () => r()));
    const ike = Buffer.concat([Buffer.alloc(4), Buffer.alloc(8, 9), Buffer.alloc(8), Buffer.from([1, 0x10, 2, 0]), Buffer.alloc(4), Buffer.from([0, 0, 0, 40]), Buffer.alloc(12)]);
    await send(ike); // non-ESP marker + a malformed Main Mode message
    await send(Buffer.from([0xff])); // keepalive
    await send(Buffer.from([1, 2])); // too short for anything
    s.close();
    type Stats = { stats: { ike: { received: number; dropped: Record<string, number> } } };
    const st = await waitFor(async () => {
      const r = (await request(sock, { cmd: 'show', what: 'stats' })) as unknown as Stats;
      return r.stats.ike.received >= 1 && r.stats.ike.dropped['natt-invalid'] ? r : false;
    }, 5000, 'the datagrams counted');
    assert.equal(st.stats.ike.received, 1, 'only the marked IKE message reached the engine');
    assert.equal(st.stats.ike.dropped['natt-invalid'], 1);
  });
});
