// isakmpd.conf to engine config: legacy ciphers OpenSSL cannot run in this process are reported once,
// where the file names them, and left out of what the engine offers.
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/conf/index.js';
import { cipherAvailable, PHASE1_CIPHERS } from '../../src/crypto/index.js';
import { mapConfig } from '../../src/daemon/conf-map.js';
import { IkeEncryption } from '../../src/isakmp/numbers.js';
import { phase1Proposal } from '../../src/ike/proposals.js';

const CONF = `[Phase 1]
198.18.0.2=		peer-west

[peer-west]
Phase=			1
Address=		198.18.0.2
Authentication=		mekmitasdigoat
Configuration=		mm-west

[mm-west]
EXCHANGE_TYPE=		ID_PROT
Transforms=		des-sha,aes-sha

[des-sha]
ENCRYPTION_ALGORITHM=	DES_CBC
HASH_ALGORITHM=		SHA
AUTHENTICATION_METHOD=	PRE_SHARED
GROUP_DESCRIPTION=	MODP_1024

[aes-sha]
ENCRYPTION_ALGORITHM=	AES_CBC
HASH_ALGORITHM=		SHA
AUTHENTICATION_METHOD=	PRE_SHARED
GROUP_DESCRIPTION=	MODP_2048
`;

describe('daemon config mapping: legacy ciphers', () => {
  const des = PHASE1_CIPHERS.find((c) => c.name === 'DES_CBC')!;
  const desHere = cipherAvailable(des.openssl(des.defaultKeyBits), des.defaultKeyBits / 8, des.blockSize);

  it('DES without the legacy provider: one warning with file:line and the fix, and DES is not offered', () => {
    const r = parseConfigText(CONF, 'west.conf');
    assert.ok(r.ok, JSON.stringify(r.diagnostics));
    const m = mapConfig(r.config);
    const peer = m.engine.peers.find((p) => p.name === 'peer-west')!;
    const offered = phase1Proposal(peer.transforms).transforms.map((t) => t.attributes.find((a) => a.type === 1)!.value);
    const legacyWarnings = m.warnings.filter((w) => /legacy-provider/.test(w));
    if (desHere) {
      // This process runs with the legacy provider: DES is usable and offered, nothing to warn about.
      assert.deepEqual(offered, [IkeEncryption.DES_CBC, IkeEncryption.AES_CBC]);
      assert.equal(legacyWarnings.length, 0);
    } else {
      assert.deepEqual(offered, [IkeEncryption.AES_CBC]);
      assert.equal(legacyWarnings.length, 1, m.warnings.join('\n'));
      assert.match(legacyWarnings[0]!, /^west\.conf:\d+: warning: \[des-sha\]/);
      assert.match(legacyWarnings[0]!, /DES_CBC/);
      // no second, vaguer "not implemented" line for the same transform
      assert.equal(m.warnings.filter((w) => w.includes('des-sha')).length, 1);
    }
  });

});

describe('daemon config mapping: Phase 2 suites', () => {
  const conf = (suites: string, extra = ''): string => `${CONF}
[Phase 2]
Connections=		tun

[tun]
Phase=			2
ISAKMP-peer=		peer-west
Configuration=		qm

[qm]
EXCHANGE_TYPE=		QUICK_MODE
Suites=			${suites}
${extra}`;

  it('an AH+ESP suite becomes one suite with an AH and an ESP transform; AES-GCM has no integrity algorithm', () => {
    const r = parseConfigText(conf('my-bundle,QM-ESP-AESGCM-256-SUITE', `
[my-bundle]
Protocols=		my-ah,my-esp

[my-ah]
PROTOCOL_ID=		IPSEC_AH
Transforms=		my-ah-sha

[my-ah-sha]
TRANSFORM_ID=		SHA
AUTHENTICATION_ALGORITHM=	HMAC_SHA
ENCAPSULATION_MODE=	TUNNEL
Life=			my-life

[my-esp]
PROTOCOL_ID=		IPSEC_ESP
Transforms=		my-esp-aes

[my-esp-aes]
TRANSFORM_ID=		AES
KEY_LENGTH=		256
AUTHENTICATION_ALGORITHM=	HMAC_SHA2_256
ENCAPSULATION_MODE=	TUNNEL
Life=			my-life

[my-life]
LIFE_TYPE=		KILOBYTES
LIFE_DURATION=		1000
`), 'p2.conf');
    assert.ok(r.ok, JSON.stringify(r.diagnostics.filter((d) => d.severity === 'error')));
    const m = mapConfig(r.config);
    const tun = m.engine.connections.find((c) => c.name === 'tun')!;
    assert.deepEqual(tun.suites.map((s) => s.transforms.map((t) => [t.protocol ?? 'esp', t.encr, t.integ, t.keyLength ?? 0])), [
      [['ah', 'null', 'hmac-sha1', 0], ['esp', 'aes-cbc', 'hmac-sha2-256', 256]],
      [['esp', 'aes-gcm-16', 'none', 256]],
    ]);
    assert.equal(tun.suites[0]!.transforms[0]!.lifeKilobytes, 1000);
    assert.deepEqual(m.warnings.filter((w) => /not implemented/.test(w)), []);
  });

  it('Default-phase-2-suites becomes the engine\'s suites for SAs set up on demand', () => {
    const r = parseConfigText(conf('QM-ESP-AES-SHA-SUITE').replace('[Phase 1]', '[General]\nDefault-phase-2-suites=\tQM-ESP-AES-256-SHA2-256-PFS-SUITE\n\n[Phase 1]'), 'd.conf');
    assert.ok(r.ok, JSON.stringify(r.diagnostics.filter((d) => d.severity === 'error')));
    const d = mapConfig(r.config).engine.defaultSuites!;
    assert.equal(d.length, 1);
    assert.equal(d[0]!.transforms[0]!.keyLength, 256);
    assert.equal(d[0]!.transforms[0]!.integ, 'hmac-sha2-256');
    assert.ok(d[0]!.transforms[0]!.pfsGroup);
  });
});


describe('daemon packet i/o: routing of its own traffic around the TUN', () => {
  it('IKE ports, ESP, AH and raw sends stay on the main table before the TUN table is consulted', async () => {
    const { routingRules, TUN_ROUTE_TABLE } = await import('../../src/daemon/packet-io.js');
    const add = routingRules('add', [500, 4500, 500]).map((r) => r.join(' '));
    assert.deepEqual(add.filter((r) => !r.startsWith('-6')), [
      'rule add priority 1770 ipproto udp sport 500 lookup main',
      'rule add priority 1770 ipproto udp sport 4500 lookup main',
      'rule add priority 1770 ipproto 50 lookup main',
      'rule add priority 1770 ipproto 51 lookup main',
      'rule add priority 1770 ipproto 255 lookup main',
      `rule add priority 1771 lookup ${TUN_ROUTE_TABLE}`,
    ]);
    assert.equal(add.filter((r) => r.startsWith('-6 ')).length, 6);
    assert.deepEqual(routingRules('del', [500]).map((r) => r[r.indexOf('rule') + 1]), Array(10).fill('del'));
  });
});
