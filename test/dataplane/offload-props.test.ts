// Property tests for TUN offloads: any super-packet cut into segments gives valid, mss-sized packets
// carrying the original bytes, and any mix of segments from a few flows, reordered or dropped, comes
// out of the coalescer with every flow's packets in arrival order and every byte intact.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { segment } from '../../src/dataplane/offload/gso.js';
import { TcpCoalescer } from '../../src/dataplane/offload/gro.js';
import { VNET_HDR_LEN, readVnetHdr, type VnetHdr } from '../../src/dataplane/offload/vnet.js';
import { ACK, CWR, FIN, PSH, bytes, checksumsValid, pseudo, refSum, tcpFields, tcpPacket, tsOption, V4_DST, V4_SRC, V6_DST, V6_SRC } from './offload-packets.js';

function cut(pkt: Uint8Array, hdr: VnetHdr): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dst = new Uint8Array(65536);
  const err = segment(pkt, new DataView(pkt.buffer, pkt.byteOffset), 0, pkt.length, hdr, dst, new DataView(dst.buffer), (s) => out.push(Uint8Array.from(s)));
  assert.equal(err, undefined);
  return out;
}

function superPacket(v6: boolean, seq: number, flags: number, opts: number[], payload: Uint8Array, mss: number): { pkt: Uint8Array; hdr: VnetHdr } {
  const pkt = tcpPacket({ v6, seq, flags, options: opts, payload, id: seq & 0xffff });
  const tcpOff = v6 ? 40 : 20;
  const s = refSum(pseudo(v6, v6 ? V6_SRC : V4_SRC, v6 ? V6_DST : V4_DST, 6, pkt.length - tcpOff));
  pkt[tcpOff + 16] = s >> 8;
  pkt[tcpOff + 17] = s & 0xff;
  return { pkt, hdr: { flags: 1, gsoType: v6 ? 4 : 1, hdrLen: tcpOff + 20 + opts.length, gsoSize: mss, csumStart: tcpOff, csumOffset: 16 } };
}

const arbSuper = fc.record({
  v6: fc.boolean(),
  seq: fc.nat({ max: 0xffffffff }),
  len: fc.integer({ min: 1, max: 20000 }),
  mss: fc.integer({ min: 536, max: 1460 }),
  ts: fc.boolean(),
  flags: fc.subarray([PSH, FIN, CWR]),
});

