// The data plane end to end in memory: two hosts' DataPlanes, SAs and flows as ipsecadm would set
// them, packets through outbound() on one side and inbound() on the other.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import type { EncAlg, AuthAlg, SaParams, ExpireEvent, AcquireEvent, WireOut } from '../../src/dataplane/api.js';
import { icmpEcho, ipPacket, providers, toHex, udpPacket } from './helpers.js';

const A = '198.18.0.1';
const B = '198.18.0.2';
const NET_A = '192.0.2.0/24';
const NET_B = '198.51.100.0/24';

function keys(enc: EncAlg, auth: AuthAlg): Pick<SaParams, 'enc' | 'auth'> {
  const encLen: Record<EncAlg, number> = { null: 0, '3des-cbc': 24, 'aes-cbc': 16, 'aes-ctr': 20, 'aes-gcm-8': 20, 'aes-gcm-12': 36, 'aes-gcm-16': 20, 'aes-gmac': 20 };
  const authLen: Record<AuthAlg, number> = { none: 0, 'hmac-md5-96': 16, 'hmac-sha1-96': 20, 'hmac-sha2-256-128': 32, 'hmac-sha2-384-192': 48, 'hmac-sha2-512-256': 64 };
  return {
    enc: { alg: enc, key: crypto.randomBytes(encLen[enc]) },
    ...(auth !== 'none' ? { auth: { alg: auth, key: crypto.randomBytes(authLen[auth]) } } : {}),
  };
}

/** Two peers with one SA per direction (same keys on both sides, as manual keying does). */
function pair(p: { mode: 'tunnel' | 'transport'; enc?: EncAlg; auth?: AuthAlg; a?: string; b?: string; esn?: boolean; replayWindow?: number; provider?: DataPlane['provider'] }) {
  const now = { t: 1_000_000 };
  const a = new DataPlane({ now: () => now.t, ...(p.provider ? { provider: p.provider } : {}) });
  const b = new DataPlane({ now: () => now.t, ...(p.provider ? { provider: p.provider } : {}) });
  const addrA = p.a ?? A;
  const addrB = p.b ?? B;
  const k1 = keys(p.enc ?? 'aes-cbc', p.auth ?? 'hmac-sha1-96');
  const k2 = keys(p.enc ?? 'aes-cbc', p.auth ?? 'hmac-sha1-96');
  const common = { proto: 'esp' as const, mode: p.mode, ...(p.esn ? { esn: true } : {}), ...(p.replayWindow !== undefined ? { replayWindow: p.replayWindow } : {}) };
  const ab: SaParams = { ...common, spi: 0x1000, src: addrA, dst: addrB, ...k1 };
  const ba: SaParams = { ...common, spi: 0x1001, src: addrB, dst: addrA, ...k2 };
  for (const dp of [a, b]) {
    assert.ok(dp.addSa(ab).ok);
    assert.ok(dp.addSa(ba).ok);
  }
  return { a, b, ab, ba, now };
}

function protect(r: ReturnType<DataPlane['outbound']>): WireOut {
  assert.equal(r.action, 'protect', JSON.stringify(r));
  return (r as { out: WireOut }).out;
}

