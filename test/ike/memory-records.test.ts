// What the engine keeps per tunnel once it is up: an ISAKMP SA without its exchange material (g^x, nonces,
// SA payload, SKEYID), a finished Quick Mode with only what duplicate handling needs, shared allocations for
// small byte strings. And the compact records still do their jobs: answer duplicates, rekey, delete.
import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added, deleted, type PairOptions } from './sim.js';
import { KEY_LOG_LEVEL } from '../../src/crypto/index.js';
import { decodeHeader } from '../../src/isakmp/index.js';
import { ExchangeType } from '../../src/isakmp/numbers.js';
import { idText } from '../../src/ike/ids.js';

function up(o: PairOptions = {}, seed = 'mem'): { net: SimNet; east: ReturnType<SimNet['add']>; west: ReturnType<SimNet['add']> } {
  const net = new SimNet();
  const cfg = pairConfigs(o);
  const east = net.add('east', EAST, cfg.east, `east-${seed}`);
  const west = net.add('west', WEST, cfg.west, `west-${seed}`);
  net.command(east, { type: 'connect', name: 'east-west' });
  net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
  assert.equal(added(east).length, 1);
  return { net, east, west };
}

const exchangeOf = (data: Uint8Array): number => {
  const h = decodeHeader(data);
  assert.ok(!('notify' in h));
  return h.exchange;
};

