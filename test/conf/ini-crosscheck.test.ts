// Where the ini package agrees with isakmpd's parser and where it does not. The package is used here as an
// independent oracle for the common subset of the syntax; each divergence below is a reason the lexer
// does not delegate to it (see docs/ARCHITECTURE.md).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ini from 'ini';
import { lex } from '../../src/conf/lexer.js';

/** The lexer's reading as {section: {tag: value}}, first value kept. */
function ours(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const seen = new Set<string>();
  for (const e of lex(text, 'x').entries) {
    const s = (out[e.section] ??= {});
    const k = `${e.section.toLowerCase()}\0${e.tag.toLowerCase()}`;
    if (!seen.has(k)) s[e.tag] = e.value;
    seen.add(k);
  }
  return out;
}

/** ini returns null-prototype objects; compare plain data. */
const iniParse = (text: string): Record<string, any> => JSON.parse(JSON.stringify(ini.parse(text)));

const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,11}$/);
const value = fc.stringMatching(/^[A-Za-z0-9_/:,@-][A-Za-z0-9_/:,@ -]{0,20}[A-Za-z0-9_/:,@-]$/);

describe('conf lexer vs the ini package', () => {
  it('agree on the common subset: plain names, unique tags, comments in the first column', () => {
    const file = fc.uniqueArray(
      fc.tuple(word, fc.uniqueArray(fc.tuple(word, value), { selector: ([t]) => t.toLowerCase(), maxLength: 6 })),
      { selector: ([s]) => s.toLowerCase(), maxLength: 5 },
    );
    fc.assert(fc.property(file, (secs) => {
      const text = secs.map(([s, tags]) => `# about ${s}\n[${s}]\n${tags.map(([t, v]) => `${t}=${v}`).join('\n')}\n`).join('\n');
      const a = ours(text);
      const b = iniParse(text) as Record<string, Record<string, string>>;
      for (const [s, tags] of secs) if (tags.length) assert.deepEqual(a[s], b[s]);
    }), { numRuns: 200 });
  });

  it('differs: ini nests dotted section names; isakmpd keeps [foo.bar.org] as one name', () => {
    const text = '[foo.bar.org]\nAuthentication=k\n';
    assert.deepEqual(ours(text), { 'foo.bar.org': { Authentication: 'k' } });
    assert.deepEqual(iniParse(text), { foo: { bar: { org: { Authentication: 'k' } } } });
  });

  it('differs: ini keeps the last duplicate, isakmpd the first', () => {
    const text = '[S]\nx=first\nx=second\n';
    assert.equal(ours(text).S!.x, 'first');
    assert.equal(iniParse(text).S.x, 'second');
  });

  it('differs: ini is case-sensitive, isakmpd is not', () => {
    const text = '[S]\nTag=a\ntag=b\n';
    assert.deepEqual(ours(text).S, { Tag: 'a' }, 'the second spelling is a duplicate of the first');
    assert.deepEqual(iniParse(text).S, { Tag: 'a', tag: 'b' });
  });

  it('differs: ini strips inline comments and quotes, isakmpd keeps them in the value', () => {
    const text = '[S]\na=b # c\nq="x"\nv=a;b\n';
    assert.deepEqual(ours(text).S, { a: 'b # c', q: '"x"', v: 'a;b' });
    assert.deepEqual(iniParse(text).S, { a: 'b', q: 'x', v: 'a' });
  });

  it('differs: ini has no backslash continuation and reads tag[] as arrays', () => {
    const text = '[S]\nSuites=A,\\\nB\nl[]=1\n';
    assert.deepEqual(ours(text).S, { Suites: 'A,  B', 'l[]': '1' });
    const b = iniParse(text).S;
    assert.notEqual(b.Suites, 'A,  B');
    assert.deepEqual(b.l, ['1']);
  });
});
