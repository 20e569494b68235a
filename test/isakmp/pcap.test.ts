// Capture files: libpcap in both byte orders and both time resolutions, pcapng (written by
// editcap from our fixture), the link types we unwrap, IPv4/IPv6/UDP extraction, and the writer.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  LinkType,
  PcapFormatError,
  PcapWriter,
  extractUdp,
  ipUdpPacket,
  ipv6Text,
  pcapRecord,
  readCapture,
  writePcapHeader,
} from '../../src/util/pcap.js';
import { decodeCapture } from '../../src/util/pcap-ike.js';
import { fixturePath } from '../helpers/paths.js';
import { h, hx } from './helpers.js';

const ep4 = { src: '198.18.0.1', sport: 500, dst: '198.18.0.2', dport: 4500 };

function onesComplement(b: Uint8Array, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

describe('pcap writer', () => {
  it('writes the libpcap global header (LE magic, v2.4, RAW)', () => {
    assert.equal(hx(writePcapHeader()), 'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '65000000');
  });
  it('records carry seconds, microseconds and lengths', () => {
    assert.equal(hx(pcapRecord(h('aabb'), 1_700_000_000_123.456)), '00f15365' + '40e20100' + '02000000' + '02000000' + 'aabb');
  });
  it('builds IPv4/UDP with valid header and UDP checksums', () => {
    const p = ipUdpPacket(ep4, h('0102030405'));
    assert.equal(p.length, 20 + 8 + 5);
    assert.equal(onesComplement(p.subarray(0, 20)), 0xffff);
    const pseudo = onesComplement(p.subarray(12, 20)) + 17 + 13;
    assert.equal(onesComplement(p.subarray(20), pseudo), 0xffff);
    const x = extractUdp({ linkType: LinkType.RAW, data: p });
    assert.ok('udp' in x);
    assert.deepEqual({ ...x.udp, payload: hx(x.udp.payload) }, { src: '198.18.0.1', sport: 500, dst: '198.18.0.2', dport: 4500, ipVersion: 4, payload: '0102030405' });
  });
  it('builds IPv6/UDP and reads it back, with RFC 5952 addresses', () => {
    const p = ipUdpPacket({ src: '::1', sport: 500, dst: 'fd00::2:0:0:1', dport: 500 }, h('aa'));
    const x = extractUdp({ linkType: LinkType.RAW, data: p });
    assert.ok('udp' in x);
    assert.deepEqual([x.udp.src, x.udp.dst, x.udp.ipVersion, hx(x.udp.payload)], ['::1', 'fd00::2:0:0:1', 6, 'aa']);
    assert.equal(ipv6Text(h('20010db8000000000001000000000001')), '2001:db8::1:0:0:1');
  });
  it('accepts the address forms sockets report: IPv4-mapped, zones, mixed families', () => {
    const a = extractUdp({ linkType: LinkType.RAW, data: ipUdpPacket({ ...ep4, src: '::ffff:198.18.0.1', dst: '::FFFF:198.18.0.2' }, h('01')) });
    assert.ok('udp' in a && a.udp.ipVersion === 4 && a.udp.src === '198.18.0.1' && a.udp.dst === '198.18.0.2');
    const b = extractUdp({ linkType: LinkType.RAW, data: ipUdpPacket({ ...ep4, src: 'fe80::1%eth0', dst: '198.18.0.2' }, h('01')) });
    assert.ok('udp' in b && b.udp.ipVersion === 6 && b.udp.src === 'fe80::1' && b.udp.dst === '::ffff:198.18.0.2');
    assert.throws(() => ipUdpPacket({ ...ep4, src: '1.2.3' }, h('01')), RangeError);
  });
  it('PcapWriter output reads back through readCapture (RAW and EN10MB)', () => {
    for (const lt of [LinkType.RAW, LinkType.EN10MB]) {
      const w = new PcapWriter(lt);
      const file = Buffer.concat([w.header(), w.record(ep4, h('00000000cafe'), 1000), w.record({ ...ep4, src: '127.0.0.1' }, h('ff'), 2000)]);
      const frames = readCapture(file);
      assert.deepEqual(frames.map((f) => [f.frame, f.time, f.linkType]), [[1, 1, lt], [2, 2, lt]]);
      const x = extractUdp(frames[1]!);
      assert.ok('udp' in x && x.udp.src === '127.0.0.1' && hx(x.udp.payload) === 'ff');
    }
  });
});

describe('pcap reader', () => {
  const le = fs.readFileSync(fixturePath('isakmp', 'synthetic-mm-qm.pcap'));

  /** The same file in big-endian byte order, optionally with the nanosecond magic. */
  function toBigEndian(file: Uint8Array, nano: boolean): Uint8Array {
    const out = Uint8Array.from(file);
    const src = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, nano ? 0xa1b23c4d : 0xa1b2c3d4, false);
    dv.setUint16(4, 2, false);
    dv.setUint16(6, 4, false);
    dv.setUint32(16, src.getUint32(16, true), false);
    dv.setUint32(20, src.getUint32(20, true), false);
    for (let off = 24; off + 16 <= file.length; ) {
      const incl = src.getUint32(off + 8, true);
      for (let i = 0; i < 16; i += 4) dv.setUint32(off + i, src.getUint32(off + i, true) * (nano && i === 4 ? 1000 : 1), false);
      off += 16 + incl;
    }
    return out;
  }

  it('reads big-endian and nanosecond files the same as little-endian microsecond ones', () => {
    const a = readCapture(le);
    for (const nano of [false, true]) {
      const b = readCapture(toBigEndian(le, nano));
      assert.equal(b.length, a.length);
      b.forEach((f, i) => {
        assert.equal(hx(f.data), hx(a[i]!.data));
        assert.ok(Math.abs(f.time - a[i]!.time) < 1e-6);
      });
    }
  });

  it('reads pcapng (converted by editcap) to the same ISAKMP entries', () => {
    const ng = fs.readFileSync(fixturePath('isakmp', 'synthetic-mm-qm.pcapng'));
    const strip = (es: ReturnType<typeof decodeCapture>) => JSON.stringify(es, (_k, v: unknown) => (v instanceof Uint8Array ? hx(v) : v));
    assert.equal(strip(decodeCapture(ng)), strip(decodeCapture(le)));
    assert.equal(readCapture(ng)[0]!.time, readCapture(le)[0]!.time);
  });

  it('keeps a truncated last record and reports the cut message as malformed', () => {
    const cut = le.subarray(0, le.length - 30);
    const entries = decodeCapture(cut);
    const last = entries[entries.length - 1]!;
    assert.equal(last.kind, 'error');
  });

  it('rejects a file that is not a capture', () => {
    assert.throws(() => readCapture(h('00112233445566778899aabbccddeeff00112233445566778899')), PcapFormatError);
    assert.throws(() => readCapture(h('00')), PcapFormatError);
  });

  const ip = ipUdpPacket(ep4, h('beef'));
  const cases: Array<[string, number, Uint8Array]> = [
    ['EN10MB', LinkType.EN10MB, Uint8Array.from([...new Uint8Array(12), 0x08, 0x00, ...ip])],
    ['EN10MB + 802.1Q', LinkType.EN10MB, Uint8Array.from([...new Uint8Array(12), 0x81, 0x00, 0x00, 0x05, 0x08, 0x00, ...ip])],
    ['LINUX_SLL', LinkType.LINUX_SLL, Uint8Array.from([...new Uint8Array(14), 0x08, 0x00, ...ip])],
    ['LINUX_SLL2', LinkType.LINUX_SLL2, Uint8Array.from([0x08, 0x00, ...new Uint8Array(18), ...ip])],
    ['NULL (host order)', LinkType.NULL, Uint8Array.from([2, 0, 0, 0, ...ip])],
    ['LOOP (network order)', LinkType.LOOP, Uint8Array.from([0, 0, 0, 2, ...ip])],
  ];
  for (const [name, lt, frame] of cases)
    it(`unwraps ${name}`, () => {
      const x = extractUdp({ linkType: lt, data: frame });
      assert.ok('udp' in x, JSON.stringify(x));
      assert.deepEqual([x.udp.src, x.udp.dport, hx(x.udp.payload)], ['198.18.0.1', 4500, 'beef']);
    });

  it('skips what is not UDP: ARP, TCP, fragments, unknown link types', () => {
    assert.ok('skip' in extractUdp({ linkType: LinkType.EN10MB, data: Uint8Array.from([...new Uint8Array(12), 0x08, 0x06, ...ip]) }));
    const tcp = Uint8Array.from(ip);
    tcp[9] = 6;
    assert.ok('skip' in extractUdp({ linkType: LinkType.RAW, data: tcp }));
    const frag = Uint8Array.from(ip);
    frag[6] = 0x20; // MF
    assert.ok('skip' in extractUdp({ linkType: LinkType.RAW, data: frag }));
    assert.ok('skip' in extractUdp({ linkType: 147, data: ip }));
  });
});
