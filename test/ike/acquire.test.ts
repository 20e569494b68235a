// Negotiation on demand: a data plane ACQUIRE (an outbound packet on a flow without an SA) brings up the
// covering connection, Phase 1 included, or a host-to-host one with Default-phase-2-suites.
import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added, events } from './sim.js';
import { idCovers } from '../../src/ike/acquire.js';

describe('ike engine: ACQUIRE-driven negotiation', () => {
  it('an ACQUIRE inside a connection\'s IDs starts Phase 1 and then its Quick Mode', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    const east = net.add('east', EAST, cfg.east, 'acq-e');
    const west = net.add('west', WEST, cfg.west, 'acq-w');
    net.command(east, { type: 'acquire', src: '192.0.2.7', dst: '198.51.100.9' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(events(east, 'phase1-done').length, 1);
    assert.equal(added(east)[0]!.sa.connection, 'east-west');
    assert.equal(added(east)[0]!.sa.localSelector, '192.0.2.0/24');
    // a second ACQUIRE for the same flow while it is up changes nothing
    net.command(east, { type: 'acquire', src: '192.0.2.8', dst: '198.51.100.10' });
    net.run(net.now + 10_000);
    assert.equal(added(east).length, 1);
  });

  it('no covering connection but a known peer: a host-to-host SA with Default-phase-2-suites', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    const suite = cfg.east.connections[0]!.suites[0]!;
    cfg.east.defaultSuites = [{ ...suite, name: 'QM-ESP-AES-SHA-PFS-SUITE' }];
    // west accepts exactly these two hosts
    cfg.west.connections.push({
      name: 'hosts', peer: 'peer-east', suites: [suite], passive: true,
      localId: { type: 'IPV4_ADDR', address: '203.0.113.9' }, remoteId: { type: 'IPV4_ADDR', address: '203.0.113.7' },
    });
    const east = net.add('east', EAST, cfg.east, 'acqd-e');
    const west = net.add('west', WEST, cfg.west, 'acqd-w');
    net.command(east, { type: 'acquire', src: '203.0.113.7', dst: '203.0.113.9', peer: WEST.address });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const e = added(east)[0]!.sa;
    assert.equal(e.connection, 'acquire-203.0.113.7-203.0.113.9');
    assert.equal(e.localSelector, '203.0.113.7/32');
    assert.equal(e.remoteSelector, '203.0.113.9/32');
    assert.equal(added(west)[0]!.sa.connection, 'hosts');
  });

  it('an ACQUIRE nothing covers and without a peer is counted and sends nothing', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    const east = net.add('east', EAST, cfg.east, 'acqn-e');
    net.command(east, { type: 'acquire', src: '203.0.113.1', dst: '203.0.113.2' });
    net.run(10_000);
    assert.equal(net.wire.length, 0);
    assert.equal(east.engine.stats.dropped['acquire-no-connection'], 1);
  });

  it('idCovers: addresses, IPv4 and IPv6 subnets, never across families or for names', () => {
    assert.ok(idCovers({ type: 'IPV4_ADDR_SUBNET', network: '192.0.2.0', netmask: '255.255.255.0' }, '192.0.2.200'));
    assert.ok(!idCovers({ type: 'IPV4_ADDR_SUBNET', network: '192.0.2.0', netmask: '255.255.255.128' }, '192.0.2.200'));
    assert.ok(idCovers({ type: 'IPV6_ADDR_SUBNET', network: '2001:db8::', netmask: 'ffff:ffff::' }, '2001:db8:1::5'));
    assert.ok(!idCovers({ type: 'IPV6_ADDR_SUBNET', network: '2001:db8::', netmask: 'ffff:ffff::' }, '192.0.2.1'));
    assert.ok(idCovers({ type: 'IPV4_ADDR', address: '198.51.100.1' }, '198.51.100.1'));
    assert.ok(!idCovers({ type: 'FQDN', name: 'host.example' }, '198.51.100.1'));
  });
});
