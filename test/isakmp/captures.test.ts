// Real exchanges captured between strongSwan 5.9.8 and Libreswan 4.10 (test/fixtures/captures/*)
// and our synthetic conversation (test/fixtures/isakmp/synthetic-mm-qm.*): every message decodes,
// the encrypted ones decrypt with the key table, decoded fields agree with tshark's decode of the
// same capture, plaintexts agree with the ones the peers logged, and re-encoding gives the bytes back.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { encodeMessage, encodePayloads } from '../../src/isakmp/index.js';
import { decodeCapture, parseKeyTable, type CaptureEntry } from '../../src/util/pcap-ike.js';
import { extractUdp, readCapture } from '../../src/util/pcap.js';
import { classifyUdp4500 } from '../../src/isakmp/index.js';
import { fixturePath } from '../helpers/paths.js';
import { buildFragmentedPcap, buildPcap } from './exchange-builder.js';
import { COMPARED_FIELDS, ourFields, sortedFields, theirFields, tsharkFrames, leaves } from './tshark.js';

type Ike = CaptureEntry & { kind: 'ike' };

/** The raw ISAKMP bytes of each frame, to check that re-encoding reproduces them. */
function wireBytes(pcap: Uint8Array): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const f of readCapture(pcap)) {
    const x = extractUdp(f);
    if ('skip' in x) continue;
    const u = x.udp;
    if (u.sport === 4500 || u.dport === 4500) {
      const c = classifyUdp4500(u.payload);
      if (c.kind === 'ike') out.set(f.frame, c.ike);
    } else out.set(f.frame, u.payload);
  }
  return out;
}

function compareWithTshark(entries: CaptureEntry[], tsharkJson: string, label: string): number {
  const frames = tsharkFrames(tsharkJson);
  let compared = 0;
  for (const e of entries) {
    if (e.kind !== 'ike' || e.reassembledFrom) continue;
    const t = frames.find((f) => f.frame === e.frame);
    assert.ok(t?.isakmp, `${label} frame ${e.frame}: tshark has no isakmp layer`);
    const tsharkSeesPayloads = leaves(t.isakmp).some(([k]) => k === 'isakmp.typepayload');
    const ourSeesPayloads = e.message.payloads.length > 0;
    const theirs = theirFields(t.isakmp, { payloadsVisible: tsharkSeesPayloads && ourSeesPayloads });
    const ours = ourFields(e.message);
    const keys = tsharkSeesPayloads && ourSeesPayloads ? COMPARED_FIELDS : [...theirs.keys()];
    assert.deepEqual(sortedFields(ours, keys.filter((k) => theirs.has(k) || ours.has(k))), sortedFields(theirs, keys.filter((k) => theirs.has(k) || ours.has(k))), `${label} frame ${e.frame}`);
    if (tsharkSeesPayloads) assert.ok(ourSeesPayloads, `${label} frame ${e.frame}: tshark decrypted it, we did not`);
    compared++;
  }
  return compared;
}

describe('isakmp: synthetic capture checked by tshark', () => {
  const pcap = fs.readFileSync(fixturePath('isakmp', 'synthetic-mm-qm.pcap'));
  const keys = parseKeyTable(fs.readFileSync(fixturePath('isakmp', 'synthetic-mm-qm.keys'), 'utf8'));

  it('the committed fixture is what the builder produces', () => {
    assert.deepEqual(new Uint8Array(pcap), buildPcap());
  });

  it('with keys: all 11 messages decode and decrypt, and agree with tshark field by field', () => {
    const entries = decodeCapture(pcap, keys);
    const ike = entries.filter((e): e is Ike => e.kind === 'ike');
    assert.equal(ike.length, 11);
    assert.ok(ike.every((e) => !e.message.encrypted || e.decrypted));
    const n = compareWithTshark(entries, fs.readFileSync(fixturePath('isakmp', 'synthetic-mm-qm.tshark.json'), 'utf8'), 'synthetic');
    assert.equal(n, 11);
    assert.deepEqual(entries.filter((e) => e.kind !== 'ike').map((e) => e.kind), ['esp', 'keepalive', 'error']);
  });

  it('the tshark comparison notices a difference (frames paired wrongly)', () => {
    const entries = decodeCapture(pcap, keys).map((e) => ({ ...e, frame: e.frame === 1 ? 2 : e.frame === 2 ? 1 : e.frame }));
    assert.throws(() => compareWithTshark(entries, fs.readFileSync(fixturePath('isakmp', 'synthetic-mm-qm.tshark.json'), 'utf8'), 'swapped'), assert.AssertionError);
  });

  it('without keys: encrypted messages have no payloads; headers still agree with tshark', () => {
    const entries = decodeCapture(pcap);
    const enc = entries.filter((e): e is Ike => e.kind === 'ike' && e.message.encrypted !== undefined);
    assert.equal(enc.length, 7);
    assert.ok(enc.every((e) => e.message.payloads.length === 0 && !e.decrypted));
    compareWithTshark(entries, fs.readFileSync(fixturePath('isakmp', 'synthetic-mm-qm.nokeys.tshark.json'), 'utf8'), 'synthetic/nokeys');
  });

  it('a wrong key gives a decryption or decode failure, never wrong payloads silently', () => {
    const bad = new Map<string, Uint8Array>([[[...keys.keys()][0]!, new Uint8Array(16).fill(7)]]);
    const ike = decodeCapture(pcap, bad).filter((e): e is Ike => e.kind === 'ike' && e.message.encrypted !== undefined);
    assert.ok(ike.some((e) => e.decryptError !== undefined));
  });
});

