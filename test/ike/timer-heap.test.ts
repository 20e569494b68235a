import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerHeap } from '../../src/ike/timer-heap.js';

describe('TimerHeap (the engine timers)', () => {
  it('through any mix of pushes and pops, the top is always the earliest entry left', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 50 }), fc.constant(-1)), { maxLength: 200 }), (ops) => {
        const h = new TimerHeap();
        const model: [number, string][] = [];
        ops.forEach((op, i) => {
          if (op < 0) {
            h.pop();
            model.sort((a, b) => a[0] - b[0]).shift();
          } else {
            h.push(op, `k${i}`);
            model.push([op, `k${i}`]);
          }
          assert.equal(h.size, model.length);
          const min = Math.min(...model.map((m) => m[0]));
          assert.equal(h.topAt, model.length ? min : undefined);
          // the key belongs to an entry at that time (equal times may come out in any order)
          if (model.length) assert.ok(model.some(([at, k]) => at === min && k === h.topKey));
        });
        const out: number[] = [];
        while (h.size) {
          out.push(h.topAt!);
          h.pop();
        }
        assert.deepEqual(out, model.map((m) => m[0]).sort((a, b) => a - b));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('empty: no top, pop does nothing; clear empties', () => {
    const h = new TimerHeap();
    h.pop();
    assert.equal(h.topAt, undefined);
    h.push(5, 'a');
    h.push(3, 'b');
    assert.equal(h.topKey, 'b');
    h.clear();
    assert.equal(h.size, 0);
    assert.equal(h.topKey, undefined);
  });
});
