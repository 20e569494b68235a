// The algorithm tables: every row is consistent with the numbers table and with what OpenSSL does for its
// sizes, and encryption round-trips across rows (fast-check, bounded runs).
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHmac, getHashes } from 'node:crypto';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { unwrap } from '../../src/crypto/errors.js';
import { HASHES, hashById } from '../../src/crypto/hashes.js';
import { cipherAvailable, decryptBody, encryptBody, PHASE1_CIPHERS, phase1Cipher } from '../../src/crypto/phase1-ciphers.js';
import { ahLayout, ESP_CIPHERS, espLayout, INTEGRITY_ALGORITHMS, integrityByAhTransform } from '../../src/crypto/ipsec-transforms.js';
import { derivePhase1 } from '../../src/crypto/keymat.js';
import { AhTransformId, EspTransformId, IkeEncryption, IkeHash, IpsecAuthAlgorithm, nameOf } from '../../src/isakmp/numbers.js';

const usablePhase1 = PHASE1_CIPHERS.flatMap((row) => {
  const bits: number[] = [];
  for (let b = row.keyBits.min; b <= row.keyBits.max; b += row.keyBits.step) bits.push(b);
  return bits.filter((b) => phase1Cipher(row.id, row.variableKeyLength ? b : undefined).ok).map((b) => ({ row, bits: b }));
});

