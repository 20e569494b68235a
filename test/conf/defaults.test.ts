// Built-in defaults (isakmpd conf_load_defaults): present on every load, marked as defaults, and beaten
// tag by tag by the file.
import assert from 'node:assert/strict';
import { parseConfigText, defaultsOnlyConfig } from '../../src/conf/index.js';

const DEFAULTS: [string, string, string][] = [
  ['General', 'Retransmits', '3'],
  ['General', 'Exchange-max-time', '120'],
  ['General', 'Use-Keynote', 'yes'],
  ['General', 'Policy-file', '/etc/isakmpd/isakmpd.policy'],
  ['General', 'Pubkey-directory', '/etc/isakmpd/pubkeys/'],
  ['General', 'Delete-SAs', 'yes'],
  ['X509-certificates', 'CA-directory', '/etc/isakmpd/ca/'],
  ['X509-certificates', 'Cert-directory', '/etc/isakmpd/certs/'],
  ['X509-certificates', 'Private-key', '/etc/isakmpd/private/local.key'],
  ['X509-certificates', 'Private-key-directory', '/etc/isakmpd/private/'],
  ['X509-certificates', 'CRL-directory', '/etc/isakmpd/crls/'],
  ['KeyNote', 'Credential-directory', '/etc/isakmpd/keynote/'],
  ['LIFE_MAIN_MODE', 'LIFE_TYPE', 'SECONDS'],
  ['LIFE_MAIN_MODE', 'LIFE_DURATION', '3600,60:86400'],
  ['LIFE_QUICK_MODE', 'LIFE_TYPE', 'SECONDS'],
  ['LIFE_QUICK_MODE', 'LIFE_DURATION', '1200,60:86400'],
  ['Default-phase-1-configuration', 'EXCHANGE_TYPE', 'ID_PROT'],
  ['Default-phase-1-configuration', 'Transforms', '3DES-SHA-RSA_SIG'],
  ['Phase 1', 'Default', 'Default-phase-1'],
  ['Default-phase-1', 'Phase', '1'],
  ['Default-phase-1', 'Configuration', 'Default-phase-1-configuration'],
];

describe('conf built-in defaults', () => {
  for (const [s, t, v] of DEFAULTS) {
    it(`[${s}]:${t} defaults to ${v}, marked as a default`, () => {
      const { config } = parseConfigText('[X]\na=b\n', 'f', { noValidate: true });
      const b = config.binding(s, t);
      assert.equal(b?.value, v);
      assert.equal(b?.isDefault, true);
    });
  }

  it('an empty file still has every default (as isakmpd without a file)', () => {
    const c = defaultsOnlyConfig();
    for (const [s, t, v] of DEFAULTS) assert.equal(c.get(s, t), v, `[${s}]:${t}`);
    assert.equal(c.get('Default-phase-1', 'ID'), undefined);
  });

  it('a file value wins over a default, tag by tag, and is not marked as default', () => {
    const { config } = parseConfigText('[General]\nRetransmits=7\n[Default-phase-1-configuration]\nTransforms=AES-SHA\n', 'f', { noValidate: true });
    assert.equal(config.get('General', 'Retransmits'), '7');
    assert.equal(config.binding('General', 'Retransmits')?.isDefault, false);
    assert.equal(config.binding('General', 'Retransmits')?.origin.line, 2);
    assert.equal(config.get('General', 'Exchange-max-time'), '120');
    assert.equal(config.get('Default-phase-1-configuration', 'Transforms'), 'AES-SHA');
    assert.equal(config.get('Default-phase-1-configuration', 'EXCHANGE_TYPE'), 'ID_PROT');
  });

  it('Default-phase-N-lifetime feeds LIFE_MAIN_MODE / LIFE_QUICK_MODE', () => {
    const { config } = parseConfigText('[General]\nDefault-phase-1-lifetime=7200,600:86400\nDefault-phase-2-lifetime=900\n', 'f', { noValidate: true });
    assert.equal(config.get('LIFE_MAIN_MODE', 'LIFE_DURATION'), '7200,600:86400');
    assert.equal(config.get('LIFE_QUICK_MODE', 'LIFE_DURATION'), '900');
  });

  it('Default-phase-1-ID becomes [Default-phase-1]:ID', () => {
    const { config } = parseConfigText('[General]\nDefault-phase-1-ID=my-id\n[my-id]\nID-type=FQDN\nName=gw.example.org\n', 'f', { noValidate: true });
    assert.equal(config.get('Default-phase-1', 'ID'), 'my-id');
  });

  it('the model applies code fallbacks for tags with no default', () => {
    const g = defaultsOnlyConfig().general();
    assert.equal(g.retransmits, 3);
    assert.equal(g.checkInterval, 60);
    assert.equal(g.dpdCheckInterval, 0);
    assert.equal(g.natTKeepalive, 20);
    assert.equal(g.useKeynote, true);
    assert.equal(g.deleteSAs, true);
    assert.deepEqual(g.defaultPhase2Suites, ['QM-ESP-3DES-SHA-PFS-SUITE']);
    const { config } = parseConfigText('[General]\nUse-Keynote=YES\nNAT-T-Keepalive=0\nDelete-SAs=no\nShared-SADB=Defined\n', 'f', { noValidate: true });
    const h = config.general();
    assert.equal(h.useKeynote, false, 'only the literal prefix "yes" enables KeyNote');
    assert.equal(h.natTKeepalive, 20, 'a value < 1 means 20');
    assert.equal(h.deleteSAs, false);
    assert.equal(h.sharedSADB, true, 'presence of the tag is enough');
  });

  it('the built-in [Phase 1] Default peer answers unknown addresses', () => {
    const c = defaultsOnlyConfig();
    const p = c.peerByAddress('198.18.0.9');
    assert.equal(p?.section, 'Default-phase-1');
    assert.equal(p?.configuration, 'Default-phase-1-configuration');
    assert.deepEqual(c.phase1Proposal(p!)?.transforms.map((t) => [t.section, t.authMethod]), [['3DES-SHA-RSA_SIG', 'RSA_SIG']]);
  });
});
