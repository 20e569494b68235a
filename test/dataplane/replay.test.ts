// Anti-replay window edges (RFC 4303 3.4.3, Appendix A) and ESN inference (RFC 4304).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ReplayWindow } from '../../src/dataplane/replay.js';

const TWO32 = 2 ** 32;
function take(w: ReplayWindow, low: number): number {
  const s = w.check(low);
  if (s >= 0) w.accept(s);
  return s;
}

describe('replay window', () => {
  it('accepts the first packet (seq 1) and rejects its duplicate', () => {
    const w = new ReplayWindow(64, false);
    assert.equal(take(w, 1), 1);
    assert.equal(w.check(1), -1);
  });

  it('rejects sequence number 0', () => {
    const w = new ReplayWindow(64, false);
    assert.equal(w.check(0), -1);
  });

  it('accepts out-of-order packets inside the window, once each', () => {
    const w = new ReplayWindow(64, false);
    assert.equal(take(w, 100), 100);
    assert.equal(take(w, 37), 37); // 100 - 63: the left edge
    assert.equal(w.check(36), -1); // just left of the window
    assert.equal(take(w, 99), 99);
    assert.equal(w.check(99), -1);
    assert.equal(w.check(37), -1);
  });

  it('slides: after a jump, old bits are cleared and the left edge moves', () => {
    const w = new ReplayWindow(64, false);
    for (let i = 1; i <= 64; i++) take(w, i);
    assert.equal(take(w, 65), 65);
    assert.equal(w.check(1), -1); // now outside
    assert.equal(w.check(2), -1); // inside, seen
    assert.equal(take(w, 200), 200); // far ahead
    assert.equal(w.check(137), 137); // 200-63, never seen
    assert.equal(w.check(136), -1);
    assert.equal(w.check(150), 150); // bit cleared by the slide
  });

  it('honours a configured window larger than 64', () => {
    const w = new ReplayWindow(1000, false);
    take(w, 5000);
    assert.equal(w.check(4001), 4001);
    assert.equal(w.check(4000), -1);
  });

  it('window 0 disables replay checks', () => {
    const w = new ReplayWindow(0, false);
    assert.equal(take(w, 5), 5);
    assert.equal(take(w, 5), 5);
    assert.equal(take(w, 1), 1);
  });

  it('ESN: infers the high half across a 2^32 wrap (Appendix A2.2 case A)', () => {
    const w = new ReplayWindow(64, true);
    w.accept(TWO32 - 2);
    assert.equal(w.check(0xffffffff), TWO32 - 1);
    assert.equal(take(w, 3), TWO32 + 3); // low half wrapped: high half becomes 1
    assert.equal(w.check(0xfffffffe), -1); // TWO32-2 already seen
    assert.equal(w.check(0xffffffff), TWO32 - 1); // still inside the window, unseen
  });

  it('ESN: low values just after a wrap look back into the previous high half (case B)', () => {
    const w = new ReplayWindow(64, true);
    w.accept(TWO32 + 10);
    assert.equal(w.check(0xfffffff0), TWO32 - 16); // 26 behind, in window, previous high half
    assert.equal(w.check(0xffff0000), 2 * TWO32 + 0xffff0000 - TWO32); // far: taken as the next wrap
  });

  it('property: a sequence number is accepted at most once', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 200 }), fc.integer({ min: 1, max: 128 }), (seqs, size) => {
        const w = new ReplayWindow(size, false);
        const seen = new Set<number>();
        for (const s of seqs) {
          if (take(w, s) >= 0) {
            assert.ok(!seen.has(s));
            seen.add(s);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('property: in-order traffic is always accepted', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 200 }), (start, n) => {
        const w = new ReplayWindow(64, true);
        w.accept(start);
        for (let i = 1; i <= n; i++) {
          const s = start + i;
          assert.equal(take(w, s % TWO32), s);
        }
      }),
      { numRuns: 100 },
    );
  });
});
