import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPkiStores, parseCertificate, validateChain, type PkiStores, type PkiCertificate } from '../../src/pki/index.js';
import { parseCrl } from '../../src/pki/crl.js';
import { cert, crl, derOf, IN_2030, openssl, pkiFile } from './fixtures.js';

const stores = (over: Partial<PkiStores> = {}): PkiStores =>
  createPkiStores({ cas: [cert('root'), cert('intermediate')], certs: [cert('east')], crls: [crl('root.crl.pem'), crl('intermediate.crl.pem')], ...over });

function code(c: PkiCertificate, s: PkiStores, opts: Parameters<typeof validateChain>[2] = {}): string {
  const r = validateChain(c, s, { now: IN_2030, ...opts });
  return r.ok ? 'ok' : r.error.code;
}

describe('pki: chain validation', () => {
  it('accepts a gateway certificate issued by the trusted root, and names the chain', () => {
    const r = validateChain(cert('west'), stores(), { now: IN_2030 });
    assert.ok(r.ok, r.ok ? '' : r.error.reason);
    assert.deepEqual(r.value.chain.map((c) => c.subjectOneline), ['/C=XX/O=Oakley Test/OU=Gateways/CN=west.example.test', '/C=XX/O=Oakley Test/CN=Oakley Test Root CA']);
    assert.deepEqual(r.value.warnings, []);
  });

  it('goes through an intermediate CA from the CA directory or sent by the peer', () => {
    assert.equal(code(cert('roadwarrior'), stores()), 'ok');
    const onlyRoot = stores({ cas: [cert('root')] });
    assert.equal(code(cert('roadwarrior'), onlyRoot), 'untrusted-root');
    const r = validateChain(cert('roadwarrior'), onlyRoot, { now: IN_2030, intermediates: [cert('intermediate')] });
    assert.ok(r.ok);
    assert.equal(r.value.chain.length, 3);
    assert.equal(r.value.anchor.subjectOneline, '/C=XX/O=Oakley Test/CN=Oakley Test Root CA');
  });

  it('refuses a certificate from a CA we do not trust, even with a gateway\'s name', () => {
    const r = validateChain(cert('stranger'), stores(), { now: IN_2030 });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'untrusted-root');
      assert.equal(r.error.notify, 'INVALID_CERT_AUTHORITY');
      assert.match(r.error.reason, /Other Root CA/);
    }
    // and when the stranger's root is offered as an intermediate, the chain ends in an untrusted root
    assert.equal(code(cert('stranger'), stores(), { intermediates: [cert('other-root')] }), 'untrusted-root');
  });

  it('refuses expired and not-yet-valid certificates at the given time', () => {
    assert.equal(code(cert('expired'), stores()), 'expired');
    assert.equal(code(cert('expired'), stores(), { now: new Date('2020-06-01T00:00:00Z') }), 'not-yet-valid'); // the root starts in 2025
    assert.equal(code(cert('east'), stores(), { now: new Date('2024-12-31T23:59:59Z') }), 'not-yet-valid');
    assert.equal(code(cert('east'), stores(), { now: new Date('2025-01-01T00:00:00Z') }), 'ok');
    assert.equal(code(cert('east'), stores(), { now: new Date('2045-01-01T00:00:01Z') }), 'expired');
  });

  it('refuses certificates revoked by the root CRL and by the intermediate CRL', () => {
    const r = validateChain(cert('revoked'), stores(), { now: IN_2030 });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'revoked');
      assert.match(r.error.reason, new RegExp(`serial ${cert('revoked').serialHex}`));
    }
    assert.equal(code(cert('revoked-int'), stores()), 'revoked');
    // without CRLs nothing is known to be revoked
    assert.equal(code(cert('revoked'), stores({ crls: [] })), 'ok');
  });

  it('applies a CRL only to certificates of its own issuer (same serial, other CA)', () => {
    // The intermediate CA certificate has the serial its own CRL revokes for revoked-int.
    assert.equal(cert('intermediate').serialHex, cert('revoked-int').serialHex);
    assert.equal(code(cert('roadwarrior'), stores()), 'ok');
  });

  it('refuses a chain through a certificate that is not a CA', () => {
    const r = validateChain(cert('not-a-ca-leaf'), stores(), { now: IN_2030 });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'issuer-not-ca');
      assert.match(r.error.reason, /east\.example\.test.*not a CA/);
    }
  });

  it('refuses a CA whose keyUsage lacks keyCertSign', () => {
    const s = stores({ cas: [cert('root')], certs: [cert('nocertsign')] });
    assert.equal(code(cert('badku-leaf'), s), 'issuer-key-usage');
  });

  it('refuses a certificate whose signature was altered', () => {
    const der = Buffer.from(derOf('east.der'));
    der[der.length - 5] ^= 0x01; // inside the signature value
    const broken = parseCertificate(der);
    assert.ok(broken.ok);
    const r = validateChain(broken.value, stores(), { now: IN_2030 });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'bad-signature');
      assert.equal(r.error.notify, 'INVALID_CERTIFICATE');
    }
  });

  it('refuses a self-signed certificate unless it is trusted or Accept-self-signed is set', () => {
    const other = cert('other-root');
    assert.equal(code(other, stores()), 'self-signed');
    assert.equal(code(other, stores({ acceptSelfSigned: true })), 'ok');
    assert.equal(code(cert('root'), stores()), 'ok');
  });

  it('ignores a CRL whose signature does not verify, with a warning', () => {
    const der = Buffer.from(derOf('root.crl.der'));
    der[der.length - 3] ^= 0x40;
    const forged = parseCrl(der);
    assert.ok(forged.ok);
    const r = validateChain(cert('revoked'), stores({ crls: [forged.value] }), { now: IN_2030 });
    assert.ok(r.ok);
    assert.match(r.value.warnings.join('\n'), /does not verify/);
  });

  it('warns about a stale CRL and, when CRLs are required, refuses it and a missing one', () => {
    const stale = stores({ crls: [crl('root-stale.crl.pem'), crl('intermediate.crl.pem')] });
    const r = validateChain(cert('east'), stale, { now: IN_2030 });
    assert.ok(r.ok);
    assert.match(r.value.warnings.join('\n'), /past its nextUpdate/);
    assert.equal(code(cert('east'), stale, { requireCrl: true }), 'crl-expired');
    assert.equal(code(cert('east'), stores({ crls: [] }), { requireCrl: true }), 'crl-missing');
    assert.equal(code(cert('east'), stores(), { requireCrl: true }), 'ok');
    // the stale CRL still works as of January 2025
    assert.equal(code(cert('east'), stale, { requireCrl: true, now: new Date('2025-01-15T00:00:00Z') }), 'ok');
  });

  it('refuses an end certificate whose keyUsage cannot sign (a CA certificate offered as a peer\'s)', () => {
    assert.equal(code(cert('intermediate'), stores()), 'leaf-key-usage');
    assert.equal(code(cert('intermediate'), stores(), { checkLeafKeyUsage: false }), 'ok');
  });

  it('stops at the depth limit', () => {
    assert.equal(code(cert('roadwarrior'), stores({ cas: [cert('root')] }), { intermediates: [cert('intermediate')], maxDepth: 2 }), 'chain-too-long');
  });
});

