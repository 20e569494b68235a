// Writers share one working buffer between uses: what one writer returned must never change because of a
// later or a nested writer, and a writer that outgrows the buffer still returns everything it was given.
import assert from 'node:assert/strict';
import { Writer } from '../../src/isakmp/reader.js';

const fill = (w: Writer, n: number, v: number): void => {
  for (let i = 0; i < n; i++) w.u8((v + i) & 0xff);
};

describe('isakmp/writer: the shared working buffer', () => {
  it('outputs stay as written after later writers reuse the buffer', () => {
    const a = new Writer(64);
    fill(a, 300, 1);
    const outA = a.finish();
    const b = new Writer(64);
    fill(b, 200, 99);
    const outB = b.finish();
    assert.equal(outA.length, 300);
    assert.deepEqual([...outA.subarray(0, 3)], [1, 2, 3]);
    assert.equal(outA[299], 300 & 0xff);
    assert.deepEqual([...outB.subarray(0, 2)], [99, 100]);
    assert.notEqual(outA.buffer, outB.buffer);
  });

  it('a writer made while another is open gets its own buffer', () => {
    const outer = new Writer(64);
    fill(outer, 10, 10);
    const inner = new Writer(64);
    fill(inner, 10, 200);
    const innerOut = inner.finish();
    fill(outer, 10, 20);
    const outerOut = outer.finish();
    assert.deepEqual([...innerOut], Array.from({ length: 10 }, (_, i) => 200 + i));
    assert.deepEqual([...outerOut], [...Array.from({ length: 10 }, (_, i) => 10 + i), ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
  });

  it('grows past the working buffer, and a finished writer can be written again', () => {
    const w = new Writer(16);
    fill(w, 70_000, 7);
    const out = w.finish();
    assert.equal(out.length, 70_000);
    assert.equal(out[69_999], (7 + 69_999) & 0xff);
    w.u16(0xbeef);
    assert.deepEqual([...w.finish()], [0xbe, 0xef]);
  });
});
