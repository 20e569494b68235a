// I/O adapters that need no root: the in-memory loopback network and ESP-in-UDP over real UDP
// sockets on 127.0.0.1 (RFC 3948 demultiplexing with the non-ESP marker).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import { DataPlaneHost, LoopbackNetwork, TunRoutes, UdpEncapWire, type PlainPort, type WirePort } from '../../src/dataplane/io.js';
import type { WireOut } from '../../src/dataplane/api.js';
import type { SaParams } from '../../src/dataplane/api.js';
import { icmpEcho, providers, toHex } from './helpers.js';

const A = '198.18.0.1';
const B = '198.18.0.2';

function twoHosts(encap?: SaParams['encap']) {
  const provider = providers()[0]!;
  const a = new DataPlane({ provider });
  const b = new DataPlane({ provider });
  const k1 = { alg: 'aes-gcm-16' as const, key: crypto.randomBytes(20) };
  const k2 = { alg: 'aes-gcm-16' as const, key: crypto.randomBytes(20) };
  for (const dp of [a, b]) {
    dp.addSa({ spi: 0x2000, proto: 'esp', src: A, dst: B, mode: 'tunnel', enc: k1, ...(encap ? { encap } : {}) });
    dp.addSa({ spi: 0x2001, proto: 'esp', src: B, dst: A, mode: 'tunnel', enc: k2, ...(encap ? { encap } : {}) });
  }
  a.addFlow({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require', peer: B });
  b.addFlow({ selector: { src: '198.51.100.0/24', dst: '192.0.2.0/24' }, direction: 'out', type: 'require', peer: A });
  b.addFlow({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'in', type: 'require', peer: A });
  return { a, b };
}

describe('loopback network', () => {
  it('carries a ping and its reply through ESP, and shows only ESP on the wire', async () => {
    const { a, b } = twoHosts();
    const net = new LoopbackNetwork();
    const ha = net.attach(A, a);
    const hb = net.attach(B, b);
    const wire: unknown[] = [];
    net.on('wire', (w) => wire.push(w));
    const req = icmpEcho('192.0.2.1', '198.51.100.1', 9);
    const got = once(hb, 'deliver');
    ha.send(Uint8Array.from(req));
    const [pkt] = (await got) as [Uint8Array];
    assert.equal(toHex(pkt), toHex(req));
    const rep = icmpEcho('198.51.100.1', '192.0.2.1', 9);
    const back = once(ha, 'deliver');
    hb.send(rep);
    assert.equal(toHex(((await back) as [Uint8Array])[0]), toHex(rep));
    assert.equal(wire.length, 2);
    for (const w of wire as { bytes: Uint8Array }[]) assert.equal(w.bytes[9], 50);
  });
});

describe('ESP-in-UDP (RFC 3948)', () => {
  it('takes only ESP from a port-4500 socket and leaves IKE, keepalives and runts to the caller', () => {
    const sock = dgram.createSocket('udp4');
    const w = new UdpEncapWire(sock, '127.0.0.1');
    const seen: Uint8Array[] = [];
    w.onUdp((esp) => seen.push(esp));
    const from = { address: '127.0.0.1', port: 4500 };
    sock.address = () => ({ address: '127.0.0.1', family: 'IPv4', port: 4500 });
    assert.equal(w.deliver(new Uint8Array([0xff]), from), false);
    assert.equal(w.deliver(new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4]), from), false);
    assert.equal(w.deliver(new Uint8Array([0, 0, 1]), from), false);
    assert.equal(w.deliver(new Uint8Array([0, 0, 1, 0, 0, 0, 0]), from), false);
    const esp = new Uint8Array([0, 0, 1, 0, 0, 0, 0, 1]);
    assert.equal(w.deliver(esp, from), true);
    assert.deepEqual(seen, [esp]);
    sock.close();
  });

  it('sends ESP over a shared UDP socket on 127.0.0.1 and decrypts what arrives', async () => {
    const sa = dgram.createSocket('udp4');
    const sb = dgram.createSocket('udp4');
    await Promise.all([new Promise<void>((r) => sa.bind(0, '127.0.0.1', r)), new Promise<void>((r) => sb.bind(0, '127.0.0.1', r))]);
    try {
      const portB = sb.address().port;
      const provider = providers()[0]!;
      const a = new DataPlane({ provider });
      const b = new DataPlane({ provider });
      const key = { alg: 'aes-gcm-16' as const, key: crypto.randomBytes(20) };
      const p: SaParams = { spi: 0x3000, proto: 'esp', src: '127.0.0.1', dst: '127.0.0.1', mode: 'tunnel', enc: key, encap: { type: 'udp', sport: sa.address().port, dport: portB } };
      a.addSa(p);
      b.addSa(p);
      a.addFlow({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require', peer: '127.0.0.1' });
      const wa = new UdpEncapWire(sa, '127.0.0.1');
      const wb = new UdpEncapWire(sb, '0.0.0.0'); // wildcard: the SPI picks the SA
      const got = new Promise<Uint8Array>((resolve) => wb.onUdp((esp, outer) => {
        const r = b.inboundUdp(esp, outer);
        if (r.action === 'deliver') resolve(r.packet);
      }));
      const ike: Uint8Array[] = [];
      sb.on('message', (m, rinfo) => {
        if (!wb.deliver(m, rinfo)) ike.push(m);
      });
      sa.send(Buffer.from([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]), portB, '127.0.0.1'); // an IKE message: not ours
      const req = icmpEcho('192.0.2.1', '198.51.100.1', 3);
      const r = a.outbound(req);
      assert.equal(r.action, 'protect');
      wa.send((r as { out: import('../../src/dataplane/api.js').WireOut }).out);
      const pkt = await got;
      assert.equal(toHex(pkt), toHex(req));
      assert.equal(ike.length, 1);
    } finally {
      sa.close();
      sb.close();
    }
  });
});

describe('TUN routes', () => {
  it('adds a route per outbound protecting flow and removes it with the flow', () => {
    const ran: string[] = [];
    const r = new TunRoutes('tun9', (a) => void ran.push(a.join(' ')));
    const dp = new DataPlane({ provider: providers()[0]! });
    dp.addFlow({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require', peer: B });
    dp.addFlow({ selector: { src: A, dst: B }, direction: 'out', type: 'require' });
    dp.addFlow({ selector: { src: '198.51.100.0/24', dst: '192.0.2.0/24' }, direction: 'in', type: 'require' });
    dp.addFlow({ selector: { src: '192.0.2.0/24', dst: '203.0.113.0/24' }, direction: 'out', type: 'bypass' });
    r.sync(dp.listFlows());
    assert.deepEqual(ran, ['route replace 198.51.100.0/24 dev tun9', `route replace ${B}/32 dev tun9 src ${A}`]);
    r.sync(dp.listFlows());
    assert.equal(ran.length, 2);
    dp.deleteFlow({ selector: { src: A, dst: B }, direction: 'out' });
    r.sync(dp.listFlows());
    assert.equal(ran[2], `route del ${B}/32 dev tun9 src ${A}`);
  });
});

describe('DataPlaneHost wiring', () => {
  it('plain -> protect -> wire, wire -> deliver -> plain, clear traffic to sendClear, drops reported', () => {
    const { a, b } = twoHosts();
    const fakePlain = () => {
      const p = { cb: undefined as ((x: Uint8Array) => void) | undefined, written: [] as Uint8Array[] };
      const port: PlainPort = { onPacket: (cb) => void (p.cb = cb), write: (x) => void p.written.push(x), close: () => {} };
      return { p, port };
    };
    const fakeWire = () => {
      const w = { cb: undefined as ((x: Uint8Array) => void) | undefined, sent: [] as WireOut[], clear: [] as Uint8Array[] };
      const port: WirePort = { onPacket: (cb) => void (w.cb = cb), send: (o) => void w.sent.push(o), sendClear: (x) => void w.clear.push(x), close: () => {} };
      return { w, port };
    };
    const pa = fakePlain();
    const wa = fakeWire();
    const pb = fakePlain();
    const wb = fakeWire();
    const ha = new DataPlaneHost(a, pa.port, [wa.port]).start();
    const hb = new DataPlaneHost(b, pb.port, [wb.port]).start();
    const drops: string[] = [];
    hb.on('drop', (r: string) => drops.push(r));
    const req = icmpEcho('192.0.2.1', '198.51.100.1', 4);
    pa.p.cb!(Uint8Array.from(req));
    assert.equal(wa.w.sent.length, 1);
    wb.w.cb!(wa.w.sent[0]!.bytes);
    assert.equal(toHex(pb.p.written[0]!), toHex(req));
    pa.p.cb!(icmpEcho('192.0.2.1', '203.0.113.1', 4)); // no flow: clear
    assert.equal(wa.w.clear.length, 1);
    wb.w.cb!(new Uint8Array([0x45, 1, 2]));
    assert.deepEqual(drops, ['malformed']);
    ha.stop();
    hb.stop();
  });
});