describe('pki: chain validation agrees with openssl verify', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-pki-'));
    fs.writeFileSync(path.join(dir, 'cas.pem'), Buffer.concat([fs.readFileSync(pkiFile('root.crt')), fs.readFileSync(pkiFile('intermediate.crt'))]));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const names = ['west', 'east', 'roadwarrior', 'imposter', 'expired', 'revoked', 'revoked-int', 'badku-leaf', 'not-a-ca-leaf', 'stranger', 'intermediate'];
  const times: [string, Date][] = [['2030', IN_2030], ['2024', new Date('2024-06-01T00:00:00Z')], ['2020', new Date('2020-06-01T00:00:00Z')]];
  for (const [label, when] of times) {
    for (const withCrl of [false, true]) {
      it(`same verdict for every fixture at ${label}${withCrl ? ' with CRLs required' : ''}`, () => {
        const s = stores({ certs: [cert('east'), cert('nocertsign')], crls: withCrl ? [crl('root.crl.pem'), crl('intermediate.crl.pem')] : [] });
        const verdicts: string[] = [];
        for (const n of names) {
          // openssl -purpose any does not look at the end certificate's keyUsage
          const ours = validateChain(cert(n), s, { now: when, requireCrl: withCrl, checkLeafKeyUsage: false }).ok;
          const args = ['verify', '-attime', String(Math.floor(when.getTime() / 1000)), '-CAfile', path.join(dir, 'cas.pem'),
            '-untrusted', pkiFile('east.crt'), '-untrusted', pkiFile('nocertsign.crt'), '-purpose', 'any'];
          if (withCrl) args.push('-crl_check_all', '-CRLfile', pkiFile('root.crl.pem'), '-CRLfile', pkiFile('intermediate.crl.pem'));
          args.push(pkiFile(`${n}.crt`));
          const theirs = openssl(args).status === 0;
          verdicts.push(`${n}: ours ${ours} openssl ${theirs}`);
          assert.equal(ours, theirs, verdicts.join('\n'));
        }
      });
    }
  }
});
