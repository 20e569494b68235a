import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SimNet, EAST, WEST, pairConfigs, added } from './sim.js';
import { MAX_HALF_OPEN, MAX_HALF_OPEN_PER_PEER } from '../../src/ike/engine.js';

/** An established pair plus every datagram that crossed the wire while it came up. */
function established(): { net: SimNet; east: ReturnType<SimNet['add']>; west: ReturnType<SimNet['add']> } {
  const net = new SimNet();
  const cfg = pairConfigs({ pfs: 2 });
  const east = net.add('east', EAST, cfg.east, 'rob-e');
  const west = net.add('west', WEST, cfg.west, 'rob-w');
  net.command(east, { type: 'connect', name: 'east-west' });
  net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
  return { net, east, west };
}

describe('ike engine: hostile input never crashes it and is counted', () => {
  it('random datagrams, random headers and mutated real messages', () => {
    const { net, east, west } = established();
    const real = net.wire.map((p) => Buffer.from(p.data));
    const header = (ic: Buffer, rc: Buffer, np: number, ex: number, fl: number, mid: number, body: Uint8Array): Buffer => {
      const h = Buffer.alloc(28);
      ic.copy(h, 0);
      rc.copy(h, 8);
      h[16] = np;
      h[17] = 0x10;
      h[18] = ex;
      h[19] = fl;
      h.writeUInt32BE(mid >>> 0, 20);
      h.writeUInt32BE(28 + body.length, 24);
      return Buffer.concat([h, body]);
    };
    const sa = [...west.engine.sas.values()][0]!;
    const anyDatagram = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.record({
        known: fc.boolean(), np: fc.integer({ min: 0, max: 255 }), ex: fc.constantFrom(0, 2, 4, 5, 32, 99), fl: fc.integer({ min: 0, max: 7 }),
        mid: fc.integer({ min: 0, max: 0xffffffff }), body: fc.uint8Array({ maxLength: 300 }),
      }).map((r) => header(r.known ? sa.icookie : Buffer.alloc(8, 7), r.known ? sa.rcookie : Buffer.alloc(8), r.np, r.ex, r.fl, r.mid, r.body)),
      fc.record({ i: fc.nat(real.length - 1), pos: fc.nat(2000), val: fc.integer({ min: 0, max: 255 }), cut: fc.boolean() }).map((r) => {
        const m = Buffer.from(real[r.i]!);
        if (r.cut) return m.subarray(0, r.pos % (m.length + 1));
        m[r.pos % m.length] = r.val;
        return m;
      }),
    );
    let t = net.now;
    fc.assert(
      fc.property(anyDatagram, fc.boolean(), (d, toWest) => {
        const target = toWest ? west : east;
        const from = toWest ? EAST : WEST;
        t += 1;
        const fx = target.engine.receive(d, from, target.ep, t);
        assert.ok(Array.isArray(fx.send));
        return target.engine.stats.dropped['internal-error'] === undefined;
      }),
      { numRuns: 400, seed: 20261126 },
    );
    assert.equal(west.engine.stats.dropped['internal-error'], undefined);
    assert.equal(east.engine.stats.dropped['internal-error'], undefined);
    const droppedWest = Object.values(west.engine.stats.dropped).reduce((a, b) => a + b, 0);
    assert.ok(droppedWest > 50, `drops counted by reason (${droppedWest})`);
    // the established SAs survived the storm
    assert.equal(west.engine.ipsec.size, 1);
    assert.equal(east.engine.ipsec.size, 1);
  });

  it('a flood of first messages is capped at MAX_HALF_OPEN half-open exchanges, which expire', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    const west = net.add('west', WEST, cfg.west, 'flood-w');
    const mm1 = (i: number): Buffer => {
      // a valid Main Mode first message from east's address with a fresh cookie each time
      const probe = new SimNet();
      const c = pairConfigs();
      const e = probe.add('east', EAST, c.east, `flood-${i}`);
      const fx = e.engine.command({ type: 'connect', name: 'east-west' }, 0);
      return Buffer.from(fx.send[0]!.data);
    };
    const first = mm1(0);
    // from many addresses (a Default peer answers them all), so only the global bound applies
    west.engine.config.defaultPeer = 'peer-east';
    for (let i = 0; i < MAX_HALF_OPEN + 50; i++) {
      const d = Buffer.from(first);
      d.writeUInt32BE(i + 1, 0); // a new initiator cookie per message
      west.engine.receive(d, { address: `127.1.${i >> 8}.${i & 255}`, port: 500 }, WEST, 1000 + i);
    }
    assert.equal(west.engine.sas.size, MAX_HALF_OPEN);
    assert.equal(west.engine.stats.dropped['too-many-half-open'], 50);
    assert.deepEqual(west.engine.halfOpenCounts(), { total: MAX_HALF_OPEN, peers: MAX_HALF_OPEN, largest: 1 });
    west.engine.tick(1000 + MAX_HALF_OPEN + 50 + 121_000);
    assert.equal(west.engine.sas.size, 0, 'Exchange-max-time frees them');
    assert.deepEqual(west.engine.halfOpenCounts(), { total: 0, peers: 0, largest: 0 });
  });

  it('one address gets at most MAX_HALF_OPEN_PER_PEER half-open exchanges; a good peer elsewhere still gets through', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    cfg.west.defaultPeer = 'peer-east';
    const west = net.add('west', WEST, cfg.west, 'pp-w');
    // the good peer lives at another address than the flooder
    const good = { address: '127.0.0.9', port: 500 };
    cfg.east.connections[0]!.peer = 'peer-west';
    const east = net.add('east', good, cfg.east, 'pp-e');
    const probe = new SimNet().add('x', EAST, pairConfigs().east, 'pp-probe');
    const first = Buffer.from(probe.engine.command({ type: 'connect', name: 'east-west' }, 0).send[0]!.data);
    const flooder = { address: '127.0.0.66', port: 500 };
    for (let i = 0; i < MAX_HALF_OPEN_PER_PEER + 24; i++) {
      const d = Buffer.from(first);
      d.writeUInt32BE(i + 1, 0);
      net.apply(west, west.engine.receive(d, flooder, WEST, 0));
    }
    assert.equal(west.engine.stats.dropped['too-many-half-open-peer'], 24);
    assert.deepEqual(west.engine.halfOpenCounts(), { total: MAX_HALF_OPEN_PER_PEER, peers: 1, largest: MAX_HALF_OPEN_PER_PEER });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(added(west).length, 1, 'the good peer negotiated despite the flood');
    assert.equal(west.engine.halfOpenCounts().total, MAX_HALF_OPEN_PER_PEER, 'its finished exchange no longer counts');
  });
});
