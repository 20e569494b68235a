// Every shipped sample and the historic OpenBSD files load without errors and expand to the documented
// sections.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfigFile, type Config } from '../../src/conf/index.js';
import { samplePath, fixturePath } from '../helpers/paths.js';

const load = (file: string) => loadConfigFile(file, { insecure: true });
const errorsOf = (file: string) => load(file).diagnostics.filter((d) => d.severity === 'error' || (d.severity === 'warning' && d.code !== 'file-permissions'));

function sampleFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sampleFiles(path.join(dir, e.name)) : e.name.endsWith('.conf') ? [path.join(dir, e.name)] : []);
}

/** Samples whose warnings are intended and explained in their comments. */
const EXPECTED_WARNINGS: Record<string, string[]> = { 'road-warrior/client.conf': ['one-id'] };

describe('conf samples', () => {
  const files = sampleFiles(samplePath());
  it('there is a sample of every kind the README promises', () => {
    const rel = files.map((f) => path.relative(samplePath(), f)).sort();
    for (const f of ['site-to-site/east.conf', 'site-to-site/west.conf', 'host-to-host/host-a.conf', 'host-to-host/host-b.conf',
      'road-warrior/gateway.conf', 'road-warrior/client.conf', 'aggressive-fqdn/gateway.conf', 'aggressive-fqdn/branch.conf',
      'certificates/east.conf', 'certificates/west.conf', 'minimal.conf', 'demo/east.conf', 'demo/west.conf']) {
      assert.ok(rel.includes(f), f);
    }
  });

  for (const f of files) {
    const rel = path.relative(samplePath(), f);
    it(`${rel} loads without errors${EXPECTED_WARNINGS[rel] ? ' (expected warnings only)' : ' or warnings'}`, () => {
      const ds = errorsOf(f);
      assert.deepEqual(ds.map((d) => d.code), EXPECTED_WARNINGS[rel] ?? [], ds.map((d) => `${d.line}: ${d.message}`).join('\n'));
    });

    it(`${rel} uses only addresses from the test plan`, () => {
      const text = fs.readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\b(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})\b/g)) {
        const a = m[1]!;
        const ok = a.startsWith('127.') || /^198\.1[89]\./.test(a) || a.startsWith('192.0.2.') || a.startsWith('198.51.100.') || a.startsWith('203.0.113.') || a === '255.255.255.0';
        assert.ok(ok, `${rel}: ${a}`);
      }
    });
  }

  const cfg = (rel: string): Config => load(samplePath(rel)).config;

  it('site-to-site: mirrored peers, subnets and PFS suites', () => {
    const w = cfg('site-to-site/west.conf');
    const e = cfg('site-to-site/east.conf');
    assert.equal(w.peerByAddress('198.18.0.2')?.address, '198.18.0.2');
    assert.equal(e.peerByAddress('198.18.0.1')?.address, '198.18.0.1');
    const wc = w.connections()[0]!;
    const ec = e.connections()[0]!;
    assert.equal(w.ipsecId(wc.localId!)?.network, e.ipsecId(ec.remoteId!)?.network);
    assert.equal(w.ipsecId(wc.remoteId!)?.network, e.ipsecId(ec.localId!)?.network);
    assert.deepEqual(w.phase2Suites(wc).map((s) => s.protocols[0]!.transforms[0]!.group), ['MODP_2048', 'MODP_2048']);
    assert.deepEqual(w.peerByAddress('198.18.0.2')!.presharedKey, e.peerByAddress('198.18.0.1')!.presharedKey);
  });

  it('host-to-host: transport mode, hex key decoded', () => {
    const a = cfg('host-to-host/host-a.conf');
    const t = a.phase2Suites(a.connections()[0]!)[0]!.protocols[0]!.transforms[0]!;
    assert.equal(t.encapsulationMode, 'TRANSPORT');
    assert.equal(Buffer.from(a.peerByAddress('198.18.0.2')!.presharedKey!).toString(), 'secret-host-key');
  });

  it('road warrior: any address reaches the Default peer', () => {
    const g = cfg('road-warrior/gateway.conf');
    assert.equal(g.peerByAddress('198.18.0.77')?.section, 'road-warriors');
    assert.equal(g.defaultPeer()?.section, 'road-warriors');
    assert.deepEqual(g.connections(), []);
  });

  it('aggressive mode: the key is found by the initiator ID section', () => {
    const g = cfg('aggressive-fqdn/gateway.conf');
    const p = g.peerByAddress('198.18.0.2')!;
    assert.equal(p.authentication, undefined);
    assert.equal(g.phase1Proposal(p)?.exchangeType, 'AGGRESSIVE');
    const b = cfg('aggressive-fqdn/branch.conf');
    const id = b.phase1Id(b.peerByAddress('198.18.0.1')!.id!)!;
    assert.equal(id.type, 'FQDN');
    assert.deepEqual(g.initiatorIdSection(id.name!)?.presharedKey, b.peerByAddress('198.18.0.1')!.presharedKey);
  });

  it('certificates: RSA_SIG transforms and FQDN identities', () => {
    const e = cfg('certificates/east.conf');
    const p = e.peerByAddress('198.18.0.1')!;
    assert.deepEqual(e.phase1Proposal(p)!.transforms.map((t) => t.authMethod), ['RSA_SIG']);
    assert.equal(e.phase1Id(p.remoteId!)?.name, 'west.example.org');
    assert.equal(e.x509().caDirectory, '/etc/isakmpd/ca/');
  });

  it('minimal: relies on defaults, overriding one default tag', () => {
    const m = cfg('minimal.conf');
    const p = m.peerByAddress('198.18.0.1')!;
    assert.equal(p.configuration, 'Default-phase-1-configuration');
    const prop = m.phase1Proposal(p)!;
    assert.equal(prop.exchangeType, 'ID_PROT');
    assert.deepEqual(prop.transforms.map((t) => [t.encryption, t.group, t.authMethod]), [['AES_CBC', 'MODP_2048', 'PRE_SHARED']]);
    assert.equal(m.general().retransmits, 3);
  });

  it('demo: two peers on 127.0.0.1 told apart by port', () => {
    const w = cfg('demo/west.conf');
    const e = cfg('demo/east.conf');
    assert.equal(w.peerByAddress('127.0.0.1')?.port, 15001);
    assert.equal(e.peerByAddress('127.0.0.1')?.port, 15000);
    assert.deepEqual(w.general().listenOn, ['127.0.0.1']);
    const t = w.phase2Suites(w.connections()[0]!)[0]!.protocols[0]!.transforms[0]!;
    assert.deepEqual([t.transformId, t.authAlgorithm, t.group], ['AES', 'HMAC_SHA', 'MODP_2048']);
  });
});

