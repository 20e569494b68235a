// The optional Phase 1 policy check (`[General] Phase1-policy=yes`, an oakley extension): after the peer
// authenticated, KeyNote is asked with phase = "1"; a refusal ends phase 1 before any Quick Mode.
import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added, events } from './sim.js';
import { keynotePhase1Policy, keynotePolicy } from '../../src/daemon/policy-link.js';
import { parsePolicyText } from '../../src/policy/index.js';

const policy = (cond: string): string => `Authorizer: "POLICY"
Licensees: "passphrase:mekmitasdigoat"
Conditions: app_domain == "IPsec policy" && ${cond} -> "true";
`;

function run(policyText: string): { east: ReturnType<SimNet['add']>; west: ReturnType<SimNet['add']> } {
  const p = parsePolicyText(policyText, 'test.policy');
  assert.ok(p.policy, JSON.stringify(p.diagnostics));
  const net = new SimNet();
  const cfg = pairConfigs();
  cfg.west.phase1Policy = keynotePhase1Policy(p.policy, () => {});
  cfg.west.policy = keynotePolicy(p.policy, () => {});
  const east = net.add('east', EAST, cfg.east, 'p1p-e');
  const west = net.add('west', WEST, cfg.west, 'p1p-w');
  net.command(east, { type: 'connect', name: 'east-west' });
  net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
  return { east, west };
}

describe('ike engine: optional Phase 1 policy', () => {
  it('a peer the phase 1 policy admits comes up (and the Quick Mode check still runs with phase "")', () => {
    // one assertion for each phase: phase 1 by the peer's IKE address, phase 2 by its filter
    const { east, west } = run(policy('phase == "1" && remote_ike_address == "127.000.000.001"') +
      '\n' + policy('phase == "" && remote_filter == "192.000.002.000-192.000.002.255"'));
    assert.equal(events(west, 'phase1-done').length, 1);
    assert.equal(added(west).length, 1);
    assert.equal(added(east).length, 1);
  });

  it('a peer the phase 1 policy does not admit fails phase 1 with AUTHENTICATION_FAILED', () => {
    const { east, west } = run(policy('phase == "1" && remote_ike_address == "127.000.000.099"'));
    assert.equal(events(west, 'phase1-done').length, 0);
    assert.ok(events(west, 'failed').some((l) => /phase 1 policy refused peer-east/.test(l.msg)), JSON.stringify(west.logs.map((l) => l.msg)));
    assert.equal(added(east).length + added(west).length, 0);
  });

  it('assertions written for Quick Mode (no phase condition on "1") do not admit a phase 1 check by accident', () => {
    const { west } = run(policy('phase == "" && esp_present == "yes"'));
    assert.equal(events(west, 'phase1-done').length, 0);
  });
});
