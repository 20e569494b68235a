// Quick Mode beyond AES-CBC ESP: CTR/GCM/GMAC, AH, AH+ESP bundles in one proposal, KILOBYTES lifetimes and
// RESPONDER-LIFETIME, over the simulated network; the negotiated keys are then installed in two real data
// planes through the daemon's DataplaneLink and a packet must cross both ways.
import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added, deleted, type Node } from './sim.js';
import type { IpsecSuite, IpsecTransform } from '../../src/ike/config.js';
import type { IpsecSaSpec } from '../../src/ike/types.js';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import { DataplaneLink, lifetimes } from '../../src/daemon/dataplane-link.js';
import { decodeHeader, decodeMessage, type SaPayload } from '../../src/isakmp/index.js';
import { ExchangeType } from '../../src/isakmp/numbers.js';
import { choosePhase2, phase2Proposals } from '../../src/ike/proposals.js';
import { udpPacket } from '../dataplane/helpers.js';

const BASE: IpsecTransform = { encr: 'aes-cbc', keyLength: 128, integ: 'hmac-sha1', mode: 'tunnel', lifeSeconds: 1200 };

function negotiate(eastSuites: IpsecSuite[], westSuites: IpsecSuite[], seed: string): { net: SimNet; east: Node; west: Node } {
  const net = new SimNet();
  const cfg = pairConfigs();
  cfg.east.connections[0]!.suites = eastSuites;
  cfg.west.connections[0]!.suites = westSuites;
  const east = net.add('east', EAST, cfg.east, `${seed}-e`);
  const west = net.add('west', WEST, cfg.west, `${seed}-w`);
  net.command(east, { type: 'connect', name: 'east-west' });
  net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
  return { net, east, west };
}

/** Each direction's keys must be the same on both sides: east's outbound is west's inbound. */
function assertKeysPair(e: IpsecSaSpec, w: IpsecSaSpec): void {
  assert.equal(e.outbound.spi, w.inbound.spi);
  assert.deepEqual(Buffer.from(e.outbound.encKey), Buffer.from(w.inbound.encKey));
  assert.deepEqual(Buffer.from(e.outbound.authKey), Buffer.from(w.inbound.authKey));
  assert.deepEqual(Buffer.from(e.inbound.encKey), Buffer.from(w.outbound.encKey));
}

/** A 64-byte IPv4/UDP packet from src to dst (discard port 9 both ways). */
const probe = (src: string, dst: string): Uint8Array => udpPacket(src, dst, 9, 9, new Uint8Array(36));

/** Installs both sides' SAs in two data planes and sends one packet each way through the tunnel. */
function trafficCrosses(e: IpsecSaSpec, w: IpsecSaSpec): { dpe: DataPlane; dpw: DataPlane } {
  const dpe = new DataPlane();
  const dpw = new DataPlane();
  const logs: string[] = [];
  new DataplaneLink(dpe, true, (m) => logs.push(m)).apply({ kind: 'add', sa: e });
  new DataplaneLink(dpw, true, (m) => logs.push(m)).apply({ kind: 'add', sa: w });
  assert.deepEqual(logs, []);
  const out = dpe.outbound(probe('192.0.2.10', '198.51.100.20'));
  assert.equal(out.action, 'protect', JSON.stringify(out));
  const got = dpw.inbound((out as Extract<typeof out, { action: 'protect' }>).out.bytes);
  assert.equal(got.action, 'deliver', JSON.stringify(got));
  const back = dpw.outbound(probe('198.51.100.20', '192.0.2.10'));
  assert.equal(back.action, 'protect');
  assert.equal(dpe.inbound((back as Extract<typeof back, { action: 'protect' }>).out.bytes).action, 'deliver');
  return { dpe, dpw };
}

