import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildActionAttributes, type QuickModeDecisionInput } from '../../src/policy/isakmpd/attributes.js';
import { certificateCredentials, chainCredentials, checkQuickMode, principalsForCert, principalsForCertificate, principalsForPsk } from '../../src/policy/isakmpd/check.js';
import { loadPolicyFile, parsePolicyText } from '../../src/policy/isakmpd/policy-file.js';
import { readFixture, repoRoot } from '../helpers/paths.js';

const NOW = new Date(Date.UTC(2030, 5, 1, 10, 30, 0));
const example = (name: string): string => path.join(repoRoot, 'policy', name);

function sa(over: Partial<QuickModeDecisionInput> = {}): Record<string, string> {
  return buildActionAttributes({
    phase1: { exchange: 'main', group: 14, localAddress: '127.0.0.1', remoteAddress: '127.0.0.2', remoteId: { type: 'IPV4_ADDR', address: '127.0.0.2' } },
    initiator: false,
    pfs: false,
    protocols: [{ protocol: 'esp', transformId: 'AES', keyLength: 128, authAlgorithm: 'HMAC_SHA', encapsulation: 'TUNNEL' }],
    now: NOW,
    ...over,
  });
}
const esp = (transformId: string | number, extra: object = {}): Partial<QuickModeDecisionInput> => ({ protocols: [{ protocol: 'esp', transformId, ...extra }] });

function loadExample(name: string) {
  const l = loadPolicyFile(example(name));
  assert.deepEqual(l.diagnostics.filter((d) => d.severity === 'error'), []);
  return l.policy;
}

describe('policy/isakmpd: requesting principals', () => {
  it('a pre-shared key gives passphrase:, -md5-hex: and -sha1-hex: (man page hashes of "foobar")', () => {
    assert.deepEqual(principalsForPsk('foobar'), [
      'passphrase:foobar',
      'passphrase-md5-hex:3858f62230ac3c915f300c664312c63f',
      'passphrase-sha1-hex:8843d7f92416211de9ebb963ff4ce28125932878',
    ]);
    assert.deepEqual(principalsForPsk(Buffer.from('foobar')), principalsForPsk('foobar'));
  });

  it('an RSA certificate gives the PKCS#1 rsa-hex: key and the DN: subject', () => {
    const p = principalsForCertificate(readFixture('policy', 'x509', 'peer.der'));
    assert.match(p[0]!, /^rsa-hex:3082010a0282010100[0-9a-f]+0203010001$/);
    assert.equal(p[1], 'DN:/C=SE/O=Example Org/CN=gw-east.example.org');
    const pem = fs.readFileSync(path.join(repoRoot, 'test/fixtures/policy/x509/peer.crt'), 'utf8');
    const key = new crypto.X509Certificate(pem).publicKey;
    assert.deepEqual(principalsForCert(key, '/C=SE/O=Example Org/CN=gw-east.example.org'), p);
  });
});

