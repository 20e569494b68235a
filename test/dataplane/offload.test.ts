// TUN offloads in the data plane: cutting kernel TCP super-packets into segments (GSO), finishing
// partial checksums, and merging decrypted segments into super-packets (GRO). Expected packets are
// built by hand and checked with a byte-at-a-time reference checksum.
import assert from 'node:assert/strict';
import { fold, sumBytes } from '../../src/dataplane/offload/checksum.js';
import { completeChecksum, segment } from '../../src/dataplane/offload/gso.js';
import { TcpCoalescer } from '../../src/dataplane/offload/gro.js';
import { VNET_HDR_LEN, readVnetHdr, writeVnetHdr, type VnetHdr } from '../../src/dataplane/offload/vnet.js';
import { envSwitch } from '../../src/daemon/packet-io.js';
import {
  ACK, CWR, FIN, PSH, RST, SYN, URG, bytes, checksumsValid, pseudo, refChecksum, refSum, tcpFields, tcpPacket, tsOption, udpPacket,
  V4_DST, V4_SRC, V6_DST, V6_SRC, type TcpSpec,
} from './offload-packets.js';

const dvOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** A super-packet as the kernel hands it: one TCP header, all payload, pseudo-header sum in the checksum field. */
function superPacket(t: TcpSpec, mss: number): { pkt: Uint8Array; hdr: VnetHdr } {
  const pkt = tcpPacket(t);
  const v6 = t.v6 ?? false;
  const tcpOff = v6 ? 40 : 20;
  const s = refSum(pseudo(v6, t.src ?? (v6 ? V6_SRC : V4_SRC), t.dst ?? (v6 ? V6_DST : V4_DST), 6, pkt.length - tcpOff));
  pkt[tcpOff + 16] = s >> 8;
  pkt[tcpOff + 17] = s & 0xff;
  const hdrLen = tcpOff + 20 + (t.options?.length ?? 0);
  return { pkt, hdr: { flags: 1, gsoType: v6 ? 4 : 1, hdrLen, gsoSize: mss, csumStart: tcpOff, csumOffset: 16 } };
}

function runSegment(pkt: Uint8Array, hdr: VnetHdr): { out: Uint8Array[]; err: string | undefined } {
  const out: Uint8Array[] = [];
  const dst = new Uint8Array(65536);
  const err = segment(pkt, dvOf(pkt), 0, pkt.length, hdr, dst, new DataView(dst.buffer), (s) => out.push(Uint8Array.from(s)));
  return { out, err };
}