for (const provider of providers()) {
  describe(`DataPlane (${provider.name})`, () => {
    it('tunnel mode between two networks (-forcetunnel): ping goes out as ESP and comes back whole', () => {
      const { a, b } = pair({ mode: 'tunnel', provider });
      assert.ok(a.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B }).ok);
      assert.ok(b.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'in', type: 'require', peer: A }).ok);
      const ping = icmpEcho('192.0.2.1', '198.51.100.1', 7);
      const out = protect(a.outbound(Uint8Array.from(ping)));
      assert.equal(out.dst, B);
      assert.equal(out.bytes[9], 50); // outer protocol ESP
      assert.equal(toHex(out.bytes.subarray(12, 20)), 'c6120001c6120002');
      assert.equal(Buffer.from(out.bytes).readUInt32BE(20), 0x1000); // SPI on the wire
      assert.ok(!Buffer.from(out.bytes).includes(Buffer.from(ping.subarray(28))), 'no clear ICMP payload on the wire');
      const got = b.inbound(out.bytes);
      assert.equal(got.action, 'deliver');
      assert.equal(toHex((got as { packet: Uint8Array }).packet), toHex(ping));
      const sa = b.getSa({ dst: B, spi: 0x1000, proto: 'esp' })!;
      assert.equal(sa.counters.packets, 1);
      assert.equal(sa.counters.bytes, ping.length);
    });

    for (const [enc, auth] of [
      ['aes-cbc', 'hmac-sha2-256-128'],
      ['aes-ctr', 'hmac-sha2-384-192'],
      ['aes-gcm-8', 'none'],
      ['aes-gcm-12', 'none'],
      ['aes-gcm-16', 'none'],
      ['aes-gmac', 'none'],
      ['3des-cbc', 'hmac-md5-96'],
      ['null', 'hmac-sha2-512-256'],
    ] as [EncAlg, AuthAlg][]) {
      for (const v6 of [false, true]) {
        for (const mode of ['tunnel', 'transport'] as const) {
          it(`${enc}/${auth} ${mode} IPv${v6 ? 6 : 4}: round trip and tamper detection`, () => {
            const ha = v6 ? '2001:db8::1' : A;
            const hb = v6 ? '2001:db8::2' : B;
            const { a, b } = pair({ mode, enc, auth, a: ha, b: hb, provider });
            assert.ok(a.addFlow({ selector: { src: ha, dst: hb }, direction: 'out', type: 'require' }).ok);
            const pkt = udpPacket(ha, hb, 1234, 5678, crypto.randomBytes(100));
            const out = protect(a.outbound(Uint8Array.from(pkt)));
            const copy = Uint8Array.from(out.bytes);
            copy[copy.length - 1] = copy[copy.length - 1]! ^ 1;
            // The forged copy goes first: it must fail the ICV and must not move the replay window.
            assert.deepEqual(b.inbound(copy), { action: 'drop', reason: 'bad-icv' });
            const r = b.inbound(out.bytes);
            assert.equal(r.action, 'deliver', JSON.stringify(r));
            const back = (r as { packet: Uint8Array }).packet;
            if (mode === 'tunnel') assert.equal(toHex(back), toHex(pkt));
            else {
              // Transport: same upper layer and addresses; the length fields are rebuilt.
              assert.equal(toHex(back.subarray(v6 ? 40 : 20)), toHex(pkt.subarray(v6 ? 40 : 20)));
              assert.equal(toHex(back.subarray(v6 ? 8 : 12, v6 ? 40 : 20)), toHex(pkt.subarray(v6 ? 8 : 12, v6 ? 40 : 20)));
              assert.equal(back[v6 ? 6 : 9], 17);
              assert.equal(back.length, pkt.length);
            }
            assert.equal(b.getSa({ dst: hb, spi: 0x1000, proto: 'esp' })!.counters.authFailures, 1);
          });
        }
      }
    }

    it('replays are dropped and counted per SA; a manual SA with window 0 accepts them (as ipsecadm)', () => {
      const { a, b } = pair({ mode: 'tunnel', provider });
      a.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
      const out = protect(a.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1)));
      const dup = Uint8Array.from(out.bytes);
      assert.equal(b.inbound(out.bytes).action, 'deliver');
      assert.deepEqual(b.inbound(dup), { action: 'drop', reason: 'replay' });
      const info = b.getSa({ dst: B, spi: 0x1000, proto: 'esp' })!;
      assert.equal(info.counters.replayDrops, 1);
      assert.equal(b.stats().drops.replay, 1);

      const p2 = pair({ mode: 'tunnel', replayWindow: 0, provider });
      p2.a.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
      const o2 = protect(p2.a.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1)));
      const d2 = Uint8Array.from(o2.bytes);
      assert.equal(p2.b.inbound(o2.bytes).action, 'deliver');
      assert.equal(p2.b.inbound(d2).action, 'deliver');
    });

    it('ESN SAs carry traffic across the 2^32 sequence boundary', () => {
      const { a, b } = pair({ mode: 'tunnel', esn: true, enc: 'aes-gcm-16', auth: 'none', provider });
      a.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
      a.setSequence({ dst: B, spi: 0x1000, proto: 'esp' }, 2 ** 32 - 3);
      b.setSequence({ dst: B, spi: 0x1000, proto: 'esp' }, 0, 2 ** 32 - 3);
      for (let i = 0; i < 6; i++) {
        const o = protect(a.outbound(icmpEcho('192.0.2.1', '198.51.100.1', i)));
        assert.equal(b.inbound(o.bytes).action, 'deliver', `packet ${i}`);
      }
      assert.equal(b.getSa({ dst: B, spi: 0x1000, proto: 'esp' })!.seqInHigh, BigInt(2 ** 32 + 3));
    });

    it('without ESN the sequence number never wraps: the SA hard-expires instead', () => {
      const { a } = pair({ mode: 'tunnel', provider });
      const ev: ExpireEvent[] = [];
      a.on('expire', (e) => ev.push(e));
      a.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
      a.setSequence({ dst: B, spi: 0x1000, proto: 'esp' }, 0xfffffffe);
      assert.equal(a.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1)).action, 'protect'); // seq 0xffffffff
      assert.deepEqual(a.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 2)), { action: 'drop', reason: 'seq-overflow' });
      // A soft expiry (rekey) came first, while sequence numbers were left; then the hard one.
      assert.deepEqual(ev.map((e) => [e.kind, e.reason]), [['soft', 'packets'], ['hard', 'packets']]);
      assert.equal(a.getSa({ dst: B, spi: 0x1000, proto: 'esp' }), undefined);
      // And with the SA gone, a require flow still never sends in clear.
      assert.deepEqual(a.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 3)), { action: 'drop', reason: 'no-sa' });
    });

    it('lifetimes: soft then hard expiry by packets, bytes and seconds', () => {
      const now = { t: 0 };
      const dp = new DataPlane({ provider, now: () => now.t });
      const ev: ExpireEvent[] = [];
      dp.on('expire', (e) => ev.push(e));
      const k = keys('aes-gcm-16', 'none');
      dp.addSa({ spi: 0x200, proto: 'esp', src: A, dst: B, mode: 'tunnel', ...k, soft: { packets: 2 }, hard: { packets: 4 } });
      dp.addSa({ spi: 0x201, proto: 'esp', src: A, dst: '198.18.0.3', mode: 'tunnel', ...k, soft: { bytes: 150 }, hard: { bytes: 10_000 } });
      dp.addSa({ spi: 0x202, proto: 'esp', src: A, dst: '198.18.0.4', mode: 'tunnel', ...k, soft: { seconds: 10 }, hard: { seconds: 20 } });
      dp.addFlow({ selector: { src: NET_A, dst: '198.51.100.1' }, direction: 'out', type: 'require', peer: B });
      dp.addFlow({ selector: { src: NET_A, dst: '198.51.100.2' }, direction: 'out', type: 'require', peer: '198.18.0.3' });
      for (let i = 0; i < 4; i++) dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', i));
      assert.deepEqual(ev.map((e) => [e.kind, e.sa.spi, e.reason]), [['soft', 0x200, 'packets'], ['hard', 0x200, 'packets']]);
      dp.outbound(icmpEcho('192.0.2.1', '198.51.100.2', 1)); // 84 bytes
      assert.equal(ev.length, 2);
      dp.outbound(icmpEcho('192.0.2.1', '198.51.100.2', 2));
      assert.deepEqual(ev[2], { kind: 'soft', sa: { dst: '198.18.0.3', spi: 0x201, proto: 'esp' }, reason: 'bytes', src: A });
      now.t = 9_000;
      dp.tick();
      assert.equal(ev.length, 3);
      now.t = 10_000;
      dp.tick();
      dp.tick();
      assert.deepEqual(ev.slice(3).map((e) => [e.kind, e.sa.spi, e.reason]), [['soft', 0x202, 'seconds']]);
      now.t = 20_000;
      dp.tick();
      assert.deepEqual(ev.slice(4).map((e) => [e.kind, e.sa.spi, e.reason]), [['hard', 0x202, 'seconds']]);
      assert.equal(dp.listSas().length, 1);
    });

    it('require without SA drops and raises ACQUIRE (rate-limited); acquire/use send clear; dontacq drops silently', () => {
      const now = { t: 0 };
      const dp = new DataPlane({ provider, now: () => now.t });
      const acq: AcquireEvent[] = [];
      dp.on('acquire', (e) => acq.push(e));
      dp.addFlow({ selector: { src: NET_A, dst: '198.51.100.1/32' }, direction: 'out', type: 'require', peer: B });
      dp.addFlow({ selector: { src: NET_A, dst: '198.51.100.2/32' }, direction: 'out', type: 'acquire', peer: B });
      dp.addFlow({ selector: { src: NET_A, dst: '198.51.100.3/32' }, direction: 'out', type: 'use', peer: B });
      dp.addFlow({ selector: { src: NET_A, dst: '198.51.100.4/32' }, direction: 'out', type: 'dontacq', peer: B });
      dp.addFlow({ selector: { src: NET_A, dst: '198.51.100.5/32' }, direction: 'out', type: 'deny' });
      dp.addFlow({ selector: { src: NET_A, dst: '198.51.100.0/24' }, direction: 'out', type: 'bypass' });
      assert.deepEqual(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1)), { action: 'drop', reason: 'no-sa' });
      assert.deepEqual(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 2)), { action: 'drop', reason: 'no-sa' });
      assert.equal(acq.length, 1);
      assert.deepEqual(acq[0]!.packet, { src: '192.0.2.1', dst: '198.51.100.1', proto: 1, sport: 8, dport: 0 });
      assert.equal(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.2', 1)).action, 'clear');
      assert.equal(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.3', 1)).action, 'clear');
      assert.equal(acq.length, 3);
      assert.deepEqual(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.4', 1)), { action: 'drop', reason: 'no-sa' });
      assert.equal(acq.length, 3);
      assert.deepEqual(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.5', 1)), { action: 'drop', reason: 'policy-deny' });
      assert.equal(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.9', 1)).action, 'clear'); // bypass /24
      now.t = 1000;
      dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 3));
      assert.equal(acq.length, 4);
    });

    it("the key manager's own UDP 500/4500 traffic bypasses even a host-to-host require flow", () => {
      const dp = new DataPlane({ provider });
      dp.addFlow({ selector: { src: A, dst: B }, direction: 'out', type: 'require' });
      assert.equal(dp.outbound(udpPacket(A, B, 500, 500, new Uint8Array(40))).action, 'clear');
      assert.equal(dp.outbound(udpPacket(A, B, 4500, 4500, new Uint8Array(40))).action, 'clear');
      assert.equal(dp.outbound(udpPacket(A, B, 501, 500, new Uint8Array(40))).action, 'clear');
      assert.equal(dp.outbound(udpPacket(A, B, 5000, 5001, new Uint8Array(40))).action, 'drop');
    });

    it('inbound policy: clear traffic matching an inbound require flow is dropped; wrong SA peer is a mismatch', () => {
      const { a, b } = pair({ mode: 'tunnel', provider });
      b.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'in', type: 'require', peer: '198.18.0.9' });
      a.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
      const o = protect(a.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1)));
      assert.deepEqual(b.inbound(o.bytes), { action: 'drop', reason: 'policy-mismatch' });
      assert.deepEqual(b.inbound(icmpEcho('192.0.2.1', '198.51.100.1', 1)), { action: 'drop', reason: 'policy-mismatch' });
      assert.equal(b.inbound(icmpEcho('192.0.2.1', '203.0.113.1', 1)).action, 'deliver');
    });

    it('ESP-in-UDP: outbound gives the bare ESP for the 4500 socket, inboundUdp accepts it', () => {
      const dpA = new DataPlane({ provider });
      const dpB = new DataPlane({ provider });
      const k = keys('aes-gcm-16', 'none');
      const sa: SaParams = { spi: 0x3000, proto: 'esp', src: A, dst: B, mode: 'tunnel', encap: { type: 'udp', sport: 4500, dport: 4500 }, ...k };
      dpA.addSa(sa);
      dpB.addSa(sa);
      dpA.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
      const ping = icmpEcho('192.0.2.1', '198.51.100.1', 5);
      const o = protect(dpA.outbound(ping));
      assert.deepEqual(o.encap, { type: 'udp', sport: 4500, dport: 4500 });
      assert.equal(Buffer.from(o.bytes).readUInt32BE(0), 0x3000);
      const r = dpB.inboundUdp(o.bytes, { src: A, dst: B, sport: 4500, dport: 4500 });
      assert.equal(toHex((r as { packet: Uint8Array }).packet), toHex(ping));
    });

    it('AH+ESP bundle (group): IP/AH/ESP on the wire, both verified on the way in', () => {
      const dpA = new DataPlane({ provider });
      const dpB = new DataPlane({ provider });
      const esp: SaParams = { spi: 0x500, proto: 'esp', src: A, dst: B, mode: 'transport', ...keys('aes-cbc', 'none') };
      const ah: SaParams = { spi: 0x501, proto: 'ah', src: A, dst: B, mode: 'transport', auth: keys('null', 'hmac-sha1-96').auth! };
      for (const dp of [dpA, dpB]) {
        assert.ok(dp.addSa(esp).ok);
        assert.ok(dp.addSa(ah).ok);
      }
      assert.ok(dpA.groupSa({ dst: B, spi: 0x500, proto: 'esp' }, { dst: B, spi: 0x501, proto: 'ah' }).ok);
      dpA.addFlow({ selector: { src: A, dst: B }, direction: 'out', type: 'require', peer: B, saProto: 'esp' });
      dpB.addFlow({ selector: { src: A, dst: B }, direction: 'in', type: 'require', bundle: [{ dst: B, spi: 0x500, proto: 'esp' }, { dst: B, spi: 0x501, proto: 'ah' }] });
      const pkt = udpPacket(A, B, 1000, 2000, crypto.randomBytes(64));
      const o = protect(dpA.outbound(pkt));
      assert.equal(o.bytes[9], 51);
      assert.equal(o.bytes[20], 50); // AH's next header: ESP
      const r = dpB.inbound(o.bytes);
      assert.equal(r.action, 'deliver', JSON.stringify(r));
      assert.equal(toHex((r as { packet: Uint8Array }).packet.subarray(20)), toHex(pkt.subarray(20)));
    });

    it('bad input: short, unknown SPI, truncated, garbage, oversize, wrong next header; counted, never thrown', () => {
      const { a, b } = pair({ mode: 'tunnel', provider });
      a.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
      const o = protect(a.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1)));
      assert.deepEqual(b.inbound(ipPacket(A, B, 50, new Uint8Array(4))), { action: 'drop', reason: 'short' });
      const unknown = Uint8Array.from(o.bytes);
      unknown[23] = unknown[23]! ^ 0xff;
      assert.deepEqual(b.inbound(unknown), { action: 'drop', reason: 'unknown-spi' });
      const trunc = ipPacket(A, B, 50, o.bytes.subarray(20, 20 + 30));
      assert.deepEqual(b.inbound(trunc), { action: 'drop', reason: 'short' });
      assert.deepEqual(b.inbound(new Uint8Array([0x45, 0, 0])), { action: 'drop', reason: 'malformed' });
      assert.deepEqual(b.inbound(new Uint8Array(0)), { action: 'drop', reason: 'malformed' });
      // A tunnel SA whose payload's next header is not IP.
      const c = pair({ mode: 'transport', provider });
      c.a.addFlow({ selector: { src: A, dst: B }, direction: 'out', type: 'require' });
      const t = protect(c.a.outbound(udpPacket(A, B, 1, 2, new Uint8Array(10))));
      const tunnelB = new DataPlane({ provider });
      tunnelB.addSa({ ...c.ab, mode: 'tunnel' });
      assert.deepEqual(tunnelB.inbound(t.bytes), { action: 'drop', reason: 'bad-next-header' });
      assert.equal(tunnelB.getSa({ dst: B, spi: 0x1000, proto: 'esp' })!.counters.drops['bad-next-header'], 1);
      const s = b.stats();
      assert.equal(s.drops['unknown-spi'], 1);
      assert.equal(s.drops.short, 2);
      // Random garbage never throws.
      for (let i = 0; i < 500; i++) {
        const g = crypto.randomBytes(1 + (i % 120));
        if (i % 2) g[0] = 0x45;
        const r = b.inbound(g);
        assert.ok(r.action === 'drop' || r.action === 'deliver');
      }
    });

    it('bad padding is detected after a valid ICV (encryption-only SA)', () => {
      const dpA = new DataPlane({ provider });
      const dpB = new DataPlane({ provider });
      const sa: SaParams = { spi: 0x700, proto: 'esp', src: A, dst: B, mode: 'tunnel', ...keys('aes-ctr', 'none') };
      dpA.addSa(sa);
      dpB.addSa(sa);
      dpA.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
      const o = protect(dpA.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1, 57))); // 85 bytes: padding 1
      // CTR is a stream cipher: flipping a ciphertext bit flips the same plaintext bit (the pad byte).
      const pos = o.bytes.length - 3;
      o.bytes[pos] = o.bytes[pos]! ^ 0x02;
      assert.deepEqual(dpB.inbound(o.bytes), { action: 'drop', reason: 'bad-padding' });
    });
  });
}

