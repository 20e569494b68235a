import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { checkHashSignature, parsePrivateKey, PkiError, signHash, verifyHash } from '../../src/pki/index.js';
import { cert, openssl, pkiBytes, pkiFile } from './fixtures.js';

const eastKey = (): crypto.KeyObject => {
  const r = parsePrivateKey(pkiBytes('east.key'));
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};

describe('pki: IKEv1 RSA signatures (RFC 2409 5.1, PKCS#1 v1.5 without DigestInfo)', () => {
  for (const h of ['sha1', 'sha256', 'md5']) {
    it(`reproduces openssl's raw PKCS#1 signature over a ${h} hash byte for byte`, () => {
      const hash = pkiBytes(`sig-hash-${h}.bin`);
      // the committed hash is the digest of the committed message (the fixture is what it claims)
      assert.deepEqual(hash, crypto.createHash(h).update(pkiBytes('sig-message.txt')).digest());
      const expected = pkiBytes(`sig-east-${h}.bin`);
      assert.deepEqual(signHash(eastKey(), hash), expected);
    });

    it(`verifies openssl's ${h} signature with the certificate, and not with another key`, () => {
      const hash = pkiBytes(`sig-hash-${h}.bin`);
      const sig = pkiBytes(`sig-east-${h}.bin`);
      assert.equal(verifyHash(cert('east'), hash, sig), true);
      assert.equal(verifyHash(cert('east').x509, hash, sig), true);
      assert.equal(verifyHash(cert('imposter'), hash, sig), false);
    });
  }

  it('our signatures recover to the hash under openssl pkeyutl -verifyrecover (raw PKCS#1 semantics)', () => {
    const hash = crypto.createHash('sha256').update('HASH_R of some exchange').digest();
    const sig = signHash(eastKey(), hash);
    const r = openssl(['pkeyutl', '-verifyrecover', '-certin', '-inkey', pkiFile('east.crt'), '-pkeyopt', 'rsa_padding_mode:pkcs1'], sig);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout, hash);
  });

  it('is not the DigestInfo form that crypto.sign would make', () => {
    const hash = pkiBytes('sig-hash-sha1.bin');
    const withDigestInfo = crypto.sign('sha1', pkiBytes('sig-message.txt'), eastKey());
    assert.notDeepEqual(signHash(eastKey(), hash), withDigestInfo);
    assert.equal(verifyHash(cert('east'), hash, withDigestInfo), false);
  });

  it('refuses an altered hash or signature with a reason naming INVALID_SIGNATURE', () => {
    const hash = pkiBytes('sig-hash-sha1.bin');
    const sig = pkiBytes('sig-east-sha1.bin');
    const h2 = Buffer.from(hash);
    h2[0] ^= 1;
    const s2 = Buffer.from(sig);
    s2[100] ^= 1;
    for (const [hh, ss, why] of [
      [h2, sig, /different/],
      [hash, s2, /PKCS#1 type 1|different/],
      [hash, Buffer.concat([sig, Buffer.from([0])]), /bytes, the key's modulus 256/],
      [hash, Buffer.alloc(0), /0 bytes/],
      [hash.subarray(0, 19), sig, /different 20-byte value than the 19-byte hash/],
    ] as [Buffer, Buffer, RegExp][]) {
      const r = checkHashSignature(cert('east'), hh, ss);
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.error.notify, 'INVALID_SIGNATURE');
        assert.match(r.error.reason, why);
      }
    }
  });

  it('round-trips arbitrary hashes and never throws on arbitrary signatures', () => {
    const key = eastKey();
    const east = cert('east');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ maxLength: 300 }), (hash, junk) => {
        assert.equal(verifyHash(east, hash, signHash(key, hash)), true);
        verifyHash(east, hash, junk);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses to sign with a key that cannot make RSA_SIG signatures, or a hash that does not fit', () => {
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    assert.throws(() => signHash(ec, Buffer.alloc(20)), (e: unknown) => e instanceof PkiError && e.problem.code === 'unsupported-key');
    assert.throws(() => signHash(eastKey(), Buffer.alloc(246)), (e: unknown) => e instanceof PkiError && /does not fit/.test(e.message));
    assert.equal(verifyHash(crypto.createPublicKey(ec), Buffer.alloc(20), Buffer.alloc(64)), false);
  });

  it('accepts the private key in PEM text, PKCS#1 and DER forms, all signing alike', () => {
    const hash = pkiBytes('sig-hash-sha256.bin');
    const expected = pkiBytes('sig-east-sha256.bin');
    for (const f of ['east.key', 'east.pkcs1.key', 'east.key.der']) {
      const k = parsePrivateKey(pkiBytes(f), f);
      assert.ok(k.ok, f);
      assert.deepEqual(signHash(k.value, hash), expected, f);
    }
    assert.deepEqual(signHash(pkiBytes('east.key').toString(), hash), expected);
  });
});
