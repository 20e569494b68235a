// ipsecadm: grammar, the control-socket handler, and the manual-keying workflow of the seed (two SAs
// with different SPIs, flows on both sides; -forcetunnel between networks, then host-to-host
// transport) carried out through the same requests the CLI sends, against two in-memory data planes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import { parseIpsecadm } from '../../src/dataplane/ipsecadm.js';
import { handleIpsecadmRequest, showDataplane } from '../../src/dataplane/control.js';
import { run as ipsecadm } from '../../src/cli/ipsecadm.js';
import type { WireOut } from '../../src/dataplane/api.js';
import { icmpEcho, providers, toHex } from './helpers.js';

const KEY_ENC = '638063806380638063806380638063806380638063806380';
const KEY_AUTH = '1234123412341234123412341234123412341234';
const A = '198.18.0.1';
const B = '198.18.0.2';

function cmd(dp: DataPlane, line: string) {
  const r = handleIpsecadmRequest(dp, { cmd: 'ipsecadm', argv: line.split(/\s+/).filter(Boolean) });
  assert.ok(r.ok, `${line}: ${(r as { error?: string }).error}`);
  return r;
}

describe('ipsecadm grammar', () => {
  it('parses the manual page example and defaults to new esp', () => {
    const r = parseIpsecadm(`-enc 3des -auth sha1 -spi 100a -dst ${B} -src ${A} -key ${KEY_ENC} -authkey ${KEY_AUTH}`.split(' '));
    assert.ok(r.ok);
    assert.equal(r.value.op, 'new');
    assert.equal((r.value as { spi: number }).spi, 0x100a);
  });

  it('parses flows with netmasks and prefixes, ports by service name', () => {
    const a = parseIpsecadm(`flow -dst ${B} -proto ah -addr 192.0.2.0 255.255.255.0 198.51.100.0 255.255.255.0 -out -require`.split(' '));
    assert.ok(a.ok);
    assert.deepEqual((a.value as { addr: unknown }).addr, { src: '192.0.2.0/24', dst: '198.51.100.0/24' });
    const b = parseIpsecadm('flow -addr 192.0.2.0/24 198.51.100.5/32 -transport tcp -dport ssh -in -deny'.split(' '));
    assert.ok(b.ok);
    assert.equal((b.value as { dport: number }).dport, 22);
    assert.equal((b.value as { type: string }).type, 'deny');
  });

  for (const [line, msg] of [
    ['new esp -spi 1 -src 198.18.0.1 -dst 198.18.0.2 -enc aes -key 00112233445566778899aabbccddeeff', /reserved/],
    ['new esp -spi 1000 -src 198.18.0.1 -dst 198.18.0.2 -enc blf -key 00', /not supported/],
    ['new esp -spi 1000 -src 198.18.0.1 -dst 198.18.0.2 -enc aes -key 0011', /key must be/],
    ['new esp -spi 1000 -src 198.18.0.1 -dst 198.18.0.2 -enc aes -key zz', /hexadecimal/],
    ['new ah -spi 1000 -src 198.18.0.1 -dst 198.18.0.2 -auth rmd160 -key 00', /unsupported/],
    ['flow -addr 192.0.2.0/24 2001:db8::/32', /family/],
    ['flow -addr 192.0.2.0/24 198.51.100.0/24 -require -deny', /only one/],
    ['flow -addr 192.0.2.0/24 198.51.100.0/24 -dport 22', /-transport/],
    ['frobnicate', /unknown command/],
    ['ip4 -dst 198.18.0.2', /not supported/],
  ] as const) {
    it(`rejects: ${line}`, () => {
      const r = parseIpsecadm(line.split(' '));
      assert.equal(r.ok, false);
      assert.match((r as { error: string }).error, msg);
    });
  }
});