describe('DataPlane API validation', () => {
  it('rejects bad SAs with a message', () => {
    const dp = new DataPlane({ provider: providers()[0]! });
    const bad = (p: Partial<SaParams>) => dp.addSa({ spi: 0x100, proto: 'esp', src: A, dst: B, mode: 'tunnel', ...keys('aes-cbc', 'hmac-sha1-96'), ...p });
    assert.match((bad({ spi: 5 }) as { error: string }).error, /SPI/);
    assert.match((bad({ dst: '2001:db8::1' }) as { error: string }).error, /family/);
    assert.match((bad({ enc: { alg: 'aes-cbc', key: new Uint8Array(15) } }) as { error: string }).error, /key must be/);
    assert.match((bad({ enc: { alg: 'aes-gcm-16', key: new Uint8Array(20) } }) as { error: string }).error, /combined/);
    assert.match((bad({ enc: { alg: 'null', key: new Uint8Array(0) }, auth: undefined }) as { error: string }).error, /NULL/);
    assert.ok(bad({}).ok);
    assert.match((bad({}) as { error: string }).error, /exists/);
  });

  it('keeps SAs that share an SPI on different destinations apart, through adds and deletes', () => {
    const dp = new DataPlane({ provider: providers()[0]! });
    const C = '198.18.0.3';
    const sa = (dst: string, proto: 'esp' | 'ah' = 'esp') =>
      dp.addSa({ spi: 0x777, proto, src: A, dst, mode: 'tunnel', ...(proto === 'esp' ? keys('aes-cbc', 'hmac-sha1-96') : { auth: { alg: 'hmac-sha1-96' as const, key: new Uint8Array(20) } }) });
    assert.ok(sa(B).ok);
    assert.ok(sa(C).ok);
    assert.ok(sa(B, 'ah').ok);
    assert.match((sa(C) as { error: string }).error, /exists/);
    assert.equal(dp.listSas().length, 3);
    assert.equal(dp.getSa({ dst: C, spi: 0x777, proto: 'esp' })?.dst, C);
    assert.ok(dp.deleteSa({ dst: B, spi: 0x777, proto: 'esp' }).ok);
    assert.equal(dp.getSa({ dst: B, spi: 0x777, proto: 'esp' }), undefined);
    assert.equal(dp.getSa({ dst: C, spi: 0x777, proto: 'esp' })?.dst, C);
    assert.equal(dp.getSa({ dst: B, spi: 0x777, proto: 'ah' })?.proto, 'ah');
    assert.ok(dp.deleteSa({ dst: B, spi: 0x777, proto: 'ah' }).ok);
    assert.deepEqual(dp.listSas().map((s) => `${s.proto} ${s.dst}`), [`esp ${C}`]);
    assert.equal(dp.stats().sas, 1);
    assert.ok(!dp.deleteSa({ dst: B, spi: 0x777, proto: 'esp' }).ok);
    assert.ok(dp.deleteSa({ dst: C, spi: 0x777, proto: 'esp' }).ok);
    assert.equal(dp.stats().sas, 0);
  });

  it('getSpi reserves distinct SPIs in range and updateSa completes a reserved one', () => {
    const dp = new DataPlane({ provider: providers()[0]! });
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const r = dp.getSpi(B, 'esp', { min: 0x1000, max: 0x1040 });
      if (!r.ok) continue;
      assert.ok(r.value >= 0x1000 && r.value <= 0x1040);
      assert.ok(!seen.has(r.value));
      seen.add(r.value);
    }
    const spi = [...seen][0]!;
    assert.ok(dp.updateSa({ spi, proto: 'esp', src: A, dst: B, mode: 'tunnel', ...keys('aes-cbc', 'hmac-sha1-96') }).ok);
    assert.equal(dp.listSas().length, 1);
    assert.ok(!dp.updateSa({ spi: 0x9999, proto: 'esp', src: A, dst: B, mode: 'tunnel', ...keys('aes-cbc', 'hmac-sha1-96') }).ok);
  });

  it('flush by protocol, then everything', () => {
    const dp = new DataPlane({ provider: providers()[0]! });
    dp.addSa({ spi: 0x100, proto: 'esp', src: A, dst: B, mode: 'tunnel', ...keys('aes-cbc', 'hmac-sha1-96') });
    dp.addSa({ spi: 0x101, proto: 'ah', src: A, dst: B, mode: 'tunnel', auth: keys('null', 'hmac-sha1-96').auth! });
    dp.addFlow({ selector: { src: NET_A, dst: NET_B }, direction: 'out', type: 'require', peer: B });
    assert.deepEqual(dp.flush({ esp: true }), { sas: 1, flows: 0 });
    assert.deepEqual(dp.flush(), { sas: 1, flows: 1 });
    assert.equal(dp.listFlows().length, 0);
  });
});
