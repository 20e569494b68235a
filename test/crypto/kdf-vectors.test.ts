// NIST CAVP / ACVP IKEv1 KDF vectors (SP 800-135 "kdf135 IKEv1": SKEYID for PSK and signature
// authentication, SKEYID_d/a/e) for SHA-1 and SHA-2, and NSS's appendix-B vectors. Sources are in the fixture.
import assert from 'node:assert/strict';
import { toHex } from '../../src/crypto/bytes.js';
import { hashRow } from '../../src/crypto/hashes.js';
import { derivePhase1, keymatFormulas as F } from '../../src/crypto/index.js';
import { phase1Cipher } from '../../src/crypto/phase1-ciphers.js';
import { unwrap } from '../../src/crypto/errors.js';
import { IkeEncryption } from '../../src/isakmp/numbers.js';
import { hex, loadJson } from './vectors.js';

type S = Record<string, string> & { source: string; hash: string };
interface Kdf {
  complete: (S & { auth: 'psk' | 'signature' })[];
  skeyidSignature: S[];
  skeyidPsk: S[];
  skeyidChildren: S[];
  appendixB: (S & { length: number })[];
  keymatExpansion: (S & { length: number })[];
}
const V = loadJson<Kdf>('ikev1-kdf-vectors.json');
const noCookies = { ckyI: new Uint8Array(8), ckyR: new Uint8Array(8) };

describe('crypto IKEv1 KDF known answers (NIST CAVP IKEv1)', () => {
  describe('SKEYID = prf(Ni_b | Nr_b, g^xy) for signatures', () => {
    for (const v of V.skeyidSignature) {
      it(`${v.hash}, ${v.ni.length / 2}-byte nonces (${v.source})`, () => {
        const out = F.skeyid(hashRow(v.hash), 'signature', { niB: hex(v.ni), nrB: hex(v.nr), gxy: hex(v.gxy), ...noCookies });
        assert.equal(toHex(out), v.skeyid);
      });
    }
  });

  describe('SKEYID = prf(pre-shared-key, Ni_b | Nr_b)', () => {
    for (const v of V.skeyidPsk) {
      it(`${v.hash} (${v.source})`, () => {
        const out = F.skeyid(hashRow(v.hash), 'psk', { psk: hex(v.psk), niB: hex(v.ni), nrB: hex(v.nr), gxy: new Uint8Array(0), ...noCookies });
        assert.equal(toHex(out), v.skeyid);
      });
    }
  });

  describe('SKEYID_d, SKEYID_a, SKEYID_e', () => {
    for (const v of V.skeyidChildren) {
      it(`${v.hash} (${v.source})`, () => {
        const h = hashRow(v.hash);
        const [s, g, i, r] = [hex(v.skeyid), hex(v.gxy), hex(v.ckyI), hex(v.ckyR)];
        const d = F.skeyidD(h, s, g, i, r);
        const a = F.skeyidA(h, s, d, g, i, r);
        const e = F.skeyidE(h, s, a, g, i, r);
        assert.deepEqual([toHex(d), toHex(a), toHex(e)], [v.skeyidD, v.skeyidA, v.skeyidE]);
      });
    }
  });

  describe('whole derivation through derivePhase1', () => {
    for (const v of V.complete) {
      it(`${v.hash} ${v.auth} (${v.source}): SKEYID, SKEYID_d/a/e as published`, () => {
        const keys = unwrap(derivePhase1({
          hash: hashRow(v.hash).id,
          cipher: unwrap(phase1Cipher(IkeEncryption.AES_CBC, 128)),
          auth: v.auth,
          psk: v.psk !== undefined ? hex(v.psk) : undefined,
          gxy: hex(v.gxy), gxi: new Uint8Array(32), gxr: new Uint8Array(32),
          ckyI: hex(v.ckyI), ckyR: hex(v.ckyR), niB: hex(v.ni), nrB: hex(v.nr),
        }));
        const log = keys.exportForLog(99);
        assert.deepEqual([log.skeyid, log.skeyidD, log.skeyidA, log.skeyidE], [v.skeyid, v.skeyidD, v.skeyidA, v.skeyidE]);
        // AES-128 needs 16 bytes; SHA-1's SKEYID_e has 20, so the key is its first 16 (no appendix B).
        assert.equal(log.encryptionKey, v.skeyidE.slice(0, 32));
      });
    }
  });

  describe('RFC 2409 appendix B key extension (NSS vectors)', () => {
    for (const v of V.appendixB) {
      it(`${v.hash}, ${v.length} bytes from a ${v.skeyidE.length / 2}-byte SKEYID_e`, () => {
        assert.equal(toHex(F.encryptionKey(hashRow(v.hash), hex(v.skeyidE), v.length)), v.ka);
      });
    }
  });

  describe('RFC 2409 5.5 KEYMAT expansion K1 = prf(K, seed), Kn = prf(K, Kn-1 | seed) (NSS vectors)', () => {
    for (const v of V.keymatExpansion) {
      it(`${v.hash}, ${v.length} bytes`, () => {
        assert.equal(toHex(F.keymatExpand(hashRow(v.hash), hex(v.key), hex(v.seed), v.length)), v.keymat);
      });
    }
  });
});
