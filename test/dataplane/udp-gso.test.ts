// UDP GSO for ESP-in-UDP (GsoBatch, UdpEncapWire), on UDP sockets on 127.0.0.1 so that no root is
// needed: a group of equal-size datagrams leaves as one sendmsg and arrives as that many datagrams with
// their bytes; different sizes and destinations split groups, order is kept; a kernel refusal of
// GSO falls back to one datagram per call.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { GsoBatch, SOL_SOCKET, UDP_MAX_SEGMENTS, sys } from '../../src/dataplane/sys.js';

/** SOL_SOCKET option: send UDP without checksums (the kernel then refuses UDP GSO). */
const SO_NO_CHECK = 11;
import { UdpEncapWire, dgramFd } from '../../src/dataplane/io.js';

const LO = 0x7f000001;

/** Datagrams of `len` bytes, each with its index in the first two bytes and a pattern after. */
function datagrams(n: number, len: number, tag = 0): Buffer[] {
  return Array.from({ length: n }, (_, i) => {
    const b = Buffer.alloc(len);
    for (let j = 0; j < len; j++) b[j] = (i * 7 + j + tag) & 0xff;
    if (len >= 2) b.writeUInt16BE(i, 0);
    return b;
  });
}

async function receiver(): Promise<{ sock: dgram.Socket; port: number; got: Buffer[]; wait(n: number): Promise<Buffer[]>; close(): void }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const got: Buffer[] = [];
  let want = 0;
  let done: (() => void) | undefined;
  sock.on('message', (m) => {
    got.push(m);
    if (got.length >= want) done?.();
  });
  return {
    sock, port: sock.address().port, got,
    wait(n) {
      want = n;
      if (got.length >= n) return Promise.resolve(got);
      return new Promise<Buffer[]>((r) => {
        done = () => r(got);
      });
    },
    close: () => sock.close(),
  };
}

async function sender(): Promise<{ sock: dgram.Socket; fd: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const fd = dgramFd(sock);
  assert.ok(fd !== undefined && fd >= 0, 'the fd of a bound dgram socket');
  return { sock, fd };
}

describe('GsoBatch (UDP GSO sendmsg)', () => {
  it('sends N equal datagrams, the last one shorter, with one call; they arrive as N datagrams with their bytes', async () => {
    const rx = await receiver();
    const tx = await sender();
    const g = new GsoBatch();
    try {
      const sent = [...datagrams(20, 1200), ...datagrams(1, 333, 5)];
      for (const d of sent) assert.equal(g.add(d, LO, rx.port), true);
      assert.equal(g.count, 21);
      assert.equal(g.flush(tx.fd), 0);
      assert.equal(g.refused, 0, 'loopback takes UDP GSO');
      assert.equal(g.calls, 1);
      assert.equal(g.gsoCalls, 1);
      assert.equal(g.datagrams, 21);
      assert.equal(g.count, 0);
      const got = await rx.wait(21);
      assert.deepEqual(got, sent);
    } finally {
      g.free();
      tx.sock.close();
      rx.close();
    }
  });

  it('closes a group at a size change, a new destination, 64 segments and 64 KiB', () => {
    const g = new GsoBatch();
    try {
      const b = (n: number) => new Uint8Array(n);
      assert.equal(g.add(b(100), LO, 9), true);
      assert.equal(g.add(b(101), LO, 9), false, 'longer than the first');
      assert.equal(g.add(b(100), LO, 10), false, 'another port');
      assert.equal(g.add(b(100), LO + 1, 9), false, 'another address');
      assert.equal(g.add(b(50), LO, 9), true, 'a shorter one ends the group');
      assert.equal(g.add(b(50), LO, 9), false);
      assert.equal(g.count, 2);
      g.flush(-1); // empties the batch (EBADF)
      for (let i = 0; i < UDP_MAX_SEGMENTS; i++) assert.equal(g.add(b(10), LO, 9), true);
      assert.equal(g.add(b(10), LO, 9), false, 'at most 64 segments');
      g.flush(-1);
      for (let i = 0; i < 46; i++) assert.equal(g.add(b(1400), LO, 9), true);
      assert.equal(g.add(b(1400), LO, 9), false, 'no more than 65507 bytes');
      g.flush(-1);
      assert.equal(g.add(b(1473), LO, 9), true, 'longer than a segment may be: alone');
      assert.equal(g.add(b(1473), LO, 9), false);
      g.flush(-1);
      assert.equal(g.add(b(65508), LO, 9), false, 'larger than one UDP datagram');
    } finally {
      g.free();
    }
  });

  it('falls back to one datagram per call when the kernel refuses GSO, and does not try again', async () => {
    const rx = await receiver();
    const tx = await sender();
    // A socket with UDP checksums off (SO_NO_CHECK): the kernel refuses GSO on it with EINVAL, while
    // plain datagrams still go.
    const one = new Uint8Array([1, 0, 0, 0]);
    assert.equal(sys().setsockopt(tx.fd, SOL_SOCKET, SO_NO_CHECK, one, 4), 0);
    const g = new GsoBatch();
    try {
      const sent = [...datagrams(1, 1400), ...datagrams(1, 700, 3)];
      for (const d of sent) assert.equal(g.add(d, LO, rx.port), true);
      assert.equal(g.flush(tx.fd), 0);
      assert.equal(g.refused, 22, 'EINVAL');
      assert.equal(g.gsoCalls, 0);
      assert.equal(g.calls, 3, 'one refused GSO call, then one per datagram');
      const more = datagrams(3, 500, 9);
      for (const d of more) assert.equal(g.add(d, LO, rx.port), true);
      assert.equal(g.flush(tx.fd), 0);
      assert.equal(g.calls, 6, 'no GSO attempt once refused');
      const got = await rx.wait(5);
      assert.deepEqual(got, [...sent, ...more]);
    } finally {
      g.free();
      tx.sock.close();
      rx.close();
    }
  });
});