describe('crypto registry tables', () => {
  it('every row uses the number and name of the numbers table, each number once', () => {
    for (const h of HASHES) assert.equal(nameOf(IkeHash, h.id), h.name);
    for (const c of PHASE1_CIPHERS) assert.equal(nameOf(IkeEncryption, c.id), c.name);
    for (const e of ESP_CIPHERS) assert.equal(nameOf(EspTransformId, e.id), e.name);
    for (const i of INTEGRITY_ALGORITHMS) {
      assert.ok(nameOf(IpsecAuthAlgorithm, i.id));
      assert.ok(nameOf(AhTransformId, i.ahTransformId));
      assert.equal(integrityByAhTransform(i.ahTransformId), i);
    }
    for (const rows of [HASHES, PHASE1_CIPHERS, ESP_CIPHERS, INTEGRITY_ALGORITHMS]) {
      assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
    }
  });

  it('hash rows give digests of their stated length', () => {
    const have = new Set(getHashes());
    for (const h of HASHES) {
      assert.ok(have.has(h.openssl));
      assert.equal(createHmac(h.openssl, 'k').update('m').digest().length, h.length);
      assert.equal(hashById(h.id), h);
    }
  });

  it('AES-CBC and 3DES are always usable for Phase 1; AES takes 128, 192 and 256', () => {
    for (const b of [128, 192, 256]) assert.equal(unwrap(phase1Cipher(IkeEncryption.AES_CBC, b)).keyLength, b / 8);
    assert.equal(unwrap(phase1Cipher(IkeEncryption.AES_CBC)).keyBits, 128);
    assert.equal(unwrap(phase1Cipher(IkeEncryption['3DES_CBC'])).keyLength, 24);
    assert.ok(usablePhase1.length >= 4);
  });

  it('ESP rows: key, salt, IV and ICV sizes are the ones OpenSSL accepts', () => {
    for (const row of ESP_CIPHERS) {
      if (row.mode === 'null') continue;
      for (const bits of row.keyBits) {
        if (!cipherAvailable(row.openssl(bits), bits / 8, row.mode === 'cbc' ? row.ivBytes : row.saltBytes + row.ivBytes + (row.mode === 'ctr' ? 4 : 0))) {
          assert.ok(row.legacy, `${row.name} ${bits} should be available`);
          continue;
        }
        const key = Buffer.alloc(bits / 8, 7);
        const plain = Buffer.alloc(row.blockSize * 3, 9);
        if (row.mode === 'cbc') {
          const c = createCipheriv(row.openssl(bits), key, Buffer.alloc(row.ivBytes)).setAutoPadding(false);
          const ct = Buffer.concat([c.update(plain), c.final()]);
          const d = createDecipheriv(row.openssl(bits), key, Buffer.alloc(row.ivBytes)).setAutoPadding(false);
          assert.equal(Buffer.concat([d.update(ct), d.final()]).toString('hex'), plain.toString('hex'));
        } else if (row.mode === 'ctr') {
          assert.equal(row.saltBytes + row.ivBytes + 4, 16, 'nonce | IV | counter is one AES block');
        } else {
          // GCM/GMAC nonce = salt | IV (RFC 4106 section 4), 12 bytes; the tag is the ICV
          assert.equal(row.saltBytes + row.ivBytes, 12);
          const nonce = Buffer.alloc(12, 1);
          const c = createCipheriv(row.openssl(bits) as 'aes-128-gcm', key, nonce, { authTagLength: row.icvBytes });
          c.setAAD(Buffer.from('spi|seq'));
          const ct = Buffer.concat([c.update(plain), c.final()]);
          const tag = c.getAuthTag();
          assert.equal(tag.length, row.icvBytes);
          const d = createDecipheriv(row.openssl(bits) as 'aes-128-gcm', key, nonce, { authTagLength: row.icvBytes });
          d.setAAD(Buffer.from('spi|seq'));
          d.setAuthTag(tag);
          assert.equal(Buffer.concat([d.update(ct), d.final()]).toString('hex'), plain.toString('hex'));
        }
      }
    }
  });

  it('integrity rows: keys and truncated ICVs per RFC 2403/2404/4868/3566', () => {
    const want: Record<string, [number, number]> = {
      HMAC_MD5_96: [16, 12], HMAC_SHA1_96: [20, 12], HMAC_SHA2_256_128: [32, 16], HMAC_SHA2_384_192: [48, 24], HMAC_SHA2_512_256: [64, 32], AES_XCBC_MAC_96: [16, 12],
    };
    for (const r of INTEGRITY_ALGORITHMS) assert.deepEqual([r.keyBytes, r.icvBytes], want[r.name], r.name);
    const ah = unwrap(ahLayout(AhTransformId.SHA2_256, IpsecAuthAlgorithm.HMAC_SHA2_256));
    assert.equal(ah.keymatBytes, 32);
    assert.equal(ahLayout(AhTransformId.SHA2_256, IpsecAuthAlgorithm.HMAC_MD5).ok, false);
  });

  it('ESP layouts refuse what cannot be negotiated', () => {
    const notify = (r: { ok: boolean; error?: { notify: string } }): string | undefined => r.error?.notify;
    assert.equal(notify(espLayout(EspTransformId.AES, 100)), 'ATTRIBUTES_NOT_SUPPORTED');
    assert.equal(notify(espLayout(EspTransformId['3DES'], 128)), 'ATTRIBUTES_NOT_SUPPORTED');
    assert.equal(notify(espLayout(EspTransformId.NULL)), 'NO_PROPOSAL_CHOSEN');
    assert.equal(notify(espLayout(EspTransformId.RC5)), 'NO_PROPOSAL_CHOSEN');
    assert.equal(notify(espLayout(EspTransformId.AES, 128, 200)), 'NO_PROPOSAL_CHOSEN');
    assert.equal(unwrap(espLayout(EspTransformId.NULL, undefined, IpsecAuthAlgorithm.HMAC_SHA)).keymatBytes, 20);
    assert.equal(unwrap(espLayout(EspTransformId.AES)).encKeyBytes, 16);
  });

  it('property: every usable Phase 1 cipher round-trips any body through encryptBody/decryptBody', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...usablePhase1),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        ({ row, bits }, body, rnd) => {
          const spec = unwrap(phase1Cipher(row.id, row.variableKeyLength ? bits : undefined));
          const key = rnd.subarray(0, spec.keyLength);
          const iv = rnd.subarray(40, 40 + spec.blockSize);
          const ct = encryptBody(spec, key, iv, body);
          assert.equal(ct.length % spec.blockSize, 0);
          assert.ok(ct.length - body.length < spec.blockSize);
          const pt = unwrap(decryptBody(spec, key, iv, ct));
          assert.equal(toHex(pt.subarray(0, body.length)), toHex(body));
          assert.ok(pt.subarray(body.length).every((b) => b === 0));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('AES-CBC Phase 1 bodies match NIST SP 800-38A F.2.1 and F.2.5, both ways', () => {
    const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const pt = Buffer.from('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710', 'hex');
    const cases = [
      { bits: 128, key: '2b7e151628aed2a6abf7158809cf4f3c', ct: '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7' },
      { bits: 256, key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', ct: 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b' },
    ];
    for (const c of cases) {
      const spec = unwrap(phase1Cipher(IkeEncryption.AES_CBC, c.bits));
      const key = Buffer.from(c.key, 'hex');
      assert.equal(toHex(encryptBody(spec, key, iv, pt)), c.ct);
      assert.equal(toHex(unwrap(decryptBody(spec, key, iv, Buffer.from(c.ct, 'hex')))), pt.toString('hex'));
    }
  });

  it('property: two peers with the same inputs decrypt each other across hashes, ciphers and message IDs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...usablePhase1),
        fc.constantFrom(...HASHES.map((h) => h.id)),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.array(fc.record({ mid: fc.constantFrom(0, 1, 0xfffffffe, 77), fromI: fc.boolean(), body: fc.uint8Array({ minLength: 1, maxLength: 80 }) }), { minLength: 1, maxLength: 6 }),
        ({ row, bits }, hash, rnd, msgs) => {
          const inp = {
            hash, cipher: unwrap(phase1Cipher(row.id, row.variableKeyLength ? bits : undefined)), auth: 'psk' as const,
            psk: rnd.subarray(0, 8), gxy: rnd.subarray(8, 40), gxi: rnd.subarray(0, 16), gxr: rnd.subarray(16, 32),
            ckyI: rnd.subarray(32, 40), ckyR: rnd.subarray(40, 48), niB: rnd.subarray(48, 56), nrB: rnd.subarray(56, 64),
          };
          const i = unwrap(derivePhase1(inp));
          const r = unwrap(derivePhase1(inp));
          for (const m of msgs) {
            const [tx, rx] = m.fromI ? [i, r] : [r, i];
            const pt = unwrap(rx.decrypt(m.mid, tx.encrypt(m.mid, m.body)));
            assert.equal(toHex(pt.subarray(0, m.body.length)), toHex(m.body));
            assert.equal(toHex(i.ivFor(m.mid)), toHex(r.ivFor(m.mid)));
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
