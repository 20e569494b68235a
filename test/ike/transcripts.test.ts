// The engine's message handling checked against real IKEv1 peers: captures of strongSwan and Libreswan
// negotiating with each other (test/fixtures/captures, with the keys their logs revealed). For each
// capture, every message must decode, pass the exchange scripts, choose the offered proposals, decrypt
// through the IV chains, and carry the HASH values the engine computes over the same bytes; the KEYMAT
// the engine would cut must be the keys the peers used. What our engine sends is built by the same code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { derivePhase1, phase1Cipher, type Phase1Keys } from '../../src/crypto/index.js';
import { GroupDescription, numberOf, PayloadType, ProtocolId, ExchangeType, IkeAuthMethod, IkeEncryption, IkeHash } from '../../src/isakmp/numbers.js';
import { idText } from '../../src/ike/ids.js';
import { bodyOf, openMessage, rawOf, readHeader, type Header } from '../../src/ike/message.js';
import { choosePhase1, choosePhase2, keySizes } from '../../src/ike/proposals.js';
import { AGGRESSIVE_MODE, MAIN_MODE, QUICK_MODE, checkStep, type Step } from '../../src/ike/scripts.js';
import type { Payload, SaPayload } from '../../src/isakmp/index.js';
import type { IpsecTransform } from '../../src/ike/config.js';
import { fixturePath } from '../helpers/paths.js';

interface KeysJson {
  scenario: string;
  psk: { hex: string };
  phase1: {
    exchange: 'main' | 'aggressive';
    algorithms: { encryption: string; dhGroup: string; hash: string; keyLength: number };
    icookie: string; rcookie: string; ni: string; nr: string; gxi: string; gxr: string; gxy: string; saiB: string; idiiB: string; idirB: string;
    hashI: string; hashR: string;
  };
  quickModes: { messageId: number; pfs: boolean; ni: string; nr: string; gxy?: string; hash1: string; hash2: string; hash3: string;
    childSas: { spi: string; encryptionKey: string; integrityKey: string }[] }[];
  informational: { messageId: number; payloads: string[]; delete?: { protocol: number; spis: string[] } }[];
  messages: { frame: number; exchangeType: number; messageId: number; encrypted: boolean; message: string; from: string }[];
}

const dir = fixturePath('captures');
const scenarios = fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => fs.existsSync(`${dir}/${d}/keys.json`)) : [];
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const bytes = (p: Payload): Buffer => Buffer.from((p as { data: Uint8Array }).data);

function msgs(k: KeysJson, exchange: number, mid?: number): { h: Header; raw: Buffer; from: string }[] {
  const seen = new Set<string>();
  const out: { h: Header; raw: Buffer; from: string }[] = [];
  for (const m of k.messages) {
    if (m.exchangeType !== exchange || (mid !== undefined && m.messageId !== mid) || seen.has(m.message)) continue;
    seen.add(m.message);
    const raw = hex(m.message);
    const h = readHeader(raw);
    assert.ok(!('notify' in h), `frame ${m.frame}: ${'reason' in h ? h.reason : ''}`);
    if (Buffer.from(h.ispi).toString('hex') !== k.phase1.icookie) continue;
    out.push({ h, raw, from: m.from });
  }
  return out;
}

function open(m: { h: Header; raw: Buffer }, step: Step, keys?: Phase1Keys): Payload[] {
  const o = openMessage(m.h, m.raw, m.h.flags & 1 ? keys : undefined);
  assert.ok(!('notify' in o), `open: ${'reason' in o ? o.reason : ''}`);
  const bad = checkStep(step, o.payloads.map((p) => p.type), (m.h.flags & 1) === 1);
  assert.equal(bad, undefined, bad?.reason);
  if (m.h.flags & 1) keys!.confirmIv(m.h.messageId);
  return o.payloads;
}

const one = (ps: Payload[], t: number): Payload => {
  const p = ps.find((x) => x.type === t);
  assert.ok(p, `payload ${t} missing`);
  return p;
};

