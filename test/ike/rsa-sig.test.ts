// Main Mode with RSA signatures (AUTHENTICATION_METHOD RSA_SIG) between two engines, using the test PKI
// (test/fixtures/pki: a root CA, east and west gateway certificates, an imposter from the same CA).
import assert from 'node:assert/strict';
import { certificatesFromBytes, createPkiStores, parsePrivateKey, type PkiCertificate } from '../../src/pki/index.js';
import { pkiCertAuth } from '../../src/daemon/cert-link.js';
import { decodeHeader } from '../../src/isakmp/index.js';
import { readFixture } from '../helpers/paths.js';
import { SimNet, EAST, WEST, pairConfigs, added, events } from './sim.js';
import { keynotePolicy } from '../../src/daemon/policy-link.js';
import { parsePolicyText } from '../../src/policy/index.js';
import { IkeAuthMethod, IkeEncryption, IkeHash } from '../../src/isakmp/numbers.js';

const cert = (n: string): PkiCertificate => {
  const problems: { reason: string }[] = [];
  const [c] = certificatesFromBytes(readFixture('pki', `${n}.crt`), n, problems as never);
  if (!c) throw new Error(`${n}.crt: ${problems.map((p) => p.reason).join('; ')}`);
  return c;
};
const key = (n: string) => {
  const r = parsePrivateKey(readFixture('pki', `${n}.key`));
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};
const RSA = { encr: IkeEncryption.AES_CBC, keyLength: 128, hash: IkeHash.SHA2_256, auth: IkeAuthMethod.RSA_SIG, group: 14, lifeSeconds: 3600 };

function rsaPair(westKey = 'west', westCertName = 'west', eastExpects = 'west.example.test', westPolicy?: string) {
  const net = new SimNet();
  const cfg = pairConfigs({ eastTransforms: [RSA], westTransforms: [RSA] });
  const root = cert('root');
  cfg.east.certAuth = pkiCertAuth(createPkiStores({ cas: [root], certs: [cert('east')], privateKey: key('east') }));
  cfg.west.certAuth = pkiCertAuth(createPkiStores({ cas: [root], certs: [cert(westCertName)], privateKey: key(westKey) }));
  for (const [c, me] of [[cfg.east, 'east'], [cfg.west, westCertName]] as const) {
    delete c.peers[0]!.psk;
    c.peers[0]!.id = { type: 'FQDN', name: `${me}.example.test` };
  }
  cfg.east.peers[0]!.remoteId = { type: 'FQDN', name: eastExpects };
  if (westPolicy) {
    const p = parsePolicyText(westPolicy, 'test.policy');
    cfg.west.policy = keynotePolicy(p.policy, () => undefined);
  }
  const east = net.add('east', EAST, cfg.east, 'rsa-e');
  const west = net.add('west', WEST, cfg.west, 'rsa-w');
  return { net, east, west };
}

describe('ike engine: Main Mode with RSA signatures (X.509)', () => {
  it('authenticates both sides by certificate and brings the tunnel up', () => {
    const { net, east, west } = rsaPair();
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(added(east)[0]!.sa.outbound.spi, added(west)[0]!.sa.inbound.spi);
    assert.match(events(east, 'phase1-done')[0]!.msg, /fqdn\/east\.example\.test -> fqdn\/west\.example\.test/);
    const wsa = [...west.engine.sas.values()][0]!;
    assert.ok(wsa.principals?.some((p) => p.startsWith('DN:') && p.includes('CN=east.example.test')));
    // messages 3 and 4 carry CERT_REQ; 5 and 6 carry CERT and SIG instead of HASH (checked in the clear copy)
    const mm = net.wire.filter((p) => {
      const h = decodeHeader(p.data);
      return !('notify' in h) && h.exchange === 2;
    });
    assert.equal(mm.length, 6);
    assert.ok(mm[2]!.data.length > 300);
  });

  it('an imposter certificate from the same CA is refused when Remote-ID names someone else', () => {
    const { net, east, west } = rsaPair('imposter', 'imposter');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(200_000);
    assert.equal(added(east).length + added(west).length, 0);
    assert.match(events(east, 'failed')[0]!.msg, /INVALID_ID_INFORMATION|expects/);
  });

  it('a peer whose key does not match its certificate cannot sign: AUTHENTICATION_FAILED', () => {
    // west presents west.crt but holds the imposter key: it has no certificate for its key, so it cannot answer
    const { net, east, west } = rsaPair('imposter', 'west');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(200_000);
    assert.equal(added(east).length + added(west).length, 0);
    assert.ok(events(west, 'failed').some((l) => /AUTHENTICATION_FAILED|no private key/.test(l.msg)));
  });

  it('KeyNote: a policy delegating to the CA by DN admits the peer through the derived credentials', () => {
    const policy = (ca: string): string => `authorizer: "POLICY"
licensees: "DN:${ca}"
conditions: app_domain == "IPsec policy" && esp_present == "yes" -> "true";
`;
    const ok = rsaPair('west', 'west', 'west.example.test', policy('/C=XX/O=Oakley Test/CN=Oakley Test Root CA'));
    ok.net.command(ok.east, { type: 'connect', name: 'east-west' });
    ok.net.run(60_000, () => added(ok.east).length > 0 && added(ok.west).length > 0);
    assert.equal(added(ok.west).length, 1);
    const no = rsaPair('west', 'west', 'west.example.test', policy('/C=SE/O=Example Org/CN=Example CA'));
    no.net.command(no.east, { type: 'connect', name: 'east-west' });
    no.net.run(60_000);
    assert.equal(added(no.west).length, 0);
    assert.match(events(no.east, 'failed')[0]!.msg, /refused by peer: NO_PROPOSAL_CHOSEN/);
  });
});
