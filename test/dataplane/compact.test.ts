// The compact per-tunnel records: what an installed SA and flow keep (and do not keep), checked on the
// objects themselves, and the text `show` renders from them, which must read exactly as it did when
// SAs and flows kept their addresses and selectors as strings.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import { DataplaneLink } from '../../src/daemon/dataplane-link.js';
import { formatFlows, formatSas } from '../../src/dataplane/show.js';
import { nodeProvider } from '../../src/dataplane/provider.js';
import { ReplayWindow } from '../../src/dataplane/replay.js';
import type { Sa, Sad } from '../../src/dataplane/sad.js';
import type { Spd, Flow } from '../../src/dataplane/spd.js';
import type { SaParams, SaRef } from '../../src/dataplane/api.js';
import type { IpsecSaSpec } from '../../src/ike/types.js';
import { icmpEcho, providers } from './helpers.js';

const inside = (dp: DataPlane): { sad: Sad; spd: Spd } => dp as unknown as { sad: Sad; spd: Spd };
const saOf = (dp: DataPlane, ref: SaRef): Sa => inside(dp).sad.get(ref)!;
const flowOf = (dp: DataPlane, id: number): Flow => inside(dp).spd.all().find((f) => f.id === id)!;

/** Every typed array reachable from `root` through own properties (depth-limited, cycles skipped). */
function typedArrays(root: object, depth = 3, seen = new Set<object>()): Uint8Array[] {
  if (seen.has(root) || depth < 0) return [];
  seen.add(root);
  const out: Uint8Array[] = [];
  for (const v of Object.values(root)) {
    if (ArrayBuffer.isView(v)) out.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    else if (v && typeof v === 'object') out.push(...typedArrays(v, depth - 1, seen));
  }
  return out;
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

const LOCAL = '198.18.0.1';
const REMOTE = '198.18.0.2';

function spec(keys: { inEnc: Uint8Array; inAuth: Uint8Array; outEnc: Uint8Array; outAuth: Uint8Array }): IpsecSaSpec {
  return {
    id: 'sa-1', connection: 'c1', local: { address: LOCAL, port: 500 }, remote: { address: REMOTE, port: 500 },
    protocol: 'esp', mode: 'tunnel', encr: 'aes-cbc', keyLength: 128, integ: 'hmac-sha1', lifeSeconds: 1200,
    localSelector: '192.0.2.0/24', remoteSelector: '198.51.100.0/24',
    inbound: { spi: 0x1001, encKey: keys.inEnc, authKey: keys.inAuth },
    outbound: { spi: 0x2002, encKey: keys.outEnc, authKey: keys.outAuth },
  } as IpsecSaSpec;
}

describe('data plane: compact per-tunnel records', () => {
  for (const provider of providers()) {
    it(`an SA installed for one direction keeps no copy of its keys outside its context (${provider.name})`, () => {
      const k = { inEnc: crypto.randomBytes(16), inAuth: crypto.randomBytes(20), outEnc: crypto.randomBytes(16), outAuth: crypto.randomBytes(20) };
      const dp = new DataPlane({ provider });
      new DataplaneLink(dp, true, (m) => assert.fail(m)).apply({ kind: 'add', sa: spec(k) });
      for (const [ref, keys] of [
        [{ dst: LOCAL, spi: 0x1001, proto: 'esp' }, [k.inEnc, k.inAuth]],
        [{ dst: REMOTE, spi: 0x2002, proto: 'esp' }, [k.outEnc, k.outAuth]],
      ] as const) {
        const sa = saOf(dp, ref);
        assert.equal(sa.keyBytes, 0);
        for (const arr of typedArrays(sa)) for (const key of keys) assert.ok(!contains(arr, key), 'a key copy is still reachable from the SA');
        // IPv4 endpoints are integers: no address arrays either.
        assert.equal(sa.addr6, null);
      }
      // The one-way SA still works the way it was installed, and refuses the other way.
      const out = dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1));
      assert.equal(out.action, 'protect');
      const back = new DataPlane({ provider });
      assert.ok(back.addSa({ proto: 'esp', mode: 'tunnel', spi: 0x1001, src: REMOTE, dst: LOCAL, enc: { alg: 'aes-cbc', key: k.inEnc }, auth: { alg: 'hmac-sha1-96', key: k.inAuth }, direction: 'out' }).ok);
      assert.ok(back.addFlow({ selector: { src: '198.51.100.0/24', dst: '192.0.2.0/24' }, direction: 'out', type: 'require', bundle: [{ dst: LOCAL, spi: 0x1001, proto: 'esp' }] }).ok);
      const r = back.outbound(icmpEcho('198.51.100.1', '192.0.2.1', 2));
      assert.equal(r.action, 'protect');
      if (r.action !== 'protect') return;
      assert.equal(dp.inbound(r.out.bytes).action, 'deliver');
      // The same inbound-only SA asked to encrypt: dropped, counted on the SA.
      assert.ok(dp.addFlow({ selector: { src: '192.0.2.9/32', dst: '198.51.100.9/32' }, direction: 'out', type: 'require', bundle: [{ dst: LOCAL, spi: 0x1001, proto: 'esp' }] }).ok);
      assert.deepEqual(dp.outbound(icmpEcho('192.0.2.9', '198.51.100.9', 3)), { action: 'drop', reason: 'unsupported' });
      assert.equal(dp.getSa({ dst: LOCAL, spi: 0x1001, proto: 'esp' })!.counters.drops.unsupported, 1);
    });
  }

  it('an SA without a direction keeps its keys packed in one array until its contexts exist', () => {
    const enc = crypto.randomBytes(16);
    const auth = crypto.randomBytes(20);
    const dp = new DataPlane({ provider: nodeProvider });
    assert.ok(dp.addSa({ proto: 'esp', mode: 'tunnel', spi: 0x3003, src: LOCAL, dst: REMOTE, enc: { alg: 'aes-cbc', key: enc }, auth: { alg: 'hmac-sha1-96', key: auth } }).ok);
    enc.fill(0); // the SA owns its copy
    const sa = saOf(dp, { dst: REMOTE, spi: 0x3003, proto: 'esp' });
    assert.equal(sa.keyBytes, 36);
    assert.equal(typedArrays(sa).length, 1);
  });

  it('endpoints: IPv4 as integers, IPv6 as one array; the text form is the normal one', () => {
    const dp = new DataPlane({ provider: nodeProvider });
    const key = { enc: { alg: 'aes-cbc' as const, key: new Uint8Array(16) }, auth: { alg: 'hmac-sha1-96' as const, key: new Uint8Array(20) } };
    assert.ok(dp.addSa({ proto: 'esp', mode: 'tunnel', spi: 0x100, src: '192.0.2.200', dst: '198.51.100.255', ...key }).ok);
    assert.ok(dp.addSa({ proto: 'esp', mode: 'tunnel', spi: 0x101, src: '2001:DB8:0::1', dst: '2001:db8::ff00:2', ...key }).ok);
    const v4 = saOf(dp, { dst: '198.51.100.255', spi: 0x100, proto: 'esp' });
    assert.equal(v4.src4 >>> 0, 0xc00002c8);
    assert.equal(v4.dst4 >>> 0, 0xc63364ff);
    assert.equal(typedArrays(v4).length, 1); // the packed keys alone
    const v6 = saOf(dp, { dst: '2001:db8::ff00:2', spi: 0x101, proto: 'esp' });
    assert.equal(v6.addr6!.length, 32);
    assert.equal(v6.srcText, '2001:db8::1');
    // A reference spelled another way finds the same SA.
    assert.equal(dp.getSa({ dst: '2001:DB8:0:0:0:0:ff00:2', spi: 0x101, proto: 'esp' })?.src, '2001:db8::1');
  });

  it('a flow keeps its selector as numbers, not text', () => {
    const dp = new DataPlane({ provider: nodeProvider });
    const r = dp.addFlow({ selector: { src: '192.0.2.77/24', dst: '198.51.100.1' }, direction: 'out', type: 'require', peer: REMOTE });
    assert.ok(r.ok);
    const f = flowOf(dp, r.value);
    assert.equal(f.s4 >>> 0, 0xc0000200);
    assert.equal(f.d4 >>> 0, 0xc6336401);
    assert.equal(f.a6, null);
    const strings = Object.entries(f).filter(([, v]) => typeof v === 'string').map(([k]) => k).sort();
    assert.deepEqual(strings, ['direction', 'peer', 'peerNorm', 'type']);
  });

  it('lifetime limits shared between SAs are not aliased to the caller or changed through info()', () => {
    const dp = new DataPlane({ provider: nodeProvider });
    const hard = { seconds: 1200 };
    const base: Omit<SaParams, 'spi'> = { proto: 'esp', mode: 'tunnel', src: LOCAL, dst: REMOTE, enc: { alg: 'aes-cbc', key: new Uint8Array(16) }, auth: { alg: 'hmac-sha1-96', key: new Uint8Array(20) }, hard };
    assert.ok(dp.addSa({ ...base, spi: 0x500 }).ok);
    assert.ok(dp.addSa({ ...base, spi: 0x501, hard: { seconds: 1200 } }).ok);
    hard.seconds = 5;
    const a = dp.getSa({ dst: REMOTE, spi: 0x500, proto: 'esp' })!;
    a.hard.seconds = 7;
    assert.deepEqual(dp.getSa({ dst: REMOTE, spi: 0x500, proto: 'esp' })!.hard, { seconds: 1200 });
    assert.deepEqual(dp.getSa({ dst: REMOTE, spi: 0x501, proto: 'esp' })!.hard, { seconds: 1200 });
  });

  it('a replay window of up to 64 packets needs no bitmap array; a larger one has one', () => {
    assert.equal(typedArrays(new ReplayWindow(64, false)).length, 0);
    assert.equal(typedArrays(new ReplayWindow(32, true)).length, 0);
    assert.equal(typedArrays(new ReplayWindow(1000, false)).length, 1);
  });

  it('show renders SAs and flows exactly as the string-keeping records did', () => {
    let t = 1_700_000_000_000;
    const dp = new DataPlane({ provider: nodeProvider, now: () => t });
    const sels = [
      { src: '192.0.2.7', dst: '198.51.100.9/24' },
      { src: '198.51.100.0/255.255.255.0', dst: '203.0.113.128/25', proto: 17, sport: 500 },
      { src: '0.0.0.0/0', dst: '192.0.2.0/0', proto: 0, dport: 0 },
      { src: '2001:db8:0:0::1/64', dst: '2001:db8::ffff:1', proto: 6, dport: 22 },
      { src: '::/0', dst: '2001:DB8:a:b:c:d:e:f/127' },
    ];
    for (const [i, selector] of sels.entries()) {
      const r = dp.addFlow({
        selector, direction: i % 2 ? 'in' : 'out', type: i === 2 ? 'bypass' : 'require',
        ...(i === 1 ? { peer: '198.51.100.1' } : {}),
        ...(i === 3 ? { peer: '2001:db8:0::5', saProto: 'ah' as const } : {}),
        ...(i === 4 ? { priority: -2, bundle: [{ dst: '2001:DB8::7', spi: 0x1234, proto: 'esp' as const }] } : {}),
      });
      assert.ok(r.ok);
    }
    const k = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i + 1);
    for (const p of [
      { spi: 0x1000, proto: 'esp', src: '192.0.2.1', dst: '198.51.100.2', mode: 'tunnel', enc: { alg: 'aes-cbc', key: k(16) }, auth: { alg: 'hmac-sha1-96', key: k(20) }, hard: { seconds: 1200 }, soft: { bytes: 1000, packets: 5 }, label: 'c1' },
      { spi: 0xfedcba98, proto: 'esp', src: '2001:db8::1', dst: '2001:DB8:0::2', mode: 'transport', enc: { alg: 'aes-gcm-16', key: k(20) }, esn: true, replayWindow: 128, encap: { type: 'udp', sport: 4500, dport: 4501 } },
      { spi: 0x2000, proto: 'ah', src: '192.0.2.1', dst: '198.51.100.2', mode: 'transport', auth: { alg: 'hmac-sha2-256-128', key: k(32) }, replayWindow: 0, hard: { seconds: 1200 } },
    ] as SaParams[]) assert.ok(dp.addSa(p).ok);
    assert.ok(dp.groupSa({ dst: '198.51.100.2', spi: 0x1000, proto: 'esp' }, { dst: '198.51.100.2', spi: 0x2000, proto: 'ah' }).ok);
    t += 5000;
    assert.equal(
      formatFlows(dp.listFlows()),
      [
        'flow 1 out require 192.0.2.7/32 -> 198.51.100.0/24 esp peer any hits 0',
        'flow 2 in require 198.51.100.0/24 -> 203.0.113.128/25 proto 17 sport 500 esp peer 198.51.100.1 hits 0',
        'flow 3 out bypass 0.0.0.0/0 -> 0.0.0.0/0 hits 0',
        'flow 4 in require 2001:db8::/64 -> 2001:db8::ffff:1/128 proto 6 dport 22 ah peer 2001:db8:0::5 hits 0',
        'flow 5 out require ::/0 -> 2001:db8:a:b:c:d:e:e/127 sa esp/0x00001234@2001:db8::7 hits 0',
      ].join('\n'),
    );
    assert.equal(
      formatSas(dp.listSas(), t),
      [
        'esp spi 0x00001000 192.0.2.1 -> 198.51.100.2 tunnel aes-cbc/hmac-sha1-96 (c1)',
        '    bytes 0 packets 0 replay-window 64 replay-drops 0 auth-failures 0',
        '    age 5s soft 1000B/5pkt hard 1200s seq-out 1 seq-in 0 grouped-with ah/0x00002000@198.51.100.2',
        'esp spi 0xfedcba98 2001:db8::1 -> 2001:db8::2 transport udp 4500->4501 aes-gcm-16 esn',
        '    bytes 0 packets 0 replay-window 128 replay-drops 0 auth-failures 0',
        '    age 5s soft - hard - seq-out 1 seq-in 0',
        'ah spi 0x00002000 192.0.2.1 -> 198.51.100.2 transport hmac-sha2-256-128',
        '    bytes 0 packets 0 replay-window 0 replay-drops 0 auth-failures 0',
        '    age 5s soft - hard 1200s seq-out 1 seq-in 0',
      ].join('\n'),
    );
    // The listed flows carry exactly the keys that were given (a selector's proto 0 included).
    assert.deepEqual(dp.listFlows()[2], { selector: { src: '0.0.0.0/0', dst: '0.0.0.0/0', proto: 0, dport: 0 }, direction: 'out', type: 'bypass', id: 3, hits: 0 });
    assert.deepEqual(dp.listFlows()[4]!.bundle, [{ dst: '2001:db8::7', spi: 0x1234, proto: 'esp' }]);
  });

  it('DataplaneLink removes exactly what it installed, from its compact record', () => {
    const dp = new DataPlane({ provider: nodeProvider });
    const link = new DataplaneLink(dp, true, (m) => assert.fail(m));
    const z = (n: number): Uint8Array => new Uint8Array(n);
    link.apply({ kind: 'add', sa: spec({ inEnc: z(16), inAuth: z(20), outEnc: z(16), outAuth: z(20) }) });
    assert.deepEqual([dp.stats().sas, dp.stats().flows], [2, 2]);
    assert.ok(dp.addSa({ proto: 'esp', mode: 'tunnel', spi: 0x9009, src: LOCAL, dst: REMOTE, enc: { alg: 'aes-cbc', key: z(16) }, auth: { alg: 'hmac-sha1-96', key: z(20) } }).ok);
    link.apply({ kind: 'delete', id: 'sa-1', inboundSpi: 0x1001, outboundSpi: 0x2002, local: { address: LOCAL, port: 500 }, remote: { address: REMOTE, port: 500 }, reason: 'test' });
    assert.deepEqual([dp.stats().sas, dp.stats().flows], [1, 0]);
    assert.equal(dp.listSas()[0]!.spi, 0x9009);
  });
});

