// Phase1Keys behaviour: the IV chains of RFC 2409 appendix B, encrypt/decrypt between two peers, the hashes
// recomputed independently with node:crypto, KEYMAT composition, secrets kept out of logs, and failures that
// name their notify.
import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { concat, toHex, u32be } from '../../src/crypto/bytes.js';
import { unwrap } from '../../src/crypto/errors.js';
import { derivePhase1, KEY_LOG_LEVEL, natDetectionHash, type Phase1Inputs } from '../../src/crypto/keymat.js';
import { espLayout } from '../../src/crypto/ipsec-transforms.js';
import { cipherAvailable, phase1Cipher } from '../../src/crypto/phase1-ciphers.js';
import { generateKeyPair } from '../../src/crypto/dh-groups.js';
import { seededRng } from '../../src/crypto/random.js';
import { EspTransformId, IkeEncryption, IkeHash, IpsecAuthAlgorithm, ProtocolId } from '../../src/isakmp/numbers.js';

const B = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));

/** A full set of Phase 1 inputs from a real DH exchange with seeded randomness. */
function inputs(over: Partial<Phase1Inputs> = {}, seed = 'k'): Phase1Inputs {
  const rng = seededRng(seed);
  const a = generateKeyPair(14, rng);
  const b = generateKeyPair(14, rng);
  return {
    hash: IkeHash.SHA,
    cipher: unwrap(phase1Cipher(IkeEncryption.AES_CBC, 128)),
    auth: 'psk',
    psk: B('secret'),
    gxy: unwrap(a.computeShared(b.publicValue)),
    gxi: a.publicValue,
    gxr: b.publicValue,
    ckyI: rng(8),
    ckyR: rng(8),
    niB: rng(16),
    nrB: rng(20),
    ...over,
  };
}

