// SPD lookup: most specific flow wins, explicit priority first, ports and protocol honoured, and the
// lookup at 100,000 flows agrees with a brute-force reference (the structure never scans all flows).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Spd, type Flow } from '../../src/dataplane/spd.js';
import { parseAddr, parsePrefix } from '../../src/dataplane/addr.js';
import type { FlowParams } from '../../src/dataplane/api.js';

function look(spd: Spd, dir: 'in' | 'out', src: string, dst: string, proto = 1, sport = 0, dport = 0): Flow | undefined {
  const s = parseAddr(src)!;
  const d = parseAddr(dst)!;
  const p = new Uint8Array(s.length * 2);
  p.set(s, 0);
  p.set(d, s.length);
  return spd.lookup(dir, p, 0, s.length, s.length as 4 | 16, proto, sport, dport);
}

function inPrefix(addr: Uint8Array, p: NonNullable<ReturnType<typeof parsePrefix>>): boolean {
  if (p.addr.length !== addr.length) return false;
  for (let i = 0; i < p.len; i++) {
    const bit = (x: Uint8Array) => (x[i >> 3]! >> (7 - (i & 7))) & 1;
    if (bit(addr) !== bit(p.addr)) return false;
  }
  return true;
}

/** Reference: a linear scan with the documented ordering. */
type Ref = FlowParams & { id: number; sp?: ReturnType<typeof parsePrefix>; dp?: ReturnType<typeof parsePrefix> };
function brute(flows: Ref[], src: string, dst: string, proto: number, sport: number, dport: number) {
  const s = parseAddr(src)!;
  const d = parseAddr(dst)!;
  let best: Ref | undefined;
  const score = (f: Ref) => f.sp!.len + f.dp!.len + (f.selector.proto ? 1 : 0) + (f.selector.sport ? 1 : 0) + (f.selector.dport ? 1 : 0);
  for (const f of flows) {
    if (f.direction !== 'out') continue;
    f.sp ??= parsePrefix(f.selector.src);
    f.dp ??= parsePrefix(f.selector.dst);
    if (!inPrefix(s, f.sp!) || !inPrefix(d, f.dp!)) continue;
    if (f.selector.proto && f.selector.proto !== proto) continue;
    if (f.selector.sport && f.selector.sport !== sport) continue;
    if (f.selector.dport && f.selector.dport !== dport) continue;
    if (!best) best = f;
    else {
      const pa = f.priority ?? 0;
      const pb = best.priority ?? 0;
      if (pa < pb || (pa === pb && (score(f) > score(best) || (score(f) === score(best) && f.id < best.id)))) best = f;
    }
  }
  return best;
}

describe('SPD', () => {
  it('most specific wins; ports and protocol narrow; direction separates', () => {
    const spd = new Spd();
    const wide = spd.add({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require' }) as Flow;
    const host = spd.add({ selector: { src: '192.0.2.0/24', dst: '198.51.100.7/32' }, direction: 'out', type: 'bypass' }) as Flow;
    const tcp = spd.add({ selector: { src: '192.0.2.0/24', dst: '198.51.100.7/32', proto: 6, dport: 22 }, direction: 'out', type: 'deny' }) as Flow;
    const inbound = spd.add({ selector: { src: '198.51.100.0/24', dst: '192.0.2.0/24' }, direction: 'in', type: 'require' }) as Flow;
    assert.equal(look(spd, 'out', '192.0.2.5', '198.51.100.8')?.id, wide.id);
    assert.equal(look(spd, 'out', '192.0.2.5', '198.51.100.7')?.id, host.id);
    assert.equal(look(spd, 'out', '192.0.2.5', '198.51.100.7', 6, 1000, 22)?.id, tcp.id);
    assert.equal(look(spd, 'out', '192.0.2.5', '198.51.100.7', 6, 1000, 23)?.id, host.id);
    assert.equal(look(spd, 'out', '203.0.113.1', '198.51.100.7'), undefined);
    assert.equal(look(spd, 'in', '198.51.100.3', '192.0.2.9')?.id, inbound.id);
    assert.equal(look(spd, 'in', '192.0.2.9', '198.51.100.3'), undefined);
    spd.remove(host.id);
    assert.equal(look(spd, 'out', '192.0.2.5', '198.51.100.7')?.id, wide.id);
  });

  it('explicit priority overrides specificity; default route flows (0.0.0.0/0) and IPv6 work', () => {
    const spd = new Spd();
    const any = spd.add({ selector: { src: '0.0.0.0/0', dst: '0.0.0.0/0' }, direction: 'out', type: 'bypass', priority: -1 }) as Flow;
    spd.add({ selector: { src: '192.0.2.0/24', dst: '198.51.100.0/24' }, direction: 'out', type: 'require' });
    assert.equal(look(spd, 'out', '192.0.2.5', '198.51.100.8')?.id, any.id);
    const v6 = spd.add({ selector: { src: '2001:db8:1::/48', dst: '2001:db8:2::/48' }, direction: 'out', type: 'require' }) as Flow;
    assert.equal(look(spd, 'out', '2001:db8:1::5', '2001:db8:2:3::1')?.id, v6.id);
    assert.equal(look(spd, 'out', '2001:db8:1::5', '2001:db8:3::1'), undefined);
  });

  it('accepts dotted netmasks and rejects mixed families', () => {
    assert.equal(parsePrefix('192.0.2.0/255.255.255.0')?.len, 24);
    assert.equal(parsePrefix('192.0.2.0/255.0.255.0'), undefined);
    const spd = new Spd();
    assert.equal(typeof spd.add({ selector: { src: '192.0.2.0/24', dst: '2001:db8::/32' }, direction: 'out', type: 'require' }), 'string');
  });

  it('100,000 flows: lookups agree with a linear reference', () => {
    const spd = new Spd();
    const flows: Ref[] = [];
    // 100k host-to-host /32 flows across 198.18.0.0/15 plus a few wider ones.
    for (let i = 0; i < 100_000; i++) {
      const f: FlowParams = {
        selector: { src: `198.18.${(i >> 8) & 0xff}.${i & 0xff}/32`, dst: `198.19.${(i >> 8) & 0xff}.${i & 0xff}/32`, ...(i % 3 === 0 ? { proto: 17 } : {}) },
        direction: 'out',
        type: 'require',
      };
      const r = spd.add(f) as Flow;
      flows.push({ ...f, id: r.id });
    }
    for (const [s, d] of [['198.18.0.0/16', '198.19.0.0/16'], ['0.0.0.0/0', '198.19.7.0/24']]) {
      const f: FlowParams = { selector: { src: s!, dst: d! }, direction: 'out', type: 'bypass' };
      flows.push({ ...f, id: (spd.add(f) as Flow).id });
    }
    assert.equal(spd.size, 100_002);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(1, 6, 17), (x, y, proto) => {
        const src = `198.18.${x >> 8}.${x & 0xff}`;
        const dst = `198.19.${y >> 8}.${y & 0xff}`;
        const got = look(spd, 'out', src, dst, proto)?.id;
        const want = brute(flows, src, dst, proto, 0, 0)?.id;
        assert.equal(got, want);
      }),
      { numRuns: 25 },
    );
    // Matching pairs too (x === y hits the /32 flows).
    for (const x of [0, 1, 255, 256, 4242, 65535]) {
      const src = `198.18.${x >> 8}.${x & 0xff}`;
      const dst = `198.19.${x >> 8}.${x & 0xff}`;
      for (const proto of [1, 17]) assert.equal(look(spd, 'out', src, dst, proto)?.id, brute(flows, src, dst, proto, 0, 0)?.id);
    }
  });
});
