// Negotiation on demand against live daemons on loopback: an outbound packet on an `acquire` flow without
// an SA makes the data plane raise ACQUIRE; the daemon negotiates the connection that covers it (Phase 1
// first), and the new SAs take the flow over.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { request } from '../../src/cli/isakmpctl/control.js';
import { confFor, kill, randomPorts, showSa, startDaemon, tempDir, waitFor, type Daemon } from './harness.js';

function ipv4Udp(src: string, dst: string): string {
  const p = Buffer.alloc(40);
  p[0] = 0x45;
  p.writeUInt16BE(40, 2);
  p[8] = 64;
  p[9] = 17;
  Buffer.from(src.split('.').map(Number)).copy(p, 12);
  Buffer.from(dst.split('.').map(Number)).copy(p, 16);
  p.writeUInt16BE(5000, 20);
  p.writeUInt16BE(53, 22);
  p.writeUInt16BE(20, 24);
  return p.toString('hex');
}

describe('daemon: ACQUIRE-driven negotiation on loopback', function () {
  this.timeout(60_000);
  let east: Daemon | undefined;
  let west: Daemon | undefined;
  const dir = tempDir();

  before(async () => {
    const [pe, pw] = randomPorts();
    // neither side starts the tunnel by itself
    west = await startDaemon('west', dir, pw, confFor({ self: 'west', peerPort: pe, active: false }));
    east = await startDaemon('east', dir, pe, confFor({ self: 'east', peerPort: pw, active: false }));
  });

  after(() => {
    kill(east);
    kill(west);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a packet on an acquire flow brings the covering connection up, Phase 1 included', async () => {
    assert.equal((await showSa(east!)).isakmp.length, 0);
    const flow = await request(east!.sock, {
      cmd: 'ipsecadm', argv: ['flow', '-addr', '198.51.100.0/24', '192.0.2.0/24', '-dst', '127.0.0.1', '-proto', 'esp', '-out', '-acquire'],
    });
    assert.equal(flow.ok, true, JSON.stringify(flow));
    const first = await request(east!.sock, { cmd: 'packet', dir: 'out', hex: ipv4Udp('198.51.100.10', '192.0.2.10') });
    // an acquire flow lets the packet out in the clear while the SA is negotiated
    assert.equal(first.action, 'clear');
    const sa = await waitFor(async () => {
      const s = await showSa(east!);
      return s.ipsec.length === 1 ? s : false;
    }, 20_000, 'the SA negotiated on demand');
    assert.equal(sa.ipsec[0]!.connection, 'tunnel');
    assert.equal(sa.isakmp.length, 1);
    assert.equal((await showSa(west!)).ipsec.length, 1);
    // the SA took the flow over: the next packet is protected
    const next = await request(east!.sock, { cmd: 'packet', dir: 'out', hex: ipv4Udp('198.51.100.10', '192.0.2.10') });
    assert.equal(next.action, 'protect', JSON.stringify(next));
  });
});
