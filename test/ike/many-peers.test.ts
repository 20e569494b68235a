// What a gateway with many peers and many listening addresses relies on: a connect request updates the next
// timer from the exchange it adds (no rescan of every SA, and no timer missed), the local address of an
// exchange is looked up among many, an ISAKMP SA takes only its own Quick Modes with it, and the system
// random source never hands the same bytes out twice.
import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added } from './sim.js';
import { IkeEngine } from '../../src/ike/engine.js';
import type { EngineConfig, PeerConfig } from '../../src/ike/config.js';
import type { Endpoint } from '../../src/ike/types.js';
import { systemRng } from '../../src/crypto/random.js';
import { newIsakmpSa, newXmit } from '../../src/ike/sa.js';

describe('ike engine: many peers and addresses', () => {
  it('a connect made while a tunnel is up arms the retransmission of the new exchange', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    // a second connection to a peer that never answers (no node at its address)
    const silent: Endpoint = { address: '127.0.0.9', port: 500 };
    const peer: PeerConfig = { ...cfg.east.peers[0]!, name: 'peer-silent', address: silent };
    cfg.east.peers.push(peer);
    cfg.east.connections.push({ ...cfg.east.connections[0]!, name: 'east-silent', peer: 'peer-silent' });
    cfg.east.phase1ByAddress[silent.address] = 'peer-silent';
    const east = net.add('east', EAST, cfg.east, 'east-many');
    const west = net.add('west', WEST, cfg.west, 'west-many');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(added(east).length, 1);
    // The engine's earliest timer is now minutes away (lifetimes, finished exchanges); the new exchange's
    // first retransmission is seconds away and must be what the engine asks to be woken for.
    net.run(net.now + 20_000);
    const before = east.timer!;
    assert.ok(before - net.now > 30_000, `the next timer is only ${before - net.now} ms away`);
    net.command(east, { type: 'connect', name: 'east-silent' });
    assert.ok(east.timer! < before, `next timer ${east.timer} not moved before ${before}`);
    assert.ok(east.timer! - net.now <= 10_000, `next timer ${east.timer! - net.now} ms away`);
    const sentBefore = net.wire.filter((p) => p.to.address === silent.address).length;
    net.run(net.now + 30_000);
    const sent = net.wire.filter((p) => p.to.address === silent.address).length;
    assert.ok(sent - sentBefore >= 3, `${sent - sentBefore} datagrams to the silent peer in 30 s: not retransmitted`);
    assert.equal(east.engine.timerMisses, 0);
  });

  it('a timer looks only at the SAs whose time has come, not at every SA the gateway holds', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    const east = net.add('east', EAST, cfg.east, 'east-heap');
    const west = net.add('west', WEST, cfg.west, 'west-heap');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    // 500 more established ISAKMP SAs, to other addresses, whose only timer is an hour away
    const [real] = [...east.engine.sas.values()];
    for (let i = 0; i < 500; i++) {
      const icookie = Buffer.alloc(8);
      icookie.writeUInt32BE(i + 1, 4);
      const sa = newIsakmpSa({
        serial: 1000 + i, icookie, rcookie: Buffer.alloc(8, 1), initiator: true, exchange: 'main', peer: real!.peer, local: real!.local,
        remote: { address: `127.9.${i >> 8}.${i & 255}`, port: 500 }, state: 'ESTABLISHED', step: 6, xmit: newXmit(net.now), createdAt: net.now, pending: [],
      });
      sa.hardAt = net.now + 3_600_000;
      east.engine.sas.set(icookie.toString('hex'), sa);
    }
    net.command(east, { type: 'teardown', name: 'no-such-connection' }); // a command queues every SA again
    east.engine.verifyTimers = false; // its check is itself a scan of every SA
    const engine = east.engine as unknown as { timerOfSa: (...a: unknown[]) => unknown };
    const timerOfSa = engine.timerOfSa.bind(engine);
    let looked = 0;
    engine.timerOfSa = (...a) => (looked++, timerOfSa(...a));
    const ticks = { n: 0 };
    const tick = east.engine.tick.bind(east.engine);
    east.engine.tick = (now) => (ticks.n++, tick(now));
    // the real tunnel's own timers fire (the kept replies and Quick Mode go after Exchange-max-time)
    net.run(net.now + 600_000);
    assert.ok(ticks.n >= 1, 'some timer fired');
    assert.ok(looked < 10 * ticks.n + 20, `${looked} SAs looked at in ${ticks.n} ticks`);
    assert.equal(east.engine.sas.size, 501);
  });

  it('deleting an ISAKMP SA takes its own Quick Modes and SPIs only', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    const east = net.add('east', EAST, cfg.east, 'east-q');
    const west = net.add('west', WEST, cfg.west, 'west-q');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const [sa] = [...east.engine.sas.values()];
    assert.ok(sa);
    const hex = sa.icookie.toString('hex');
    const mine = east.engine.quickOfSa(hex);
    assert.ok(mine.length > 0, 'the finished Quick Mode is kept for duplicates');
    // a Quick Mode record that belongs to another SA stays
    const other = { ...mine[0]!, isakmp: { ...sa, icookie: Buffer.alloc(8, 7) } } as unknown as (typeof mine)[number];
    east.engine.quick.set(`${'07'.repeat(8)}:1`, other);
    east.engine.removeIsakmp(sa);
    assert.equal(east.engine.quickOfSa(hex).length, 0);
    assert.equal(east.engine.quick.size, 1);
    assert.equal(east.engine.quick.get(`${'07'.repeat(8)}:1`), other);
  });

  it('the local address of an exchange is found among many listening addresses', () => {
    const local: Endpoint[] = [];
    for (let i = 1; i <= 300; i++) local.push({ address: `127.3.${i >> 8}.${i & 255}`, port: 500 });
    local.push({ address: '::1', port: 500 }, { address: '127.3.0.7', port: 4500 });
    const config: EngineConfig = { peers: [], connections: [], phase1ByAddress: {}, retransmits: 3, exchangeMaxTimeSec: 120 };
    const e = new IkeEngine({ config, local });
    const peer = (localAddress?: string): PeerConfig =>
      ({ name: 'p', address: { address: '127.4.0.1', port: 500 }, transforms: [], exchange: 'main', ...(localAddress ? { localAddress } : {}) }) as PeerConfig;
    assert.equal(e.localFor({ address: '127.4.0.1', port: 500 }, peer('127.3.1.3')), local[258]);
    // the first endpoint with that address, in listening order
    assert.equal(e.localFor({ address: '127.4.0.1', port: 500 }, peer('127.3.0.7')), local[6]);
    assert.equal(e.localFor({ address: '127.4.0.1', port: 500 }), local[0]);
    assert.equal(e.localFor({ address: '::1', port: 500 }), local[300]);
    // an address the daemon does not listen on: taken as configured, on the first port of the family
    assert.deepEqual(e.localFor({ address: '127.4.0.1', port: 500 }, peer('127.5.0.1')), { address: '127.5.0.1', port: 500 });
    // an IPv4 Local-address does not serve an IPv6 peer
    assert.deepEqual(e.localFor({ address: '::2', port: 500 }, peer('127.3.0.1')), { address: '127.3.0.1', port: 500 });
  });
});

describe('crypto: the system random source', () => {
  it('never hands the same bytes out twice, across refills of its pool', () => {
    const seen = new Set<string>();
    let zero = 0;
    for (let i = 0; i < 3000; i++) {
      const n = 1 + (i % 40);
      const v = systemRng(n);
      assert.equal(v.length, n);
      if (v.every((b) => b === 0)) zero++;
      if (n >= 8) {
        const k = Buffer.from(v).toString('hex');
        assert.ok(!seen.has(k), `value repeated after ${i} draws`);
        seen.add(k);
      }
    }
    assert.ok(zero < 20, `${zero} all-zero values`);
  });

  it('serves a draw larger than its pool', () => {
    const v = systemRng(10_000);
    assert.equal(v.length, 10_000);
    const ones = v.reduce((n, b) => n + (b.toString(2).split('1').length - 1), 0);
    assert.ok(ones > 38_000 && ones < 42_000, `${ones} one bits in 80,000`);
  });
});