describe('conf historic OpenBSD files', () => {
  const fx = (name: string) => load(fixturePath('conf', name));

  it('VPN-east.conf and VPN-west.conf (2005) load cleanly and expand to the documented sections', () => {
    for (const [name, addr] of [['VPN-east.conf', '10.1.0.11'], ['VPN-west.conf', '10.1.0.12']] as const) {
      const r = fx(name);
      assert.deepEqual(r.diagnostics.filter((d) => d.code !== 'file-permissions'), [], name);
      const c = r.config;
      const p = c.peerByAddress(addr)!;
      assert.equal(p.authentication, 'mekmitasdigoat');
      assert.deepEqual(c.phase1Proposal(p)!.transforms.map((t) => [t.section, t.encryption, t.hash, t.authMethod, t.group]), [
        ['AES-SHA', 'AES_CBC', 'SHA', 'PRE_SHARED', 'MODP_1024'],
        ['3DES-SHA', '3DES_CBC', 'SHA', 'PRE_SHARED', 'MODP_1024'],
      ]);
      const suite = c.phase2Suites(c.connections()[0]!)[0]!;
      assert.equal(suite.section, 'QM-ESP-AES-SHA-PFS-SUITE');
      const xf = suite.protocols[0]!.transforms[0]!;
      assert.deepEqual([suite.protocols[0]!.section, suite.protocols[0]!.protocolId, xf.section, xf.transformId, xf.encapsulationMode, xf.authAlgorithm, xf.group],
        ['QM-ESP-AES-SHA-PFS', 'IPSEC_ESP', 'QM-ESP-AES-SHA-PFS-XF', 'AES', 'TUNNEL', 'HMAC_SHA', 'MODP_1024']);
      assert.deepEqual(xf.life, [{ section: 'LIFE_QUICK_MODE', type: 'SECONDS', duration: { offer: 1200, min: 60, max: 86400, range: true } }]);
    }
  });

  it('VPN-default.conf accepts any peer through [Phase 1] Default=any', () => {
    const r = fx('VPN-default.conf');
    assert.deepEqual(r.diagnostics.filter((d) => d.code !== 'file-permissions'), []);
    assert.equal(r.config.peerByAddress('198.18.0.9')?.section, 'any');
    assert.equal(r.config.peerByAddress('2001:db8::1')?.authentication, 'mekmitasdigoat');
  });

  it('singlehost-east.conf (2000) loads: its own transforms win, DES is flagged as not implemented', () => {
    const r = fx('singlehost-east.conf');
    const ds = r.diagnostics.filter((d) => d.code !== 'file-permissions');
    assert.deepEqual(ds.map((d) => d.severity), ['warning', 'warning']);
    assert.deepEqual(ds.map((d) => d.code).sort(), ['not-implemented', 'unused-section']);
    const c = r.config;
    assert.equal(c.general().retransmits, 5);
    assert.equal(c.general().sharedSADB, true);
    assert.equal(c.peerByAddress('10.1.0.1')?.section, 'ISAKMP-peer-west');
    assert.equal(c.peerByAddress('10.1.0.99')?.section, 'ISAKMP-peer-west-aggressive');
    const agg = c.phase1Proposal('ISAKMP-peer-west-aggressive')!;
    assert.deepEqual([agg.exchangeType, agg.transforms[0]!.section, agg.transforms[0]!.authMethod], ['AGGRESSIVE', '3DES-SHA-RSA', 'RSA_SIG']);
    // The file defines QM-ESP-3DES-SHA-PFS-XF itself: its Life wins over the generated LIFE_QUICK_MODE.
    const xf = c.phase2Suites('IPsec-east-west')[0]!.protocols[0]!.transforms[0]!;
    assert.equal(xf.life === 'ANY' ? 'ANY' : xf.life.map((l) => l.section).join(), 'LIFE_60_SECS');
    assert.equal(c.get('LIFE_4.5_GB', 'LIFE_DURATION'), '4608000,4096000:8192000');
  });

  it('the isakmpd.conf(5) example loads and expands as documented', () => {
    const r = fx('isakmpd.conf.5-example.conf');
    const ds = r.diagnostics.filter((d) => d.code !== 'file-permissions');
    assert.deepEqual(ds.map((d) => d.code), ['unused-section']);
    const c = r.config;
    assert.deepEqual(c.general().listenOn, ['10.1.0.2']);
    const p = c.peerByAddress('10.1.0.1')!;
    assert.deepEqual([p.section, p.localAddress, p.address, p.authentication, p.port, p.transport, p.configuration],
      ['ISAKMP-peer-west', '10.1.0.2', '10.1.0.1', 'mekmitasdigoat', 500, 'udp', 'Default-phase-1-configuration']);
    // The example restates the defaults, with Transforms=3DES-SHA where the code default is 3DES-SHA-RSA_SIG.
    assert.deepEqual(c.phase1Proposal(p)!.transforms.map((t) => t.section), ['3DES-SHA']);
    const conn = c.connections()[0]!;
    assert.deepEqual([conn.section, conn.isakmpPeer, conn.localId, conn.remoteId], ['IPsec-east-west', 'ISAKMP-peer-west', 'Net-east', 'Net-west']);
    assert.deepEqual(c.phase2Suites(conn).map((s) => s.section), ['QM-ESP-3DES-SHA-PFS-SUITE', 'QM-ESP-AES-SHA-PFS-SUITE']);
    assert.equal(c.get('asn1_dn//C=SE/L=SomeCity/O=SomeCompany/CN=SomePeer.company.com', 'Nameserver'), '192.168.1.10');
    assert.equal(c.initiatorIdSection('foo.bar.org')?.authentication, 'mekmitasdigoat');
    assert.equal(c.get('BLF-SHA-EC185', 'GROUP_DESCRIPTION'), 'EC2N_185');
    assert.equal(c.get('Sample-Life-Volume', 'LIFE_DURATION'), '1000,768:1536');
    assert.equal(c.get('X509-certificates', 'CRL-directory'), '/etc/isakmpd/crls/');
  });
});