describe('policy/isakmpd: isakmpd.policy(5) examples evaluate as documented', () => {
  const DESCRIPTION = `Authorizer: "POLICY"
Licensees: "passphrase:foobar" || "x509-base64:abcd==" ||
  "passphrase-md5-hex:3858f62230ac3c915f300c664312c63f" ||
  "passphrase-sha1-hex:8843d7f92416211de9ebb963ff4ce28125932878"
Conditions: app_domain == "IPsec policy" && esp_present == "yes"
            && esp_enc_alg != "null" -> "true";

Authorizer: "POLICY"
Licensees: "DN:/CN=CA Certificate"
Conditions: app_domain == "IPsec policy" && esp_present == "yes"
            && esp_enc_alg != "null" -> "true";
`;
  const pol = parsePolicyText(DESCRIPTION, 'man.policy').policy;

  it('the passphrase "foobar", or only its hashes, with ESP and real encryption', () => {
    assert.equal(checkQuickMode(pol, sa(), principalsForPsk('foobar')).allowed, true);
    assert.equal(checkQuickMode(pol, sa(), ['passphrase-md5-hex:3858f62230ac3c915f300c664312c63f']).allowed, true);
    assert.equal(checkQuickMode(pol, sa(), ['passphrase-sha1-hex:8843d7f92416211de9ebb963ff4ce28125932878']).allowed, true);
    assert.equal(checkQuickMode(pol, sa(), principalsForPsk('foobaz')).allowed, false);
    assert.equal(checkQuickMode(pol, sa(esp('NULL')), principalsForPsk('foobar')).allowed, false);
    assert.equal(checkQuickMode(pol, sa({ protocols: [{ protocol: 'ah', transformId: 'SHA' }] }), principalsForPsk('foobar')).allowed, false);
  });

  it('a DN licensee', () => {
    assert.equal(checkQuickMode(pol, sa(), ['DN:/CN=CA Certificate']).allowed, true);
    assert.equal(checkQuickMode(pol, sa(), ['DN:/CN=Other']).allowed, false);
  });

  it('EXAMPLES: bare-bones accepts everything', () => {
    const p = loadExample('accept-all.policy');
    assert.equal(checkQuickMode(p, sa(esp('NULL')), ['anybody']).allowed, true);
  });

  it('EXAMPLES: sub-policies, fields in any order, nested blocks', () => {
    const p = loadExample('subpolicies.policy');
    const sp1 = ['passphrase-md5-hex:9c42a1346e333a770904b2a2b37fa7d3'];
    const sp2 = ['passphrase-sha1-hex:f5ed6e4abd30c36a89409b5da7ecb542c9fbf00f'];
    assert.equal(checkQuickMode(p, sa(), sp1).allowed, true);
    assert.equal(checkQuickMode(p, sa({ protocols: [{ protocol: 'ah', transformId: 'MD5', authAlgorithm: 'HMAC_MD5' }] }), sp1).allowed, false);
    assert.equal(checkQuickMode(p, sa({ protocols: [{ protocol: 'ah', transformId: 'MD5', authAlgorithm: 'HMAC_MD5' }] }), sp2).allowed, true);
    assert.equal(checkQuickMode(p, sa({ protocols: [{ protocol: 'ah', transformId: 'SHA', authAlgorithm: 'HMAC_SHA' }] }), sp2).allowed, true);
    assert.equal(checkQuickMode(p, sa({ protocols: [{ protocol: 'ah', transformId: 'SHA', authAlgorithm: 'HMAC_SHA' }, { protocol: 'esp', transformId: 'AES' }] }), sp2).allowed, false);
    assert.equal(checkQuickMode(p, sa(), principalsForPsk('otherpassword')).allowed, false); // AH required
    assert.equal(checkQuickMode(p, sa({ protocols: [{ protocol: 'ah', transformId: 'MD5', authAlgorithm: 'HMAC_MD5' }] }), principalsForPsk('otherpassword')).allowed, true);
  });

  it('EXAMPLES: delegation to a DN and to an x509 key', () => {
    const p = parsePolicyText(
      'keynote-version: 2\ncomment: delegating to a CN.\nauthorizer: "POLICY"\nlicensees: "DN:/CN=CA Certificate/emailAddress=ca@foo.bar.com"\n\n' +
        `keynote-version: 2\nauthorizer: "POLICY"\nlicensees: "x509-base64:${readFixture('policy', 'x509', 'ca.der').toString('base64').replace(/(.{60})/g, '$1\\\n      ')}"\n` +
        'conditions: app_domain == "IPsec policy" && doi == "ipsec" &&\n    pfs == "yes" && esp_present == "yes" && ah_present == "no" &&\n    (esp_enc_alg == "3des" || esp_enc_alg == "aes") -> "true";\n',
      'man.policy',
    );
    assert.deepEqual(p.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.equal(checkQuickMode(p.policy, sa(esp('NULL')), ['DN:/CN=CA Certificate/emailAddress=ca@foo.bar.com']).allowed, true);
    const caKey = principalsForCertificate(readFixture('policy', 'x509', 'ca.der'))[0]!;
    assert.equal(checkQuickMode(p.policy, sa({ pfs: true }), [caKey]).allowed, true);
    assert.equal(checkQuickMode(p.policy, sa({ pfs: false }), [caKey]).allowed, false);
    assert.equal(checkQuickMode(p.policy, sa({ pfs: true, ...esp('BLOWFISH') }), [caKey]).allowed, false);
  });
});

describe('policy/isakmpd: example policies in policy/', () => {
  it('passphrase-esp: the documented password, ESP with encryption', () => {
    const p = loadExample('passphrase-esp.policy');
    assert.equal(checkQuickMode(p, sa(), principalsForPsk('mekmitasdigoat')).allowed, true);
    assert.equal(checkQuickMode(p, sa(esp('NULL')), principalsForPsk('mekmitasdigoat')).allowed, false);
    assert.equal(checkQuickMode(p, sa(), principalsForPsk('wrong')).allowed, false);
  });

  it('no-weak-ciphers: DES, null, short AES and DES-MAC are refused', () => {
    const p = loadExample('no-weak-ciphers.policy');
    const ok = (over: Partial<QuickModeDecisionInput>): boolean => checkQuickMode(p, sa(over), principalsForPsk('foobar')).allowed;
    assert.equal(ok(esp('AES', { keyLength: 256, authAlgorithm: 'HMAC_SHA2_256' })), true);
    assert.equal(ok(esp('AES_GCM_16', { keyLength: 128 })), true);
    assert.equal(ok(esp('3DES', { authAlgorithm: 'HMAC_SHA' })), true);
    assert.equal(ok(esp('DES', { authAlgorithm: 'HMAC_SHA' })), false);
    assert.equal(ok(esp('DES_IV64')), false);
    assert.equal(ok(esp('NULL', { authAlgorithm: 'HMAC_SHA' })), false);
    assert.equal(ok(esp('AES', { keyLength: 64 })), false);
    assert.equal(ok(esp('3DES', { authAlgorithm: 'DES_MAC' })), false);
    assert.equal(ok(esp('BLOWFISH')), false);
  });

  it('time-of-day: inside and outside office hours (UTC)', () => {
    const p = loadExample('time-of-day.policy');
    const at = (h: number): boolean => checkQuickMode(p, sa({ now: new Date(Date.UTC(2030, 5, 1, h, 15)) }), principalsForPsk('foobar')).allowed;
    assert.equal(at(7), true);
    assert.equal(at(18), true);
    assert.equal(at(19), false);
    assert.equal(at(3), false);
    assert.equal(checkQuickMode(p, sa({ now: new Date(Date.UTC(2032, 0, 1, 10)) }), principalsForPsk('foobar')).allowed, false);
  });
});

describe('policy/isakmpd: certificates, CA delegation and the imposter', () => {
  const ca = readFixture('policy', 'x509', 'ca.der');
  const peer = readFixture('policy', 'x509', 'peer.der');
  const imposter = readFixture('policy', 'x509', 'imposter.der');
  const fqdn = (name: string, filter = '192.0.2.0'): Partial<QuickModeDecisionInput> => ({
    phase1: { exchange: 'main', group: 14, localAddress: '127.0.0.1', remoteAddress: '127.0.0.2', remoteId: { type: 'FQDN', value: name } },
    remoteFilter: { type: 'IPV4_ADDR_SUBNET', address: filter, mask: 24 },
  });

  it('certificate credentials carry the validity window', () => {
    const creds = certificateCredentials(peer, ca);
    assert.equal(creds.length, 2);
    assert.match(creds[1]!.source, /^Authorizer: "DN:\/C=SE\/O=Example Org\/CN=Example CA"\nLicensees: "DN:\/C=SE\/O=Example Org\/CN=gw-east.example.org"\nConditions: GMTTimeOfDay >= "\d{14}" && GMTTimeOfDay <= "20\d{12}";\n$/);
    assert.deepEqual(certificateCredentials(ca, ca), []); // self-signed
    assert.equal(chainCredentials([peer, ca]).length, 2);
  });

  it('delegation to the CA DN admits any certificate it issued — including the imposter', () => {
    const p = loadExample('ca-delegation.policy');
    const check = (cert: Buffer, when = NOW) =>
      checkQuickMode(p, sa({ now: when }), principalsForCertificate(cert), { credentials: certificateCredentials(cert, ca) });
    assert.equal(check(peer).allowed, true);
    assert.equal(check(imposter).allowed, true);
    assert.equal(check(peer, new Date(Date.UTC(2050, 0, 1))).allowed, false); // expired
    // without the derived credentials the CA's name alone grants nothing
    assert.equal(checkQuickMode(p, sa(), principalsForCertificate(peer)).allowed, false);
  });

  it('delegation to the CA key works through the rsa-hex principals', () => {
    const p = parsePolicyText(`Authorizer: "POLICY"\nLicensees: "x509-base64:${ca.toString('base64')}"\nConditions: esp_present == "yes";\n`, 'k.policy').policy;
    assert.equal(checkQuickMode(p, sa(), principalsForCertificate(peer), { credentials: certificateCredentials(peer, ca) }).allowed, true);
    assert.equal(checkQuickMode(p, sa(), principalsForCertificate(peer)).allowed, false);
  });

  it('remote_id checks stop the imposter (the seed scenario)', () => {
    const p = loadExample('remote-id.policy');
    const check = (cert: Buffer, over: Partial<QuickModeDecisionInput>) =>
      checkQuickMode(p, sa(over), principalsForCertificate(cert), { credentials: certificateCredentials(cert, ca) });
    assert.equal(check(peer, fqdn('gw-east.example.org')).allowed, true);
    const refused = check(imposter, fqdn('imposter.example.org'));
    assert.equal(refused.allowed, false);
    assert.match(refused.explanation, /remote_id = "imposter.example.org"/);
    assert.equal(check(peer, fqdn('gw-east.example.org', '203.0.113.0')).allowed, false); // wrong subnet
    assert.equal(check(peer, fqdn('gw-west.example.org', '198.51.100.0')).allowed, true);
  });
});

describe('policy/isakmpd: policy files', () => {
  it('reports errors with file:line:column and keeps the good assertions', () => {
    const l = parsePolicyText('# header\n\nAuthorizer: "POLICY"\nLicensees: "a"\n\nAuthorizer: "POLICY"\nConditions: esp_present = "yes";\n', 'bad.policy');
    const errs = l.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(errs.length, 1);
    assert.deepEqual([errs[0]!.file, errs[0]!.line, errs[0]!.column], ['bad.policy', 7, 25]);
    assert.equal(l.policy.assertions.length, 1);
  });

  it('warns about attribute names isakmpd never sets', () => {
    const l = parsePolicyText('Authorizer: "POLICY"\nConditions: esp_enc_algo == "aes" && remote_id == "x";\n', 'w.policy');
    const w = l.diagnostics.filter((d) => d.severity === 'warning');
    assert.equal(w.length, 1);
    assert.match(w[0]!.message, /'esp_enc_algo' is not an attribute isakmpd sets/);
    assert.equal(w[0]!.line, 2);
  });

  it('a missing file is an error diagnostic, not an exception', () => {
    const l = loadPolicyFile(path.join(os.tmpdir(), 'does-not-exist.policy'));
    assert.equal(l.diagnostics[0]!.severity, 'error');
    assert.match(l.diagnostics[0]!.message, /ENOENT/);
  });

  it('a refusal explains which assertion came closest and why', () => {
    const p = loadExample('passphrase-esp.policy');
    const d = checkQuickMode(p, sa(esp('NULL')), principalsForPsk('mekmitasdigoat'));
    assert.equal(d.value, 'false');
    assert.match(d.explanation, /passphrase-esp\.policy:8/);
    assert.match(d.explanation, /esp_enc_alg != "null" is false \(esp_enc_alg = "null"\)/);
    const d2 = checkQuickMode(p, sa(), principalsForPsk('wrong'));
    assert.match(d2.explanation, /licensees not satisfied/);
    assert.doesNotMatch(d2.explanation, /passphrase:wrong/); // the secret is not logged
    const sub = loadExample('subpolicies.policy');
    const d3 = checkQuickMode(sub, sa({ protocols: [{ protocol: 'ah', transformId: 'SHA', authAlgorithm: 'HMAC_SHA' }, { protocol: 'esp', transformId: 'AES' }] }), principalsForPsk('otherpassword'));
    assert.match(d3.explanation, /subpolicies\.policy:\d+ \(Authorizer "subpolicy2"\): conditions failed: inside ah_present == "yes" -> \{ \}: esp_present == "no" is false \(esp_present = "yes"\)/);
  });

  it('the same peer is accepted or refused by changing only the policy', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-policy-'));
    const f = path.join(dir, 'isakmpd.policy');
    const req = principalsForPsk('s3cret');
    fs.writeFileSync(f, 'Authorizer: "POLICY"\nLicensees: "passphrase:s3cret"\nConditions: esp_enc_alg == "aes";\n');
    assert.equal(checkQuickMode(loadPolicyFile(f).policy, sa(), req).allowed, true);
    fs.writeFileSync(f, 'Authorizer: "POLICY"\nLicensees: "passphrase:s3cret"\nConditions: esp_enc_alg == "3des";\n');
    assert.equal(checkQuickMode(loadPolicyFile(f).policy, sa(), req).allowed, false);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('policy/isakmpd: reload', () => {
  it('a bad reload keeps the old policy and says why; a good one replaces it', async () => {
    const { reloadPolicyFile } = await import('../../src/policy/isakmpd/policy-file.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-policy-'));
    const f = path.join(dir, 'isakmpd.policy');
    fs.writeFileSync(f, 'Authorizer: "POLICY"\nLicensees: "passphrase:k"\n');
    const first = loadPolicyFile(f).policy;
    fs.writeFileSync(f, 'Authorizer: "POLICY"\nLicensees: "passphrase:k" ||\n');
    const bad = reloadPolicyFile(first);
    assert.equal(bad.replaced, false);
    assert.equal(bad.policy, first);
    assert.equal(bad.diagnostics[0]!.line, 2);
    fs.writeFileSync(f, 'Authorizer: "POLICY"\nLicensees: "passphrase:other"\n');
    const good = reloadPolicyFile(first);
    assert.equal(good.replaced, true);
    assert.equal(checkQuickMode(good.policy, sa(), principalsForPsk('k')).allowed, false);
    assert.equal(checkQuickMode(good.policy, sa(), principalsForPsk('other')).allowed, true);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('policy/isakmpd: received KeyNote credentials and switches', () => {
  it('admits a verified credential payload and names its licensee; refuses a tampered one whole', async () => {
    const { admitCredentials } = await import('../../src/policy/isakmpd/check.js');
    const good = readFixture('policy', 'openssl-signed.cred').toString('utf8');
    const r = admitCredentials(good);
    assert.ok(r.ok);
    assert.equal(r.principal, 'passphrase-sha1-hex:8843d7f92416211de9ebb963ff4ce28125932878');
    const bad = admitCredentials(`${good}\n${good.replace('"yes"', '"no"')}`);
    assert.equal(bad.ok, false);
    assert.match((bad as { reason: string }).reason, /:8: signature does not verify/);
  });

  it('a credential signed by a key POLICY trusts extends the policy', async () => {
    const { admitCredentials } = await import('../../src/policy/isakmpd/check.js');
    const cred = admitCredentials(readFixture('policy', 'openssl-signed.cred').toString('utf8'));
    assert.ok(cred.ok);
    const peerKey = principalsForCertificate(readFixture('policy', 'x509', 'peer.der'))[0]!;
    const p = parsePolicyText(`Authorizer: "POLICY"\nLicensees: "${peerKey}"\n`, 'k.policy').policy;
    assert.equal(checkQuickMode(p, sa(), principalsForPsk('foobar'), { credentials: cred.assertions }).allowed, true);
    assert.equal(checkQuickMode(p, sa({ protocols: [{ protocol: 'ah', transformId: 'SHA' }] }), principalsForPsk('foobar'), { credentials: cred.assertions }).allowed, false);
    assert.equal(checkQuickMode(p, sa(), principalsForPsk('foobar')).allowed, false);
  });

  it('Use-Keynote and -K', async () => {
    const { keynoteEnabled } = await import('../../src/policy/isakmpd/check.js');
    assert.equal(keynoteEnabled(undefined, false), true);
    assert.equal(keynoteEnabled('yes', false), true);
    assert.equal(keynoteEnabled('yesplease', false), true);
    assert.equal(keynoteEnabled('no', false), false);
    assert.equal(keynoteEnabled('Yes', false), false);
    assert.equal(keynoteEnabled('yes', true), false);
  });
});

describe('policy/isakmpd: decision shape', () => {
  it('a refusal names NO_PROPOSAL_CHOSEN; the explanation is serialisable', () => {
    const p = parsePolicyText('Authorizer: "POLICY"\nLicensees: "passphrase:k"\n', 'd.policy').policy;
    const no = checkQuickMode(p, sa(), principalsForPsk('x'));
    assert.equal(no.notify, 'NO_PROPOSAL_CHOSEN');
    assert.match(JSON.parse(JSON.stringify(no)).explanation, /d\.policy:1/);
    const yes = checkQuickMode(p, sa(), principalsForPsk('k'));
    assert.equal(yes.notify, undefined);
    assert.match(yes.explanation, /granted "true" by assertion d\.policy:1/);
    assert.equal(checkQuickMode(p, sa(), []).allowed, false);
    assert.deepEqual(certificateCredentials(Buffer.from('not a certificate'), Buffer.alloc(0)), []);
  });
});
