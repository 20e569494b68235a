// Self-test of the interop lab: its parsers and the committed capture fixtures (no root needed), then real
// peers in namespaces (root only; skipped with the reason when root or packages are missing).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fixturePath } from '../helpers/paths.js';
import {
  Lab,
  assertPlanAddress,
  classify,
  extractKeys,
  labSuiteHooks,
  libreswanLabUnavailable,
  liveResources,
  parseCharonLog,
  parseListSas,
  readPcap,
  run,
  strongswanLabUnavailable,
  tsharkJson,
  waitFor,
  type ScenarioMeta,
} from './lab/index.js';

const capturesDir = fixturePath('captures');
const scenarios = fs.existsSync(capturesDir)
  ? fs.readdirSync(capturesDir).filter((d) => fs.existsSync(path.join(capturesDir, d, 'keys.json'))).sort()
  : [];

interface Keys {
  psk: { text: string };
  phase1: Record<string, string | undefined> & { algorithms: { hash: string; keyLength: number; blockSize: number } };
  quickModes: Array<{ gxy?: string; ni?: string; nr?: string; childSas: Array<{ keymatSeed: string; encryptionKey?: string; integrityKey?: string }> }>;
  messages: Array<{ frame: number; encrypted: boolean; plaintext?: string }>;
  checks: Array<{ what: string; ok: boolean }>;
}

const h = (s: string | undefined): Buffer => {
  assert.ok(s !== undefined, 'value missing in keys.json');
  return Buffer.from(s, 'hex');
};
const prf = (alg: string, key: Buffer, ...data: Buffer[]): Buffer => {
  const m = crypto.createHmac(alg, key);
  for (const d of data) m.update(d);
  return m.digest();
};
/** RFC 2409 appendix B and 5.5: K1 = prf(K, seed), Kn = prf(K, Kn-1 | seed), concatenated to len. */
const expand = (alg: string, key: Buffer, seed: Buffer, len: number): Buffer => {
  const parts: Buffer[] = [];
  let prev: Buffer = Buffer.alloc(0);
  while (Buffer.concat(parts).length < len) {
    prev = prf(alg, key, prev, seed);
    parts.push(prev);
  }
  return Buffer.concat(parts).subarray(0, len);
};

describe('interop lab: parsers', () => {
  it('parses swanctl --list-sas --raw output, lists included', () => {
    const raw =
      'list-sa event {gw {uniqueid=1 version=1 state=ESTABLISHED local-host=198.18.0.1 local-port=4500 initiator=yes ' +
      'initiator-spi=96496a4f31bea512 responder-spi=7a4c2b00ef9b5459 encr-alg=AES_CBC encr-keysize=128 child-sas ' +
      '{net-1 {name=net state=INSTALLED protocol=ESP encap=yes spi-in=8af72735 spi-out=8c33eb71 packets-in=3 ' +
      'local-ts=[192.0.2.0/24] remote-ts=[198.51.100.0/24 203.0.113.0/24]}}}}\n';
    const [sa] = parseListSas(raw);
    assert.ok(sa);
    assert.equal(sa.name, 'gw');
    assert.equal(sa.version, '1');
    assert.equal(sa.state, 'ESTABLISHED');
    assert.equal(sa.initiator, true);
    assert.equal(sa.initiatorSpi, '96496a4f31bea512');
    assert.equal(sa.children.length, 1);
    assert.equal(sa.children[0]!.spiIn, '8af72735');
    assert.equal(sa.children[0]!.encap, true);
    assert.equal(sa.children[0]!.packetsIn, 3);
    assert.deepEqual(sa.children[0]!.remoteTs, ['198.51.100.0/24', '203.0.113.0/24']);
  });

  it('parses charon hex dumps into labelled blocks of the announced length', () => {
    const log = [
      '1795726237.217 12[IKE] SKEYID => 20 bytes @ 0x7efeb803b470',
      '1795726237.217 12[IKE]    0: 0C AE 1C 8C 12 D2 69 8C 92 4E 7D 4A A7 33 1E 04  ......i..N}J.3..',
      '1795726237.217 12[IKE]   16: 20 37 84 E1                                       7..',
      '1795726237.217 12[IKE] next IV for MID 0 => 16 bytes @ 0x7efeb803e040',
      '1795726237.217 12[IKE]    0: 0D 07 79 E8 31 A4 46 97 E9 82 59 ED 00 99 6A CB  ..y.1.F...Y...j.',
    ].join('\n');
    const parsed = parseCharonLog(log);
    assert.equal(parsed.blocks.length, 2);
    assert.equal(parsed.blocks[0]!.label, 'SKEYID');
    assert.equal(parsed.blocks[0]!.bytes.toString('hex'), '0cae1c8c12d2698c924e7d4aa7331e04203784e1');
    assert.equal(parsed.blocks[1]!.label, 'next IV for MID 0');
    assert.throws(() => parseCharonLog(log.split('\n').slice(0, 2).join('\n')), /has 16 of 20 bytes/);
  });

  it('refuses addresses outside the lab plan', () => {
    assertPlanAddress('198.19.255.1');
    assertPlanAddress('192.0.2.1/24');
    assertPlanAddress('203.0.113.9');
    for (const bad of ['10.0.0.1', '198.20.0.1', '192.0.3.1', '8.8.8.8']) assert.throws(() => assertPlanAddress(bad), /outside/);
  });
});

