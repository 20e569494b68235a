// Manual keying end to end (root): two network namespaces joined by a veth pair, a data-plane-only
// host process in each (TUN device + raw ESP sockets), configured with the ipsecadm CLI exactly as the
// FAQ's workflow: two SAs with different SPIs, flows on both sides. First -forcetunnel between
// 192.0.2.0/24 and 198.51.100.0/24, then host-to-host transport mode. ping must pass, and tcpdump on
// the link must show ESP with the configured SPIs and no clear ICMP.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const A_OUT = '198.18.0.1';
const B_OUT = '198.18.0.2';
const KEY_3DES = '638063806380638063806380638063806380638063806380';
const KEY_AES = '00112233445566778899aabbccddeeff';
const KEY_SHA1 = '1234123412341234123412341234123412341234';

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const tool of ['ip', 'tcpdump', 'ping']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} not installed`;
    }
  }
  if (!fs.existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  return undefined;
}

const sh = (cmd: string, args: string[], timeout = 15_000): string => execFileSync(cmd, args, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });

async function waitFor<T>(what: string, fn: () => T | undefined, deadlineMs = 10_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('manual keying between two namespaces (ipsecadm + userspace ESP)', function () {
  const why = unavailable();
  if (why) {
    it(`skipped: ${why}`, function () {
      this.skip();
    });
    return;
  }
  this.timeout(120_000);

  const tag = crypto.randomBytes(3).toString('hex');
  const nsA = `oakA-${tag}`;
  const nsB = `oakB-${tag}`;
  const vA = `vA${tag}`;
  const vB = `vB${tag}`;
  const tA = `tA${tag}`;
  const tB = `tB${tag}`;
  let dir = '';
  const procs: ChildProcess[] = [];
  // The compiled tree this test runs from (dist or a per-area folder).
  const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  const hostd = path.join(dist, 'src', 'dataplane', 'hostd.js');
  const ipsecadmJs = path.join(dist, 'src', 'cli', 'ipsecadm.js');

  const ipsecadm = (sock: string, line: string): string => sh(process.execPath, [ipsecadmJs, '-s', sock, ...line.split(/\s+/).filter(Boolean)]);

  function cleanup(): void {
    for (const p of procs) if (p.pid && p.exitCode === null) p.kill('SIGKILL');
    for (const ns of [nsA, nsB]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-mk-'));
    process.once('exit', cleanup);
    try {
      sh('ip', ['netns', 'add', nsA]);
      sh('ip', ['netns', 'add', nsB]);
      sh('ip', ['link', 'add', vA, 'type', 'veth', 'peer', 'name', vB]);
      sh('ip', ['link', 'set', vA, 'netns', nsA]);
      sh('ip', ['link', 'set', vB, 'netns', nsB]);
      sh('ip', ['-n', nsA, 'addr', 'add', `${A_OUT}/24`, 'dev', vA]);
      sh('ip', ['-n', nsB, 'addr', 'add', `${B_OUT}/24`, 'dev', vB]);
      for (const [ns, v] of [[nsA, vA], [nsB, vB]] as const) {
        sh('ip', ['-n', ns, 'link', 'set', v, 'up']);
        sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      }
      sh('ip', ['-n', nsA, 'addr', 'add', '192.0.2.1/24', 'dev', 'lo']);
      sh('ip', ['-n', nsB, 'addr', 'add', '198.51.100.1/24', 'dev', 'lo']);
      for (const [ns, tun, v, sock] of [[nsA, tA, vA, 'a.sock'], [nsB, tB, vB, 'b.sock']] as const) {
        const log = fs.openSync(path.join(dir, `${sock}.log`), 'a');
        const p = spawn('ip', ['netns', 'exec', ns, process.execPath, hostd, '--tun', tun, '--device', v, '--control', path.join(dir, sock), '--routes', '--udp', '4500'], {
          stdio: ['ignore', log, log],
        });
        procs.push(p);
        const logText = () => fs.readFileSync(path.join(dir, `${sock}.log`), 'utf8');
        await waitFor(`${sock} ready`, () => {
          if (p.exitCode !== null) throw new Error(`hostd exited: ${logText()}`);
          return logText().includes('ready') ? true : undefined;
        });
        sh('ip', ['-n', ns, 'link', 'set', tun, 'up']);
      }
    } catch (e) {
      cleanup();
      throw e;
    }
  });

  after(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
    cleanup();
  });

  /** Pings through the tunnel while tcpdump watches the veth in B; returns the decoded capture. */
  async function pingAndCapture(from: string, to: string, srcAddr?: string): Promise<{ ok: boolean; wire: string }> {
    const pcap = path.join(dir, `cap-${Date.now()}.pcap`);
    const td = spawn('ip', ['netns', 'exec', nsB, 'tcpdump', '-nni', vB, '-U', '-w', pcap, 'ip'], { stdio: 'ignore' });
    procs.push(td);
    try {
      await waitFor('tcpdump to start', () => (fs.existsSync(pcap) ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      let ok = true;
      try {
        sh('ip', ['netns', 'exec', from, 'ping', '-c', '3', '-W', '2', ...(srcAddr ? ['-I', srcAddr] : []), to], 20_000);
      } catch {
        ok = false;
      }
      await new Promise((r) => setTimeout(r, 300));
      return { ok, wire: sh('tcpdump', ['-nr', pcap]) };
    } finally {
      td.kill('SIGTERM');
    }
  }

  it('-forcetunnel between 192.0.2.0/24 and 198.51.100.0/24', async () => {
    const a = path.join(dir, 'a.sock');
    const b = path.join(dir, 'b.sock');
    for (const s of [a, b]) {
      ipsecadm(s, `new esp -spi 1000 -src ${A_OUT} -dst ${B_OUT} -enc 3des -auth sha1 -key ${KEY_3DES} -authkey ${KEY_SHA1} -forcetunnel`);
      ipsecadm(s, `new esp -spi 1001 -src ${B_OUT} -dst ${A_OUT} -enc 3des -auth sha1 -key ${KEY_3DES} -authkey ${KEY_SHA1} -forcetunnel`);
    }
    ipsecadm(a, `flow -out -require -proto esp -dst ${B_OUT} -addr 192.0.2.0/24 198.51.100.0/24`);
    ipsecadm(a, `flow -in -require -proto esp -dst ${B_OUT} -addr 198.51.100.0/24 192.0.2.0/24`);
    ipsecadm(b, `flow -out -require -proto esp -dst ${A_OUT} -addr 198.51.100.0/24 192.0.2.0/24`);
    ipsecadm(b, `flow -in -require -proto esp -dst ${A_OUT} -addr 192.0.2.0/24 198.51.100.0/24`);
    // hostd --routes points the remote networks at its TUN device.
    assert.match(sh('ip', ['-n', nsA, 'route', 'show', 'dev', tA]), /198\.51\.100\.0\/24/);
    assert.match(sh('ip', ['-n', nsB, 'route', 'show', 'dev', tB]), /192\.0\.2\.0\/24/);
    const r = await pingAndCapture(nsA, '198.51.100.1', '192.0.2.1');
    assert.ok(r.ok, `ping failed; wire:\n${r.wire}`);
    assert.match(r.wire, /198\.18\.0\.1 > 198\.18\.0\.2: ESP\(spi=0x00001000,seq=0x1\)/);
    assert.match(r.wire, /198\.18\.0\.2 > 198\.18\.0\.1: ESP\(spi=0x00001001,seq=0x1\)/);
    assert.doesNotMatch(r.wire, /ICMP/);
    const shown = ipsecadm(b, 'show');
    assert.match(shown, /esp spi 0x00001000 198\.18\.0\.1 -> 198\.18\.0\.2 tunnel 3des-cbc\/hmac-sha1-96/);
    assert.match(shown, /bytes 252 packets 3/);
  });

  it('host-to-host transport mode', async () => {
    const a = path.join(dir, 'a.sock');
    const b = path.join(dir, 'b.sock');
    for (const s of [a, b]) {
      ipsecadm(s, 'flush');
      ipsecadm(s, `new esp -spi 2000 -src ${A_OUT} -dst ${B_OUT} -enc aes -auth sha1 -key ${KEY_AES} -authkey ${KEY_SHA1}`);
      ipsecadm(s, `new esp -spi 2001 -src ${B_OUT} -dst ${A_OUT} -enc aes -auth sha1 -key ${KEY_AES} -authkey ${KEY_SHA1}`);
    }
    ipsecadm(a, `flow -out -require -dst ${B_OUT} -addr ${A_OUT}/32 ${B_OUT}/32`);
    ipsecadm(a, `flow -in -require -dst ${B_OUT} -addr ${B_OUT}/32 ${A_OUT}/32`);
    ipsecadm(b, `flow -out -require -dst ${A_OUT} -addr ${B_OUT}/32 ${A_OUT}/32`);
    ipsecadm(b, `flow -in -require -dst ${A_OUT} -addr ${A_OUT}/32 ${B_OUT}/32`);
    // Host routes into the TUN device (from the flows); the hosts' raw sockets are bound to the veth,
    // so their own ESP does not loop back into the tunnel. The flush removed the tunnel-mode routes.
    assert.match(sh('ip', ['-n', nsA, 'route', 'show', 'dev', tA]), /198\.18\.0\.2 .*src 198\.18\.0\.1/);
    assert.doesNotMatch(sh('ip', ['-n', nsA, 'route', 'show', 'dev', tA]), /198\.51\.100/);
    const r = await pingAndCapture(nsA, B_OUT);
    assert.ok(r.ok, `ping failed; wire:\n${r.wire}`);
    assert.match(r.wire, /198\.18\.0\.1 > 198\.18\.0\.2: ESP\(spi=0x00002000,seq=0x1\)/);
    assert.match(r.wire, /198\.18\.0\.2 > 198\.18\.0\.1: ESP\(spi=0x00002001,seq=0x1\)/);
    assert.doesNotMatch(r.wire, /ICMP/);
    assert.match(ipsecadm(a, 'show'), /esp spi 0x00002000 198\.18\.0\.1 -> 198\.18\.0\.2 transport aes-cbc\/hmac-sha1-96/);
  });

  it('ESP-in-UDP (RFC 3948) on port 4500, tunnel mode, with a replay window', async () => {
    const a = path.join(dir, 'a.sock');
    const b = path.join(dir, 'b.sock');
    for (const s of [a, b]) {
      ipsecadm(s, 'flush');
      ipsecadm(s, `new esp -spi 3000 -src ${A_OUT} -dst ${B_OUT} -enc aes-gcm -key ${KEY_AES}01020304 -forcetunnel -udpencap 4500 -replay 64`);
      ipsecadm(s, `new esp -spi 3001 -src ${B_OUT} -dst ${A_OUT} -enc aes-gcm -key ${KEY_AES}05060708 -forcetunnel -udpencap 4500 -replay 64`);
    }
    ipsecadm(a, `flow -out -require -dst ${B_OUT} -addr 192.0.2.0/24 198.51.100.0/24`);
    ipsecadm(b, `flow -out -require -dst ${A_OUT} -addr 198.51.100.0/24 192.0.2.0/24`);
    ipsecadm(b, `flow -in -require -dst ${A_OUT} -addr 192.0.2.0/24 198.51.100.0/24`);
    const r = await pingAndCapture(nsA, '198.51.100.1', '192.0.2.1');
    assert.ok(r.ok, `ping failed; wire:\n${r.wire}`);
    assert.match(r.wire, /198\.18\.0\.1\.4500 > 198\.18\.0\.2\.4500: UDP-encap: ESP\(spi=0x00003000,seq=0x1\)/);
    assert.match(r.wire, /198\.18\.0\.2\.4500 > 198\.18\.0\.1\.4500: UDP-encap: ESP\(spi=0x00003001,seq=0x1\)/);
    assert.doesNotMatch(r.wire, /ICMP/);
    assert.match(ipsecadm(b, 'show'), /esp spi 0x00003000 .* tunnel udp 4500->4500 aes-gcm-16/);
  });
});