describe('isakmp: IKE fragments reassembled (checked by tshark)', () => {
  const pcap = fs.readFileSync(fixturePath('isakmp', 'synthetic-fragments.pcap'));
  const keys = parseKeyTable(fs.readFileSync(fixturePath('isakmp', 'synthetic-mm-qm.keys'), 'utf8'));

  it('the committed fixture is what the builder produces', () => {
    assert.deepEqual(new Uint8Array(pcap), buildFragmentedPcap());
  });

  it('three fragments become Main Mode message 5, which decrypts like tshark decrypts it', () => {
    const entries = decodeCapture(pcap, keys);
    const whole = entries.find((e): e is Ike => e.kind === 'ike' && e.reassembledFrom !== undefined);
    assert.ok(whole, 'no reassembled message');
    assert.deepEqual(whole.reassembledFrom, [5, 6, 7]);
    assert.ok(whole.decrypted);
    assert.deepEqual(whole.message.payloads.map((p) => p.type), [5, 8, 11]);
    // the IV chain continues through the reassembled message: message 6 decrypts as well
    const mm6 = entries.find((e): e is Ike => e.kind === 'ike' && e.frame === 8)!;
    assert.ok(mm6.decrypted);
    const frame7 = tsharkFrames(fs.readFileSync(fixturePath('isakmp', 'synthetic-fragments.tshark.json'), 'utf8')).find((f) => f.frame === 7)!;
    const theirs = frame7.isakmpLayers.flatMap((l) => leaves(l)).filter(([k]) => k === 'isakmp.hash' || k === 'isakmp.id.type' || k === 'isakmp.notify.msgtype');
    const ours = ourFields(whole.message);
    assert.deepEqual(
      theirs.map(([k, v]) => `${k}=${v}`).sort(),
      ['isakmp.hash', 'isakmp.id.type', 'isakmp.notify.msgtype'].flatMap((k) => (ours.get(k) ?? []).map((v) => `${k}=${v}`)).sort(),
    );
    compareWithTshark(entries.filter((e) => e.frame !== 7), fs.readFileSync(fixturePath('isakmp', 'synthetic-fragments.tshark.json'), 'utf8'), 'fragments');
  });
});

const capturesDir = fixturePath('captures');
const scenarios = fs.existsSync(capturesDir)
  ? fs.readdirSync(capturesDir).filter((d) => fs.existsSync(path.join(capturesDir, d, 'capture.pcap'))).sort()
  : [];

describe('isakmp: real captures (strongSwan, Libreswan)', () => {
  if (scenarios.length === 0) {
    it('no captures present under test/fixtures/captures');
    return;
  }
  for (const name of scenarios) {
    const dir = path.join(capturesDir, name);
    const file = (f: string) => path.join(dir, f);
    describe(name, () => {
      const pcap = fs.readFileSync(file('capture.pcap'));
      const keys = fs.existsSync(file('keys.ikev1_decryption_table')) ? parseKeyTable(fs.readFileSync(file('keys.ikev1_decryption_table'), 'utf8')) : new Map<string, Uint8Array>();
      const entries = decodeCapture(pcap, keys);
      const ike = entries.filter((e): e is Ike => e.kind === 'ike');

      it('every ISAKMP message decodes, and with the key table every encrypted one decrypts', () => {
        assert.ok(ike.length >= 3, 'expected an exchange');
        const errors = entries.filter((e) => e.kind === 'error');
        assert.deepEqual(errors, []);
        for (const e of ike) assert.ok(!e.message.encrypted || e.decrypted, `frame ${e.frame}: ${e.decryptError ?? 'not decrypted'}`);
      });

      it('re-encoding reproduces the bytes on the wire', () => {
        const wire = wireBytes(pcap);
        for (const e of ike) {
          assert.deepEqual(encodeMessage(e.message), new Uint8Array(wire.get(e.frame)!), `frame ${e.frame}`);
          if (e.plaintext) {
            const body = encodePayloads(e.message.payloads);
            assert.deepEqual(e.plaintext.subarray(0, body.length), body, `frame ${e.frame} decrypted body`);
          }
        }
      });

      if (fs.existsSync(file('capture.tshark.json')))
        it('decoded fields agree with tshark', () => {
          const n = compareWithTshark(entries, fs.readFileSync(file('capture.tshark.json'), 'utf8'), name);
          assert.equal(n, ike.length);
        });

      if (fs.existsSync(file('keys.json')))
        it('decrypted plaintexts equal the ones derived from the peers\' logs', () => {
          const info = JSON.parse(fs.readFileSync(file('keys.json'), 'utf8')) as { messages?: Array<{ frame: number; plaintext?: string }> };
          const withPlain = (info.messages ?? []).filter((m) => m.plaintext);
          for (const m of withPlain) {
            const e = ike.find((x) => x.frame === m.frame);
            assert.ok(e?.plaintext, `frame ${m.frame} not decrypted`);
            assert.equal(Buffer.from(e.plaintext).toString('hex'), m.plaintext, `frame ${m.frame}`);
          }
        });
    });
  }
});
