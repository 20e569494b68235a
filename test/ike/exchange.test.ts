import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added, deleted, events, P1_3DES_SHA_MODP1024, type PairOptions } from './sim.js';
import { decodeHeader, decodePayloads } from '../../src/isakmp/index.js';
import { PayloadType, ExchangeType } from '../../src/isakmp/numbers.js';

function pair(o: PairOptions = {}, seed = 'a'): { net: SimNet; east: ReturnType<SimNet['add']>; west: ReturnType<SimNet['add']> } {
  const net = new SimNet();
  const cfg = pairConfigs(o);
  const east = net.add('east', EAST, cfg.east, `east-${seed}`);
  const west = net.add('west', WEST, cfg.west, `west-${seed}`);
  return { net, east, west };
}

const bothUp = (a: ReturnType<SimNet['add']>, b: ReturnType<SimNet['add']>) => () => added(a).length > 0 && added(b).length > 0;

function assertAgree(i: ReturnType<SimNet['add']>, r: ReturnType<SimNet['add']>): void {
  const [a] = added(i);
  const [b] = added(r);
  assert.ok(a && b);
  assert.equal(a.sa.outbound.spi, b.sa.inbound.spi);
  assert.equal(a.sa.inbound.spi, b.sa.outbound.spi);
  assert.deepEqual(Buffer.from(a.sa.outbound.encKey), Buffer.from(b.sa.inbound.encKey));
  assert.deepEqual(Buffer.from(a.sa.outbound.authKey), Buffer.from(b.sa.inbound.authKey));
  assert.deepEqual(Buffer.from(a.sa.inbound.encKey), Buffer.from(b.sa.outbound.encKey));
  assert.deepEqual(Buffer.from(a.sa.inbound.authKey), Buffer.from(b.sa.outbound.authKey));
  // the two directions must not share keys
  assert.notDeepEqual(Buffer.from(a.sa.inbound.encKey), Buffer.from(a.sa.outbound.encKey));
  assert.equal(a.sa.inbound.encKey.length, 16);
  assert.equal(a.sa.inbound.authKey.length, 20);
  assert.equal(a.sa.localSelector, b.sa.remoteSelector);
  assert.equal(a.sa.remoteSelector, b.sa.localSelector);
}

