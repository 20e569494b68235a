// The data plane reading a port 4500 socket itself (UdpEncapWire with `receive`), on 127.0.0.1 so that
// no root is needed: Node's reading stops, recvmmsg brings the datagrams with their sources, ESP-in-UDP
// reaches the data-plane callback and everything else (IKE behind the non-ESP marker, keepalives,
// malformed datagrams) reaches the daemon's receive function as Node's 'message' event would have given
// it, order kept within each kind; OAKLEY_UDP_RECVMMSG=0 leaves the socket to Node; closing works.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { UdpEncapWire, dgramFd, dgramStopReading } from '../../src/dataplane/io.js';
import { GsoBatch } from '../../src/dataplane/sys.js';
import { udpEncapOptions } from '../../src/daemon/packet-io.js';
import { UdpTransport } from '../../src/daemon/transport.js';
import type { Endpoint } from '../../src/ike/types.js';

type Outer = { src: string; dst: string; sport: number; dport: number };
type Kind = 'ike' | 'keepalive' | 'esp' | 'invalid';

/** A datagram of each kind, tagged with its index i so that order can be checked. */
function datagram(kind: Kind, i: number): Buffer {
  switch (kind) {
    case 'ike': {
      const b = Buffer.alloc(4 + 28 + (i % 50)); // non-ESP marker, then an ISAKMP-sized message
      b.writeUInt32BE(0, 0);
      b.writeUInt32BE(0x1000 + i, 4);
      for (let j = 8; j < b.length; j++) b[j] = (i + j) & 0xff;
      return b;
    }
    case 'keepalive':
      return Buffer.of(0xff);
    case 'invalid':
      return Buffer.of(1, 2);
    case 'esp': {
      const b = Buffer.alloc(100 + (i % 300));
      b.writeUInt32BE(0xc0ffee00, 0); // SPI
      b.writeUInt32BE(i + 1, 4); // sequence number
      for (let j = 8; j < b.length; j++) b[j] = (i * 3 + j) & 0xff;
      return b;
    }
  }
}

/** A deterministic mix, ESP in runs (as a burst would come) with IKE, keepalives and junk between. */
function mix(n: number): { kind: Kind; bytes: Buffer }[] {
  const kinds: Kind[] = [];
  for (let i = 0; i < n; i++) kinds.push(i % 11 === 3 ? 'ike' : i % 17 === 5 ? 'keepalive' : i % 29 === 7 ? 'invalid' : 'esp');
  return kinds.map((kind, i) => ({ kind, bytes: datagram(kind, i) }));
}

/** Closed after each test whatever happened, so a failed test leaves no reader polling. */
const cleanup: (() => void)[] = [];

function wire(...args: ConstructorParameters<typeof UdpEncapWire>): UdpEncapWire {
  const w = new UdpEncapWire(...args);
  cleanup.push(() => w.close());
  return w;
}

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  cleanup.push(() => s.close());
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

/**
 * Sends each datagram in turn, in bursts of 16 with a turn of the event loop between them: a send
 * that completes at once calls back without one, and the reader, whose poll ends on the event loop,
 * would otherwise see the socket's queue only when it has overflowed.
 */
