import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IndexedMap } from '../../src/ike/indexed-map.js';

describe('IndexedMap (secondary indexes of engine records)', () => {
  it('every index always equals a scan of the map, through any sequence of set/delete/replace', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 4 })), { maxLength: 80 }), (ops) => {
        const m = new IndexedMap<number, { id: number; group: string }>();
        const byGroup = m.index((v) => v.group);
        for (const [add, id, g] of ops) {
          if (add) m.set(id, { id, group: `g${g}` });
          else m.delete(id);
        }
        for (let g = 0; g <= 4; g++) {
          const scan = [...m.values()].filter((v) => v.group === `g${g}`).map((v) => v.id).sort((a, b) => a - b);
          assert.deepEqual([...byGroup(`g${g}`)].map((v) => v.id).sort((a, b) => a - b), scan);
          const visited: number[] = [];
          byGroup.each(`g${g}`, (v) => visited.push(v.id));
          assert.deepEqual(visited.sort((a, b) => a - b), scan, 'each visits the same group');
          for (const id of [0, 7, 20]) assert.equal(byGroup.some(`g${g}`, (v) => v.id === id), scan.includes(id), 'some finds what a scan finds');
          let asked = 0;
          assert.equal(byGroup.some(`g${g}`, () => (asked++, true)), scan.length > 0);
          assert.equal(asked, Math.min(1, scan.length), 'some stops at the first member that satisfies it');
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('an unknown group is empty, and clear() empties the indexes', () => {
    const m = new IndexedMap<string, { p: string }>();
    const byP = m.index((v) => v.p);
    m.set('a', { p: 'x' });
    assert.equal(byP('x').length, 1);
    assert.equal(byP('nope').length, 0);
    m.clear();
    assert.equal(byP('x').length, 0);
  });
});