describe('interop lab: committed capture fixtures', () => {
  it('has the scenarios the codec and key-schedule tests rely on', () => {
    for (const name of ['mm-psk-aes128-sha1-modp2048-pfs', 'mm-psk-aes128-sha1-modp2048-nopfs', 'am-psk-fqdn-aes128-sha1-modp2048', 'libreswan-mm-psk-aes128-sha1-modp2048']) {
      assert.ok(scenarios.includes(name), `missing fixture ${name}`);
    }
  });

  for (const name of scenarios) {
    describe(name, () => {
      const dir = path.join(capturesDir, name);
      const keys = JSON.parse(fs.readFileSync(path.join(dir, 'keys.json'), 'utf8')) as Keys;

      it('re-extracts to the committed keys.json and passes its own checks', () => {
        const meta = JSON.parse(fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8')) as ScenarioMeta;
        const read = (f: string): string | undefined => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined);
        const again = extractKeys({ meta, pcap: fs.readFileSync(path.join(dir, 'capture.pcap')), logs: { initiator: read('charon-initiator.txt'), responder: read('charon-responder.txt') } });
        assert.deepEqual(JSON.parse(JSON.stringify(again)), keys);
        assert.deepEqual(keys.checks.filter((c) => !c.ok), []);
        assert.ok(keys.checks.length >= 5);
      });

      it('Phase 1 key schedule recomputes from PSK, nonces, cookies and g^xy (RFC 2409 5, appendix B)', () => {
        const p = keys.phase1;
        const alg = p.algorithms.hash;
        const psk = Buffer.from(keys.psk.text, 'utf8');
        const cookies = Buffer.concat([h(p['icookie']), h(p['rcookie'])]);
        const gxy = h(p['gxy']);
        const skeyid = prf(alg, psk, h(p['ni']), h(p['nr']));
        assert.equal(skeyid.toString('hex'), p['skeyid']);
        const d = prf(alg, skeyid, gxy, cookies, Buffer.from([0]));
        const a = prf(alg, skeyid, d, gxy, cookies, Buffer.from([1]));
        const e = prf(alg, skeyid, a, gxy, cookies, Buffer.from([2]));
        assert.equal(d.toString('hex'), p['skeyid_d']);
        assert.equal(a.toString('hex'), p['skeyid_a']);
        assert.equal(e.toString('hex'), p['skeyid_e']);
        const len = p.algorithms.keyLength;
        const ka = e.length >= len ? e.subarray(0, len) : appendixB(alg, e, len);
        assert.equal(ka.toString('hex'), p['ka']);
        const iv = crypto.createHash(alg).update(h(p['gxi'])).update(h(p['gxr'])).digest().subarray(0, p.algorithms.blockSize);
        assert.equal(iv.toString('hex'), p['initialIv']);
      });

      it('CHILD_SA keys recompute from SKEYID_d and the KEYMAT seed (RFC 2409 5.5)', () => {
        const alg = keys.phase1.algorithms.hash;
        const skeyidD = h(keys.phase1['skeyid_d']);
        let n = 0;
        for (const qm of keys.quickModes) {
          for (const c of qm.childSas) {
            const seed = h(c.keymatSeed);
            if (qm.ni && qm.nr) assert.ok(seed.subarray(seed.length - qm.ni.length / 2 - qm.nr.length / 2).equals(Buffer.concat([h(qm.ni), h(qm.nr)])));
            const enc = h(c.encryptionKey);
            const integ = h(c.integrityKey);
            const km = expand(alg, skeyidD, seed, enc.length + integ.length);
            assert.equal(km.subarray(0, enc.length).toString('hex'), c.encryptionKey);
            assert.equal(km.subarray(enc.length).toString('hex'), c.integrityKey);
            n++;
          }
        }
        if (!name.startsWith('libreswan-')) assert.ok(n >= 2, 'a completed Quick Mode yields two SAs');
      });

      it('every encrypted message was decrypted and tshark decrypted it too', () => {
        const enc = keys.messages.filter((m) => m.encrypted);
        assert.ok(enc.length > 0);
        for (const m of enc) assert.ok(m.plaintext, `frame ${m.frame} not decrypted`);
        const frames = JSON.parse(fs.readFileSync(path.join(dir, 'capture.tshark.json'), 'utf8')) as Array<{ frame: string; isakmp?: Record<string, unknown> }>;
        for (const m of enc) {
          const f = frames.find((x) => Number(x.frame) === m.frame);
          const data = f?.isakmp?.['isakmp.enc.data'] as Record<string, unknown> | undefined;
          assert.ok(data && 'isakmp.typepayload' in data, `tshark did not decrypt frame ${m.frame}`);
        }
        const table = fs.readFileSync(path.join(dir, 'keys.ikev1_decryption_table'), 'utf8');
        assert.match(table, /^[0-9a-f]{16},[0-9a-f]+\n$/);
      });

      it('the capture holds only lab addresses', () => {
        for (const p of readPcap(fs.readFileSync(path.join(dir, 'capture.pcap')))) {
          assertPlanAddress(p.src);
          assertPlanAddress(p.dst);
          assert.notEqual(classify(p).kind, 'other');
        }
      });
    });
  }
});