describe('UdpEncapWire with UDP GSO', () => {
  it('groups a burst by destination and size, keeps the order, and uses Node send without an fd', async () => {
    const a = await receiver();
    const b = await receiver();
    const tx = await sender();
    const wire = new UdpEncapWire(tx.sock, '127.0.0.1', undefined, { fd: tx.fd });
    const plain = new UdpEncapWire(tx.sock, '127.0.0.1');
    try {
      const toA1 = datagrams(5, 1000, 1);
      const toB = datagrams(3, 1000, 2);
      const toA2 = [...datagrams(4, 800, 3), ...datagrams(2, 1000, 4)];
      const out = (bytes: Uint8Array, port: number) => ({ bytes, src: '127.0.0.1', dst: '127.0.0.1', encap: { type: 'udp' as const, sport: tx.sock.address().port, dport: port } });
      for (const d of toA1) wire.send(out(d, a.port));
      for (const d of toB) wire.send(out(d, b.port));
      for (const d of toA2) wire.send(out(d, a.port));
      assert.equal(wire.gsoStats!.calls, 3, 'changes of destination and size flushed three groups; the last waits for the microtask');
      await new Promise((r) => setImmediate(r));
      // groups: A x5 (1000), B x3, A x4 (800), A x2 (1000)
      assert.deepEqual(wire.gsoStats, { calls: 4, gsoCalls: 4, datagrams: 14, refused: 0 });
      assert.deepEqual(await a.wait(11), [...toA1, ...toA2]);
      assert.deepEqual(await b.wait(3), toB);
      assert.equal(plain.gsoStats, undefined);
      const single = datagrams(1, 64, 8);
      plain.send(out(single[0]!, b.port));
      assert.deepEqual((await b.wait(4))[3], single[0]);
    } finally {
      wire.close();
      plain.close();
      tx.sock.close();
      a.close();
      b.close();
    }
  });

  it('still hands received ESP to the data plane and leaves IKE to the caller', () => {
    const fake = { address: () => ({ port: 4500 }) } as unknown as dgram.Socket;
    const wire = new UdpEncapWire(fake, '198.18.0.1');
    const seen: number[] = [];
    wire.onUdp((esp, outer) => seen.push(esp.length, outer.dport));
    assert.equal(wire.deliver(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 1, 9, 9), { address: '198.18.0.2', port: 4500 }), true);
    assert.equal(wire.deliver(Uint8Array.of(0, 0, 0, 0, 1, 2, 3, 4), { address: '198.18.0.2', port: 4500 }), false, 'non-ESP marker: IKE');
    assert.deepEqual(seen, [10, 4500]);
  });
});