describe('ike engine: Quick Mode transforms, AH, bundles and lifetimes', () => {
  for (const [encr, integ, keyLength, encBytes, authBytes] of [
    ['aes-gcm-16', 'none', 256, 36, 0],
    ['aes-gcm-8', 'none', 128, 20, 0],
    ['aes-ctr', 'hmac-sha2-256', 128, 20, 32],
    ['aes-gmac', 'none', 128, 20, 0],
  ] as const) {
    it(`ESP ${encr}${integ !== 'none' ? ` + ${integ}` : ''} ${keyLength}: key with its 4-byte salt, traffic crosses`, () => {
      const t: IpsecTransform = { ...BASE, encr, integ, keyLength };
      const { east, west } = negotiate([{ name: 's', transforms: [t] }], [{ name: 's', transforms: [{ ...BASE }, t] }], `x-${encr}`);
      const e = added(east)[0]!.sa;
      const w = added(west)[0]!.sa;
      assert.equal(e.encr, encr);
      assert.equal(e.integ, integ);
      assert.equal(e.keyLength * 8, keyLength);
      assert.equal(e.inbound.encKey.length, encBytes);
      assert.equal(e.inbound.authKey.length, authBytes);
      assertKeysPair(e, w);
      trafficCrosses(e, w);
    });
  }

  it('AH alone (HMAC-SHA2-256): AH SAs keyed from KEYMAT with protocol AH, traffic crosses', () => {
    const ah: IpsecTransform = { ...BASE, protocol: 'ah', encr: 'null', integ: 'hmac-sha2-256' };
    const { east, west } = negotiate([{ name: 'ah', transforms: [ah] }], [{ name: 'ah', transforms: [ah] }], 'ah');
    const e = added(east)[0]!.sa;
    assert.equal(e.protocol, 'ah');
    assert.equal(e.inbound.encKey.length, 0);
    assert.equal(e.inbound.authKey.length, 32);
    assertKeysPair(e, added(west)[0]!.sa);
    const { dpe } = trafficCrosses(e, added(west)[0]!.sa);
    assert.deepEqual(dpe.listSas().map((s) => s.proto), ['ah', 'ah']);
  });

  it('AH+ESP bundle: two proposal payloads with one number on the wire, four SAs, AH outside ESP', () => {
    const suite: IpsecSuite = {
      name: 'QM-AH-SHA-ESP-AES-SHA-SUITE',
      transforms: [{ ...BASE, protocol: 'ah', encr: 'null', integ: 'hmac-sha1' }, { ...BASE }],
    };
    const { net, east, west } = negotiate([suite], [suite], 'bundle');
    const e = added(east)[0]!.sa;
    const w = added(west)[0]!.sa;
    assert.equal(e.protocol, 'esp');
    assert.ok(e.ah, 'the AH pair rides with the ESP pair');
    assert.notEqual(e.ah.inbound.spi, e.inbound.spi);
    assert.equal(e.ah.outbound.spi, w.ah!.inbound.spi);
    assert.deepEqual(Buffer.from(e.ah.outbound.authKey), Buffer.from(w.ah!.inbound.authKey));
    // AH and ESP keys of the same direction differ (KEYMAT includes the protocol and SPI)
    assert.notDeepEqual(Buffer.from(e.ah.outbound.authKey), Buffer.from(e.outbound.authKey));
    assertKeysPair(e, w);
    // the engine's record answers for all four SPIs (a data-plane EXPIRE may name any of them), and no other
    const rec = [...east.engine.ipsec.values()][0]!;
    for (const spi of [e.inbound.spi, e.outbound.spi, e.ah.inbound.spi, e.ah.outbound.spi]) assert.ok(rec.hasSpi(spi), `SPI ${spi}`);
    assert.ok(!rec.hasSpi(e.inbound.spi ^ 1));
    // the offer as it went: Quick Mode message 1 is encrypted, so check our own encoding of it
    const props = phase2Proposals([suite], { esp: 0x1000, ah: 0x2000 });
    assert.deepEqual(props.map((p) => [p.number, p.protocol]), [[1, 2], [1, 3]]);
    assert.ok(net.wire.some((p) => decodeHeader(p.data).exchange === ExchangeType.QUICK_MODE));
    const { dpe } = trafficCrosses(e, w);
    assert.deepEqual(dpe.listSas().map((s) => s.proto).sort(), ['ah', 'ah', 'esp', 'esp']);
    // one tunnel: ESP tunnels, AH covers the outer header in transport mode (IP | AH | ESP | inner IP)
    assert.deepEqual(dpe.listSas().map((s) => `${s.proto} ${s.mode}`).sort(), ['ah transport', 'ah transport', 'esp tunnel', 'esp tunnel']);
    const out = dpe.outbound(probe('192.0.2.10', '198.51.100.20'));
    assert.equal(out.action, 'protect');
    const wire = (out as Extract<typeof out, { action: 'protect' }>).out.bytes;
    assert.equal(wire[9], 51, 'outer header carries AH');
    assert.equal(wire[20], 50, 'AH next header is ESP, not a second IP header');
    // Delete covers both protocols: the peer drops the whole bundle
    net.command(east, { type: 'teardown', name: 'east-west' });
    net.run(net.now + 5000);
    assert.equal(deleted(west).length, 1);
  });

  it('a bundle is chosen only by a suite with the same protocols; else the next proposal', () => {
    const bundle: IpsecSuite = { name: 'b', transforms: [{ ...BASE, protocol: 'ah', encr: 'null', integ: 'hmac-sha1' }, { ...BASE }] };
    const espOnly: IpsecSuite = { name: 'e', transforms: [{ ...BASE }] };
    const offer = phase2Proposals([bundle, espOnly], { esp: 0x1000, ah: 0x2000 });
    const c = choosePhase2(offer, [espOnly]);
    assert.ok(c);
    assert.equal(c.number, 2);
    assert.deepEqual(c.parts.map((p) => p.protocol), ['esp']);
    assert.equal(choosePhase2(offer.slice(0, 2), [espOnly]), undefined);
    assert.deepEqual(choosePhase2(offer, [bundle])!.parts.map((p) => p.protocol), ['ah', 'esp']);
  });

  it('RESPONDER-LIFETIME: a responder with shorter lifetimes says so, the initiator keeps the shorter ones', () => {
    const { east, west } = negotiate(
      [{ name: 's', transforms: [{ ...BASE, lifeSeconds: 3600 }] }],
      [{ name: 's', transforms: [{ ...BASE, lifeSeconds: 600, lifeKilobytes: 4096 }] }],
      'rl',
    );
    assert.ok(west.logs.some((l) => /RESPONDER-LIFETIME to .*600 s, 4096 KB/.test(l.msg)));
    const e = added(east)[0]!.sa;
    assert.equal(e.lifeSeconds, 600);
    assert.equal(e.lifeKilobytes, 4096);
    assert.equal(added(west)[0]!.sa.lifeSeconds, 600);
    assert.deepEqual(lifetimes(e), { hard: { seconds: 600, bytes: 4096 * 1024 }, soft: { bytes: Math.floor(4096 * 1024 * 0.9) } });
  });

  it('no RESPONDER-LIFETIME when the responder accepts the offered lifetimes', () => {
    const { west } = negotiate([{ name: 's', transforms: [{ ...BASE, lifeSeconds: 600 }] }], [{ name: 's', transforms: [{ ...BASE, lifeSeconds: 3600 }] }], 'rl2');
    assert.ok(!west.logs.some((l) => /RESPONDER-LIFETIME/.test(l.msg)));
    assert.equal(added(west)[0]!.sa.lifeSeconds, 600);
  });

  it('KILOBYTES: a soft byte expiry from the data plane renegotiates, a hard one deletes on both sides', () => {
    const t = { ...BASE, lifeKilobytes: 1000 };
    const { net, east, west } = negotiate([{ name: 's', transforms: [t] }], [{ name: 's', transforms: [t] }], 'kb');
    const first = added(east)[0]!.sa;
    assert.equal(first.lifeKilobytes, 1000);
    net.command(east, { type: 'expire', spi: first.outbound.spi, hard: false, reason: 'bytes' });
    net.run(net.now + 30_000, () => added(east).length > 1 && added(west).length > 1);
    assert.equal(added(east).length, 2, 'a new SA pair was negotiated');
    net.command(east, { type: 'expire', spi: first.outbound.spi, hard: true, reason: 'bytes' });
    net.run(net.now + 5000);
    assert.deepEqual(deleted(east).map((d) => d.id), [first.id]);
    assert.equal(deleted(west).length, 1, 'the Delete reached the peer');
    assert.equal(east.engine.ipsec.size, 1);
  });

  it('ID protocol and port selectors reach the data plane flows', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    // east: UDP from any port of 192.0.2.0/24 to port 53 of 198.51.100.0/24; west mirrors it
    cfg.east.connections[0]!.localId = { type: 'IPV4_ADDR_SUBNET', network: '192.0.2.0', netmask: '255.255.255.0', protocol: 17, port: 0 };
    cfg.east.connections[0]!.remoteId = { type: 'IPV4_ADDR_SUBNET', network: '198.51.100.0', netmask: '255.255.255.0', protocol: 17, port: 53 };
    cfg.west.connections[0]!.localId = { ...cfg.east.connections[0]!.remoteId } as typeof cfg.west.connections[0]['localId'];
    cfg.west.connections[0]!.remoteId = { ...cfg.east.connections[0]!.localId } as typeof cfg.west.connections[0]['remoteId'];
    const east = net.add('east', EAST, cfg.east, 'sel-e');
    const west = net.add('west', WEST, cfg.west, 'sel-w');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const e = added(east)[0]!.sa;
    assert.equal(e.localSelector, '192.0.2.0/24:17/0');
    assert.equal(e.remoteSelector, '198.51.100.0/24:17/53');
    const dp = new DataPlane();
    new DataplaneLink(dp, true, () => {}).apply({ kind: 'add', sa: e });
    const flows = dp.listFlows().map((f) => [f.direction, f.selector.src, f.selector.dst, f.selector.proto, f.selector.sport ?? 0, f.selector.dport ?? 0]);
    assert.deepEqual(flows.sort(), [
      ['in', '198.51.100.0/24', '192.0.2.0/24', 17, 53, 0],
      ['out', '192.0.2.0/24', '198.51.100.0/24', 17, 0, 53],
    ]);
  });

  it('ESN (RFC 4304 EXTENDED_SEQ) when both offer it, handed to the data plane; not when only one does', () => {
    const esn: IpsecTransform = { ...BASE, esn: true };
    const { east, west } = negotiate([{ name: 's', transforms: [esn] }], [{ name: 's', transforms: [esn] }], 'esn');
    const e = added(east)[0]!.sa;
    assert.equal(e.esn, true);
    const { dpe } = trafficCrosses(e, added(west)[0]!.sa);
    assert.ok(dpe.listSas().every((x) => x.esn));
    const one = negotiate([{ name: 's', transforms: [esn] }], [{ name: 's', transforms: [{ ...BASE }] }], 'esn1');
    assert.equal(added(one.east).length, 0, 'an ESN offer is not accepted by a responder without ESN');
  });

  it('an established tunnel keeps no exchange material: no DH, nonces or keys in the records, no last message after Exchange-max-time', () => {
    const { net, east, west } = negotiate([{ name: 's', transforms: [{ ...BASE, pfsGroup: 14 }] }], [{ name: 's', transforms: [{ ...BASE, pfsGroup: 14 }] }], 'lean');
    for (const n of [east, west]) {
      const sa = [...n.engine.sas.values()][0]!;
      assert.deepEqual([sa.dh, sa.gxi, sa.gxr, sa.ni, sa.nr, sa.saiB], [undefined, undefined, undefined, undefined, undefined, undefined]);
      assert.ok(sa.xmit.reply && (sa.xmit.lastSent ?? []).every((o) => o.plain === undefined), 'the last reply kept, no plaintext copy');
      const rec = [...n.engine.ipsec.values()][0]!;
      assert.equal(rec.spec.inbound.encKey.length + rec.spec.outbound.authKey.length, 0, 'keys only in the data plane');
      for (const q of n.engine.quick.values()) assert.deepEqual([q.ni, q.nr, q.dh, q.gxy, q.proposals], [undefined, undefined, undefined, undefined, undefined]);
    }
    net.run(net.now + 125_000);
    for (const n of [east, west]) {
      const x = [...n.engine.sas.values()][0]!.xmit;
      assert.equal(x.lastSent ?? x.reply, undefined);
      assert.equal(n.engine.quick.size, 0);
    }
  });

  it('lifetimes above 65535 go as variable-length attributes (a day: 86400 s) in both phases', () => {
    const net = new SimNet();
    const cfg = pairConfigs({ lifeSeconds: 86400 });
    for (const c of [cfg.east, cfg.west]) c.peers[0]!.transforms = [{ ...c.peers[0]!.transforms[0]!, lifeSeconds: 86400 }];
    const east = net.add('east', EAST, cfg.east, 'day-e');
    const west = net.add('west', WEST, cfg.west, 'day-w');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(east.engine.stats.dropped['internal-error'], undefined);
    assert.equal(added(west)[0]!.sa.lifeSeconds, 86400);
    assert.equal([...west.engine.sas.values()][0]!.transform!.lifeSeconds, 86400);
    // the first Main Mode message carries LIFE_DURATION as a 4-byte TLV
    const mm1 = decodeMessage(net.wire[0]!.data);
    const sa = mm1.payloads[0] as SaPayload;
    const dur = sa.proposals[0]!.transforms[0]!.attributes.find((a) => a.type === 12)!;
    assert.deepEqual(dur.value, Uint8Array.of(0, 1, 0x51, 0x80));
  });

  it('Phase 1 KILOBYTES: the ISAKMP SA expires after that much IKE traffic; its IPsec SA lives on', () => {
    const net = new SimNet();
    const cfg = pairConfigs({ pfs: 14 });
    for (const c of [cfg.east, cfg.west]) c.peers[0]!.transforms = [{ ...c.peers[0]!.transforms[0]!, lifeKilobytes: 1 }];
    const east = net.add('east', EAST, cfg.east, 'p1kb-e');
    const west = net.add('west', WEST, cfg.west, 'p1kb-w');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const sa = [...east.engine.sas.values()][0]!;
    assert.equal(sa.transform?.lifeKilobytes, 1);
    assert.ok(sa.ikeBytes! < 1024, `${sa.ikeBytes} bytes after one Quick Mode`);
    // a second Quick Mode with PFS takes the ISAKMP SA past 1 KB
    net.command(east, { type: 'teardown', name: 'east-west' });
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(net.now + 60_000, () => added(east).length > 1);
    net.run(net.now + 1000);
    assert.equal(east.engine.sas.size, 0, 'Quick Mode traffic passed 1 KB: the ISAKMP SA is gone');
    assert.ok(east.logs.some((l) => /reached its lifetime of 1 KB/.test(l.msg)));
    assert.equal(east.engine.ipsec.size, 1, 'the second IPsec SA outlives it');
  });
});

