// The typed model: fallbacks and lookups the daemon relies on.
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/conf/index.js';

const cfg = (text: string) => parseConfigText(text, 'm.conf', { noValidate: true }).config;

describe('conf typed model', () => {
  it('peer defaults: Port 500, Transport udp, Configuration Default-phase-1-configuration; Port=isakmp is 500', () => {
    const c = cfg('[Phase 1]\n198.18.0.2=p\n[p]\nPhase=1\nAddress=198.18.0.2\n[q]\nPort=isakmp\n[r]\nPort=4500\n');
    const p = c.peerByAddress('198.18.0.2')!;
    assert.deepEqual([p.port, p.transport, p.configuration, p.phase], [500, 'udp', 'Default-phase-1-configuration', 1]);
    assert.equal(c.peer('q')!.port, 500);
    assert.equal(c.peer('r')!.port, 4500);
  });

  it('peerByAddress matches IPv6 tags in any spelling, else falls back to Default', () => {
    const c = cfg('[Phase 1]\n2001:DB8:0::1=v6\nDefault=dflt\n[v6]\nPhase=1\n[dflt]\nPhase=1\n');
    assert.equal(c.peerByAddress('2001:db8::1')?.section, 'v6');
    assert.equal(c.peerByAddress('2001:db8::2')?.section, 'dflt');
  });

  it('peers() lists [Phase 1] peers then connection peers, each once', () => {
    const c = cfg('[Phase 1]\n198.18.0.2=a\nDefault=b\n[Phase 2]\nConnections=c1,c2\n[a]\nPhase=1\n[b]\nPhase=1\n[c1]\nISAKMP-peer=a\n[c2]\nISAKMP-peer=z\n[z]\nPhase=1\n');
    assert.deepEqual(c.peers().map((p) => p.section), ['a', 'b', 'z']);
  });

  it('connections: Flags Active-only, passive list, IDs', () => {
    const c = cfg('[Phase 2]\nConnections=a\nPassive-connections=b\n[a]\nFlags=Active-only\nLocal-ID=x\nRemote-ID=y\n[b]\nRemote-ID=y\n');
    const [a] = c.connections();
    assert.deepEqual([a!.activeOnly, a!.passive, a!.localId, a!.remoteId], [true, false, 'x', 'y']);
    const [b] = c.passiveConnections();
    assert.deepEqual([b!.section, b!.passive, b!.activeOnly], ['b', true, false]);
  });

  it('lifetimes: a Life list, ANY, and the generated LIFE_* sections', () => {
    const c = cfg('[General]\nDefault-phase-1-lifetime=600\n[t]\nLife=L1,L2\n[L1]\nLIFE_TYPE=SECONDS\nLIFE_DURATION=60,45:120\n[L2]\nLIFE_TYPE=KILOBYTES\nLIFE_DURATION=ANY\n[u]\nLife=ANY\n[c]\nTransforms=t,u,AES-SHA\n[p]\nConfiguration=c\n');
    const prop = c.phase1Proposal('p')!;
    assert.deepEqual(prop.transforms[0]!.life, [
      { section: 'L1', type: 'SECONDS', duration: { offer: 60, min: 45, max: 120, range: true } },
      { section: 'L2', type: 'KILOBYTES', duration: 'ANY' },
    ]);
    assert.equal(prop.transforms[1]!.life, 'ANY');
    assert.deepEqual(prop.transforms[2]!.life, [{ section: 'LIFE_MAIN_MODE', type: 'SECONDS', duration: { offer: 600, min: 600, max: 600, range: false } }]);
    assert.equal(prop.doi, 'IPSEC');
  });

  it('IPsec protocol ReplayWindow defaults to 16 and keeps -1 from old samples', () => {
    const c = cfg('[c]\nConfiguration=q\n[q]\nSuites=s\n[s]\nProtocols=p1,p2\n[p1]\nPROTOCOL_ID=IPSEC_ESP\nReplayWindow=-1\nTransforms=QM-ESP-AES-SHA-XF\n[p2]\nPROTOCOL_ID=IPSEC_AH\nTransforms=QM-AH-SHA-XF\n');
    const [s] = c.phase2Suites('c');
    assert.deepEqual(s!.protocols.map((p) => [p.protocolId, p.replayWindow, p.transforms[0]!.transformId]), [['IPSEC_ESP', -1, 'AES'], ['IPSEC_AH', 16, 'SHA']]);
  });

  it('initiatorIdSection only answers sections with Authentication', () => {
    const c = cfg('[user@foo.bar.org]\nAuthentication=0x6b6579\n[foo.bar.org]\nAddress=1\n');
    assert.deepEqual([...c.initiatorIdSection('USER@foo.bar.org')!.presharedKey!], [0x6b, 0x65, 0x79]);
    assert.equal(c.initiatorIdSection('foo.bar.org'), undefined);
  });

  it('presharedKeyFor: the peer section first, then the initiator ID section', () => {
    const c = cfg('[p]\nAuthentication=peerkey\n[q]\nPhase=1\n[branch.example.org]\nAuthentication=0x6b\n');
    assert.equal(Buffer.from(c.presharedKeyFor('p', 'branch.example.org')!).toString(), 'peerkey');
    assert.deepEqual([...c.presharedKeyFor('q', 'branch.example.org')!], [0x6b]);
    assert.equal(c.presharedKeyFor('q'), undefined);
  });

  it('X509 and KeyNote settings, with presence flags', () => {
    const c = cfg('[X509-certificates]\nAccept-self-signed=whatever\nCA-directory=/tmp/ca/\n');
    assert.deepEqual([c.x509().acceptSelfSigned, c.x509().caDirectory, c.x509().certDirectory], [true, '/tmp/ca/', '/etc/isakmpd/certs/']);
    assert.equal(c.keynote().credentialDirectory, '/etc/isakmpd/keynote/');
  });
});