async function sendAll(tx: dgram.Socket, port: number, list: Buffer[]): Promise<void> {
  for (let i = 0; i < list.length; i++) {
    await new Promise<void>((r, j) => tx.send(list[i]!, port, '127.0.0.1', (e) => (e ? j(e) : r())));
    if (i % 16 === 15) await new Promise((r) => setTimeout(r, 2));
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

describe('UdpEncapWire reading its socket (recvmmsg with sources)', () => {
  afterEach(() => {
    for (const c of cleanup.splice(0).reverse()) {
      try {
        c();
      } catch {
        // closed by the test already
      }
    }
  });

  it('hands ESP to the data plane and IKE, keepalives and junk to the receive function, with sources and in order', async () => {
    const rx = await bound();
    const tx = await bound();
    const fd = dgramFd(rx);
    assert.ok(fd !== undefined);
    const viaNode: Buffer[] = [];
    rx.on('message', (m) => viaNode.push(m));
    const others: { msg: Buffer; from: { address: string; port: number } }[] = [];
    const esp: { bytes: Buffer; outer: Outer }[] = [];
    const w = wire(rx, '127.0.0.1', undefined, { fd, receive: (msg, from) => others.push({ msg, from }) });
    assert.equal(w.receiving, true);
    let drains = 0;
    w.onDrained(() => drains++);
    // The view lives in native memory until the next recvmmsg: the test keeps a copy.
    w.onUdp((b, outer) => esp.push({ bytes: Buffer.from(b), outer }));

    const sent = mix(400);
    await sendAll(tx, rx.address().port, sent.map((x) => x.bytes));
    const wantEsp = sent.filter((x) => x.kind === 'esp').map((x) => x.bytes);
    const wantOther = sent.filter((x) => x.kind !== 'esp').map((x) => x.bytes);
    await until(() => esp.length + others.length >= sent.length, `${sent.length} datagrams`);

    assert.deepEqual(esp.map((x) => x.bytes), wantEsp);
    assert.deepEqual(others.map((x) => x.msg), wantOther);
    for (const o of others) {
      assert.ok(Buffer.isBuffer(o.msg));
      assert.deepEqual(o.from, { address: '127.0.0.1', port: tx.address().port });
    }
    for (const e of esp) assert.deepEqual(e.outer, { src: '127.0.0.1', dst: '127.0.0.1', sport: tx.address().port, dport: rx.address().port });
    assert.deepEqual(w.recvStats, { esp: wantEsp.length, other: wantOther.length, gro: 0 });
    assert.equal(viaNode.length, 0, "Node's 'message' event saw none of them");
    assert.ok(w.recvCalls > 0 && drains > 0);

    // Closing: the reader stops, Node's close still closes the socket, and the port is free again once
    // the reader's last poll (which holds the socket for up to 250 ms) has returned.
    const port = rx.address().port;
    w.close();
    await new Promise<void>((r) => rx.close(r));
    let rebound = false;
    for (let i = 0; i < 20 && !rebound; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const again = dgram.createSocket('udp4');
      rebound = await new Promise<boolean>((r) => {
        again.once('error', () => r(false));
        again.bind(port, '127.0.0.1', () => r(true));
      });
      again.close();
    }
    assert.ok(rebound, `port ${port} free again after close`);
  });

  it('reads many datagrams per recvmmsg when a burst is waiting', async () => {
    const rx = await bound();
    const tx = await bound();
    const fd = dgramFd(rx)!;
    // Queue the burst before the wire exists, so it is waiting when the first poll returns.
    assert.equal(dgramStopReading(rx), true);
    const list = Array.from({ length: 64 }, (_, i) => datagram('esp', i));
    await sendAll(tx, rx.address().port, list);
    const got: Buffer[] = [];
    const w = wire(rx, '127.0.0.1', undefined, { fd, receive: () => {} });
    w.onUdp((b) => got.push(Buffer.from(b)));
    await until(() => got.length >= list.length, '64 datagrams');
    assert.deepEqual(got, list);
    assert.ok(w.recvCalls <= 8, `64 datagrams in ${w.recvCalls} recvmmsg calls`);
    w.close();
    rx.close();
    tx.close();
  });

  it("through the daemon's transport: IKE counts as received and reaches its receive function with both endpoints", async () => {
    const got: { data: Buffer; from: Endpoint; to: Endpoint; natT: boolean }[] = [];
    const t = new UdpTransport((data, from, to, natT) => got.push({ data, from, to, natT }), () => {});
    cleanup.push(() => t.close());
    assert.deepEqual(await t.bind(['127.0.0.1'], 0, undefined), []);
    const b = t.bound[0]!;
    const port = b.socket.address().port;
    const w = wire(b.socket, '127.0.0.1', undefined, udpEncapOptions(b, {}));
    assert.equal(w.receiving, true);
    const tx = await bound();
    const ike = [datagram('ike', 1), datagram('ike', 2)];
    await sendAll(tx, port, [ike[0]!, datagram('esp', 0), ike[1]!]);
    await until(() => got.length >= 2 && w.recvStats.esp >= 1, 'two IKE datagrams and one ESP');
    assert.deepEqual(got.map((g) => g.data), ike);
    for (const g of got) {
      assert.deepEqual(g.from, { address: '127.0.0.1', port: tx.address().port });
      assert.deepEqual(g.to, b.local);
      assert.equal(g.natT, false);
    }
    assert.equal(t.stats.received, 2);
    w.close();
    t.close();
    tx.close();
  });

  for (const gro of [true, false]) {
    it(`a UDP GSO train with UDP_GRO ${gro ? 'on arrives as one entry, cut into its datagrams' : 'off arrives datagram by datagram'}`, async () => {
      const rx = await bound();
      const tx = await bound();
      const got: Buffer[] = [];
      const others: Buffer[] = [];
      const w = wire(rx, '127.0.0.1', undefined, { fd: dgramFd(rx)!, receive: (m) => others.push(m), gro });
      assert.equal(w.gro, gro);
      w.onUdp((b) => got.push(Buffer.from(b)));
      // 20 ESP datagrams of 1000 bytes and a shorter last one, and an IKE message of the same size
      // (a GRO train holds whatever the peer sent in one GSO call): one sendmsg.
      const esp = (i: number, len: number): Buffer => {
        const d = Buffer.alloc(len, i);
        d.writeUInt32BE(0xc0ffee00, 0);
        d.writeUInt32BE(i + 1, 4);
        return d;
      };
      const ikeFull = Buffer.alloc(1000, 7);
      ikeFull.writeUInt32BE(0, 0); // the non-ESP marker
      const train = [...Array.from({ length: 20 }, (_, i) => esp(i, 1000)), esp(20, 300)];
      train.splice(5, 0, ikeFull);
      const g = new GsoBatch();
      cleanup.push(() => g.free());
      for (const d of train) assert.ok(g.add(d, 0x7f000001, rx.address().port));
      assert.equal(g.flush(dgramFd(tx)!), 0);
      assert.equal(g.gsoCalls, 1, 'sent as one GSO call');
      await until(() => got.length + others.length >= train.length, `${train.length} datagrams`);
      assert.deepEqual(got, train.filter((d) => d !== ikeFull));
      assert.deepEqual(others, [ikeFull]);
      if (gro) assert.ok(w.recvStats.gro >= 1 && w.recvCalls <= 3, `one GRO entry (${w.recvStats.gro}, ${w.recvCalls} calls)`);
      else assert.equal(w.recvStats.gro, 0);
    });
  }

  it('OAKLEY_UDP_RECVMMSG=0 leaves the socket to Node', async () => {
    const got: Buffer[] = [];
    const t = new UdpTransport((data) => got.push(data), () => {});
    cleanup.push(() => t.close());
    await t.bind(['127.0.0.1'], 0, undefined);
    const b = t.bound[0]!;
    const opts = udpEncapOptions(b, { OAKLEY_UDP_RECVMMSG: '0' });
    assert.equal(opts.receive, undefined);
    assert.equal(typeof opts.fd, 'number', 'the fd is still there for UDP GSO');
    const w = wire(b.socket, '127.0.0.1', undefined, opts);
    assert.equal(w.receiving, false);
    const tx = await bound();
    const list = [datagram('ike', 1), datagram('esp', 2), datagram('keepalive', 3)];
    await sendAll(tx, b.socket.address().port, list);
    await until(() => got.length >= 3, "three datagrams through Node's 'message' event");
    assert.deepEqual(got, list);
    assert.deepEqual(w.recvStats, { esp: 0, other: 0, gro: 0 });
    assert.equal(w.recvCalls, 0);
    w.close();
    t.close();
    tx.close();
  });

  it('takes over nothing without an fd or on an IPv6 socket', async () => {
    const rx = await bound();
    assert.equal(wire(rx, '127.0.0.1', undefined, { receive: () => {} }).receiving, false);
    rx.close();
    const v6 = dgram.createSocket('udp6');
    try {
      await new Promise<void>((r, j) => {
        v6.once('error', j);
        v6.bind(0, '::1', r);
      });
    } catch {
      return; // no IPv6 loopback here
    }
    const w = wire(v6, '::1', undefined, { fd: dgramFd(v6)!, receive: () => {} });
    assert.equal(w.receiving, false);
    w.close();
    v6.close();
  });
});