describe('libcrypto HMAC from pooled hash states', () => {
  it('agrees with node:crypto for every hash, key length (block-sized and longer keys too) and an ESN tail', async () => {
    const { evpProvider } = await import('../../src/dataplane/evp.js');
    const fc = (await import('fast-check')).default;
    const evp = evpProvider();
    if (!evp) return;
    const hashes = [['md5', 16], ['sha1', 20], ['sha256', 32], ['sha384', 48], ['sha512', 64]] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...hashes),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: null }),
        ([hash, outLen], key, data, extra) => {
          const ctx = evp.mac(hash, key, outLen, true);
          const a = new Uint8Array(outLen);
          // Twice, to show that the keyed states are not consumed by a packet.
          ctx.mac(data, 0, data.length, extra, a, 0);
          ctx.mac(data, 0, data.length, extra, a, 0);
          ctx.free();
          const h = crypto.createHmac(hash, key).update(data);
          if (extra) h.update(extra);
          assert.equal(Buffer.from(a).toString('hex'), h.digest().subarray(0, outLen).toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe")', async () => {
    const { evpProvider } = await import('../../src/dataplane/evp.js');
    const evp = evpProvider();
    if (!evp) return;
    const ctx = evp.mac('sha256', Buffer.from('Jefe'), 32);
    const out = new Uint8Array(32);
    const msg = Buffer.from('what do ya want for nothing?');
    ctx.mac(msg, 0, msg.length, null, out, 0);
    ctx.free();
    assert.equal(Buffer.from(out).toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('data plane: contexts of a dropped data plane', () => {
  it('are freed by the SAD finalizer (one registration per SAD, none per context)', async function () {
    const { evpProvider, hmacSlotsInUse } = await import('../../src/dataplane/evp.js');
    const v8 = await import('node:v8');
    const vm = await import('node:vm');
    const evp = evpProvider();
    if (!evp) this.skip();
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const before = hmacSlotsInUse();
    (() => {
      const dp = new DataPlane({ provider: evp });
      for (let i = 0; i < 50; i++) {
        const r = dp.addSa({ proto: 'esp', mode: 'tunnel', spi: 0x1000 + i, src: LOCAL, dst: REMOTE, enc: { alg: 'aes-cbc', key: new Uint8Array(16) }, auth: { alg: 'hmac-sha1-96', key: new Uint8Array(20) }, direction: 'out' });
        assert.ok(r.ok);
      }
      assert.equal(hmacSlotsInUse(), before + 50);
      // Removed SAs give their slots back at once.
      for (let i = 0; i < 10; i++) assert.ok(dp.deleteSa({ dst: REMOTE, spi: 0x1000 + i, proto: 'esp' }).ok);
      assert.equal(hmacSlotsInUse(), before + 40);
    })();
    // Data planes dropped by earlier tests may be finalized here too: at most `before` remain.
    for (let i = 0; i < 50 && hmacSlotsInUse() > before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(hmacSlotsInUse() <= before, `${hmacSlotsInUse() - before} HMAC states still held`);
  });
});

describe('data plane: the by-peer SA index, built on first use', () => {
  it('picks the newest SA to the peer even when its SPI first arrived with an older SA elsewhere', () => {
    const dp = new DataPlane({ provider: nodeProvider });
    const C = '198.18.0.3';
    const sa = (spi: number, dst: string): SaParams => ({ proto: 'esp', mode: 'tunnel', spi, src: LOCAL, dst, enc: { alg: 'aes-cbc', key: new Uint8Array(16) }, auth: { alg: 'hmac-sha1-96', key: new Uint8Array(20) } });
    assert.ok(dp.addSa(sa(0x500, C)).ok);
    assert.ok(dp.addSa(sa(0x600, REMOTE)).ok);
    assert.ok(dp.addSa(sa(0x500, REMOTE)).ok); // newest to REMOTE, its SPI key dates from the SA to C
    assert.ok(dp.addFlow({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require', peer: REMOTE }).ok);
    const spiOut = (): number => {
      const r = dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1));
      assert.equal(r.action, 'protect');
      return r.action === 'protect' ? Buffer.from(r.out.bytes).readUInt32BE(20) : 0;
    };
    assert.equal(spiOut(), 0x500);
    assert.ok(dp.deleteSa({ dst: REMOTE, spi: 0x500, proto: 'esp' }).ok);
    assert.equal(spiOut(), 0x600);
    assert.ok(dp.addSa(sa(0x700, REMOTE)).ok); // after the index exists
    assert.equal(spiOut(), 0x700);
  });
});