function appendixB(alg: string, skeyidE: Buffer, len: number): Buffer {
  // Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1)
  const parts: Buffer[] = [prf(alg, skeyidE, Buffer.from([0]))];
  while (Buffer.concat(parts).length < len) parts.push(prf(alg, skeyidE, parts[parts.length - 1]!));
  return Buffer.concat(parts).subarray(0, len);
}

describe('interop lab: two charon instances (root)', function () {
  labSuiteHooks(strongswanLabUnavailable);

  it('establishes an IKEv1 SA, carries a ping as ESP-in-UDP, deletes it, and cleans up', async () => {
    const lab = await Lab.create({ prefix: 'oself' });
    const { left, right } = await lab.sitePair();
    const a = lab.charon(left.ns, 'a');
    const b = lab.charon(right.ns, 'b');
    await Promise.all([a.start(), b.start()]);
    const conf = (me: typeof left, peer: typeof right): Parameters<typeof a.load>[0] => ({
      connections: {
        gw: {
          version: 1,
          local_addrs: me.outer,
          remote_addrs: peer.outer,
          proposals: 'aes128-sha256-modp2048',
          local: { auth: 'psk', id: me.outer },
          remote: { auth: 'psk', id: peer.outer },
          children: { net: { local_ts: me.subnet, remote_ts: peer.subnet, esp_proposals: 'aes128-sha1-modp2048' } },
        },
      },
      secrets: { 'ike-1': { 'id-a': me.outer, 'id-b': peer.outer, secret: '"lab-self-test"' } },
    });
    await a.load(conf(left, right));
    await b.load(conf(right, left));
    const cap = await lab.capture(left, path.join(lab.dir, 'self.pcap'));
    await a.initiate('net');
    const sa = await a.waitEstablished('gw', { child: 'net' });
    const peer = await b.waitEstablished('gw', { child: 'net' });
    assert.equal(sa.version, '1');
    assert.equal(peer.version, '1');
    assert.equal(sa.initiatorSpi, peer.initiatorSpi);
    assert.equal(sa.children[0]!.spiOut, peer.children[0]!.spiIn);
    assert.equal(sa.dhGroup, 'MODP_2048');
    assert.ok(await left.ns.ping(right.inner, { source: left.inner, count: 2, timeoutS: 2 }), 'ping through the tunnel');
    const espInUdp = (): number => readPcap(fs.readFileSync(cap.file)).filter((p) => classify(p).kind === 'esp-in-udp').length;
    await waitFor(() => espInUdp() >= 4, { what: 'ESP-in-UDP packets in the capture', timeoutMs: 10_000 });
    await a.waitKeyLog(/SKEYID_e => /);
    await a.terminateIke('gw');
    await b.waitGone('gw');
    await waitFor(() => readPcap(fs.readFileSync(cap.file)).filter((p) => classify(p).isakmp?.[18] === 5).length >= 2, {
      what: 'both Deletes in the capture',
    });
    await cap.stop();

    // tshark decrypts the captured exchange with the Ka charon logged (the harness's decode path).
    const ka = parseCharonLog(a.readKeyLog()).blocks.find((x) => x.label === 'encryption key Ka')!.bytes.toString('hex');
    const frames = (await tsharkJson(cap.file, { decrypt: [{ icookie: sa.initiatorSpi, key: ka }] })) as Array<{
      _source: { layers: { isakmp?: Record<string, unknown> } };
    }>;
    const isakmp = frames.map((f) => f._source.layers.isakmp).filter((x): x is Record<string, unknown> => x !== undefined);
    const encrypted = isakmp.filter((m) => (m['isakmp.flags_tree'] as Record<string, string>)['isakmp.flag_e'] === '1');
    assert.ok(encrypted.length >= 7, `expected MM 5-6, QM 1-3 and 2 Deletes encrypted, got ${encrypted.length}`);
    for (const m of encrypted) assert.ok('isakmp.typepayload' in (m['isakmp.enc.data'] as Record<string, unknown>), 'tshark could not decrypt a message');

    const pids = [a.pid!, b.pid!];
    const names = [left.ns.name, right.ns.name];
    await lab.close();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} still alive`);
    for (const n of names) assert.equal(fs.existsSync(`/run/netns/${n}`), false, `namespace ${n} left behind`);
    assert.equal(fs.existsSync(lab.dir), false);
    assert.deepEqual(liveResources().filter((r) => r.includes(lab.id)), []);
  });
});

describe('interop lab: processes and namespaces (root)', function () {
  labSuiteHooks(strongswanLabUnavailable);

  it('spawn() runs a process inside the namespace with a private /run, and close() ends it', async () => {
    const lab = await Lab.create({ prefix: 'oself' });
    const ns = await lab.namespace('solo');
    const d = lab.spawn(ns, 'sleeper', 'sleep', ['60'], { private: 'run' });
    const inside = await waitFor(async () => (await ns.exec('true', [])).code === 0 && (await run('ip', ['netns', 'pids', ns.name])).stdout.split(/\s+/).includes(String(d.pid)), {
      what: 'sleeper listed in the namespace',
    });
    assert.equal(inside, true);
    const identified = await run('ip', ['netns', 'identify', String(d.pid)]);
    assert.equal(identified.stdout.trim(), ns.name);
    assert.equal(d.running, true);
    await lab.close();
    assert.equal(d.running, false);
    assert.throws(() => process.kill(d.pid, 0), /ESRCH/);
    assert.equal(fs.existsSync(`/run/netns/${ns.name}`), false);
  });
});

describe('interop lab: charon -> pluto (root, Libreswan unpacked)', function () {
  labSuiteHooks(libreswanLabUnavailable);

  it('establishes an IKEv1 Main Mode SA with Libreswan', async () => {
    const lab = await Lab.create({ prefix: 'oself' });
    const { left, right } = await lab.sitePair();
    const c = lab.charon(left.ns, 'c');
    const p = lab.pluto(right.ns, 'p');
    p.configure(
      {
        gw: {
          ikev2: 'no',
          authby: 'secret',
          left: right.outer,
          leftsubnet: right.subnet,
          right: left.outer,
          rightsubnet: left.subnet,
          ike: 'aes128-sha2;modp2048',
          phase2alg: 'aes128-sha1;modp2048',
          auto: 'add',
        },
      },
      `${right.outer} ${left.outer} : PSK "lab-self-test"`,
    );
    await Promise.all([c.start(), p.start()]);
    await c.load({
      connections: {
        gw: {
          version: 1,
          local_addrs: left.outer,
          remote_addrs: right.outer,
          proposals: 'aes128-sha256-modp2048',
          local: { auth: 'psk', id: left.outer },
          remote: { auth: 'psk', id: right.outer },
          children: { net: { local_ts: left.subnet, remote_ts: right.subnet, esp_proposals: 'aes128-sha1-modp2048' } },
        },
      },
      secrets: { 'ike-1': { 'id-a': left.outer, 'id-b': right.outer, secret: '"lab-self-test"' } },
    });
    await c.initiateIke('gw', { check: false });
    const sa = await c.waitEstablished('gw');
    assert.equal(sa.version, '1');
    assert.equal(sa.prfAlg, 'PRF_HMAC_SHA2_256');
    const state = await p.waitState('gw', /^STATE_MAIN_R3$/);
    assert.ok(state.serial >= 1);
    await p.waitLog(/IKE SA established \{auth=PRESHARED_KEY cipher=AES_CBC_128 integ=HMAC_SHA2_256\w* group=MODP2048\}/);
    await lab.close();
  });
});
