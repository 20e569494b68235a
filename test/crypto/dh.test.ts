// DH groups: RFC 5903 ECP exchanges (encoding x | y, secret = x), the MODP primes rebuilt from their RFC
// definition (pi), public-value checks that must name INVALID_KEY_INFORMATION, and reproducible keys from an
// injected RNG.
import assert from 'node:assert/strict';
import { bytesToBigInt, toHex } from '../../src/crypto/bytes.js';
import {
  availableGroups, checkPublicValue, DH_GROUPS, dhGroup, dhGroupRow, generateKeyPair, groupAvailable, keyPairFromPrivate, modpPrime,
  type ModpGroupRow,
} from '../../src/crypto/dh-groups.js';
import { seededRng } from '../../src/crypto/random.js';
import { unwrap } from '../../src/crypto/errors.js';
import { GroupDescription, nameOf } from '../../src/isakmp/numbers.js';
import { hex, loadJson } from './vectors.js';

interface Ev { rfc: string; group: number; i: string; r: string; girx: string; gix?: string; giy?: string; grx?: string; gry?: string; pubI?: string; pubR?: string }
interface Mf { groups: { group: number; bits: number; k: number }[] }
const V = loadJson<{ ecp: Ev[]; modpFormula: Mf }>('primitive-vectors.json');

/** pi * 2^bits, truncated, by Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) in fixed point. */
function piScaled(bits: number): bigint {
  const guard = 32n;
  const one = 1n << (BigInt(bits) + guard);
  const atanInv = (x: bigint): bigint => {
    let term = one / x;
    let sum = term;
    const x2 = x * x;
    for (let k = 1n; term !== 0n; k++) {
      term /= x2;
      sum += (k % 2n === 1n ? -1n : 1n) * (term / (2n * k + 1n));
    }
    return sum;
  };
  return (16n * atanInv(5n) - 4n * atanInv(239n)) >> guard;
}