const concat = (parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

describe('offload: checksum', () => {
  it('sums the RFC 1071 section 3 example to 0xddf2', () => {
    const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    assert.equal(fold(sumBytes(dvOf(b), 0, 8)), 0xddf2);
    // odd length: the last byte is the high half of a word
    assert.equal(fold(sumBytes(dvOf(b), 0, 7)), fold(0x0001 + 0xf203 + 0xf4f5 + 0xf600));
  });

  it('agrees with the reference on odd offsets and lengths', () => {
    const b = bytes(1501, 7);
    for (const [off, len] of [[0, 1501], [1, 1499], [3, 17], [5, 2], [6, 0]] as const)
      assert.equal(fold(sumBytes(dvOf(b), off, len)), refSum(b.subarray(off, off + len)), `${off}+${len}`);
  });
});

describe('offload: segmentation (TUN reads)', () => {
  it('cuts an IPv4 super-packet into mss segments with lengths, IDs, sequence numbers, flags and checksums', () => {
    const payload = bytes(3 * 1000 + 123, 2);
    const options = tsOption(0x11223344, 0x55667788);
    const { pkt, hdr } = superPacket({ seq: 0xfffff000, flags: ACK | PSH | FIN | CWR, options, payload, id: 0xfffe }, 1000);
    const { out, err } = runSegment(pkt, hdr);
    assert.equal(err, undefined);
    assert.equal(out.length, 4);
    out.forEach((s, i) => {
      const f = tcpFields(s);
      assert.ok(checksumsValid(s), `segment ${i} checksums`);
      assert.equal(f.totalLen, s.length);
      assert.equal(f.payload.length, i < 3 ? 1000 : 123);
      assert.equal(f.id, (0xfffe + i) & 0xffff);
      assert.equal(f.seq, (0xfffff000 + i * 1000) % 2 ** 32);
      assert.equal(f.flags & CWR, i === 0 ? CWR : 0, 'CWR only on the first');
      assert.equal(f.flags & (FIN | PSH), i === 3 ? FIN | PSH : 0, 'FIN/PSH only on the last');
      assert.equal(f.flags & ACK, ACK);
      assert.deepEqual([...s.subarray(40, 52)], options, 'options copied');
      assert.deepEqual([...s.subarray(12, 20)], [...V4_SRC, ...V4_DST]);
    });
    assert.deepEqual(concat(out.map((s) => tcpFields(s).payload)), payload);
  });

  it('cuts an IPv6 super-packet, payload length per segment', () => {
    const payload = bytes(2 * 1200, 3);
    const { pkt, hdr } = superPacket({ v6: true, seq: 77, flags: ACK | PSH, payload }, 1200);
    const { out, err } = runSegment(pkt, hdr);
    assert.equal(err, undefined);
    assert.equal(out.length, 2);
    for (const [i, s] of out.entries()) {
      assert.ok(checksumsValid(s));
      assert.equal(((s[4]! << 8) | s[5]!) + 40, s.length);
      assert.equal(tcpFields(s).seq, 77 + i * 1200);
      assert.equal(tcpFields(s).flags, i === 1 ? ACK | PSH : ACK);
    }
    assert.deepEqual(concat(out.map((s) => tcpFields(s).payload)), payload);
  });

  it('finishes a partial TCP checksum of a packet that needs no segmentation', () => {
    const { pkt, hdr } = superPacket({ seq: 5, payload: bytes(300, 4) }, 1400);
    hdr.gsoType = 0;
    hdr.gsoSize = 0;
    assert.ok(!checksumsValid(pkt));
    const { out, err } = runSegment(pkt, hdr);
    assert.equal(err, undefined);
    assert.equal(out.length, 1);
    assert.ok(checksumsValid(out[0]!));
    assert.deepEqual(out[0], tcpPacket({ seq: 5, payload: bytes(300, 4) }));
  });

  it('finishes a partial UDP checksum, sending a computed zero as 0xffff', () => {
    for (const v6 of [false, true]) {
      const payload = bytes(64, 5);
      const good = udpPacket(v6, payload);
      const hl = v6 ? 40 : 20;
      // force the checksum to come out as zero: two payload bytes absorb the complement of the sum
      payload[0] = 0;
      payload[1] = 0;
      const zeroed = udpPacket(v6, payload);
      const partial = (p: Uint8Array): Uint8Array => {
        const q = Uint8Array.from(p);
        const s = refSum(pseudo(v6, v6 ? V6_SRC : V4_SRC, v6 ? V6_DST : V4_DST, 17, q.length - hl));
        q[hl + 6] = s >> 8;
        q[hl + 7] = s & 0xff;
        return q;
      };
      const h: VnetHdr = { flags: 1, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: hl, csumOffset: 6 };
      const q = partial(good);
      assert.ok(completeChecksum(q, dvOf(q), 0, q.length, h));
      assert.deepEqual(q, good);
      // make the sum come out at exactly 0xffff
      const c = (zeroed[hl + 6]! << 8) | zeroed[hl + 7]!;
      payload[0] = c >> 8;
      payload[1] = c & 0xff;
      const z = partial(udpPacket(v6, payload));
      assert.ok(completeChecksum(z, dvOf(z), 0, z.length, h));
      assert.deepEqual([z[hl + 6], z[hl + 7]], [0xff, 0xff]);
      assert.ok(checksumsValid(z));
    }
  });

  it('hands a packet without offload flags over unchanged', () => {
    const p = udpPacket(false, bytes(10, 6));
    const { out, err } = runSegment(p, { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 });
    assert.equal(err, undefined);
    assert.deepEqual(out, [p]);
  });

  it('refuses UDP segmentation, a family mismatch, gso_size 0 and a checksum beyond the packet', () => {
    const { pkt, hdr } = superPacket({ seq: 1, payload: bytes(3000, 7) }, 1000);
    assert.equal(runSegment(pkt, { ...hdr, gsoType: 3 }).err, 'unsupported');
    assert.equal(runSegment(pkt, { ...hdr, gsoType: 4 }).err, 'malformed');
    assert.equal(runSegment(pkt, { ...hdr, gsoSize: 0 }).err, 'malformed');
    assert.equal(runSegment(pkt, { ...hdr, gsoType: 0, csumStart: pkt.length - 1 }).err, 'malformed');
    assert.equal(runSegment(pkt, { ...hdr, csumStart: 24 }).err, 'malformed');
    assert.equal(runSegment(pkt, { ...hdr, gsoType: 0, csumStart: pkt.length - 1 }).out.length, 0);
  });

  it('reads and writes the virtio header little-endian', () => {
    const b = new Uint8Array(VNET_HDR_LEN);
    writeVnetHdr(b, 0, { flags: 1, gsoType: 4, hdrLen: 0x0102, gsoSize: 0x0304, csumStart: 0x0506, csumOffset: 0x0708 });
    assert.deepEqual([...b], [1, 4, 2, 1, 4, 3, 6, 5, 8, 7]);
    const h = readVnetHdr(b, 0, {} as VnetHdr);
    assert.deepEqual(h, { flags: 1, gsoType: 4, hdrLen: 0x0102, gsoSize: 0x0304, csumStart: 0x0506, csumOffset: 0x0708 });
  });
});

/** Runs packets through a coalescer; returns each write as header + packet copies. */
function coalesce(pkts: Uint8Array[], maxItems?: number): { hdr: VnetHdr; pkt: Uint8Array }[] {
  const out: { hdr: VnetHdr; pkt: Uint8Array }[] = [];
  const c = new TcpCoalescer((f) => out.push({ hdr: readVnetHdr(f, 0, {} as VnetHdr), pkt: Uint8Array.from(f.subarray(VNET_HDR_LEN)) }), maxItems);
  // packets arrive as views of one reused buffer, as from the read loop
  const rx = new Uint8Array(70000);
  for (const p of pkts) {
    rx.set(p, 3);
    c.add(rx.subarray(3, 3 + p.length));
  }
  c.flush();
  return out;
}

const ZERO: VnetHdr = { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 };

/** Segments of one flow, as a sender's TSO would have cut them. */
function flow(n: number, mss: number, opt: Partial<TcpSpec> & { last?: number; seq0?: number; id0?: number } = {}): Uint8Array[] {
  const out: Uint8Array[] = [];
  let seq = opt.seq0 ?? 1000;
  for (let i = 0; i < n; i++) {
    const len = i === n - 1 && opt.last !== undefined ? opt.last : mss;
    out.push(tcpPacket({ ...opt, seq, id: ((opt.id0 ?? 100) + i) & 0xffff, payload: bytes(len, seq), flags: opt.flags ?? ACK }));
    seq = (seq + len) % 2 ** 32;
  }
  return out;
}

/** What the kernel does with a CHECKSUM_PARTIAL packet: sum from csum_start into the field. */
function kernelFinish(w: { hdr: VnetHdr; pkt: Uint8Array }): Uint8Array {
  const p = Uint8Array.from(w.pkt);
  const c = refChecksum(p.subarray(w.hdr.csumStart));
  p[w.hdr.csumStart + w.hdr.csumOffset] = c >> 8;
  p[w.hdr.csumStart + w.hdr.csumOffset + 1] = c & 0xff;
  return p;
}

describe('offload: coalescing (TUN writes)', () => {
  it('merges in-order IPv4 segments with options into one GSO write', () => {
    const opts = { options: tsOption(9, 10) };
    const segs = flow(4, 1000, { ...opts, last: 400 });
    segs[3] = tcpPacket({ ...opts, seq: 4000, id: 103, payload: bytes(400, 4000), flags: ACK | PSH });
    const w = coalesce(segs);
    assert.equal(w.length, 1);
    const { hdr, pkt } = w[0]!;
    assert.deepEqual(hdr, { flags: 1, gsoType: 1, hdrLen: 52, gsoSize: 1000, csumStart: 20, csumOffset: 16 });
    assert.equal(pkt.length, 52 + 3400);
    assert.equal((pkt[2]! << 8) | pkt[3]!, pkt.length);
    assert.equal(refSum(pkt.subarray(0, 20)), 0xffff, 'IPv4 header checksum');
    // the partial checksum is the folded pseudo-header sum
    assert.equal((pkt[36]! << 8) | pkt[37]!, refSum(pseudo(false, V4_SRC, V4_DST, 6, pkt.length - 20)));
    const done = kernelFinish(w[0]!);
    assert.deepEqual(done, tcpPacket({ ...opts, seq: 1000, id: 100, flags: ACK | PSH, payload: concat(segs.map((s) => tcpFields(s).payload)) }).map((b, i) => (i === 2 || i === 3 || i === 10 || i === 11 ? done[i]! : b)));
    assert.ok(checksumsValid(done));
  });

  it('merges IPv6 segments', () => {
    const segs = flow(3, 1200, { v6: true });
    const w = coalesce(segs);
    assert.equal(w.length, 1);
    assert.deepEqual(w[0]!.hdr, { flags: 1, gsoType: 4, hdrLen: 60, gsoSize: 1200, csumStart: 40, csumOffset: 16 });
    const done = kernelFinish(w[0]!);
    assert.deepEqual(done, tcpPacket({ v6: true, seq: 1000, payload: concat(segs.map((s) => tcpFields(s).payload)) }));
  });

  it('writes a lone segment unchanged behind a zero header', () => {
    const [s] = flow(1, 1000);
    assert.deepEqual(coalesce([s!]), [{ hdr: ZERO, pkt: s }]);
  });

  it('ends a super-packet at a short segment and at PSH', () => {
    const a = flow(4, 1000, { seq0: 1, last: 10 });
    const b = tcpPacket({ seq: 3011, id: 104, payload: bytes(1000, 3011) });
    const w = coalesce([...a, b]);
    assert.equal(w.length, 2);
    assert.equal(w[0]!.pkt.length, 20 + 20 + 3010);
    assert.deepEqual(w[1], { hdr: ZERO, pkt: b });
    const p = flow(3, 500, { seq0: 1 });
    p[1] = tcpPacket({ seq: 501, id: 101, flags: ACK | PSH, payload: bytes(500, 501) });
    const w2 = coalesce(p);
    assert.deepEqual(w2.map((x) => x.pkt.length), [40 + 1000, 40 + 500]);
    assert.equal(tcpFields(w2[0]!.pkt).flags, ACK | PSH);
  });

  it('keeps flows apart and each in order', () => {
    const a = flow(2, 800, { sport: 1111 });
    const b = flow(2, 800, { sport: 2222 });
    const c = flow(2, 800, { dst: [203, 0, 113, 9] });
    const w = coalesce([a[0]!, b[0]!, c[0]!, a[1]!, b[1]!, c[1]!]);
    assert.equal(w.length, 3);
    assert.deepEqual(w.map((x) => ((x.pkt[20]! << 8) | x.pkt[21]!)), [1111, 2222, 40000]);
    assert.ok(w.every((x) => x.hdr.gsoType === 1 && x.pkt.length === 40 + 1600));
  });

  it('does not merge out-of-order segments, and writes them in arrival order', () => {
    const s = flow(3, 700);
    const w = coalesce([s[0]!, s[2]!, s[1]!]);
    assert.deepEqual(w, [{ hdr: ZERO, pkt: s[0] }, { hdr: ZERO, pkt: s[2] }, { hdr: ZERO, pkt: s[1] }]);
  });

  it('writes a segment with a bad TCP or IPv4 checksum alone and unchanged', () => {
    for (const at of [60, 10]) {
      const s = flow(3, 700);
      const bad = Uint8Array.from(s[1]!);
      bad[at] = bad[at]! ^ 0x40;
      const w = coalesce([s[0]!, bad, s[2]!]);
      assert.deepEqual(w, [{ hdr: ZERO, pkt: s[0] }, { hdr: ZERO, pkt: bad }, { hdr: ZERO, pkt: s[2] }]);
      const first = coalesce([bad, s[2]!]);
      assert.deepEqual(first, [{ hdr: ZERO, pkt: bad }, { hdr: ZERO, pkt: s[2] }]);
    }
  });

  it('does not jump a packet of the same flow in between (a pure ACK)', () => {
    const s = flow(2, 700);
    const ack = tcpPacket({ seq: 1700, id: 101, payload: new Uint8Array(0) });
    const s2 = tcpPacket({ seq: 1700, id: 102, payload: bytes(700, 1700) });
    const w = coalesce([s[0]!, ack, s2]);
    assert.deepEqual(w.map((x) => x.pkt), [s[0], ack, s2]);
  });

  it('does not merge SYN, FIN, RST, URG or CWR segments', () => {
    for (const f of [SYN, FIN, RST, URG, CWR]) {
      const s = flow(3, 500);
      s[1] = tcpPacket({ seq: 1500, id: 101, flags: ACK | f, payload: bytes(500, 1500) });
      const w = coalesce(s);
      assert.deepEqual(w.map((x) => x.pkt), s, `flag ${f}`);
    }
  });

  it('does not merge segments whose headers differ beyond seq, ID, lengths and checksums', () => {
    const variants: Partial<TcpSpec>[] = [{ ttl: 63 }, { tos: 2 }, { window: 999 }, { ack: 5 }, { options: tsOption(9, 11) }];
    for (const v of variants) {
      const s = flow(2, 600, { options: tsOption(9, 10) });
      const t = tcpPacket({ options: tsOption(9, 10), seq: 1600, id: 101, payload: bytes(600, 1600), ...v });
      assert.equal(coalesce([...s, t]).length, 2, JSON.stringify(v));
    }
    const gap = flow(2, 600, { id0: 7 });
    gap[1]![5] = 9; // ID not consecutive (checksum fixed below)
    gap[1]![10] = 0;
    gap[1]![11] = 0;
    const c = refChecksum(gap[1]!.subarray(0, 20));
    gap[1]![10] = c >> 8;
    gap[1]![11] = c & 0xff;
    assert.equal(coalesce(gap).length, 2);
  });

  it('passes other traffic through unchanged, in order', () => {
    const u = udpPacket(false, bytes(30, 1));
    const u6 = udpPacket(true, bytes(30, 2));
    const s = flow(2, 500);
    const w = coalesce([u, s[0]!, u6, s[1]!]);
    assert.deepEqual(w.map((x) => x.pkt.length), [u.length, 40 + 1000, u6.length]);
    assert.deepEqual(w[0], { hdr: ZERO, pkt: u });
    assert.deepEqual(w[2], { hdr: ZERO, pkt: u6 });
  });

  it('stops growing a super-packet at 64 KiB and flushes when the item limit is reached', () => {
    const s = flow(50, 1400);
    const w = coalesce(s);
    assert.equal(w.length, 2);
    assert.ok(w[0]!.pkt.length <= 65535);
    assert.equal(w[0]!.pkt.length + w[1]!.pkt.length, 40 * 2 + 50 * 1400);
    const many = Array.from({ length: 5 }, (_, i) => udpPacket(false, bytes(10, i)));
    let writes = 0;
    const c = new TcpCoalescer(() => writes++, 2);
    for (const p of many) c.add(p);
    assert.equal(writes, 4, 'two early flushes of two');
    c.flush();
    assert.equal(writes, 5);
  });

  it('round trip: a super-packet cut into segments merges back into the same super-packet', () => {
    for (const v6 of [false, true]) {
      const payload = bytes(9 * 1300 + 77, 11);
      const t: TcpSpec = { v6, seq: 0xffffff00, flags: ACK | PSH, options: tsOption(1, 2), payload, id: 0xfffa };
      const { pkt, hdr } = superPacket(t, 1300);
      const segs = runSegment(Uint8Array.from(pkt), hdr).out;
      const w = coalesce(segs);
      assert.equal(w.length, 1);
      assert.deepEqual(w[0]!.hdr, hdr);
      assert.deepEqual(w[0]!.pkt, pkt);
    }
  });
});

describe('offload: operator switch', () => {
  it('OAKLEY_TUN_OFFLOAD / OAKLEY_RECVMMSG turn a feature off only when set to a false value', () => {
    assert.deepEqual([undefined, '', '1', 'on', 'yes'].map(envSwitch), [true, true, true, true, true]);
    assert.deepEqual(['0', 'off', 'NO', 'false', ' off '].map(envSwitch), [false, false, false, false, false]);
  });
});
