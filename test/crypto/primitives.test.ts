// Known answers for the primitives the registry rows point at: HMAC PRFs (RFC 2202, RFC 4231), the Phase 1
// AES-CBC body cipher (RFC 3602), the ESP AES-CTR row's key/nonce/IV layout (RFC 3686) and AES-XCBC-MAC
// (RFC 3566).
import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { digest, HASHES, hashRow, hmac } from '../../src/crypto/hashes.js';
import { decryptBody, encryptBody, phase1Cipher } from '../../src/crypto/phase1-ciphers.js';
import { espCipherById, espLayout, integrityById, splitKeymat } from '../../src/crypto/ipsec-transforms.js';
import { aesXcbcMac } from '../../src/crypto/xcbc.js';
import { unwrap } from '../../src/crypto/errors.js';
import { EspTransformId, IkeEncryption, IpsecAuthAlgorithm } from '../../src/isakmp/numbers.js';
import { hex, loadJson, text } from './vectors.js';

interface Hv { rfc: string; hash: string; key?: string; keyText?: string; data?: string; dataText?: string; mac: string }
interface Cv { rfc: string; key: string; iv: string; nonce?: string; plain?: string; plainText?: string; cipher: string }
interface Xv { rfc: string; key: string; data: string; mac: string }
const V = loadJson<{ hmac: Hv[]; aesCbc: Cv[]; aesCtr: Cv[]; aesXcbc: Xv[] }>('primitive-vectors.json');

describe('crypto primitives: known answers', () => {
  describe('HMAC as the IKEv1 PRF (RFC 2202, RFC 4231)', () => {
    for (const v of V.hmac) {
      it(`RFC ${v.rfc} HMAC-${v.hash}`, () => {
        const key = v.key !== undefined ? hex(v.key) : text(v.keyText!);
        const data = v.data !== undefined ? hex(v.data) : text(v.dataText!);
        assert.equal(toHex(hmac(hashRow(v.hash), key, data)), v.mac);
      });
    }
    it('a PRF over split input equals the PRF over the concatenation', () => {
      const h = hashRow('SHA2_256');
      assert.equal(toHex(hmac(h, text('k'), text('ab'), text('c'))), toHex(hmac(h, text('k'), text('abc'))));
    });
    // hmac() and digest() lay their input out themselves and hash it in one call; OpenSSL's own HMAC and
    // hash objects are the reference, over keys around every block size and inputs split anywhere.
    it('hmac() and digest() agree with OpenSSL\'s HMAC and hash objects for any key, input and split', () => {
      const bytes = (max: number) => fc.uint8Array({ maxLength: max });
      fc.assert(
        fc.property(fc.constantFrom(...HASHES), bytes(300), fc.array(bytes(700), { maxLength: 4 }), (h, key, parts) => {
          const ref = createHmac(h.openssl, key);
          const refHash = createHash(h.openssl);
          for (const p of parts) (ref.update(p), refHash.update(p));
          assert.equal(toHex(hmac(h, key, ...parts)), ref.digest('hex'));
          assert.equal(toHex(digest(h, ...parts)), refHash.digest('hex'));
        }),
        { numRuns: 400, seed: 2104 },
      );
    });
    it('a PRF input far larger than any before still hashes whole', () => {
      const h = hashRow('SHA');
      const big = new Uint8Array(20_000).map((_, i) => i & 0xff);
      assert.equal(toHex(hmac(h, text('k'), big, big)), createHmac('sha1', 'k').update(big).update(big).digest('hex'));
    });
  });

  describe('Phase 1 AES-CBC body cipher (RFC 3602 section 4)', () => {
    for (const v of V.aesCbc) {
      it(`RFC ${v.rfc}: encryptBody gives the published ciphertext and decryptBody reverses it`, () => {
        const spec = unwrap(phase1Cipher(IkeEncryption.AES_CBC, v.key.length * 4));
        const plain = v.plain !== undefined ? hex(v.plain) : text(v.plainText!);
        const ct = encryptBody(spec, hex(v.key), hex(v.iv), plain);
        assert.equal(toHex(ct), v.cipher);
        assert.equal(toHex(unwrap(decryptBody(spec, hex(v.key), hex(v.iv), ct))), toHex(plain));
      });
    }
  });

  describe('ESP AES-CTR row (RFC 3686 section 6)', () => {
    for (const v of V.aesCtr) {
      it(`RFC ${v.rfc}: KEYMAT = key | nonce, counter block = nonce | IV | 1`, () => {
        const keyBits = (v.key.length / 2) * 8;
        const layout = unwrap(espLayout(EspTransformId.AES_CTR, keyBits, IpsecAuthAlgorithm.HMAC_SHA));
        assert.equal(layout.saltBytes, 4);
        // KEYMAT as IKE hands it over: key, then the 4-byte nonce, then the integrity key.
        const keymat = hex(v.key + v.nonce! + '00'.repeat(layout.integKeyBytes));
        const keys = splitKeymat(layout, keymat);
        assert.equal(toHex(keys.encKey), v.key);
        assert.equal(toHex(keys.salt), v.nonce);
        const row = espCipherById(EspTransformId.AES_CTR)!;
        assert.equal(row.ivBytes, hex(v.iv).length);
        const counter = Buffer.concat([keys.salt, hex(v.iv), Buffer.from([0, 0, 0, 1])]);
        const c = createCipheriv(row.openssl(keyBits), keys.encKey, counter);
        const plain = v.plain !== undefined ? hex(v.plain) : text(v.plainText!);
        assert.equal(Buffer.concat([c.update(plain), c.final()]).toString('hex'), v.cipher);
      });
    }
  });

  describe('AES-XCBC-MAC (RFC 3566 section 4)', () => {
    for (const v of V.aesXcbc) {
      it(`RFC ${v.rfc} (${v.data.length / 2} bytes)`, () => {
        assert.equal(toHex(aesXcbcMac(hex(v.key), hex(v.data))), v.mac);
      });
    }
    it('the AES-XCBC-MAC-96 row truncates to 12 bytes with a 16-byte key', () => {
      const row = integrityById(IpsecAuthAlgorithm.AES_XCBC_MAC)!;
      assert.equal(row.keyBytes, 16);
      assert.equal(row.icvBytes, 12);
    });
    it('refuses keys that are not 16 bytes', () => {
      assert.throws(() => aesXcbcMac(new Uint8Array(10), new Uint8Array(0)), RangeError);
    });
  });
});
