// Conditions evaluation (keynote(5) semantics). A runtime fault (division by zero, bad regular
// expression) anywhere in a clause's test makes that test false, exactly like libkeynote's exception
// flag; it never escapes to the caller. Integers are C ints, floats C doubles.
import type { Clause, Expr } from './ast.js';
import { compilePosix } from './posix-regex.js';

export class Fault extends Error {}

/** Attribute scope of one assertion during one query. */
export interface Scope {
  /** special names, regex groups, Local-Constants, then the action environment */
  lookup(name: string): string;
  /** regex group results, valid until the end of the current clause */
  temp: Map<string, string> | null;
  /** index of a compliance value, -1 if not one of the query's values */
  valueIndex(v: string): number;
  maxIndex: number;
}

export function evalStr(e: Expr, s: Scope): string {
  switch (e.k) {
    case 'str':
      return e.v;
    case 'var':
      return s.lookup(e.name);
    case 'deref':
      return s.lookup(evalStr(e.e, s));
    case 'concat':
      return evalStr(e.a, s) + evalStr(e.b, s);
    default:
      throw new Fault(`not a string expression: ${e.k}`);
  }
}

/** libkeynote's isfloatstring: digits and at most one '.', nothing else (no sign, no exponent). */
function isFloatString(v: string): boolean {
  return /^[0-9]*(\.[0-9]*)?$/.test(v);
}

function toNumber(v: string): number {
  if (!isFloatString(v)) return 0;
  const n = Number(v === '' || v === '.' ? 0 : v.endsWith('.') ? v.slice(0, -1) : v.startsWith('.') ? '0' + v : v);
  return Number.isFinite(n) ? n : 0;
}

function intpow(x: number, y: number): number {
  if (y < 0) return 0;
  let r = 1;
  while (y) {
    if (y & 1) r = Math.imul(r, x);
    y >>>= 1;
    x = Math.imul(x, x);
  }
  return r;
}

export function evalNum(e: Expr, s: Scope): number {
  switch (e.k) {
    case 'int':
    case 'float':
      return e.v;
    case 'toint':
      return Math.floor(toNumber(evalStr(e.e, s))) | 0;
    case 'tofloat':
      return toNumber(evalStr(e.e, s));
    case 'neg':
      return e.t === 'int' ? -evalNum(e.e, s) | 0 : -evalNum(e.e, s);
    case 'arith': {
      const a = evalNum(e.a, s);
      const b = evalNum(e.b, s);
      if (e.t === 'int') {
        switch (e.op) {
          case '+':
            return (a + b) | 0;
          case '-':
            return (a - b) | 0;
          case '*':
            return Math.imul(a, b);
          case '/':
            if (b === 0) throw new Fault('integer division by zero');
            return (a / b) | 0;
          case '%':
            if (b === 0) throw new Fault('integer modulo by zero');
            return a % b | 0;
          case '^':
            return intpow(a, b);
        }
      }
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          if (b === 0) throw new Fault('float division by zero');
          return a / b;
        case '^':
          return Math.pow(a, b);
        default:
          throw new Fault(`'${e.op}' on floats`);
      }
    }
    default:
      throw new Fault(`not a numeric expression: ${e.k}`);
  }
}

export function evalTest(e: Expr, s: Scope): boolean {
  switch (e.k) {
    case 'bool':
      return e.v;
    case 'and':
      return evalTest(e.a, s) && evalTest(e.b, s);
    case 'or':
      return evalTest(e.a, s) || evalTest(e.b, s);
    case 'not':
      return !evalTest(e.e, s);
    case 'rel': {
      let c: number;
      if (e.t === 'str') {
        const a = evalStr(e.a, s);
        const b = evalStr(e.b, s);
        if (e.op === '==') return a === b;
        if (e.op === '!=') return a !== b;
        c = a === b ? 0 : byteCompare(a, b);
      } else {
        const a = evalNum(e.a, s);
        const b = evalNum(e.b, s);
        c = a === b ? 0 : a < b ? -1 : 1;
      }
      switch (e.op) {
        case '==':
          return c === 0;
        case '!=':
          return c !== 0;
        case '<':
          return c < 0;
        case '>':
          return c > 0;
        case '<=':
          return c <= 0;
        case '>=':
          return c >= 0;
      }
      return false;
    }
    case 'regex': {
      const subject = evalStr(e.a, s);
      const pattern = evalStr(e.re, s);
      let compiled;
      try {
        compiled = compilePosix(pattern);
      } catch (err) {
        throw new Fault(`bad regular expression ${JSON.stringify(pattern)}: ${(err as Error).message}`);
      }
      s.temp = null; // residue of an earlier match in this clause
      const m = compiled.re.exec(subject);
      if (!m) return false;
      const t = new Map<string, string>();
      t.set('_0', String(compiled.groups));
      // like regexec: groups are published up to the first one that did not participate
      for (let i = 1; i < m.length && i < 32 && m[i] !== undefined; i++) t.set(`_${i}`, m[i]!);
      s.temp = t;
      return true;
    }
    default:
      throw new Fault(`not a test: ${e.k}`);
  }
}

/** strcmp order on the UTF-8 bytes. */
function byteCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // below 0x80 UTF-16 order is byte order; beyond, compare the UTF-8 bytes
    if (x < 0x80 && y < 0x80) return x < y ? -1 : 1;
    return Buffer.compare(Buffer.from(a.slice(i), 'utf8'), Buffer.from(b.slice(i), 'utf8'));
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** A clause test with libkeynote's exception rule: any fault makes it false. */
export function clauseTest(c: Clause, s: Scope): { ok: boolean; fault?: string } {
  try {
    return { ok: evalTest(c.test, s) };
  } catch (e) {
    if (e instanceof Fault) return { ok: false, fault: e.message };
    throw e;
  }
}

/** Conditions Compliance Value: maximum over clauses whose test succeeds. */
export function programValue(clauses: Clause[], s: Scope): number {
  let best = 0;
  for (const c of clauses) {
    const v = clauseValue(c, s);
    s.temp = null;
    if (v > best) best = v;
    if (best === s.maxIndex) break;
  }
  return best;
}

export function clauseValue(c: Clause, s: Scope): number {
  if (!clauseTest(c, s).ok) return 0;
  if (c.block) return programValue(c.block, s);
  if (c.value) {
    let v: string;
    try {
      v = evalStr(c.value, s);
    } catch (e) {
      if (e instanceof Fault) return 0;
      throw e;
    }
    const i = s.valueIndex(v);
    return i < 0 ? 0 : i;
  }
  return s.maxIndex;
}
