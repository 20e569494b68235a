// Force-encapsulation (an oakley extension, strongSwan's encap=yes): with no NAT between two engines,
// one side's deliberately wrong NAT-D hash for its own address makes both see a NAT, float to port 4500
// and agree a UDP-encapsulated tunnel mode SA (RFC 3947); without the option nothing moves.
import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, P1_AES_SHA_MODP2048, pairConfigs, added, type PairOptions } from './sim.js';
import { decodeHeader, decodePayloads } from '../../src/isakmp/index.js';
import { ExchangeType, PayloadType } from '../../src/isakmp/numbers.js';
import { natDetectionHash } from '../../src/crypto/index.js';

const NATT = 4500;

function pair(force: { east?: boolean; west?: boolean }, o: PairOptions = {}) {
  const net = new SimNet();
  const cfg = pairConfigs({ pfs: 14, ...o });
  if (force.east) cfg.east.peers[0]!.forceEncapsulation = true;
  if (force.west) cfg.west.peers[0]!.forceEncapsulation = true;
  const east = net.add('east', EAST, cfg.east, 'fe-e', NATT);
  const west = net.add('west', WEST, cfg.west, 'fe-w', NATT);
  return { net, east, west };
}

const phase1 = (net: SimNet, exchange: number) =>
  net.wire.filter((p) => {
    const h = decodeHeader(p.data);
    return !('notify' in h) && h.exchange === exchange;
  });

/** The NAT-D payloads of a clear (unencrypted) message. */
function natDs(d: Uint8Array): Buffer[] {
  const h = decodeHeader(d);
  if ('notify' in h) return [];
  const ps = decodePayloads(h.nextPayload, Buffer.from(d.subarray(28)));
  return Array.isArray(ps) ? ps.filter((p) => p.type === PayloadType.NAT_D).map((p) => Buffer.from((p as { data: Uint8Array }).data)) : [];
}

describe('ike engine: Force-encapsulation (ESP in UDP without a NAT)', () => {
  for (const side of ['east', 'west'] as const) {
    it(`on the ${side === 'east' ? 'initiator' : 'responder'} only: both float to 4500 and agree UDP-encapsulated tunnel mode`, () => {
      const { net, east, west } = pair({ [side]: true });
      net.command(east, { type: 'connect', name: 'east-west' });
      net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
      const [e] = added(east);
      const [w] = added(west);
      assert.ok(e && w, 'phase 2 done on both sides');
      assert.equal(e.sa.mode, 'tunnel');
      assert.equal(w.sa.mode, 'tunnel');
      assert.deepEqual(e.sa.udpEncap, { localPort: NATT, remotePort: NATT });
      assert.deepEqual(w.sa.udpEncap, { localPort: NATT, remotePort: NATT });
      assert.equal(e.sa.outbound.spi, w.sa.inbound.spi);
      const mm = phase1(net, ExchangeType.ID_PROT);
      assert.ok(mm.slice(4).every((p) => p.to.port === NATT && p.from.port === NATT), 'MM5 and MM6 on the NAT-T port');
      const qm = phase1(net, ExchangeType.QUICK_MODE);
      assert.ok(qm.length >= 3 && qm.every((p) => p.to.port === NATT));
      const forcing = side === 'east' ? east : west;
      assert.ok(forcing.logs.some((l) => /NAT-T forced .*Force-encapsulation/.test(l.msg)));
    });
  }

  it('the forcing side sends a NAT-D for its own address that hashes nothing, and a true one for the peer', () => {
    const { net, east, west } = pair({ east: true });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const mm = phase1(net, ExchangeType.ID_PROT);
    const h = decodeHeader(mm[2]!.data);
    assert.ok(!('notify' in h));
    const [forPeer, forSelf] = natDs(mm[2]!.data);
    const ic = Buffer.from(mm[2]!.data.subarray(0, 8));
    const rc = Buffer.from(mm[2]!.data.subarray(8, 16));
    const hash = (a: string, port: number) => Buffer.from(natDetectionHash(P1_AES_SHA_MODP2048.hash, ic, rc, Buffer.from(a.split('.').map(Number)), port));
    assert.deepEqual(forPeer, hash(WEST.address, WEST.port));
    assert.ok(forSelf && forSelf.length === forPeer!.length);
    assert.notDeepEqual(forSelf, hash(EAST.address, EAST.port));
    // the responder, not forcing, hashes both truthfully
    const [rPeer, rSelf] = natDs(mm[3]!.data);
    assert.deepEqual(rPeer, hash(EAST.address, EAST.port));
    assert.deepEqual(rSelf, hash(WEST.address, WEST.port));
  });

  it('without it, no NAT: IKE stays on port 500 and ESP is not encapsulated', () => {
    const { net, east, west } = pair({});
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(added(east)[0]!.sa.udpEncap, undefined);
    assert.equal(added(west)[0]!.sa.udpEncap, undefined);
    assert.equal(added(east)[0]!.sa.mode, 'tunnel');
    assert.ok(net.wire.every((p) => p.to.port === 500 && p.from.port === 500));
  });

  it('Aggressive Mode: forced from the initiator, message 3 already on port 4500', () => {
    const { net, east, west } = pair({ east: true }, { exchangeEast: 'aggressive', exchangeWest: 'aggressive' });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const am = phase1(net, ExchangeType.AGGRESSIVE);
    assert.equal(am.length, 3);
    assert.equal(am[2]!.to.port, NATT);
    assert.deepEqual(added(east)[0]!.sa.udpEncap, { localPort: NATT, remotePort: NATT });
    assert.deepEqual(added(west)[0]!.sa.udpEncap, { localPort: NATT, remotePort: NATT });
  });
});
