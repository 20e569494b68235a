import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { confFor, kill, randomPorts, showSa, startDaemon, tempDir, waitFor, type Daemon } from './harness.js';

const PSK = 'loopback-test-key';
const md5 = crypto.createHash('md5').update(PSK).digest('hex');
const policy = (cond: string): string => `Authorizer: "POLICY"
Licensees: "passphrase-md5-hex:${md5}"
Conditions: app_domain == "IPsec policy" && ${cond} -> "true";
`;

describe('isakmpd with KeyNote deciding the Quick Modes it answers', function () {
  this.timeout(60_000);
  const daemons: Daemon[] = [];
  const dir = tempDir();
  after(() => {
    for (const d of daemons) kill(d);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function pairWith(policyText: string, tag: string, phase1Policy = false): Promise<[Daemon, Daemon]> {
    const pol = path.join(dir, `${tag}.policy`);
    fs.writeFileSync(pol, policyText, { mode: 0o600 });
    const [pe, pw] = randomPorts();
    let westConf = confFor({ self: 'west', peerPort: pe, active: false, psk: PSK, policyFile: pol });
    if (phase1Policy) westConf = westConf.replace('[General]\n', '[General]\nPhase1-policy=\tyes\n');
    const west = await startDaemon(`west-${tag}`, dir, pw, westConf, [], true);
    daemons.push(west);
    const east = await startDaemon(`east-${tag}`, dir, pe, confFor({ self: 'east', peerPort: pw, active: true, psk: PSK }));
    daemons.push(east);
    return [east, west];
  }

  it('accepts when the policy licenses the pre-shared key for AES ESP', async () => {
    const [east, west] = await pairWith(policy('esp_present == "yes" && esp_enc_alg == "aes"'), 'allow');
    await waitFor(async () => (await showSa(east)).ipsec.length === 1 && (await showSa(west)).ipsec.length === 1, 20_000, 'tunnel up');
  });

  it('refuses with NO_PROPOSAL_CHOSEN when the policy wants 3DES', async () => {
    const [east, west] = await pairWith(policy('esp_enc_alg == "3des"'), 'deny');
    await waitFor(() => /refused by peer: NO_PROPOSAL_CHOSEN/.test(east.output()), 20_000, 'the refusal at the initiator');
    assert.match(west.output(), /policy refused/);
    assert.equal((await showSa(west)).ipsec.length, 0);
    assert.equal((await showSa(east)).ipsec.length, 0);
    // phase 1 itself stands: the refusal is for this Quick Mode only
    assert.equal((await showSa(west)).isakmp.length, 1);
  });

  it('[General] Phase1-policy=yes (an oakley extension) also asks the policy about phase 1', async () => {
    // this policy grants Quick Modes only (phase is "" there): with the phase 1 check on, phase 1 is refused
    const [east, west] = await pairWith(policy('phase == "" && esp_present == "yes"'), 'p1deny', true);
    await waitFor(() => /phase 1 policy refused peer/.test(west.output()), 20_000, 'the phase 1 refusal');
    assert.equal((await showSa(west)).isakmp.filter((s) => s.state === 'ESTABLISHED').length, 0);
    assert.equal((await showSa(east)).ipsec.length, 0);
    // and one that admits phase 1 too brings the tunnel up
    const [e2, w2] = await pairWith(policy('(phase == "1" || esp_present == "yes")'), 'p1allow', true);
    await waitFor(async () => (await showSa(e2)).ipsec.length === 1 && (await showSa(w2)).ipsec.length === 1, 20_000, 'tunnel up');
  });

  it('will not start when the policy file is missing, and says how to run without KeyNote', async () => {
    const [pe, pw] = randomPorts();
    await assert.rejects(
      startDaemon('nopolicy', dir, pw, confFor({ self: 'west', peerPort: pe, active: false, policyFile: path.join(dir, 'absent.policy') }), [], true),
      /-K/,
    );
  });
});