const hmacHex = (alg: string, key: Uint8Array, ...parts: Uint8Array[]): string => {
  const h = createHmac(alg, key);
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('crypto keymat: Phase1Keys', () => {
  describe('IV chains (RFC 2409 appendix B)', () => {
    it('the Phase 1 IV is hash(g^xi | g^xr) cut to the block size', () => {
      const inp = inputs();
      const keys = unwrap(derivePhase1(inp));
      const want = createHash('sha1').update(inp.gxi).update(inp.gxr).digest().subarray(0, 16);
      assert.equal(toHex(keys.ivFor(0)), want.toString('hex'));
      assert.equal(keys.exportForLog(KEY_LOG_LEVEL).initialIv, want.toString('hex'));
    });

    it('Main Mode 5/6 then Quick Mode: both peers stay in step, IVs chain on the last ciphertext block', () => {
      const inp = inputs();
      const ini = unwrap(derivePhase1(inp));
      const res = unwrap(derivePhase1(inp));
      const m5 = B('message five: IDii | HASH_I');
      const c5 = ini.encrypt(0, m5);
      assert.equal(c5.length % 16, 0);
      assert.equal(toHex(ini.ivFor(0)), toHex(c5.subarray(c5.length - 16)));
      const p5 = unwrap(res.decrypt(0, c5));
      assert.equal(Buffer.from(p5.subarray(0, m5.length)).toString(), 'message five: IDii | HASH_I');
      assert.ok(p5.subarray(m5.length).every((x) => x === 0), 'zero padding');
      const c6 = res.encrypt(0, B('message six: IDir | HASH_R ....'));
      unwrap(ini.decrypt(0, c6));
      const lastPhase1 = c6.subarray(c6.length - 16);
      assert.equal(toHex(ini.ivFor(0)), toHex(lastPhase1));
      assert.equal(toHex(res.ivFor(0)), toHex(lastPhase1));

      // Quick Mode: IV = hash(last Phase 1 block | M-ID)
      const mid = 0xc4e54e01;
      const want = createHash('sha1').update(lastPhase1).update(u32be(mid)).digest().subarray(0, 16);
      assert.equal(toHex(ini.ivFor(mid)), want.toString('hex'));
      assert.equal(toHex(res.ivFor(mid)), want.toString('hex'));
      const q1 = ini.encrypt(mid, B('HASH(1) SA Ni'));
      unwrap(res.decrypt(mid, q1));
      const q2 = res.encrypt(mid, B('HASH(2) SA Nr'));
      unwrap(ini.decrypt(mid, q2));
      const q3 = ini.encrypt(mid, B('HASH(3)'));
      assert.equal(Buffer.from(unwrap(res.decrypt(mid, q3)).subarray(0, 7)).toString(), 'HASH(3)');
      // Phase 1's chain did not move, and a second exchange starts from it.
      assert.equal(toHex(ini.ivFor(0)), toHex(lastPhase1));
      const mid2 = 7;
      assert.equal(toHex(ini.ivFor(mid2)), createHash('sha1').update(lastPhase1).update(u32be(mid2)).digest().subarray(0, 16).toString('hex'));
    });

    it('chaining equals one CBC pass over consecutive block-aligned messages', () => {
      const inp = inputs();
      const keys = unwrap(derivePhase1(inp));
      const key = Buffer.from(keys.exportForLog(KEY_LOG_LEVEL).encryptionKey as string, 'hex');
      const mid = 42;
      const iv = keys.ivFor(mid);
      const m1 = new Uint8Array(32).fill(1);
      const m2 = new Uint8Array(48).fill(2);
      const c = concat(keys.encrypt(mid, m1), keys.encrypt(mid, m2));
      const ref = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
      assert.equal(toHex(c), Buffer.concat([ref.update(concat(m1, m2)), ref.final()]).toString('hex'));
    });

    it('a deferred decrypt moves the chain only when confirmed', () => {
      const inp = inputs();
      const a = unwrap(derivePhase1(inp));
      const b = unwrap(derivePhase1(inp));
      const mid = 99;
      const before = toHex(b.ivFor(mid));
      const ct = a.encrypt(mid, B('hello'));
      unwrap(b.decrypt(mid, ct, { defer: true }));
      assert.equal(toHex(b.ivFor(mid)), before);
      b.confirmIv(mid);
      assert.equal(toHex(b.ivFor(mid)), toHex(ct.subarray(ct.length - 16)));
      b.forgetIv(mid);
      assert.equal(toHex(b.ivFor(mid)), before, 'a forgotten chain restarts from the Phase 1 IV');
    });

    it('ciphertext that is not whole blocks is PAYLOAD_MALFORMED and leaves the chain alone', () => {
      const keys = unwrap(derivePhase1(inputs()));
      const before = toHex(keys.ivFor(0));
      for (const len of [0, 15, 17]) {
        const r = keys.decrypt(0, new Uint8Array(len));
        assert.equal(r.ok, false);
        if (!r.ok) assert.equal(r.error.notify, 'PAYLOAD_MALFORMED');
      }
      assert.equal(toHex(keys.ivFor(0)), before);
    });

    it('3DES uses 8-byte blocks and IVs', () => {
      const keys = unwrap(derivePhase1(inputs({ cipher: unwrap(phase1Cipher(IkeEncryption['3DES_CBC'])) })));
      assert.equal(keys.ivFor(0).length, 8);
      assert.equal(keys.encrypt(0, B('x')).length, 8);
    });
  });

  describe('hashes, recomputed with node:crypto from the published formulas', () => {
    const inp = inputs({ hash: IkeHash.SHA2_256 });
    const keys = unwrap(derivePhase1(inp));
    const log = keys.exportForLog(KEY_LOG_LEVEL);
    const skeyid = Buffer.from(log.skeyid as string, 'hex');
    const skeyidA = Buffer.from(log.skeyidA as string, 'hex');
    const sai = B('SAi body'), idii = B('IDii body'), idir = B('IDir body');
    it('HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)', () => {
      assert.equal(toHex(keys.hashI(sai, idii)), hmacHex('sha256', skeyid, inp.gxi, inp.gxr, inp.ckyI, inp.ckyR, sai, idii));
    });
    it('HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)', () => {
      assert.equal(toHex(keys.hashR(sai, idir)), hmacHex('sha256', skeyid, inp.gxr, inp.gxi, inp.ckyR, inp.ckyI, sai, idir));
    });
    it('Quick Mode HASH(1), HASH(2), HASH(3) and Informational HASH(1)', () => {
      const mid = 0x01020304, rest = B('SA|Ni|IDci|IDcr'), ni = B('Ni'), nr = B('Nr');
      assert.equal(toHex(keys.quickHash1(mid, rest)), hmacHex('sha256', skeyidA, Buffer.from([1, 2, 3, 4]), rest));
      assert.equal(toHex(keys.quickHash2(mid, ni, rest)), hmacHex('sha256', skeyidA, Buffer.from([1, 2, 3, 4]), ni, rest));
      assert.equal(toHex(keys.quickHash3(mid, ni, nr)), hmacHex('sha256', skeyidA, Buffer.from([0, 1, 2, 3, 4]), ni, nr));
      assert.equal(toHex(keys.informationalHash(mid, rest)), hmacHex('sha256', skeyidA, Buffer.from([1, 2, 3, 4]), rest));
    });
    it('NAT-D = hash(CKY-I | CKY-R | IP | Port)', () => {
      const ip = new Uint8Array([198, 18, 0, 2]);
      const want = createHash('sha256').update(inp.ckyI).update(inp.ckyR).update(ip).update(Buffer.from([0x11, 0x94])).digest('hex');
      assert.equal(toHex(natDetectionHash(IkeHash.SHA2_256, inp.ckyI, inp.ckyR, ip, 4500)), want);
    });
  });

  describe('KEYMAT', () => {
    it('KEYMAT = K1 | K2 with Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), cut key | integrity key', () => {
      const inp = inputs();
      const keys = unwrap(derivePhase1(inp));
      const d = Buffer.from(keys.exportForLog(KEY_LOG_LEVEL).skeyidD as string, 'hex');
      const spi = new Uint8Array([0x60, 0x77, 0xcb, 0x6e]), ni = B('nonce-i'), nr = B('nonce-r'), g = B('g(qm)^xy');
      const seed = concat(g, new Uint8Array([3]), spi, ni, nr);
      const k1 = Buffer.from(hmacHex('sha1', d, seed), 'hex');
      const k2 = Buffer.from(hmacHex('sha1', d, k1, seed), 'hex');
      const layout = unwrap(espLayout(EspTransformId.AES, 128, IpsecAuthAlgorithm.HMAC_SHA));
      assert.equal(layout.keymatBytes, 36);
      const sa = keys.childSaKeys(layout, { protocol: ProtocolId.IPSEC_ESP, spi, niB: ni, nrB: nr, gqmxy: g });
      const km = Buffer.concat([k1, k2]);
      assert.equal(toHex(sa.encKey), km.subarray(0, 16).toString('hex'));
      assert.equal(toHex(sa.integKey), km.subarray(16, 36).toString('hex'));
      // without PFS the DH value is simply absent from the seed
      const noPfs = keys.keymat({ protocol: 3, spi, niB: ni, nrB: nr }, 20);
      assert.equal(toHex(noPfs), hmacHex('sha1', d, new Uint8Array([3]), spi, ni, nr));
    });
    it('GCM and CTR take 4 salt bytes after the key; GCM refuses an integrity algorithm', () => {
      const gcm = unwrap(espLayout(EspTransformId.AES_GCM_16, 256));
      assert.deepEqual([gcm.encKeyBytes, gcm.saltBytes, gcm.integKeyBytes, gcm.keymatBytes], [32, 4, 0, 36]);
      const r = espLayout(EspTransformId.AES_GCM_16, 128, IpsecAuthAlgorithm.HMAC_SHA);
      assert.equal(r.ok ? '' : r.error.notify, 'NO_PROPOSAL_CHOSEN');
      const ctr = unwrap(espLayout(EspTransformId.AES_CTR, 192, IpsecAuthAlgorithm.HMAC_SHA2_256));
      assert.deepEqual([ctr.encKeyBytes, ctr.saltBytes, ctr.integKeyBytes], [24, 4, 32]);
    });
  });

  describe('appendix B in context', () => {
    it('3DES with SHA-1 needs 24 key bytes from a 20-byte SKEYID_e: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1)', () => {
      const keys = unwrap(derivePhase1(inputs({ cipher: unwrap(phase1Cipher(IkeEncryption['3DES_CBC'])) })));
      const log = keys.exportForLog(KEY_LOG_LEVEL);
      const e = Buffer.from(log.skeyidE as string, 'hex');
      const k1 = Buffer.from(hmacHex('sha1', e, new Uint8Array([0])), 'hex');
      const k2 = Buffer.from(hmacHex('sha1', e, k1), 'hex');
      assert.equal(log.encryptionKey, Buffer.concat([k1, k2]).subarray(0, 24).toString('hex'));
    });
  });

  describe('secrets and failures', () => {
    it('exportForLog shows algorithms below the key level and keys only at it', () => {
      const keys = unwrap(derivePhase1(inputs()));
      const low = keys.exportForLog(KEY_LOG_LEVEL - 1);
      assert.equal(low.cipher, 'AES_CBC');
      for (const k of ['skeyid', 'skeyidD', 'skeyidA', 'skeyidE', 'encryptionKey']) assert.equal(low[k], undefined);
      const high = keys.exportForLog(KEY_LOG_LEVEL);
      assert.match(String(high.skeyid), /^[0-9a-f]{40}$/);
      assert.equal(JSON.stringify(keys).includes(String(high.skeyid)), false, 'secrets do not leak through JSON');
    });
    it('dispose() zeroes the keys', () => {
      const keys = unwrap(derivePhase1(inputs()));
      keys.dispose();
      assert.match(String(keys.exportForLog(KEY_LOG_LEVEL).skeyid), /^0+$/);
      assert.match(String(keys.exportForLog(KEY_LOG_LEVEL).encryptionKey), /^0+$/);
    });
    it('different PSKs give different keys; the same inputs the same keys', () => {
      const a = unwrap(derivePhase1(inputs())).exportForLog(KEY_LOG_LEVEL);
      const b = unwrap(derivePhase1(inputs())).exportForLog(KEY_LOG_LEVEL);
      const c = unwrap(derivePhase1(inputs({ psk: B('other') }))).exportForLog(KEY_LOG_LEVEL);
      assert.equal(a.skeyidE, b.skeyidE);
      assert.notEqual(a.skeyidE, c.skeyidE);
    });
    it('refusals name their notify', () => {
      const r1 = derivePhase1(inputs({ hash: 3 /* TIGER */ }));
      assert.equal(r1.ok ? '' : r1.error.notify, 'NO_PROPOSAL_CHOSEN');
      const r2 = derivePhase1(inputs({ psk: new Uint8Array(0) }));
      assert.equal(r2.ok ? '' : r2.error.notify, 'AUTHENTICATION_FAILED');
      const r3 = phase1Cipher(IkeEncryption.AES_CBC, 100);
      assert.equal(r3.ok ? '' : r3.error.notify, 'ATTRIBUTES_NOT_SUPPORTED');
      const r4 = phase1Cipher(IkeEncryption['3DES_CBC'], 128);
      assert.equal(r4.ok ? '' : r4.error.notify, 'ATTRIBUTES_NOT_SUPPORTED');
      const r5 = phase1Cipher(IkeEncryption.IDEA_CBC);
      assert.equal(r5.ok ? '' : r5.error.notify, 'NO_PROPOSAL_CHOSEN');
    });
    it('legacy ciphers say how to enable them when OpenSSL lacks the legacy provider', function () {
      if (cipherAvailable('bf-cbc', 16, 8)) {
        assert.equal(phase1Cipher(IkeEncryption.BLOWFISH_CBC).ok, true);
        this.skip();
      }
      for (const id of [IkeEncryption.BLOWFISH_CBC, IkeEncryption.CAST_CBC, IkeEncryption.DES_CBC]) {
        const r = phase1Cipher(id);
        assert.equal(r.ok, false);
        if (!r.ok) {
          assert.equal(r.error.notify, 'NO_PROPOSAL_CHOSEN');
          assert.match(r.error.reason, /--openssl-legacy-provider/);
        }
      }
    });
  });
});
