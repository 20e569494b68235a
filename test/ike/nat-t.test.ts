import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added, events, type PairOptions } from './sim.js';
import { decodeHeader, decodePayloads } from '../../src/isakmp/index.js';
import { PayloadType, ExchangeType } from '../../src/isakmp/numbers.js';

const NATT = 4500;

function natPair(natted: boolean, o: PairOptions = {}) {
  const net = new SimNet();
  const cfg = pairConfigs({ pfs: 14, ...o });
  const east = net.add('east', EAST, cfg.east, 'nat-e', NATT);
  const westCfg = cfg.west;
  if (natted) {
    // east sits behind a NAT that shows it as 127.0.0.3; west only answers it
    net.addNat(EAST.address, '127.0.0.3');
    delete westCfg.peers[0]!.address;
    westCfg.phase1ByAddress = { '127.0.0.3': 'peer-east' };
  }
  const west = net.add('west', WEST, westCfg, 'nat-w', NATT);
  return { net, east, west };
}

const payloadTypes = (d: Uint8Array): number[] => {
  const h = decodeHeader(d);
  if ('notify' in h || h.flags & 1) return [];
  const ps = decodePayloads(h.nextPayload, Buffer.from(d.subarray(28)));
  return Array.isArray(ps) ? ps.map((p) => p.type) : [];
};

describe('ike engine: NAT traversal (RFC 3947)', () => {
  it('without a NAT: vendor IDs and NAT-D are exchanged, nothing moves to port 4500', () => {
    const { net, east, west } = natPair(false);
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.deepEqual(payloadTypes(net.wire[0]!.data), [PayloadType.SA, PayloadType.VENDOR, PayloadType.VENDOR, PayloadType.VENDOR, PayloadType.VENDOR]);
    assert.deepEqual(payloadTypes(net.wire[1]!.data), [PayloadType.SA, PayloadType.VENDOR, PayloadType.VENDOR]);
    assert.deepEqual(payloadTypes(net.wire[2]!.data), [PayloadType.KEY_EXCH, PayloadType.NONCE, PayloadType.NAT_D, PayloadType.NAT_D]);
    assert.ok(net.wire.every((p) => p.to.port === 500));
    assert.equal(added(east)[0]!.sa.udpEncap, undefined);
    assert.equal(events(east, 'phase1-done').length, 1);
  });

  it('behind a NAT: both detect it, float to 4500, negotiate UDP-encapsulated ESP and send keepalives', () => {
    const { net, east, west } = natPair(true);
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const mm = net.wire.filter((p) => {
      const h = decodeHeader(p.data);
      return !('notify' in h) && h.exchange === ExchangeType.ID_PROT;
    });
    assert.ok(mm.slice(0, 4).every((p) => p.to.port === 500 || p.from.port !== NATT));
    assert.ok(mm.slice(4).every((p) => (p.from.address === WEST.address ? p.from.port === NATT : p.to.port === NATT)), 'MM5 and MM6 on the NAT-T port');
    const [e] = added(east);
    const [w] = added(west);
    assert.deepEqual(e!.sa.udpEncap, { localPort: NATT, remotePort: NATT });
    assert.equal(w!.sa.udpEncap!.localPort, NATT);
    assert.notEqual(w!.sa.udpEncap!.remotePort, NATT, 'west sees the NAT-mapped port');
    assert.equal(w!.sa.remote.address, '127.0.0.3');
    assert.equal(e!.sa.outbound.spi, w!.sa.inbound.spi);
    assert.deepEqual(Buffer.from(e!.sa.outbound.encKey), Buffer.from(w!.sa.inbound.encKey));
    assert.ok(east.logs.some((l) => /NAT detected .*we are behind it/.test(l.msg)));
    assert.ok(west.logs.some((l) => /NAT detected .*the peer is behind it/.test(l.msg)));
    const up = net.now;
    net.run(up + 65_000);
    const keepalives = net.wire.filter((p) => p.data.length === 1 && p.data[0] === 0xff && p.at > up);
    assert.equal(keepalives.length, 3);
    assert.ok(keepalives.every((p) => p.from.address === '127.0.0.3' && p.to.port === NATT));
    // a Delete still reaches the peer through the NAT
    net.command(east, { type: 'teardown', name: 'east-west' });
    net.run(net.now + 1000);
    assert.equal(west.engine.ipsec.size, 0);
  });

  it('transport mode behind a NAT: NAT-OA both ways states the original addresses (RFC 3947 5.2)', () => {
    const { net, east, west } = natPair(true);
    for (const n of [east, west]) n.engine.config.connections[0]!.suites[0]!.transforms[0]!.mode = 'transport';
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const [e] = added(east);
    const [w] = added(west);
    assert.equal(e!.sa.mode, 'transport');
    // west learns east's address behind the NAT; east learns west's own address from its reply
    assert.deepEqual(w!.sa.natOa, { local: WEST.address, remote: EAST.address });
    assert.deepEqual(e!.sa.natOa, { local: '127.0.0.3', remote: WEST.address });
  });

  it('tunnel mode or no NAT: no NAT-OA', () => {
    const { net, east, west } = natPair(true);
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(added(west)[0]!.sa.natOa, undefined);
  });

  it('Aggressive Mode behind a NAT: NAT-D in messages 2 and 3, the third already on port 4500', () => {
    const { net, east, west } = natPair(true, { exchangeEast: 'aggressive', exchangeWest: 'aggressive' });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const am = net.wire.filter((p) => {
      const h = decodeHeader(p.data);
      return !('notify' in h) && h.exchange === ExchangeType.AGGRESSIVE;
    });
    assert.equal(am.length, 3);
    assert.ok(payloadTypes(am[1]!.data).filter((t) => t === PayloadType.NAT_D).length === 2);
    assert.ok(payloadTypes(am[2]!.data).filter((t) => t === PayloadType.NAT_D).length === 2);
    assert.equal(am[2]!.to.port, NATT);
    const [e] = added(east);
    const [w] = added(west);
    assert.deepEqual(e!.sa.udpEncap, { localPort: NATT, remotePort: NATT });
    assert.equal(w!.sa.udpEncap!.localPort, NATT);
    assert.equal(e!.sa.outbound.spi, w!.sa.inbound.spi);
  });
});