describe('ike engine: what an established tunnel keeps', () => {
  for (const o of [{}, { pfs: 14 }, { exchangeEast: 'aggressive' as const, exchangeWest: 'aggressive' as const }]) {
    it(`the ISAKMP SA holds no g^x, nonces, SA payload or SKEYID once established ${JSON.stringify(o)}`, () => {
      const { east, west } = up(o);
      for (const n of [east, west]) {
        const [sa] = [...n.engine.sas.values()];
        assert.ok(sa);
        assert.equal(sa.state, 'ESTABLISHED');
        for (const f of ['dh', 'gxi', 'gxr', 'ni', 'nr', 'saiB', 'offered', 'peerIdAm'] as const) assert.equal(sa[f], undefined, f);
        assert.equal(sa.keys!.authenticating, false);
        const log = sa.keys!.exportForLog(KEY_LOG_LEVEL);
        assert.equal(log.skeyid, undefined);
        assert.equal(log.skeyidE, undefined);
        assert.ok(log.skeyidD && log.skeyidA && log.encryptionKey);
        assert.equal(sa.keys!.openIvChains, 0, 'the finished Quick Mode left its IV chain');
        // the record holds no small Buffer of its own: cookies and the peer's ID come out as fresh copies
        assert.ok(!Object.values(sa).some((v) => v instanceof Uint8Array), 'a Buffer field in the ISAKMP SA record');
        assert.equal(sa.icookie.length, 8);
        assert.equal(sa.rcookie.length, 8);
        assert.ok(!sa.rcookie.every((b) => b === 0));
        const ic = sa.icookie.toString('hex');
        sa.icookie.fill(0);
        assert.equal(sa.icookie.toString('hex'), ic, 'a read cookie is a copy');
        assert.equal(sa.peerId!.idType, 1);
        assert.equal(sa.peerId!.data.length, 4);
        // the configured transform is referenced, not copied
        assert.ok(sa.peer.transforms.includes(sa.transform!));
        assert.ok(Array.isArray(sa.usedMessageIds));
      }
      // both peers agree on the cookies (the initiator wrote the responder cookie in place)
      const [a] = [...east.engine.sas.values()];
      const [b] = [...west.engine.sas.values()];
      assert.equal(a!.icookie.toString('hex'), b!.icookie.toString('hex'));
      assert.equal(a!.rcookie.toString('hex'), b!.rcookie.toString('hex'));
      assert.equal(a!.idI, b!.idI);
      assert.equal(a!.idR, b!.idR);
      // each side's record of the peer's ID is what the peer sent as its own
      assert.equal(idText(a!.peerId!), b!.initiator ? b!.idI : b!.idR);
      assert.equal(idText(b!.peerId!), a!.initiator ? a!.idI : a!.idR);
    });
  }

  it('the IPsec SA record keeps SPIs only; the install carries all keys in one allocation', () => {
    const { east } = up({}, 'keys');
    const spec = added(east)[0]!.sa;
    const buf = spec.inbound.encKey.buffer;
    assert.equal(spec.inbound.encKey.length, 16);
    assert.equal(spec.inbound.authKey.length, 20);
    for (const k of [spec.inbound.authKey, spec.outbound.encKey, spec.outbound.authKey]) assert.equal(k.buffer, buf);
    assert.equal(buf.byteLength, 72);
    const rec = [...east.engine.ipsec.values()][0]!;
    assert.equal(rec.spec.inbound.encKey.length + rec.spec.inbound.authKey.length + rec.spec.outbound.encKey.length + rec.spec.outbound.authKey.length, 0);
    assert.equal(rec.spec.inbound.spi, spec.inbound.spi);
    assert.equal(rec.spec.id, spec.id);
  });

  it('a finished Quick Mode keeps only its last message, in its own memory, and one received hash', () => {
    const { net, east, west } = up({ pfs: 14 }, 'qm');
    net.run(net.now + 1000);
    for (const n of [east, west]) {
      const [q] = [...n.engine.quick.values()];
      assert.ok(q);
      assert.equal(q.state, 'DONE');
      for (const f of ['ni', 'nr', 'dh', 'gxy', 'proposals', 'idci', 'idcr', 'parts', 'natOa'] as const) assert.equal(q[f], undefined, f);
      // the last message as a one-byte string (no Buffer, no view pinning the encoder's buffer, no plaintext)
      assert.equal(q.xmit.lastSent, undefined);
      assert.equal(typeof q.xmit.reply!.bytes, 'string');
      assert.ok(q.xmit.reply!.bytes.length >= 28);
      // the newest received message (its duplicate earns the resend) and, on the responder, QM1 before it
      assert.ok(q.xmit.recv.length <= 2);
      assert.ok(q.xmit.recv.every((h) => h.length === 20));
    }
    // after Exchange-max-time nothing of the exchanges is left
    net.run(net.now + 125_000);
    for (const n of [east, west]) {
      assert.equal(n.engine.quick.size, 0);
      const x = [...n.engine.sas.values()][0]!.xmit;
      assert.equal(x.lastSent ?? x.reply, undefined);
    }
  });

  it('the compact records still answer a duplicate with the last reply (Main Mode and Quick Mode)', () => {
    const { net, east, west } = up({}, 'dup');
    const later = net.now + 2000; // at most one resend per second per exchange
    const wire = net.wire.map((p) => p);
    const mm = wire.filter((p) => exchangeOf(p.data) === ExchangeType.ID_PROT);
    const qm = wire.filter((p) => exchangeOf(p.data) === ExchangeType.QUICK_MODE);
    assert.equal(mm.length, 6);
    assert.equal(qm.length, 3);
    // the responder gets MM5 again: it sends MM6 again, byte for byte, and establishes nothing new
    const before = west.engine.stats.duplicates;
    const fx = west.engine.receive(mm[4]!.data, mm[4]!.from, WEST, later);
    assert.equal(west.engine.stats.duplicates, before + 1);
    assert.equal(fx.send.length, 1);
    assert.deepEqual(Buffer.from(fx.send[0]!.data), Buffer.from(mm[5]!.data));
    // the Quick Mode initiator gets QM2 again: it sends QM3 again
    const fx2 = east.engine.receive(qm[1]!.data, qm[1]!.from, EAST, later);
    assert.equal(fx2.send.length, 1);
    assert.deepEqual(Buffer.from(fx2.send[0]!.data), Buffer.from(qm[2]!.data));
    // the responder gets QM3 again: nothing to answer (its QM2 was not a request), nothing installed twice
    const fx3 = west.engine.receive(qm[2]!.data, qm[2]!.from, WEST, later);
    assert.equal(fx3.install.length, 0);
    assert.equal(added(west).length, 1);
    assert.equal(east.engine.stats.failures + west.engine.stats.failures, 0);
  });

  it('the compact records rekey (keys agree on the new SA) and delete', () => {
    const { net, east, west } = up({ lifeSeconds: 300 }, 'rekey');
    // past Exchange-max-time: everything is compacted
    net.run(net.now + 130_000);
    assert.equal(east.engine.quick.size + west.engine.quick.size, 0);
    net.run(net.now + 170_000, () => added(east).length > 1 && added(west).length > 1);
    assert.equal(added(east).length, 2);
    assert.equal(added(west).length, 2);
    const a = added(east)[1]!.sa;
    const b = added(west)[1]!.sa;
    assert.equal(a.outbound.spi, b.inbound.spi);
    assert.deepEqual(Buffer.from(a.outbound.encKey), Buffer.from(b.inbound.encKey));
    assert.deepEqual(Buffer.from(a.inbound.authKey), Buffer.from(b.outbound.authKey));
    net.command(east, { type: 'teardown', name: 'east-west' });
    net.run(net.now + 1000);
    assert.ok(deleted(west).length >= 1, 'the Delete under the compact ISAKMP SA reached the peer');
  });

  it('`show sa` (the engine snapshot) reads the compact records as it read the full ones', () => {
    const { east, west } = up({ pfs: 14 }, 'show');
    for (const n of [east, west]) {
      const spec = added(n)[0]!.sa;
      const snap = n.engine.snapshot();
      assert.equal(snap.ipsec.length, 1);
      const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;
      assert.deepEqual(snap.ipsec[0], {
        id: spec.id, connection: spec.connection, peer: n === east ? 'peer-west' : 'peer-east',
        local: `${spec.local.address}:${spec.local.port}`, remote: `${spec.remote.address}:${spec.remote.port}`,
        spiIn: hex(spec.inbound.spi), spiOut: hex(spec.outbound.spi), protocol: 'esp', mode: 'tunnel', encr: 'aes-128-cbc',
        integ: 'hmac-sha1', lifeSeconds: 1200, lifeKilobytes: null, pfsGroup: 14, localSelector: spec.localSelector,
        remoteSelector: spec.remoteSelector, encap: 'none', expiresInSec: 1200,
      });
      const [sa] = [...n.engine.sas.values()];
      const p1 = snap.isakmp[0]!;
      assert.equal(p1.icookie, sa!.icookie.toString('hex'));
      assert.equal(p1.rcookie, sa!.rcookie.toString('hex'));
      assert.equal(p1.state, 'ESTABLISHED');
      assert.equal(p1.idI, '127.0.0.1/32');
      assert.equal(p1.idR, '127.0.0.2/32');
      assert.equal(p1.exchange, 'main');
      assert.equal(snap.exchanges, 0);
    }
  });
});
