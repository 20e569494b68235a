// Outer IPv4 fragmentation (RFC 791 section 2.3 and 3.2) for raw-socket sends of ESP packets larger
// than the link MTU: header fields of each fragment, refusal with DF, and reassembly back to the
// original, including through the data plane (a large plaintext packet sealed once, split, rejoined
// as the peer's kernel would, and opened).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { fragmentIpv4, ipv4Checksum, writeOuterHeader } from '../../src/dataplane/ip.js';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import { providers, toHex, udpPacket } from './helpers.js';

function packet(total: number, flags = 0): Uint8Array {
  const p = new Uint8Array(total);
  writeOuterHeader(p, 0, Uint8Array.of(198, 18, 0, 1), Uint8Array.of(198, 18, 0, 2), 50, total - 20);
  for (let i = 20; i < total; i++) p[i] = (i * 7) & 0xff;
  p[6] = flags;
  p[10] = p[11] = 0;
  const c = ipv4Checksum(p, 0, 20);
  p[10] = c >> 8;
  p[11] = c & 0xff;
  return p;
}

function split(p: Uint8Array, mtu: number): Uint8Array[] | false {
  const out: Uint8Array[] = [];
  const ok = fragmentIpv4(p, mtu, new Uint8Array(65536), (f) => out.push(f.slice()));
  return ok ? out : false;
}

/** What a receiving kernel does: order by offset, join the payloads, restore length and flags. */
function reassemble(frags: Uint8Array[]): Uint8Array {
  const off = (f: Uint8Array): number => (((f[6]! & 0x1f) << 8) | f[7]!) * 8;
  const sorted = [...frags].sort((a, b) => off(a) - off(b));
  const total = 20 + sorted.reduce((n, f) => n + f.length - 20, 0);
  const p = new Uint8Array(total);
  p.set(sorted[0]!.subarray(0, 20), 0);
  for (const f of sorted) p.set(f.subarray(20), 20 + off(f));
  p[2] = total >> 8;
  p[3] = total & 0xff;
  p[6] = 0;
  p[7] = 0;
  p[10] = p[11] = 0;
  const c = ipv4Checksum(p, 0, 20);
  p[10] = c >> 8;
  p[11] = c & 0xff;
  return p;
}

describe('outer IPv4 fragmentation', () => {
  it('splits 4000 bytes for a 1500-byte MTU into 1500 + 1500 + 1040 with offsets 0, 185, 370', () => {
    const p = packet(4000);
    const f = split(p, 1500);
    assert.ok(f);
    assert.deepEqual(f.map((x) => x.length), [1500, 1500, 1040]);
    assert.deepEqual(f.map((x) => (x[2]! << 8) | x[3]!), [1500, 1500, 1040]);
    assert.deepEqual(f.map((x) => ((x[6]! & 0x1f) << 8) | x[7]!), [0, 185, 370]);
    assert.deepEqual(f.map((x) => (x[6]! & 0x20) !== 0), [true, true, false]);
    for (const x of f) {
      assert.equal(ipv4Checksum(x, 0, 20), 0, 'header checksum verifies');
      assert.equal(toHex(x.subarray(4, 6)), toHex(p.subarray(4, 6)), 'same identification');
      assert.equal(toHex(x.subarray(8, 10)), toHex(p.subarray(8, 10)), 'same TTL and protocol');
      assert.equal(toHex(x.subarray(12, 20)), toHex(p.subarray(12, 20)), 'same addresses');
    }
    assert.equal(toHex(reassemble(f)), toHex(p));
  });

  it('emits a packet that fits unchanged, and refuses DF or IPv4 options', () => {
    const p = packet(1500);
    const f = split(p, 1500);
    assert.ok(f);
    assert.equal(f.length, 1);
    assert.equal(toHex(f[0]!), toHex(p));
    assert.equal(split(packet(3000, 0x40), 1500), false, 'DF set');
    const opt = packet(3000);
    opt[0] = 0x46;
    assert.equal(split(opt, 1500), false, 'header with options');
  });

  it('keeps the offset and the last MF when splitting a fragment again', () => {
    const p = packet(6000);
    const first = split(p, 4000);
    assert.ok(first);
    const again = first.flatMap((x) => split(x, 1500) || []);
    assert.equal(toHex(reassemble(again)), toHex(p));
    assert.equal(again.filter((x) => (x[6]! & 0x20) === 0).length, 1, 'one last fragment');
  });

  it('reassembles to the original for any size and MTU (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 21, max: 65535 }), fc.integer({ min: 68, max: 9000 }), (total, mtu) => {
        const p = packet(total);
        const f = split(p, mtu);
        assert.ok(f);
        for (const x of f) {
          assert.ok(x.length <= mtu);
          if (x[6]! & 0x20) assert.equal((x.length - 20) % 8, 0, 'non-last fragments carry multiples of 8 bytes');
        }
        assert.equal(toHex(reassemble(f)), toHex(p));
      }),
      { numRuns: 60 },
    );
  });

  it('carries a 16000-byte packet sealed once through 1500-byte fragments to the peer', () => {
    const provider = providers()[0]!;
    const a = new DataPlane({ provider });
    const b = new DataPlane({ provider });
    const sa = {
      spi: 0x4242, proto: 'esp' as const, src: '198.18.0.1', dst: '198.18.0.2', mode: 'tunnel' as const,
      enc: { alg: 'aes-cbc' as const, key: crypto.randomBytes(32) }, auth: { alg: 'hmac-sha2-256-128' as const, key: crypto.randomBytes(32) },
    };
    a.addSa(sa);
    b.addSa(sa);
    a.addFlow({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require', peer: '198.18.0.2' });
    const plain = udpPacket('192.0.2.1', '198.51.100.1', 5000, 5001, crypto.randomBytes(16000 - 28));
    const r = a.outbound(plain);
    assert.equal(r.action, 'protect');
    if (r.action !== 'protect') return;
    const f = split(r.out.bytes, 1500);
    assert.ok(f);
    assert.equal(f.length, Math.ceil((r.out.bytes.length - 20) / 1480));
    const got = b.inbound(reassemble(f));
    assert.equal(got.action, 'deliver');
    if (got.action === 'deliver') assert.equal(toHex(got.packet), toHex(plain));
  });
});
