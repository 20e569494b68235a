import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseAssertion } from '../../src/policy/assertion.js';
import { canonicalPrincipal, decodePublicKey, generateKey } from '../../src/policy/keys.js';
import { signText, verifyAssertion } from '../../src/policy/signature.js';
import { fixturePath, readFixture } from '../helpers/paths.js';

function credential(authorizer: string, sig?: string): string {
  const body = `KeyNote-Version: 2\nAuthorizer: "${authorizer}"\nLicensees: "bob"\nConditions: app_domain == "test" -> "true";\n`;
  return sig === undefined ? body + 'Signature:\n' : `${body}Signature: "${sig}"\n`;
}

function verifyText(text: string): boolean {
  const r = parseAssertion(text, 'c', false);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostic));
  return verifyAssertion(r.assertion).ok;
}

const peerKeyPem = fs.readFileSync(fixturePath('policy', 'x509', 'peer.key'), 'utf8');
const peerPrivate = `private-rsa-hex:${crypto.createPrivateKey(peerKeyPem).export({ format: 'der', type: 'pkcs1' }).toString('hex')}`;
const peerCertB64 = readFixture('policy', 'x509', 'peer.der').toString('base64');

describe('policy/signature: signatures made by OpenSSL verify (independent known answers)', () => {
  it('sig-rsa-sha1-hex over the text plus the algorithm name', () => {
    assert.equal(verifyText(readFixture('policy', 'openssl-signed.cred').toString('utf8')), true);
  });
  it('sig-rsa-md5-base64', () => {
    assert.equal(verifyText(readFixture('policy', 'openssl-signed-md5.cred').toString('utf8')), true);
  });
  it('one changed character in the signed text breaks it', () => {
    const t = readFixture('policy', 'openssl-signed.cred').toString('utf8').replace('esp_present == "yes"', 'esp_present == "no"');
    assert.equal(verifyText(t), false);
  });
  it('a comment line is part of the signed text', () => {
    const t = readFixture('policy', 'openssl-signed.cred').toString('utf8').replace('not by this project', 'not by this project!');
    assert.equal(verifyText(t), false);
  });
});

describe('policy/signature: sign and verify round trips', () => {
  const rsa = generateKey('rsa', 1024, 'hex');
  for (const alg of ['sig-rsa-sha1-hex:', 'sig-rsa-sha1-base64:', 'sig-rsa-md5-hex:', 'sig-rsa-md5-base64:']) {
    it(`${alg} good, tampered, and wrong key`, () => {
      const unsigned = credential(rsa.publicKey);
      const sig = signText(unsigned, alg, rsa.privateKey);
      assert.ok(sig.startsWith(alg));
      assert.equal(verifyText(credential(rsa.publicKey, sig)), true);
      assert.equal(verifyText(credential(rsa.publicKey, sig).replace('"bob"', '"eve"')), false);
      const other = generateKey('rsa', 1024, 'hex');
      assert.equal(verifyText(credential(other.publicKey, sig)), false);
    });
  }

  it('sig-dsa-sha1-hex and -base64', function () {
    this.timeout(20000);
    const dsa = generateKey('dsa', 1024, 'base64');
    for (const alg of ['sig-dsa-sha1-hex:', 'sig-dsa-sha1-base64:']) {
      const sig = signText(credential(dsa.publicKey), alg, dsa.privateKey);
      assert.equal(verifyText(credential(dsa.publicKey, sig)), true);
      assert.equal(verifyText(credential(dsa.publicKey, sig).replace('"test"', '"tost"')), false);
    }
  });

  it('sig-x509-sha1-base64 verifies with the key inside the Authorizer certificate', () => {
    const auth = `x509-base64:${peerCertB64}`;
    const sig = signText(credential(auth), 'sig-x509-sha1-base64:', peerPrivate);
    assert.equal(verifyText(credential(auth, sig)), true);
    assert.equal(verifyText(credential(auth, sig).replace('KeyNote-Version: 2\n', '')), false);
  });

  it('an RSA signature does not verify against a DSA Authorizer', function () {
    this.timeout(20000);
    const rsaSig = signText(credential('x'), 'sig-rsa-sha1-hex:', rsa.privateKey);
    const dsa = generateKey('dsa', 1024, 'hex');
    assert.equal(verifyText(credential(dsa.publicKey, rsaSig)), false);
  });

  it('unsigned or garbled signatures are refused with a reason', () => {
    const r = parseAssertion(credential(rsa.publicKey, 'sig-rsa-sha1-hex:zz'), 'c', false);
    assert.ok(r.ok);
    const v = verifyAssertion(r.assertion);
    assert.equal(v.ok, false);
    const r2 = parseAssertion(credential(rsa.publicKey, 'sig-foo-sha1-hex:00'), 'c', false);
    assert.ok(r2.ok);
    assert.match((verifyAssertion(r2.assertion) as { reason: string }).reason, /unknown signature algorithm/);
  });
});

describe('policy/keys: principals are normalised before comparison', () => {
  const rsa = generateKey('rsa', 1024, 'hex');
  it('rsa-hex and rsa-base64 of one key are the same principal', () => {
    const b64 = `rsa-base64:${Buffer.from(rsa.publicKey.slice('rsa-hex:'.length), 'hex').toString('base64')}`;
    assert.equal(canonicalPrincipal(rsa.publicKey), canonicalPrincipal(b64));
    assert.equal(canonicalPrincipal(rsa.publicKey.toUpperCase().replace('RSA-HEX:', 'rsa-hex:')), canonicalPrincipal(rsa.publicKey));
  });
  it('an x509 certificate principal equals the rsa-hex of its key (the form isakmpd presents)', () => {
    const certKey = decodePublicKey(`x509-base64:${peerCertB64}`);
    const pkcs1 = `rsa-hex:${certKey.key.export({ format: 'der', type: 'pkcs1' }).toString('hex')}`;
    assert.equal(canonicalPrincipal(`x509-base64:${peerCertB64}`), canonicalPrincipal(pkcs1));
    assert.equal(canonicalPrincipal(`x509-hex:${Buffer.from(peerCertB64, 'base64').toString('hex')}`), canonicalPrincipal(pkcs1));
  });
  it('opaque principals compare exactly, case-sensitively', () => {
    assert.notEqual(canonicalPrincipal('DN:/CN=a'), canonicalPrincipal('DN:/CN=A'));
    assert.equal(canonicalPrincipal('passphrase:x'), 'passphrase:x');
  });
  it('a malformed key stays a distinct literal and never throws', () => {
    assert.equal(canonicalPrincipal('rsa-hex:zz'), 'rsa-hex:zz');
    assert.equal(canonicalPrincipal('rsa-hex:3003020101'), 'rsa-hex:3003020101');
  });
});
