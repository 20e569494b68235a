// Phase1Keys after endPhase1(): the authentication material (SKEYID, SKEYID_e, g^xi, g^xr, the initial IV) is
// gone, and everything an established ISAKMP SA still does with its keys gives the same bytes as before.
import assert from 'node:assert/strict';
import { unwrap } from '../../src/crypto/errors.js';
import { derivePhase1, KEY_LOG_LEVEL, type Phase1Inputs } from '../../src/crypto/keymat.js';
import { phase1Cipher } from '../../src/crypto/phase1-ciphers.js';
import { generateKeyPair } from '../../src/crypto/dh-groups.js';
import { seededRng } from '../../src/crypto/random.js';
import { toHex } from '../../src/crypto/bytes.js';
import { IkeEncryption, IkeHash } from '../../src/isakmp/numbers.js';

function inputs(seed: string, hash: number, encr: number, bits?: number): Phase1Inputs {
  const rng = seededRng(seed);
  const a = generateKeyPair(2, rng);
  const b = generateKeyPair(2, rng);
  return {
    hash, cipher: unwrap(phase1Cipher(encr, bits)), auth: 'psk', psk: new Uint8Array(Buffer.from('secret')),
    gxy: unwrap(a.computeShared(b.publicValue)), gxi: a.publicValue, gxr: b.publicValue,
    ckyI: rng(8), ckyR: rng(8), niB: rng(16), nrB: rng(20),
  };
}

const CASES = [
  { name: 'SHA1 / AES-128', hash: IkeHash.SHA, encr: IkeEncryption.AES_CBC, bits: 128 },
  { name: 'SHA2-256 / AES-256', hash: IkeHash.SHA2_256, encr: IkeEncryption.AES_CBC, bits: 256 },
  { name: 'MD5 / 3DES', hash: IkeHash.MD5, encr: IkeEncryption['3DES_CBC'] },
];

describe('crypto keymat: Phase1Keys once Phase 1 is authenticated (endPhase1)', () => {
  for (const c of CASES) {
    it(`${c.name}: Quick Mode hashes, KEYMAT, IVs and encryption are unchanged; SKEYID and g^x are gone`, () => {
      const inp = inputs(c.name, c.hash, c.encr, c.bits);
      const full = unwrap(derivePhase1(inp));
      const compact = unwrap(derivePhase1(inp));
      // the last Phase 1 message moves the IV chain before endPhase1
      const last = new Uint8Array(48).fill(7);
      assert.equal(toHex(full.encrypt(0, last)), toHex(compact.encrypt(0, last)));
      const sai = new Uint8Array([1, 2, 3]);
      assert.equal(compact.authenticating, true);
      assert.equal(toHex(compact.hashI(sai, sai)), toHex(full.hashI(sai, sai)));
      compact.endPhase1();
      assert.equal(compact.authenticating, false);
      assert.throws(() => compact.hashI(sai, sai), /dropped/);
      assert.throws(() => compact.hashR(sai, sai), /dropped/);
      const log = compact.exportForLog(KEY_LOG_LEVEL);
      const fullLog = full.exportForLog(KEY_LOG_LEVEL);
      for (const gone of ['skeyid', 'skeyidE', 'initialIv']) assert.equal(log[gone], undefined, gone);
      for (const kept of ['skeyidD', 'skeyidA', 'encryptionKey', 'ckyI', 'ckyR']) assert.equal(log[kept], fullLog[kept], kept);
      const mid = 0x01020304;
      const rest = new Uint8Array([9, 9, 9]);
      assert.equal(toHex(compact.ivFor(0)), toHex(full.ivFor(0)));
      assert.equal(toHex(compact.ivFor(mid)), toHex(full.ivFor(mid)));
      assert.equal(toHex(compact.quickHash1(mid, rest)), toHex(full.quickHash1(mid, rest)));
      assert.equal(toHex(compact.quickHash2(mid, inp.niB, rest)), toHex(full.quickHash2(mid, inp.niB, rest)));
      assert.equal(toHex(compact.quickHash3(mid, inp.niB, inp.nrB)), toHex(full.quickHash3(mid, inp.niB, inp.nrB)));
      assert.equal(toHex(compact.informationalHash(mid, rest)), toHex(full.informationalHash(mid, rest)));
      const k = { protocol: 3, spi: new Uint8Array([0, 0, 1, 0]), niB: inp.niB, nrB: inp.nrB };
      assert.equal(toHex(compact.keymat(k, 36)), toHex(full.keymat(k, 36)));
      const body = new Uint8Array(32).fill(3);
      const ct = compact.encrypt(mid, body);
      assert.equal(toHex(ct), toHex(full.encrypt(mid, body)));
      assert.equal(toHex(unwrap(full.decrypt(mid, compact.encrypt(mid, body)))), toHex(body));
    });
  }

  it('a finished exchange leaves no IV chain behind, and dispose zeroes what is kept', () => {
    const keys = unwrap(derivePhase1(inputs('chains', IkeHash.SHA, IkeEncryption.AES_CBC, 128)));
    keys.endPhase1();
    assert.equal(keys.openIvChains, 0);
    keys.ivFor(5);
    keys.ivFor(6);
    assert.equal(keys.openIvChains, 2);
    keys.forgetIv(5);
    keys.forgetIv(6);
    assert.equal(keys.openIvChains, 0);
    keys.dispose();
    const log = keys.exportForLog(KEY_LOG_LEVEL);
    assert.match(String(log.skeyidD), /^0+$/);
    assert.match(String(log.encryptionKey), /^0+$/);
    assert.match(toHex(keys.ivFor(0)), /^0+$/);
  });
});