for (const provider of providers()) {
  describe(`manual keying workflow (${provider.name})`, () => {
    function hosts(forcetunnel: boolean) {
      const a = new DataPlane({ provider });
      const b = new DataPlane({ provider });
      const ft = forcetunnel ? ' -forcetunnel' : '';
      for (const dp of [a, b]) {
        cmd(dp, `new esp -spi 1000 -src ${A} -dst ${B} -enc 3des -auth sha1 -key ${KEY_ENC} -authkey ${KEY_AUTH}${ft}`);
        cmd(dp, `new esp -spi 1001 -src ${B} -dst ${A} -enc aes -auth sha2-256 -key 00112233445566778899aabbccddeeff -authkey ${'ab'.repeat(32)}${ft}`);
      }
      return { a, b };
    }

    function send(from: DataPlane, to: DataPlane, pkt: Uint8Array, spi: number) {
      const o = from.outbound(Uint8Array.from(pkt));
      assert.equal(o.action, 'protect', JSON.stringify(o));
      const wire = (o as { out: WireOut }).out.bytes;
      assert.equal(wire[9], 50);
      assert.equal(Buffer.from(wire).readUInt32BE(20), spi);
      assert.ok(!Buffer.from(wire).includes(Buffer.from(pkt.subarray(28))), 'no clear ICMP on the wire');
      const r = to.inbound(wire);
      assert.equal(r.action, 'deliver', JSON.stringify(r));
      return (r as { packet: Uint8Array }).packet;
    }

    it('-forcetunnel between 192.0.2.0/24 and 198.51.100.0/24: ping and reply pass, each on its SPI', () => {
      const { a, b } = hosts(true);
      cmd(a, `flow -out -require -proto esp -dst ${B} -addr 192.0.2.0/24 198.51.100.0/24`);
      cmd(a, `flow -in -require -proto esp -dst ${B} -addr 198.51.100.0/24 192.0.2.0/24`);
      cmd(b, `flow -out -require -proto esp -dst ${A} -addr 198.51.100.0/24 192.0.2.0/24`);
      cmd(b, `flow -in -require -proto esp -dst ${A} -addr 192.0.2.0/24 198.51.100.0/24`);
      const req = icmpEcho('192.0.2.1', '198.51.100.1', 1);
      assert.equal(toHex(send(a, b, req, 0x1000)), toHex(req));
      const rep = icmpEcho('198.51.100.1', '192.0.2.1', 1);
      assert.equal(toHex(send(b, a, rep, 0x1001)), toHex(rep));
      const shown = showDataplane(b, 'all');
      assert.ok(shown.ok);
      assert.match(shown.text, /esp spi 0x00001000 198\.18\.0\.1 -> 198\.18\.0\.2 tunnel 3des-cbc\/hmac-sha1-96 \(manual\)/);
      assert.match(shown.text, /bytes 84 packets 1 replay-window 0/);
      assert.match(shown.text, /flow \d+ in require 192\.0\.2\.0\/24 -> 198\.51\.100\.0\/24 esp peer 198\.18\.0\.1 hits 1/);
      assert.ok(!shown.text.includes('6380'), 'keys never shown');
    });

    it('host-to-host transport mode (no -forcetunnel)', () => {
      const { a, b } = hosts(false);
      cmd(a, `flow -out -require -proto esp -dst ${B} -addr ${A}/32 ${B}/32`);
      cmd(b, `flow -in -require -proto esp -dst ${A} -addr ${A}/32 ${B}/32`);
      const req = icmpEcho(A, B, 2);
      const got = send(a, b, req, 0x1000);
      assert.equal(toHex(got.subarray(20)), toHex(req.subarray(20)));
      assert.equal(a.listSas()[0]!.mode, 'transport');
    });

    it('delspi, group, flow -delete and flush through requests', () => {
      const { a } = hosts(true);
      cmd(a, `new ah -spi 2000 -src ${A} -dst ${B} -auth sha1 -key ${KEY_AUTH}`);
      cmd(a, `group -dst ${B} -spi 1000 -proto esp -dst2 ${B} -spi2 2000 -proto2 ah`);
      assert.deepEqual(a.getSa({ dst: B, spi: 0x1000, proto: 'esp' })!.next, { dst: B, spi: 0x2000, proto: 'ah' });
      cmd(a, `flow -out -require -dst ${B} -addr 192.0.2.0/24 198.51.100.0/24`);
      cmd(a, 'flow -out -delete -addr 192.0.2.0/24 198.51.100.0/24');
      assert.equal(a.listFlows().length, 0);
      cmd(a, `delspi -dst ${B} -spi 2000 -proto ah`);
      const r = handleIpsecadmRequest(a, { cmd: 'ipsecadm', argv: ['delspi', '-dst', B, '-spi', '2000', '-proto', 'ah'] });
      assert.equal(r.ok, false);
      cmd(a, 'flush -esp');
      assert.equal(a.listSas().length, 0);
    });
  });
}

describe('ipsecadm over a control socket', () => {
  let dir: string;
  let server: net.Server;
  const dp = new DataPlane({ provider: providers()[0]! });
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-ipsecadm-'));
    server = net.createServer((s) => {
      let buf = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        buf += d;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        let req: unknown;
        try {
          req = JSON.parse(buf.slice(0, nl));
        } catch {
          req = null;
        }
        s.end(`${JSON.stringify(handleIpsecadmRequest(dp, req))}\n`);
      });
    });
    await new Promise<void>((r) => server.listen(path.join(dir, 'ctl.sock'), r));
  });
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds an SA and a flow with the CLI and shows them', async () => {
    const sock = path.join(dir, 'ctl.sock');
    const log: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => void log.push(a.join(' '));
    try {
      assert.equal(await ipsecadm(['-s', sock, 'new', 'esp', '-spi', '100a', '-src', A, '-dst', B, '-enc', 'aes-gcm', '-key', '00'.repeat(20), '-replay', '64']), 0);
      assert.equal(await ipsecadm(['-s', sock, 'flow', '-addr', '192.0.2.0/24', '198.51.100.0/24', '-dst', B]), 0);
      assert.equal(await ipsecadm(['-s', sock, 'show']), 0);
    } finally {
      console.log = orig;
    }
    assert.match(log.join('\n'), /esp spi 0x0000100a 198\.18\.0\.1 -> 198\.18\.0\.2 transport aes-gcm-16 \(manual\)/);
    assert.match(log.join('\n'), /replay-window 64/);
    assert.equal(dp.listFlows().length, 1);
  });

  it('reports daemon-side errors and a missing socket with exit status 1', async () => {
    const errs: string[] = [];
    const orig = console.error;
    console.error = (...a: unknown[]) => void errs.push(a.join(' '));
    try {
      assert.equal(await ipsecadm(['-s', path.join(dir, 'ctl.sock'), 'delspi', '-dst', B, '-spi', 'beef', '-proto', 'esp']), 1);
      await assert.rejects(ipsecadm(['-s', path.join(dir, 'none.sock'), 'show']), /cannot connect/);
      assert.equal(await ipsecadm(['-s', path.join(dir, 'ctl.sock'), 'flow']), 2);
    } finally {
      console.error = orig;
    }
    assert.match(errs.join('\n'), /no SA esp/);
  });

  it('re-validates structured requests', () => {
    const r = handleIpsecadmRequest(dp, { cmd: 'ipsecadm', args: { op: 'new', proto: 'esp', spi: 5, src: A, dst: B, enc: 'aes', key: '00' } });
    assert.equal(r.ok, false);
    assert.equal(handleIpsecadmRequest(dp, 'junk').ok, false);
    assert.equal(handleIpsecadmRequest(dp, { cmd: 'ipsecadm', args: { op: 'flow' } }).ok, false);
  });
});