describe('ike engine: Main Mode + Quick Mode over a simulated network', () => {
  it('brings up a tunnel without PFS, initiator east', () => {
    const { net, east, west } = pair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    assert.equal(events(east, 'phase1-done').length, 1);
    assert.equal(events(west, 'phase1-done').length, 1);
    assertAgree(east, west);
    const [a] = added(east);
    assert.equal(a!.sa.localSelector, '192.0.2.0/24');
    assert.equal(a!.sa.remoteSelector, '198.51.100.0/24');
    assert.equal(a!.sa.pfsGroup, undefined);
    assert.equal(a!.sa.mode, 'tunnel');
    // 6 Main Mode + 3 Quick Mode messages, nothing else
    assert.equal(net.wire.length, 9);
    const qm1 = net.wire[6]!;
    const h = decodeHeader(qm1.data);
    assert.ok(!('notify' in h));
    assert.equal(h.exchange, ExchangeType.QUICK_MODE);
    assert.equal(h.flags & 1, 1);
  });

  it('brings up a tunnel with PFS (MODP 2048), initiator west', () => {
    const { net, east, west } = pair({ pfs: 14 });
    net.command(west, { type: 'connect', name: 'west-east' });
    net.run(60_000, bothUp(east, west));
    assertAgree(west, east);
    assert.equal(added(west)[0]!.sa.pfsGroup, 14);
    assert.equal(added(east)[0]!.sa.pfsGroup, 14);
  });

  it('PFS changes KEYMAT for the same phase 1 material', () => {
    const a = pair({}, 'same');
    a.net.command(a.east, { type: 'connect', name: 'east-west' });
    a.net.run(60_000, bothUp(a.east, a.west));
    const b = pair({ pfs: 2 }, 'same');
    b.net.command(b.east, { type: 'connect', name: 'east-west' });
    b.net.run(60_000, bothUp(b.east, b.west));
    // same seeds give the same phase 1 (MM messages identical on the wire) but different phase 2 keys
    assert.deepEqual(Buffer.from(a.net.wire[0]!.data), Buffer.from(b.net.wire[0]!.data));
    assertAgree(b.east, b.west);
    assert.notDeepEqual(Buffer.from(added(a.east)[0]!.sa.inbound.encKey), Buffer.from(added(b.east)[0]!.sa.inbound.encKey));
  });

  it('negotiates 3DES/SHA1/MODP1024 when that is the only common transform', () => {
    const { net, east, west } = pair({ eastTransforms: [{ ...P1_3DES_SHA_MODP1024 }], westTransforms: [{ ...P1_3DES_SHA_MODP1024 }] });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    assertAgree(east, west);
    assert.match(events(west, 'phase1-done')[0]!.msg, /3des-cbc sha1 group 2/);
  });

  it('a second connect reuses the ISAKMP SA and does not repeat Main Mode', () => {
    const { net, east, west } = pair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    net.command(east, { type: 'teardown', name: 'east-west' });
    net.run(net.now + 1000);
    const before = net.wire.length;
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(net.now + 60_000, () => added(east).length === 2 && added(west).length === 2);
    assert.equal(events(east, 'phase1-done').length, 1);
    // 3 Quick Mode messages only
    assert.equal(net.wire.length - before, 3);
  });

  it('a protected Delete removes the IPsec SA on both sides', () => {
    const { net, east, west } = pair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    const spiIn = added(east)[0]!.sa.inbound.spi;
    net.command(east, { type: 'teardown', name: 'east-west' });
    net.run(net.now + 5000, () => deleted(west).length > 0);
    assert.equal(deleted(east).length, 1);
    assert.equal(deleted(west).length, 1);
    assert.equal(deleted(west)[0]!.outboundSpi, spiIn);
    assert.equal(east.engine.ipsec.size, 0);
    assert.equal(west.engine.ipsec.size, 0);
    // the ISAKMP SA survives a phase 2 teardown
    assert.equal([...west.engine.sas.values()].filter((s) => s.state === 'ESTABLISHED').length, 1);
    // and the Delete travelled encrypted in an Informational exchange
    const info = net.wire.at(-1)!;
    const h = decodeHeader(info.data);
    assert.ok(!('notify' in h));
    assert.equal(h.exchange, ExchangeType.INFO);
    assert.equal(h.flags & 1, 1);
  });

  it('teardown by address deletes phase 2 and phase 1 on both sides', () => {
    const { net, east, west } = pair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    net.command(east, { type: 'teardown', address: WEST.address });
    net.run(net.now + 5000);
    assert.equal(west.engine.ipsec.size, 0);
    assert.equal(west.engine.sas.size, 0);
    assert.equal(east.engine.sas.size, 0);
  });

  it('shutdown sends Deletes (and with sendDeletes=false it does not)', () => {
    for (const sendDeletes of [true, false]) {
      const { net, east, west } = pair();
      net.command(east, { type: 'connect', name: 'east-west' });
      net.run(60_000, bothUp(east, west));
      net.command(east, { type: 'shutdown', sendDeletes });
      net.run(net.now + 5000);
      assert.equal(east.engine.ipsec.size, 0);
      assert.equal(deleted(east).length, 1);
      assert.equal(west.engine.ipsec.size, sendDeletes ? 0 : 1);
      assert.equal(west.engine.sas.size, sendDeletes ? 0 : 1);
    }
  });

  it('survives the loss of a reply by retransmitting', () => {
    const { net, east, west } = pair();
    let n = 0;
    net.filter = (p) => (p.from.address === WEST.address && n++ === 0 ? 'drop' : 'pass'); // lose MM2 once
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(120_000, bothUp(east, west));
    assertAgree(east, west);
    assert.ok(east.engine.stats.retransmits >= 1);
    assert.ok(west.engine.stats.duplicates >= 1, 'the responder saw MM1 twice');
  });

  it('recovers when the last Main Mode and Quick Mode messages are lost', () => {
    const { net, east, west } = pair();
    const lost = new Set<number>();
    net.filter = (p) => {
      const h = decodeHeader(p.data);
      if ('notify' in h) return 'pass';
      // drop the first MM6 (responder, encrypted ID_PROT) and the first QM3 (initiator's 3rd QM message)
      const key = `${h.exchange}:${p.from.address}:${h.flags & 1}`;
      const isMM6 = h.exchange === ExchangeType.ID_PROT && p.from.address === WEST.address && (h.flags & 1) === 1;
      const isQM3 = h.exchange === ExchangeType.QUICK_MODE && p.from.address === EAST.address && p.data.length < 100;
      if ((isMM6 || isQM3) && !lost.has(isMM6 ? 6 : 3)) {
        lost.add(isMM6 ? 6 : 3);
        void key;
        return 'drop';
      }
      return 'pass';
    };
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(200_000, bothUp(east, west));
    assert.equal(lost.size, 2);
    assertAgree(east, west);
    assert.equal(added(east).length, 1);
    assert.equal(added(west).length, 1);
  });

  it('duplicated datagrams are answered from the last reply without reprocessing', () => {
    const { net, east, west } = pair({ pfs: 14 });
    net.filter = () => 'dup';
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    net.run(net.now + 1000);
    assertAgree(east, west);
    assert.equal(added(east).length, 1);
    assert.equal(added(west).length, 1);
    assert.equal(events(east, 'phase1-done').length, 1);
    assert.equal(events(west, 'phase1-done').length, 1);
    assert.ok(west.engine.stats.duplicates >= 4);
    assert.ok(east.engine.stats.duplicates >= 4);
    assert.equal(east.engine.stats.failures + west.engine.stats.failures, 0);
  });

  it('retransmits at 7, 16 and 27 s and gives up at 40 s (Retransmits=3)', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    const east = net.add('east', EAST, cfg.east, 'lonely');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(300_000);
    const times = net.wire.map((p) => p.at - net.latency);
    assert.deepEqual(times, [0, 7000, 16000, 27000]);
    const f = events(east, 'failed');
    assert.equal(f.length >= 1, true);
    assert.match(f[0]!.msg, /giving up/);
    assert.equal(east.engine.sas.size, 0);
    assert.equal(east.engine.snapshot().exchanges, 0);
  });

  it('Exchange-max-time ends an exchange that is still retransmitting at 120 s', () => {
    const net = new SimNet();
    const cfg = pairConfigs({ retransmits: 20 });
    const east = net.add('east', EAST, cfg.east, 'patient');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(600_000);
    const f = events(east, 'failed');
    assert.match(f[0]!.msg, /Exchange-max-time/);
    assert.ok(net.wire.every((p) => p.at - net.latency < 120_000));
    assert.equal(east.engine.sas.size, 0);
  });

  it('a wrong pre-shared key fails cleanly on both sides with a named notify', () => {
    const { net, east, west } = pair({ pskWest: 'not-the-same-secret' });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(200_000);
    assert.equal(added(east).length + added(west).length, 0);
    const fw = events(west, 'failed');
    const fe = events(east, 'failed');
    assert.ok(fw.length >= 1 && fe.length >= 1);
    assert.match(fw[0]!.msg, /pre-shared key mismatch/);
    assert.match(fe[0]!.msg, /peer refused with (PAYLOAD_MALFORMED|INVALID_PAYLOAD_TYPE|INVALID_HASH_INFORMATION)/);
    assert.equal(east.engine.sas.size, 0);
    assert.equal(west.engine.sas.size, 0);
  });

  it('no common phase 1 transform gives NO_PROPOSAL_CHOSEN', () => {
    const { net, east, west } = pair({ westTransforms: [{ ...P1_3DES_SHA_MODP1024 }] });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000);
    assert.match(events(east, 'failed')[0]!.msg, /NO_PROPOSAL_CHOSEN/);
    assert.equal(west.engine.sas.size, 0);
    assert.equal(west.engine.stats.dropped['no_proposal_chosen'], 1);
  });

  it('a Quick Mode for selectors no connection covers is refused with a protected INVALID_ID_INFORMATION', () => {
    const { net, east, west } = pair();
    west.engine.config.connections[0]!.remoteId = { type: 'IPV4_ADDR_SUBNET', network: '203.0.113.0', netmask: '255.255.255.0' };
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000);
    assert.equal(added(east).length + added(west).length, 0);
    assert.match(events(east, 'failed')[0]!.msg, /refused by peer: INVALID_ID_INFORMATION/);
    const last = decodeHeader(net.wire.at(-1)!.data);
    assert.ok(!('notify' in last));
    assert.equal(last.exchange, ExchangeType.INFO);
    assert.equal(last.flags & 1, 1, 'the refusal is protected');
  });

  it('IPsec SAs expire after their lifetime and the Delete reaches the peer', () => {
    const { net, east, west } = pair({ lifeSeconds: 300 });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    // no renegotiation: the connections are only accepted from now on
    for (const n of [east, west]) n.engine.config.connections[0]!.passive = true;
    const up = net.now;
    net.run(up + 299_000);
    assert.equal(east.engine.ipsec.size, 1);
    net.run(up + 302_000);
    assert.equal(east.engine.ipsec.size, 0);
    assert.equal(west.engine.ipsec.size, 0);
  });

  it('the unencrypted first message carries SA and a VID; the fifth is encrypted (scripts as data)', () => {
    const { net, east, west } = pair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    const h1 = decodeHeader(net.wire[0]!.data);
    assert.ok(!('notify' in h1));
    const ps = decodePayloads(h1.nextPayload, Buffer.from(net.wire[0]!.data.subarray(28)));
    assert.ok(Array.isArray(ps));
    assert.deepEqual(ps.map((p) => p.type), [PayloadType.SA, PayloadType.VENDOR]); // the VID announces DPD
    const h5 = decodeHeader(net.wire[4]!.data);
    assert.ok(!('notify' in h5));
    assert.equal(h5.flags & 1, 1);
    assert.equal(h5.nextPayload, PayloadType.ID);
  });

  it('both sides connecting at once ends with SAs that pair up', () => {
    const { net, east, west } = pair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.command(west, { type: 'connect', name: 'west-east' });
    net.run(300_000);
    assert.ok(east.engine.ipsec.size >= 1);
    assert.equal(east.engine.ipsec.size, west.engine.ipsec.size);
    for (const s of east.engine.ipsec.values()) {
      const peerSa = [...west.engine.ipsec.values()].find((w) => w.spec.inbound.spi === s.spec.outbound.spi);
      assert.ok(peerSa, 'every east SA has its west counterpart');
      // keys live only in the install effects (the engine keeps SPIs, not keys)
      const keysOf = (n: typeof east, id: string) => added(n).find((a) => a.sa.id === id)!.sa;
      assert.deepEqual(Buffer.from(keysOf(west, peerSa.spec.id).inbound.encKey), Buffer.from(keysOf(east, s.spec.id).outbound.encKey));
      assert.equal(s.spec.outbound.encKey.length, 0);
    }
  });

  it('renegotiates at 85-95 % of the lifetime and retires the old SA at its hard lifetime', () => {
    const { net, east, west } = pair({ lifeSeconds: 300 });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    const up = net.now;
    const first = added(east)[0]!.sa;
    net.run(up + 254_000);
    assert.equal(east.engine.ipsec.size, 1, 'nothing before 85 %');
    net.run(up + 290_000);
    assert.equal(added(east).length, 2, 'a new SA before the hard lifetime');
    assert.equal(east.engine.ipsec.size, 2);
    net.run(up + 302_000);
    assert.equal(east.engine.ipsec.size, 1);
    assert.equal(west.engine.ipsec.size, 1);
    const now = [...east.engine.ipsec.values()][0]!.spec;
    assert.notEqual(now.inbound.spi, first.inbound.spi);
    const peer = [...west.engine.ipsec.values()][0]!.spec;
    assert.equal(peer.inbound.spi, now.outbound.spi);
    assert.equal(events(east, 'phase1-done').length, 1, 'the ISAKMP SA was reused');
  });

  it('keeps a tunnel up through a day of rekeys (phase 1 3600 s, phase 2 1200 s)', () => {
    const { net, east, west } = pair({ lifeSeconds: 1200 });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    const start = net.now;
    for (let t = start; t < start + 24 * 3600_000; t += 60_000) {
      net.run(t);
      assert.ok(east.engine.ipsec.size >= 1 && west.engine.ipsec.size >= 1, `no SA at ${(t - start) / 1000} s`);
      assert.ok(east.engine.ipsec.size <= 3, 'SAs do not pile up');
    }
    for (const s of east.engine.ipsec.values()) {
      assert.ok([...west.engine.ipsec.values()].some((w) => w.spec.inbound.spi === s.spec.outbound.spi));
    }
    assert.ok(east.engine.stats.phase2Established >= 70, `${east.engine.stats.phase2Established} phase 2 negotiations`);
    assert.ok(events(east, 'phase1-done').length >= 15, 'phase 1 re-established after its expiry, when a rekey needs it');
    assert.equal(east.engine.stats.failures + west.engine.stats.failures, 0);
  });

  it('INITIAL-CONTACT from a restarted peer clears the SAs it left behind', () => {
    const { net, east, west } = pair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    // east restarts: a fresh engine at the same address, knowing nothing of the old SAs
    const cfg = pairConfigs();
    const reborn = net.add('east', EAST, cfg.east, 'east-reborn');
    net.command(reborn, { type: 'connect', name: 'east-west' });
    net.run(net.now + 60_000, () => added(reborn).length > 0 && west.engine.stats.phase2Established >= 2);
    assert.equal(west.engine.ipsec.size, 1, 'the old IPsec SA is gone');
    assert.equal([...west.engine.sas.values()].filter((s) => s.state === 'ESTABLISHED').length, 1);
    const [w] = [...west.engine.ipsec.values()];
    assert.equal(w!.spec.inbound.spi, added(reborn)[0]!.sa.outbound.spi);
    assert.ok(west.logs.some((l) => /INITIAL-CONTACT/.test(l.msg)));
  });

  it('DPD: an idle peer is asked R-U-THERE and answers; a silent one is declared dead after 5 tries', () => {
    const { net, east, west } = pair();
    east.engine.config.dpdIntervalSec = 30;
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    const up = net.now;
    net.run(up + 200_000);
    assert.equal(east.engine.ipsec.size, 1, 'answered DPD keeps the SAs');
    const asked = net.wire.filter((p) => p.at > up && p.from.address === EAST.address).length;
    const answered = net.wire.filter((p) => p.at > up && p.from.address === WEST.address).length;
    assert.ok(asked >= 5 && answered === asked, `${asked} R-U-THERE, ${answered} acks`);
    net.filter = (p) => (p.from.address === WEST.address ? 'drop' : 'pass');
    const silent = net.now;
    net.run(silent + 120_000);
    assert.equal(east.engine.ipsec.size, 0);
    assert.equal(east.engine.sas.size, 0);
    const dead = events(east, 'failed').find((l) => /dead/.test(l.msg));
    assert.ok(dead, 'peer declared dead');
    const tries = net.wire.filter((p) => p.at > silent && p.from.address === EAST.address).length;
    assert.equal(tries, 5);
  });

  it('DPD turned on by a new configuration while the tunnel is up: the peer is asked from then on', () => {
    const { net, east, west } = pair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    const up = net.now;
    net.run(up + 100_000);
    assert.equal(net.wire.filter((p) => p.at > up).length, 0, 'no DPD configured: nothing on the wire');
    // as a reload does: a new configuration object, then a tick
    east.engine.config = { ...east.engine.config, dpdIntervalSec: 30 };
    net.apply(east, east.engine.tick(net.now));
    const reloaded = net.now;
    net.run(reloaded + 100_000);
    const asked = net.wire.filter((p) => p.at > reloaded && p.from.address === EAST.address).length;
    assert.ok(asked >= 3, `${asked} R-U-THERE in 100 s at a 30 s interval`);
    assert.equal(east.engine.ipsec.size, 1);
  });

  it('an expiring ISAKMP SA goes quietly and leaves the IPsec SAs to live on both sides', () => {
    const { net, east, west } = pair({ eastTransforms: [{ ...P1_3DES_SHA_MODP1024, lifeSeconds: 60 }], westTransforms: [{ ...P1_3DES_SHA_MODP1024, lifeSeconds: 60 }] });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, bothUp(east, west));
    const before = net.wire.length;
    net.run(net.now + 70_000);
    assert.equal(east.engine.sas.size + west.engine.sas.size, 0, 'both ISAKMP SAs expired');
    assert.equal(net.wire.length, before, 'no Delete was sent for them');
    assert.equal(east.engine.ipsec.size, 1);
    assert.equal(west.engine.ipsec.size, 1);
    // the connection still counts as up, so connect does not negotiate again
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(net.now + 1000);
    assert.equal(events(east, 'phase1-done').length, 1, 'the connection is up: no new negotiation');
  });
});
