import assert from 'node:assert/strict';
import { SimNet, pairConfigs, added, events } from './sim.js';
import type { EngineConfig } from '../../src/ike/config.js';

const E6 = { address: '::1', port: 500 };
const W6 = { address: 'fd00::2', port: 500 };

function v6(cfg: EngineConfig, self: typeof E6, other: typeof E6, local: string, remote: string): EngineConfig {
  const peer = { ...cfg.peers[0]!, address: other };
  const conn = {
    ...cfg.connections[0]!,
    localId: { type: 'IPV6_ADDR_SUBNET' as const, network: local, netmask: 'ffff:ffff:ffff:ffff::' },
    remoteId: { type: 'IPV6_ADDR_SUBNET' as const, network: remote, netmask: 'ffff:ffff:ffff:ffff::' },
  };
  void self;
  return { ...cfg, peers: [peer], connections: [conn], phase1ByAddress: { [other.address]: peer.name } };
}

describe('ike engine over IPv6', () => {
  it('Main Mode + Quick Mode with IPv6 addresses and IPV6_ADDR_SUBNET selectors', () => {
    const net = new SimNet();
    const cfg = pairConfigs({ pfs: 14 });
    const east = net.add('east', E6, v6(cfg.east, E6, W6, 'fd00:1::', 'fd00:2::'), 'v6e');
    const west = net.add('west', W6, v6(cfg.west, W6, E6, 'fd00:2::', 'fd00:1::'), 'v6w');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const [e] = added(east);
    const [w] = added(west);
    assert.equal(e!.sa.localSelector, 'fd00:1::/64');
    assert.equal(e!.sa.remoteSelector, 'fd00:2::/64');
    assert.equal(w!.sa.localSelector, 'fd00:2::/64');
    assert.equal(e!.sa.outbound.spi, w!.sa.inbound.spi);
    assert.match(events(west, 'phase1-done')[0]!.msg, /id ::1\/128 -> fd00::2\/128/);
  });
});
