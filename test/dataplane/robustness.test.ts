// Properties over random input: inbound never throws and never delivers a modified packet; outbound
// never sends a packet that matches a require flow in clear, whatever the SAD holds.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import { EspCrypto } from '../../src/dataplane/esp.js';
import type { EncAlg, AuthAlg } from '../../src/dataplane/api.js';
import type { WireOut } from '../../src/dataplane/api.js';
import { icmpEcho, ipPacket, providers, udpPacket } from './helpers.js';

const A = '198.18.0.1';
const B = '198.18.0.2';

function setup(enc: 'aes-cbc' | 'aes-gcm-16', mode: 'tunnel' | 'transport') {
  const provider = providers()[providers().length - 1]!;
  const a = new DataPlane({ provider });
  const b = new DataPlane({ provider });
  const sa = {
    spi: 0x9000,
    proto: 'esp' as const,
    src: A,
    dst: B,
    mode,
    enc: { alg: enc, key: crypto.randomBytes(enc === 'aes-cbc' ? 16 : 20) },
    ...(enc === 'aes-cbc' ? { auth: { alg: 'hmac-sha1-96' as const, key: crypto.randomBytes(20) } } : {}),
    replayWindow: 0,
  };
  a.addSa(sa);
  b.addSa(sa);
  a.addFlow({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require', peer: B });
  a.addFlow({ selector: { src: A, dst: B }, direction: 'out', type: 'require', peer: B });
  return { a, b };
}

describe('robustness', () => {
  for (const enc of ['aes-cbc', 'aes-gcm-16'] as const) {
    for (const mode of ['tunnel', 'transport'] as const) {
      it(`${enc} ${mode}: any single-byte change after the IP header is dropped, never delivered`, () => {
        const { a, b } = setup(enc, mode);
        const src = mode === 'tunnel' ? '192.0.2.1' : A;
        const dst = mode === 'tunnel' ? '198.51.100.1' : B;
        const sealed = (a.outbound(icmpEcho(src, dst, 1, 40)) as { out: WireOut }).out.bytes;
        fc.assert(
          fc.property(fc.integer({ min: 20, max: sealed.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, x) => {
            const p = Uint8Array.from(sealed);
            p[pos] = p[pos]! ^ x;
            const r = b.inbound(p);
            assert.equal(r.action, 'drop');
          }),
          { numRuns: 300 },
        );
        assert.equal(b.inbound(Uint8Array.from(sealed)).action, 'deliver');
      });
    }
  }

  it('random bytes and random ESP/AH-looking packets never throw', () => {
    const { b } = setup('aes-gcm-16', 'tunnel');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.constantFrom(50, 51, 4, 41, 17), fc.boolean(), (body, proto, wrap) => {
        const pkt = wrap ? ipPacket(A, B, proto, body) : body;
        const r = b.inbound(pkt);
        assert.ok(r.action === 'drop' || r.action === 'deliver');
        const o = b.outbound(pkt);
        assert.ok(['drop', 'clear', 'protect'].includes(o.action));
      }),
      { numRuns: 500 },
    );
  });

  it('a packet matching a require flow is never sent in clear (with, without and after SAs)', () => {
    const { a } = setup('aes-gcm-16', 'tunnel');
    const gen = fc.record({
      host: fc.integer({ min: 1, max: 254 }),
      proto: fc.constantFrom('icmp', 'udp'),
      sport: fc.integer({ min: 1, max: 65535 }),
      dport: fc.integer({ min: 1, max: 65535 }),
      step: fc.constantFrom('none', 'delete', 'flush-esp', 'keep'),
    });
    fc.assert(
      fc.property(gen, (g) => {
        if (g.step === 'delete') a.deleteSa({ dst: B, spi: 0x9000, proto: 'esp' });
        if (g.step === 'flush-esp') a.flush({ esp: true });
        const pkt = g.proto === 'icmp' ? icmpEcho('192.0.2.7', `198.51.100.${g.host}`, 1) : udpPacket('192.0.2.7', `198.51.100.${g.host}`, g.sport === 500 ? 501 : g.sport, g.dport === 500 || g.dport === 4500 ? 80 : g.dport, new Uint8Array(8));
        const r = a.outbound(pkt);
        assert.notEqual(r.action, 'clear');
      }),
      { numRuns: 300 },
    );
  });

  it('property: ESP seal/open round-trips every algorithm at every payload size, ESN or not', () => {
    const provider = providers()[providers().length - 1]!;
    const algs: [EncAlg, number, AuthAlg, number][] = [
      ['aes-cbc', 32, 'hmac-sha2-256-128', 32],
      ['aes-ctr', 36, 'hmac-sha1-96', 20],
      ['aes-gcm-12', 28, 'none', 0],
      ['aes-gmac', 36, 'none', 0],
      ['3des-cbc', 24, 'hmac-sha2-384-192', 48],
      ['null', 0, 'hmac-md5-96', 16],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...algs), fc.uint8Array({ maxLength: 300 }), fc.boolean(), fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 0, max: 255 }), ([enc, ek, auth, ak], payload, esn, seq, nh) => {
        const k1 = crypto.randomBytes(ek);
        const k2 = crypto.randomBytes(ak);
        const tx = new EspCrypto(provider, enc, k1, auth, k2, true, esn);
        const rx = new EspCrypto(provider, enc, k1, auth, k2, false, esn);
        const out = new Uint8Array(tx.size(payload.length));
        const hi = esn ? Math.floor(seq / 2 ** 32) : 0;
        const lo = seq % 2 ** 32;
        const n = tx.seal(0x100, hi, lo, payload, 0, payload.length, nh, out, 0);
        assert.equal(n, out.length);
        const r = rx.open(out, 0, n, hi);
        assert.ok(r.ok);
        assert.deepEqual(out.subarray(r.off, r.off + r.len), payload);
        assert.equal(r.nextHdr, nh);
        if (esn) assert.equal(rx.open(out, 0, n, hi + 1).ok, false, 'the ESN high half is authenticated');
      }),
      { numRuns: 200 },
    );
  });

  it('oversize packets are dropped, outbound and inbound', () => {
    const dp = new DataPlane({ provider: providers()[0]!, maxPacket: 1500 });
    dp.addSa({ spi: 0x100, proto: 'esp', src: A, dst: B, mode: 'tunnel', enc: { alg: 'aes-gcm-16', key: crypto.randomBytes(20) } });
    dp.addFlow({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require', peer: B });
    assert.deepEqual(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1, 1460)), { action: 'drop', reason: 'oversize' });
    assert.deepEqual(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1, 1600)), { action: 'drop', reason: 'oversize' });
    assert.deepEqual(dp.inbound(ipPacket(A, B, 50, new Uint8Array(1600))), { action: 'drop', reason: 'oversize' });
    assert.equal(dp.outbound(icmpEcho('192.0.2.1', '198.51.100.1', 1, 1400)).action, 'protect');
  });
});