describe('ike engine against captured strongSwan and Libreswan exchanges', () => {
  if (scenarios.length === 0) it.skip('no captures in test/fixtures/captures');
  for (const name of scenarios) {
    it(name, () => {
      const k = JSON.parse(fs.readFileSync(`${dir}/${name}/keys.json`, 'utf8')) as KeysJson;
      const a = k.phase1.algorithms;
      const encr = a.encryption.startsWith('AES') ? IkeEncryption.AES_CBC : IkeEncryption['3DES_CBC'];
      const keyBits = a.encryption.startsWith('AES') ? a.keyLength * 8 : undefined;
      const hash = a.hash === 'sha256' ? IkeHash.SHA2_256 : IkeHash.SHA;
      const group = numberOf(GroupDescription, a.dhGroup)!;
      const mine = [{ encr, hash, auth: IkeAuthMethod.PRE_SHARED, group, lifeSeconds: 86400, ...(keyBits ? { keyLength: keyBits } : {}) }];
      const am = k.phase1.exchange === 'aggressive';
      const p1 = msgs(k, am ? ExchangeType.AGGRESSIVE : ExchangeType.ID_PROT);
      const script = am ? AGGRESSIVE_MODE : MAIN_MODE;
      assert.equal(p1.length, script.length);

      // first message: the initiator's offer, which our responder would accept
      const m1 = open(p1[0]!, script[0]!);
      const sa1 = one(m1, PayloadType.SA) as SaPayload;
      assert.equal(bodyOf(sa1).toString('hex'), k.phase1.saiB);
      const chosen = choosePhase1(sa1.proposals, mine);
      assert.ok(chosen, 'our responder accepts the offer');
      assert.equal(chosen.chosen.group, group);

      const keFrom = (ps: Payload[]): [Buffer, Buffer] => [bytes(one(ps, PayloadType.KEY_EXCH)), bytes(one(ps, PayloadType.NONCE))];
      let gxi: Buffer, ni: Buffer, gxr: Buffer, nr: Buffer;
      let rest: Payload[][];
      if (am) {
        [gxi, ni] = keFrom(m1);
        const m2 = open(p1[1]!, script[1]!);
        [gxr, nr] = keFrom(m2);
        rest = [m1, m2];
      } else {
        open(p1[1]!, script[1]!);
        const m3 = open(p1[2]!, script[2]!);
        const m4 = open(p1[3]!, script[3]!);
        [gxi, ni] = keFrom(m3);
        [gxr, nr] = keFrom(m4);
        rest = [m3, m4];
      }
      assert.deepEqual([gxi, ni, gxr, nr].map((b) => b.toString('hex')), [k.phase1.gxi, k.phase1.ni, k.phase1.gxr, k.phase1.nr]);
      void rest;
      const cipher = phase1Cipher(encr, keyBits);
      assert.ok(cipher.ok);
      const kr = derivePhase1({
        hash, cipher: cipher.value, auth: 'psk', psk: hex(k.psk.hex), gxy: hex(k.phase1.gxy), gxi, gxr,
        ckyI: hex(k.phase1.icookie), ckyR: hex(k.phase1.rcookie), niB: ni, nrB: nr,
      });
      assert.ok(kr.ok);
      const keys = kr.value;
      const saiB = bodyOf(sa1);

      // authentication: HASH_I and HASH_R over the ID payload bodies as sent
      let idI: Payload, idR: Payload, hI: Buffer, hR: Buffer;
      if (am) {
        idI = one(m1, PayloadType.ID);
        const m2 = open(p1[1]!, script[1]!);
        idR = one(m2, PayloadType.ID);
        hR = bytes(one(m2, PayloadType.HASH));
        const m3 = open(p1[2]!, script[2]!, keys);
        hI = bytes(one(m3, PayloadType.HASH));
      } else {
        const m5 = open(p1[4]!, script[4]!, keys);
        const m6 = open(p1[5]!, script[5]!, keys);
        idI = one(m5, PayloadType.ID);
        hI = bytes(one(m5, PayloadType.HASH));
        idR = one(m6, PayloadType.ID);
        hR = bytes(one(m6, PayloadType.HASH));
      }
      assert.equal(Buffer.from(keys.hashI(saiB, bodyOf(idI))).toString('hex'), hI.toString('hex'));
      assert.equal(Buffer.from(keys.hashR(saiB, bodyOf(idR))).toString('hex'), hR.toString('hex'));
      assert.equal(hI.toString('hex'), k.phase1.hashI);

      for (const q of k.quickModes) {
        const qm = msgs(k, ExchangeType.QUICK_MODE, q.messageId);
        // a capture may end early (the Libreswan runs could not install SAs and stop after QM1)
        assert.ok(qm.length >= 1 && qm.length <= 3);
        const [q1, q2, q3] = qm.map((m, i) => open(m, QUICK_MODE[i]!, keys));
        const after = (ps: Payload[]): Buffer => {
          assert.equal(ps[0]!.type, PayloadType.HASH, 'HASH comes first');
          return Buffer.concat(ps.slice(1).map(rawOf));
        };
        const qni = bytes(one(q1!, PayloadType.NONCE));
        assert.equal(Buffer.from(keys.quickHash1(q.messageId, after(q1!))).toString('hex'), bytes(q1![0]!).toString('hex'));
        assert.equal(bytes(q1![0]!).toString('hex'), q.hash1);
        const qnr = q2 ? bytes(one(q2, PayloadType.NONCE)) : undefined;
        if (q2) assert.equal(Buffer.from(keys.quickHash2(q.messageId, qni, after(q2))).toString('hex'), bytes(q2[0]!).toString('hex'));
        if (q3) assert.equal(Buffer.from(keys.quickHash3(q.messageId, qni, qnr!)).toString('hex'), bytes(q3[0]!).toString('hex'));
        // our responder accepts the ESP offer (aes-cbc or 3des with HMAC-SHA1, tunnel, UDP-encapsulated or not)
        const sa = one(q1!, PayloadType.SA) as SaPayload;
        const integs: IpsecTransform['integ'][] = ['hmac-sha1', 'hmac-sha2-256'];
        const esp: IpsecTransform[] = ['aes-cbc', '3des-cbc'].flatMap((encr) => [128, 256, undefined].flatMap((kl) => integs.map((integ) => ({
          encr: encr as IpsecTransform['encr'], integ, mode: 'tunnel' as const, lifeSeconds: 86400,
          ...(encr === 'aes-cbc' ? { keyLength: kl ?? 128 } : {}), ...(q.pfs ? { pfsGroup: group } : {}),
        }))));
        const choice = choosePhase2(sa.proposals, [{ name: 'any', transforms: esp }]);
        assert.ok(choice, 'our responder accepts the ESP offer');
        const ids = q1!.filter((p) => p.type === PayloadType.ID) as unknown as { idType: number; protocol: number; port: number; data: Uint8Array }[];
        assert.deepEqual(ids.map(idText), ['192.0.2.0/24', '198.51.100.0/24']);
        // KEYMAT as quick-mode.ts cuts it: encryption key then integrity key, keyed by the receiver's SPI
        const chosen = choice.parts[0]!.chosen;
        const sz = keySizes(chosen)!;
        const encBytes = sz.enc;
        for (const c of qnr ? q.childSas : []) {
          const km: Buffer = Buffer.from(keys.keymat({ protocol: ProtocolId.IPSEC_ESP, spi: hex(c.spi), niB: qni, nrB: qnr!, ...(q.pfs ? { gqmxy: hex(q.gxy!) } : {}) }, encBytes + sz.auth));
          assert.equal(km.subarray(0, encBytes).toString('hex'), c.encryptionKey);
          assert.equal(km.subarray(encBytes).toString('hex'), c.integrityKey);
        }
        keys.forgetIv(q.messageId);
      }

      for (const inf of k.informational) {
        const [m] = msgs(k, ExchangeType.INFO, inf.messageId);
        assert.ok(m);
        const o = openMessage(m.h, m.raw, keys);
        assert.ok(!('notify' in o));
        const [first, ...others] = o.payloads;
        assert.equal(first!.type, PayloadType.HASH);
        assert.equal(
          Buffer.from(keys.informationalHash(inf.messageId, Buffer.concat(others.map(rawOf)))).toString('hex'),
          bytes(first!).toString('hex'),
        );
        if (inf.delete) {
          const d = one(others, PayloadType.DELETE) as unknown as { protocol: number; spis: Uint8Array[] };
          assert.equal(d.protocol, inf.delete.protocol);
          assert.deepEqual(d.spis.map((s) => Buffer.from(s).toString('hex')), inf.delete.spis);
        }
        keys.forgetIv(inf.messageId);
      }
    });
  }
});
