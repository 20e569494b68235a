import assert from 'node:assert/strict';
import { cond } from './helpers.js';

const T = 'true';
const F = 'false';

describe('policy/conditions: operators', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    // string relations (strcmp order)
    ['a == "x";', { a: 'x' }, T],
    ['a != "x";', { a: 'x' }, F],
    ['a < "b";', { a: 'a' }, T],
    ['a > "b";', { a: 'a' }, F],
    ['a <= "a";', { a: 'a' }, T],
    ['a >= "b";', { a: 'a' }, F],
    ['"B" < "a";', {}, T],
    // integer relations and arithmetic
    ['@n == 7;', { n: '7' }, T],
    ['@n + 1 == 8;', { n: '7' }, T],
    ['@n - 10 == -3;', { n: '7' }, T],
    ['2 + 3 * 4 == 14;', {}, T],
    ['(2 + 3) * 4 == 20;', {}, T],
    ['7 / 2 == 3;', {}, T],
    ['-7 / 2 == -3;', {}, T],
    ['7 % 3 == 1;', {}, T],
    ['2 ^ 10 == 1024;', {}, T],
    ['2 ^ 3 ^ 2 == 64;', {}, T], // left associative, as libkeynote declares it
    ['2 ^ -1 == 0;', {}, T],
    ['-2 * -2 == 4;', {}, T],
    ['@n < 10 && @n > 5;', { n: '7' }, T],
    ['@n != 7;', { n: '7' }, F],
    ['@n <= 6 || @n >= 8;', { n: '7' }, F],
    // float relations
    ['&f > 1.5;', { f: '1.75' }, T],
    ['&f + 0.25 >= 2.0;', { f: '1.75' }, T],
    ['&f / 2.0 < 1.0;', { f: '1.75' }, T],
    ['&f ^ 2.0 > 3.0;', { f: '1.75' }, T],
    // conversions: libkeynote accepts digits with one point, nothing else
    ['@f == 1;', { f: '1.75' }, T],
    ['@bad == 0;', { bad: '12abc' }, T],
    ['@neg == 0;', { neg: '-5' }, T],
    ['@missing == 0;', {}, T],
    ['&bad < 0.5;', { bad: '1e5' }, T],
    // concatenation and dereference
    ['a . "-" . b == "x-y";', { a: 'x', b: 'y' }, T],
    ['$p == "target";', { p: 'name', name: 'target' }, T],
    ['$$p == "deep";', { p: 'q', q: 'r', r: 'deep' }, T],
    ['$p . "!" == "target!";', { p: 'name', name: 'target' }, T], // $ binds tighter than .
    ['$("na" . "me") == "target";', { name: 'target' }, T],
    ['undefined == "";', {}, T],
    // boolean structure
    ['!(a == "x");', { a: 'x' }, F],
    ['!a == "y";', { a: 'x' }, T], // ! applies to the whole relation
    ['true;', {}, T],
    ['FALSE;', {}, F],
    ['True && !False;', {}, T],
    ['a == "x" || a == "y" && b == "z";', { a: 'x', b: 'no' }, T], // && binds tighter
    ['(a == "x" || a == "y") && b == "z";', { a: 'x', b: 'no' }, F],
  ];
  for (const [c, attrs, want] of cases) {
    it(`${c} with ${JSON.stringify(attrs)} is ${want}`, () => assert.equal(cond(c, attrs), want));
  }
});

describe('policy/conditions: regular expressions', () => {
  it('matches POSIX extended syntax and publishes groups', () => {
    assert.equal(cond('address ~= "^.*@keynote\\\\.research\\\\.att\\\\.com$";', { address: 'bob@keynote.research.att.com' }), T);
    assert.equal(cond('address ~= "^.*@keynote\\\\.research\\\\.att\\\\.com$";', { address: 'bob@keynoteXresearch.att.com' }), F);
    assert.equal(cond('s ~= "^([a-z]+)-([0-9]+)$" && _0 == "2" && _1 == "host" && @_2 == 42;', { s: 'host-42' }), T);
    assert.equal(cond('s ~= "^[[:alpha:]]+[[:digit:]]{2}$";', { s: 'ab12' }), T);
    assert.equal(cond('s ~= "^[^[:space:]]+$";', { s: 'a b' }), F);
  });

  it('groups are valid only for the rest of their clause', () => {
    assert.equal(cond('s ~= "^(a)" -> "true"; _1 == "a" -> "true";', { s: 'abc' }), T);
    assert.equal(cond('s ~= "^(a)" -> "false"; _1 == "a" -> "true";', { s: 'abc' }), F);
  });

  it('a later match replaces earlier groups; a failed match clears them', () => {
    assert.equal(cond('s ~= "(a)" && t ~= "(b)" && _1 == "b";', { s: 'a', t: 'b' }), T);
  });

  it('a bad regular expression makes the test false instead of failing', () => {
    assert.equal(cond('s ~= "([a-";', { s: 'x' }), F);
    assert.equal(cond('s ~= "([a-" || true;', { s: 'x' }), F); // the fault poisons the whole test
    assert.equal(cond('true || s ~= "([a-";', { s: 'x' }), T); // short-circuit: never evaluated
  });
});

describe('policy/conditions: runtime faults and clause values', () => {
  it('division by zero makes the test false', () => {
    assert.equal(cond('1 / 0 == 0;'), F);
    assert.equal(cond('1 % @z == 0;', { z: '0' }), F);
    assert.equal(cond('&one / &z > 0.0;', { one: '1', z: '0' }), F);
    assert.equal(cond('1 / 0 == 0 -> "false"; true -> "true";'), T);
  });

  it('clause values: max over succeeding clauses, unknown values count as the minimum', () => {
    const V = ['reject', 'log', 'approve'];
    assert.equal(cond('true -> "log"; true -> "reject";', {}, V), 'log');
    assert.equal(cond('true -> "bogus";', {}, V), 'reject');
    assert.equal(cond('true;', {}, V), 'approve');
    assert.equal(cond('false;', {}, V), 'reject');
    assert.equal(cond('true -> _MAX_TRUST;', {}, V), 'approve');
    assert.equal(cond('true -> v;', { v: 'log' }, V), 'log');
    assert.equal(cond('_MIN_TRUST == "reject" && _MAX_TRUST == "approve" && _VALUES == "reject,log,approve" -> "log";', {}, V), 'log');
  });

  it('nested blocks are evaluated only when the parent test holds', () => {
    const V = ['reject', 'log', 'approve'];
    const prog = 'kind == "a" -> { @n < 10 -> "approve"; @n < 100 -> "log"; }; kind == "b" -> "log";';
    assert.equal(cond(prog, { kind: 'a', n: '5' }, V), 'approve');
    assert.equal(cond(prog, { kind: 'a', n: '50' }, V), 'log');
    assert.equal(cond(prog, { kind: 'a', n: '500' }, V), 'reject');
    assert.equal(cond(prog, { kind: 'c', n: '5' }, V), 'reject');
    assert.equal(cond(prog, { kind: 'b', n: '500' }, V), 'log');
    assert.equal(cond('x ~= "^(.)" -> { _1 == "q" -> "approve"; };', { x: 'qq' }, V), 'approve');
  });

  it('an empty program is worth _MIN_TRUST', () => {
    assert.equal(cond(''), F);
  });
});