describe('crypto DH groups', () => {
  describe('ECP groups against RFC 5903 section 8 (19-21), RFC 5114 (25, 26), RFC 7027 (28)', () => {
    for (const v of V.ecp) {
      it(`RFC ${v.rfc} (group ${v.group}): public value is x | y, shared secret is x`, function () {
        const row = dhGroupRow(v.group);
        if (!groupAvailable(row)) this.skip();
        const ini = keyPairFromPrivate(row, hex(v.i));
        const res = keyPairFromPrivate(row, hex(v.r));
        const pubI = v.pubI ?? (v.gix !== undefined ? v.gix + v.giy : undefined);
        const pubR = v.pubR ?? (v.grx !== undefined ? v.grx + v.gry : undefined);
        if (pubI !== undefined) assert.equal(toHex(ini.publicValue), pubI);
        if (pubR !== undefined) assert.equal(toHex(res.publicValue), pubR);
        assert.equal(toHex(unwrap(ini.computeShared(res.publicValue))), v.girx);
        assert.equal(toHex(unwrap(res.computeShared(ini.publicValue))), v.girx);
      });
    }
  });

  describe('MODP primes', () => {
    const pi = piScaled(8062); // enough bits for the 8192-bit group
    for (const g of V.modpFormula.groups) {
      it(`group ${g.group} (${g.bits} bits) is 2^n - 2^(n-64) - 1 + 2^64 * ([2^(n-130) pi] + ${g.k})`, () => {
        const row = dhGroupRow(g.group) as ModpGroupRow;
        assert.equal(row.kind, 'modp');
        assert.equal(row.bits, g.bits);
        assert.equal(row.publicLength, g.bits / 8);
        const n = BigInt(g.bits);
        const expected = (1n << n) - (1n << (n - 64n)) - 1n + (1n << 64n) * ((pi >> (8062n - (n - 130n))) + BigInt(g.k));
        assert.equal(modpPrime(row).p, expected);
        assert.equal(row.generator, 2);
      });
    }
  });

  describe('table', () => {
    it('covers groups 1, 2, 5, 14-21 and 25-30 under the names of the numbers table', () => {
      const ids = DH_GROUPS.map((g) => g.id).sort((a, b) => a - b);
      assert.deepEqual(ids, [1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 25, 26, 27, 28, 29, 30]);
      for (const g of DH_GROUPS) assert.equal(nameOf(GroupDescription, g.id), g.name);
    });
    it('refuses unknown groups with NO_PROPOSAL_CHOSEN', () => {
      const r = dhGroup(GroupDescription.EC2N_155);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.error.notify, 'NO_PROPOSAL_CHOSEN');
      assert.equal(dhGroup(12345).ok, false);
    });
    it('offers every MODP group and the NIST/brainpool curves this OpenSSL has', () => {
      const avail = availableGroups().map((g) => g.id);
      for (const id of [1, 2, 5, 14, 15, 16, 17, 18]) assert.ok(avail.includes(id));
      for (const g of DH_GROUPS) assert.equal(dhGroup(g.id).ok, groupAvailable(g));
    });
  });

  describe('key agreement per group', () => {
    for (const row of DH_GROUPS) {
      it(`${row.name}: both sides agree, values have the payload lengths`, function () {
        if (!groupAvailable(row)) this.skip();
        const a = generateKeyPair(row);
        const b = generateKeyPair(row, seededRng(`peer-${row.id}`));
        assert.equal(a.publicValue.length, row.publicLength);
        assert.equal(b.publicValue.length, row.publicLength);
        const s1 = unwrap(a.computeShared(b.publicValue));
        const s2 = unwrap(b.computeShared(a.publicValue));
        assert.equal(s1.length, row.sharedLength);
        assert.equal(toHex(s1), toHex(s2));
      });
    }
  });

  describe('private keys from an injected RNG', () => {
    it('the same seed gives the same public value; another seed another', () => {
      for (const id of [2, 14, 19, 21]) {
        const a = generateKeyPair(id, seededRng('s'));
        const b = generateKeyPair(id, seededRng('s'));
        const c = generateKeyPair(id, seededRng('t'));
        assert.equal(toHex(a.publicValue), toHex(b.publicValue));
        assert.notEqual(toHex(a.publicValue), toHex(c.publicValue));
      }
    });
    it('a disposed key pair refuses to compute', () => {
      for (const id of [14, 19]) {
        const a = generateKeyPair(id);
        const b = generateKeyPair(id);
        a.dispose();
        assert.throws(() => a.computeShared(b.publicValue), /dispose/);
        assert.equal(b.computeShared(a.publicValue).ok, true);
      }
    });
    it('a MODP public value is g^x mod p for the injected x, left-padded', () => {
      const row = dhGroupRow(2) as ModpGroupRow;
      const x = new Uint8Array(20).fill(0);
      x[19] = 5; // g^5 = 32: a one-byte number that must come out padded to 128 bytes
      const kp = keyPairFromPrivate(row, x);
      assert.equal(kp.publicValue.length, 128);
      assert.equal(bytesToBigInt(kp.publicValue), 32n);
    });
  });

  describe('peer public values are checked (INVALID_KEY_INFORMATION)', () => {
    const expectInvalid = (r: { ok: boolean; error?: { notify: string } }): void => {
      assert.equal(r.ok, false);
      assert.equal(r.error?.notify, 'INVALID_KEY_INFORMATION');
    };
    it('MODP: 0, 1, p-1, p and values of the wrong length are refused', () => {
      const row = dhGroupRow(14) as ModpGroupRow;
      const kp = generateKeyPair(row);
      const { p } = modpPrime(row);
      const enc = (n: bigint): Uint8Array => hex(n.toString(16).padStart(row.publicLength * 2, '0'));
      for (const y of [0n, 1n, p - 1n, p, p + 1n, (1n << 2048n) - 1n]) {
        expectInvalid(checkPublicValue(row, enc(y)));
        expectInvalid(kp.computeShared(enc(y)));
      }
      for (const y of [2n, 256n, 1n << 2040n, p - 2n]) assert.equal(checkPublicValue(row, enc(y)).ok, true, `y = ${y.toString(16).slice(0, 8)}...`);
      expectInvalid(kp.computeShared(new Uint8Array(row.publicLength - 1).fill(7)));
      expectInvalid(kp.computeShared(new Uint8Array(row.publicLength + 1).fill(7)));
      assert.equal(kp.computeShared(enc(2n)).ok, true);
    });
    it('ECP: a point off the curve and values of the wrong length are refused', () => {
      for (const id of [19, 20, 21]) {
        const row = dhGroupRow(id);
        const kp = generateKeyPair(row);
        const peer = generateKeyPair(row).publicValue.slice();
        peer[peer.length - 1] ^= 1; // y no longer matches x
        expectInvalid(kp.computeShared(peer));
        expectInvalid(kp.computeShared(new Uint8Array(row.publicLength)));
        expectInvalid(kp.computeShared(peer.subarray(1)));
        expectInvalid(kp.computeShared(new Uint8Array([4, ...generateKeyPair(row).publicValue]))); // with the 0x04 octet
      }
    });
  });
});