describe('offload properties', () => {
  it('segmentation: valid checksums, sizes, sequence numbers, flags, and the original payload', () => {
    fc.assert(
      fc.property(arbSuper, (a) => {
        const flags = a.flags.reduce((x, y) => x | y, ACK);
        const payload = bytes(a.len, a.seq);
        const opts = a.ts ? tsOption(a.seq, 3) : [];
        const { pkt, hdr } = superPacket(a.v6, a.seq, flags, opts, payload, a.mss);
        const segs = cut(pkt, hdr);
        assert.equal(segs.length, Math.ceil(a.len / a.mss));
        let seq = a.seq;
        segs.forEach((s, i) => {
          const f = tcpFields(s);
          assert.ok(checksumsValid(s));
          assert.equal(f.totalLen, s.length);
          assert.ok(f.payload.length <= a.mss && f.payload.length > 0);
          assert.equal(f.seq, seq);
          seq = (seq + f.payload.length) % 2 ** 32;
          const last = i === segs.length - 1;
          assert.equal(f.flags, (flags & ~(last ? 0 : FIN | PSH)) & ~(i === 0 ? 0 : CWR));
        });
        assert.deepEqual(Uint8Array.from(Buffer.concat(segs.map((s) => tcpFields(s).payload))), payload);
      }),
      { numRuns: 60 },
    );
  });

  it('segment then coalesce gives back the super-packet (ACK/PSH only)', () => {
    fc.assert(
      fc.property(arbSuper, fc.integer({ min: 0, max: 3 }), (a, off) => {
        const flags = ACK | (a.flags.includes(PSH) ? PSH : 0);
        const len = Math.max(a.len, a.mss + 1); // at least two segments
        const { pkt, hdr } = superPacket(a.v6, a.seq, flags, a.ts ? tsOption(1, 2) : [], bytes(len, a.seq), a.mss);
        const writes: { h: VnetHdr; p: Uint8Array }[] = [];
        const c = new TcpCoalescer((f) => writes.push({ h: readVnetHdr(f, 0, {} as VnetHdr), p: Uint8Array.from(f.subarray(VNET_HDR_LEN)) }));
        const rx = new Uint8Array(2000);
        for (const s of cut(Uint8Array.from(pkt), hdr)) {
          rx.set(s, off);
          c.add(rx.subarray(off, off + s.length));
        }
        c.flush();
        assert.equal(writes.length, 1);
        assert.deepEqual(writes[0]!.h, hdr);
        assert.deepEqual(writes[0]!.p, pkt);
      }),
      { numRuns: 60 },
    );
  });

  it('coalescing keeps each flow in arrival order and every byte, whatever the interleaving', () => {
    // A few flows of segments; the arrival order is a random interleaving with some segments dropped
    // or swapped. Resegmenting every write must give back exactly the arrived packets, flow by flow.
    const arb = fc.record({
      flows: fc.array(fc.record({ n: fc.integer({ min: 1, max: 8 }), mss: fc.integer({ min: 100, max: 1400 }), v6: fc.boolean(), last: fc.integer({ min: 1, max: 1400 }) }), { minLength: 1, maxLength: 3 }),
      order: fc.array(fc.nat({ max: 1000 }), { minLength: 30, maxLength: 30 }),
      drop: fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
      swap: fc.array(fc.nat({ max: 29 }), { maxLength: 3 }),
      maxItems: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(arb, (a) => {
        const perFlow = a.flows.map((f, fi) => {
          const segs: Uint8Array[] = [];
          let seq = 1000 * fi;
          for (let i = 0; i < f.n; i++) {
            const len = i === f.n - 1 ? Math.min(f.last, f.mss) : f.mss;
            segs.push(tcpPacket({ v6: f.v6, sport: 1000 + fi, seq, id: i, payload: bytes(len, seq + fi) }));
            seq += len;
          }
          return segs;
        });
        const cursor = perFlow.map(() => 0);
        const arrived: Uint8Array[] = [];
        let k = 0;
        while (cursor.some((c, i) => c < perFlow[i]!.length)) {
          const open = perFlow.map((_, i) => i).filter((i) => cursor[i]! < perFlow[i]!.length);
          const fi = open[a.order[k % 30]! % open.length]!;
          const p = perFlow[fi]![cursor[fi]!++]!;
          if (!a.drop[k % 30] || k % 7 === 0) arrived.push(p);
          k++;
        }
        for (const s of a.swap) if (s + 1 < arrived.length) [arrived[s], arrived[s + 1]] = [arrived[s + 1]!, arrived[s]!];
        const writes: Uint8Array[] = [];
        const c = new TcpCoalescer((f) => {
          const h = readVnetHdr(f, 0, {} as VnetHdr);
          const p = Uint8Array.from(f.subarray(VNET_HDR_LEN));
          if (h.gsoType === 0) writes.push(p);
          else writes.push(...cut(p, h));
        }, a.maxItems);
        for (const p of arrived) c.add(p);
        c.flush();
        const key = (p: Uint8Array): number => (p[0]! >> 4 === 6 ? (p[40]! << 8) | p[41]! : (p[20]! << 8) | p[21]!);
        for (const sport of new Set(arrived.map(key))) {
          const want = arrived.filter((p) => key(p) === sport);
          // IPv4 IDs of resegmented packets follow the first one's; the arrived ones are consecutive.
          assert.deepEqual(writes.filter((p) => key(p) === sport), want);
        }
        assert.equal(writes.length, arrived.length);
      }),
      { numRuns: 80 },
    );
  });
});
