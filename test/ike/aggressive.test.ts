import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added, events, type PairOptions } from './sim.js';
import { decodeHeader, decodePayloads } from '../../src/isakmp/index.js';
import { PayloadType, ExchangeType } from '../../src/isakmp/numbers.js';
import { AGGRESSIVE_QM_DELAY_MS } from '../../src/ike/engine.js';

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
      return !('notify' in h) && h.exchange === ExchangeType.AGGRESSIVE;
    });
    assert.equal(ph1.length, 3);
    const h1 = decodeHeader(ph1[0]!.data);
    assert.ok(!('notify' in h1));
    const p1 = decodePayloads(h1.nextPayload, Buffer.from(ph1[0]!.data.subarray(28)));
    assert.ok(Array.isArray(p1));
    assert.deepEqual(p1.map((p) => p.type), [PayloadType.SA, PayloadType.KEY_EXCH, PayloadType.NONCE, PayloadType.ID, PayloadType.VENDOR]); // VID: DPD
    const [a] = added(east);
    const [b] = added(west);
    assert.equal(a!.sa.outbound.spi, b!.sa.inbound.spi);
    assert.deepEqual(Buffer.from(a!.sa.outbound.encKey), Buffer.from(b!.sa.inbound.encKey));
    assert.deepEqual(Buffer.from(a!.sa.inbound.authKey), Buffer.from(b!.sa.outbound.authKey));
    assert.equal(a!.sa.pfsGroup, 14);
    assert.equal([...east.engine.sas.values()][0]!.exchange, 'aggressive');
    // Quick Mode 1 leaves a moment after our third message, never in the same burst: a peer that handles
    // datagrams on several threads must see phase 1 complete first
    const am3 = ph1[2]!;
    const qm1 = net.wire.find((p) => decodeHeader(p.data).exchange === ExchangeType.QUICK_MODE)!;
    assert.equal(am3.from.address, EAST.address);
    assert.ok(qm1.at - am3.at >= AGGRESSIVE_QM_DELAY_MS, `QM1 ${qm1.at - am3.at} ms after AM3`);
  });

  it('a lost third message is recovered: the responder retransmits, the initiator answers again', () => {
    const { net, east, west } = pair(AM);
    let dropped = false;
    net.filter = (p) => {
      const h = decodeHeader(p.data);
      if (!dropped && !('notify' in h) && h.exchange === ExchangeType.AGGRESSIVE && p.from.address === EAST.address && h.nextPayload === PayloadType.HASH) {
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

  it('an unexpected identity in the first message is refused at once: no second message, logged at level 0', () => {
    const { net, east, west } = pair(AM);
    // west expects east to say fqdn/east.example, east says its address
    west.engine.config.peers[0]!.remoteId = { type: 'FQDN', name: 'east.example' };
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000);
    const am = net.wire.filter((p) => decodeHeader(p.data).exchange === ExchangeType.AGGRESSIVE);
    assert.equal(am.length, 1, 'no AM2 (and so no HASH_R) for an identity west does not expect');
    const fromWest = net.wire.filter((p) => p.from.address === WEST.address).map((p) => decodeHeader(p.data).exchange);
    assert.deepEqual(fromWest, [ExchangeType.INFO], 'only the INVALID-ID-INFORMATION notify');
    const refusal = west.logs.find((l) => /refused: peer ID 127\.0\.0\.1\/32 is not the expected fqdn\/east\.example/.test(l.msg));
    assert.ok(refusal, JSON.stringify(west.logs.map((l) => l.msg)));
    assert.equal(refusal.level, 0);
    assert.equal(west.engine.stats.dropped['invalid_id_information'], 1);
    assert.equal(west.engine.sas.size, 0);
    assert.match(events(east, 'failed')[0]!.msg, /INVALID_ID_INFORMATION/);
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
