import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added, events, type PairOptions } from './sim.js';
import { decodeHeader, decodePayloads } from '../../src/ike/wire.js';
import { Exchange, Payload } from '../../src/ike/numbers.js';

function pair(o: PairOptions): { net: SimNet; east: ReturnType<SimNet['add']>; west: ReturnType<SimNet['add']> } {
  const net = new SimNet();
  const cfg = pairConfigs(o);
  return { net, east: net.add('east', EAST, cfg.east, 'am-e'), west: net.add('west', WEST, cfg.west, 'am-w') };
}
const AM = { exchangeEast: 'aggressive', exchangeWest: 'aggressive' } as const;

describe('ike engine: Aggressive Mode (PSK)', () => {
  it('three messages, then Quick Mode with PFS; both sides agree', () => {
    const { net, east, west } = pair({ ...AM, pfs: 14 });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const ph1 = net.wire.filter((p) => {
      const h = decodeHeader(p.data);
      return !('notify' in h) && h.exchange === Exchange.AGGRESSIVE;
    });
    assert.equal(ph1.length, 3);
    const h1 = decodeHeader(ph1[0]!.data);
    assert.ok(!('notify' in h1));
    const p1 = decodePayloads(h1.nextPayload, Buffer.from(ph1[0]!.data.subarray(28)));
    assert.ok(Array.isArray(p1));
    assert.deepEqual(p1.map((p) => p.type), [Payload.SA, Payload.KE, Payload.NONCE, Payload.ID, Payload.VID]); // VID: DPD
    const [a] = added(east);
    const [b] = added(west);
    assert.equal(a!.sa.outbound.spi, b!.sa.inbound.spi);
    assert.deepEqual(Buffer.from(a!.sa.outbound.encKey), Buffer.from(b!.sa.inbound.encKey));
    assert.deepEqual(Buffer.from(a!.sa.inbound.authKey), Buffer.from(b!.sa.outbound.authKey));
    assert.equal(a!.sa.pfsGroup, 14);
    assert.equal([...east.engine.sas.values()][0]!.exchange, 'aggressive');
  });

  it('a lost third message is recovered: the responder retransmits, the initiator answers again', () => {
    const { net, east, west } = pair(AM);
    let dropped = false;
    net.filter = (p) => {
      const h = decodeHeader(p.data);
      if (!dropped && !('notify' in h) && h.exchange === Exchange.AGGRESSIVE && p.from.address === EAST.address && h.nextPayload === Payload.HASH) {
        dropped = true;
        return 'drop';
      }
      return 'pass';
    };
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(120_000, () => added(east).length > 0 && added(west).length > 0);
    assert.ok(dropped);
    assert.equal(events(west, 'phase1-done').length, 1);
    assert.ok(west.engine.stats.retransmits >= 1);
  });

  it('a responder configured for Main Mode refuses Aggressive Mode', () => {
    const { net, east, west } = pair({ exchangeEast: 'aggressive' });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000);
    assert.equal(west.engine.sas.size, 0);
    assert.match(events(east, 'failed')[0]!.msg, /NO_PROPOSAL_CHOSEN/);
  });

  it('a wrong pre-shared key is caught by the initiator checking HASH_R', () => {
    const { net, east, west } = pair({ ...AM, pskWest: 'something-else' });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(200_000);
    assert.equal(added(east).length + added(west).length, 0);
    assert.match(events(east, 'failed')[0]!.msg, /INVALID_HASH_INFORMATION/);
    assert.equal(east.engine.sas.size, 0);
  });
});
