// Recursive-descent parsers for the KeyNote sublanguages (keynote(5) grammar). Types are checked
// while parsing, as the reference grammar does: integer, float and string relations cannot be mixed,
// and floats have no equality. All failures are PolicySyntaxError with the offending offset.
import type { Clause, Expr, LicExpr, ValueType } from './ast.js';
import { PolicySyntaxError } from './errors.js';
import { describeToken, tokenize, type Token, type TokType } from './lexer.js';

type Typed = { e: Expr; t: ValueType };

const REL_OPS = new Set<TokType>(['==', '!=', '<', '>', '<=', '>=']);

/** Nesting limit for parentheses, unary operators and blocks: deeper text is refused, not recursed into. */
export const MAX_NESTING = 200;
/** Longest run of binary operators in one expression (evaluation recurses once per operator). */
export const MAX_CHAIN = 2000;

class Parser {
  private i = 0;
  private depth = 0;
  private chain = 0;

  private enter(pos: number): void {
    if (++this.depth > MAX_NESTING) throw new PolicySyntaxError(`expression nested more than ${MAX_NESTING} levels deep`, pos, 'a simpler expression');
  }
  private leave(): void {
    this.depth--;
  }
  private link(pos: number): void {
    if (++this.chain > MAX_CHAIN) throw new PolicySyntaxError(`more than ${MAX_CHAIN} operators in one field`, pos, 'a shorter expression');
  }
  constructor(private readonly toks: Token[]) {}

  peek(o = 0): Token {
    return this.toks[Math.min(this.i + o, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.i++;
    return t;
  }
  accept(type: TokType): Token | null {
    return this.peek().type === type ? this.next() : null;
  }
  expect(type: TokType, what: string): Token {
    const t = this.peek();
    if (t.type !== type) throw new PolicySyntaxError(`unexpected ${describeToken(t)}`, t.pos, what);
    return this.next();
  }
  fail(what: string): never {
    const t = this.peek();
    throw new PolicySyntaxError(`unexpected ${describeToken(t)}`, t.pos, what);
  }
  atEnd(what: string): void {
    if (this.peek().type !== 'eof') this.fail(what);
  }

  // ---- Conditions ----

  program(closing: 'eof' | '}'): Clause[] {
    const clauses: Clause[] = [];
    while (this.peek().type !== closing) {
      if (this.peek().type === 'eof') this.fail("'}' to close the block");
      clauses.push(this.clause());
      this.expect(';', "';' after the clause");
    }
    return clauses;
  }

  clause(): Clause {
    const start = this.peek().pos;
    const test = this.typed();
    if (test.t !== 'bool' && this.peek().type === '=') {
      throw new PolicySyntaxError("'=' is not a comparison (use '==')", this.peek().pos, "'==', '!=', '<', '>', '<=', '>=' or '~='");
    }
    if (test.t !== 'bool') throw new PolicySyntaxError(`a clause must be a test, not a ${typeName(test.t)} expression`, test.e.pos, 'a comparison, true or false');
    if (this.accept('->')) {
      const open = this.accept('{');
      if (open) {
        this.enter(open.pos);
        const block = this.program('}');
        this.leave();
        const close = this.expect('}', "'}'");
        return { pos: start, end: close.end, test: test.e, block };
      }
      const v = this.typed();
      if (v.t !== 'str') throw new PolicySyntaxError(`a clause value must be a string, not a ${typeName(v.t)}`, v.e.pos, 'a string value such as "true"');
      return { pos: start, end: v.e.end, test: test.e, value: v.e };
    }
    return { pos: start, end: test.e.end, test: test.e };
  }

  typed(): Typed {
    return this.or();
  }

  private or(): Typed {
    let l = this.and();
    while (this.peek().type === '||') {
      const op = this.next();
      this.link(op.pos);
      const r = this.and();
      requireBool(l, op, r);
      l = { e: { k: 'or', a: l.e, b: r.e, pos: l.e.pos, end: r.e.end }, t: 'bool' };
    }
    return l;
  }

  private and(): Typed {
    let l = this.not();
    while (this.peek().type === '&&') {
      const op = this.next();
      this.link(op.pos);
      const r = this.not();
      requireBool(l, op, r);
      l = { e: { k: 'and', a: l.e, b: r.e, pos: l.e.pos, end: r.e.end }, t: 'bool' };
    }
    return l;
  }

  private not(): Typed {
    const bang = this.accept('!');
    if (bang) {
      this.enter(bang.pos);
      const x = this.not();
      this.leave();
      if (x.t !== 'bool') throw new PolicySyntaxError(`'!' applies to a test, not a ${typeName(x.t)}`, x.e.pos, 'a comparison after !');
      return { e: { k: 'not', e: x.e, pos: bang.pos, end: x.e.end }, t: 'bool' };
    }
    return this.rel();
  }

  private rel(): Typed {
    const l = this.additive();
    const op = this.peek();
    if (op.type === '~=') {
      this.next();
      const r = this.additive();
      if (l.t !== 'str' || r.t !== 'str') throw new PolicySyntaxError("'~=' matches a string against a regular expression string", op.pos, 'string operands');
      return { e: { k: 'regex', a: l.e, re: r.e, pos: l.e.pos, end: r.e.end }, t: 'bool' };
    }
    if (!REL_OPS.has(op.type)) return l;
    this.next();
    const r = this.additive();
    if (l.t !== r.t || l.t === 'bool') {
      throw new PolicySyntaxError(`cannot compare a ${typeName(l.t)} with a ${typeName(r.t)} (convert with @ for integers, & for floats)`, op.pos, 'operands of the same type');
    }
    if (l.t === 'float' && (op.type === '==' || op.type === '!=')) {
      throw new PolicySyntaxError('floating-point values cannot be tested for equality', op.pos, "'<', '>', '<=' or '>='");
    }
    const rop = op.type as '==' | '!=' | '<' | '>' | '<=' | '>=';
    return { e: { k: 'rel', t: l.t, op: rop, a: l.e, b: r.e, pos: l.e.pos, end: r.e.end }, t: 'bool' };
  }

  private additive(): Typed {
    let l = this.multiplicative();
    for (;;) {
      const op = this.peek();
      if (op.type === '.') {
        this.next();
        this.link(op.pos);
        const r = this.multiplicative();
        if (l.t !== 'str' || r.t !== 'str') throw new PolicySyntaxError("'.' concatenates strings only", op.pos, 'string operands');
        l = { e: { k: 'concat', a: l.e, b: r.e, pos: l.e.pos, end: r.e.end }, t: 'str' };
      } else if (op.type === '+' || op.type === '-') {
        this.next();
        this.link(op.pos);
        const r = this.multiplicative();
        l = arith(l, op, r);
      } else return l;
    }
  }

  private multiplicative(): Typed {
    let l = this.power();
    for (;;) {
      const op = this.peek();
      if (op.type !== '*' && op.type !== '/' && op.type !== '%') return l;
      this.next();
      this.link(op.pos);
      const r = this.power();
      if (op.type === '%' && l.t === 'float') throw new PolicySyntaxError("'%' is defined for integers only", op.pos, 'integer operands');
      l = arith(l, op, r);
    }
  }

  private power(): Typed {
    let l = this.unary();
    while (this.peek().type === '^') {
      const op = this.next();
      this.link(op.pos);
      const r = this.unary();
      l = arith(l, op, r);
    }
    return l;
  }

  private unary(): Typed {
    const t = this.peek();
    this.enter(t.pos);
    try {
      return this.unaryInner(t);
    } finally {
      this.leave();
    }
  }

  private unaryInner(t: Token): Typed {
    switch (t.type) {
      case '-': {
        this.next();
        const x = this.unary();
        if (x.t !== 'int' && x.t !== 'float') throw new PolicySyntaxError('unary minus needs a number', x.e.pos, 'an integer or float');
        return { e: { k: 'neg', t: x.t, e: x.e, pos: t.pos, end: x.e.end }, t: x.t };
      }
      case '@':
      case '&': {
        this.next();
        const x = this.strPrimary();
        const k = t.type === '@' ? 'toint' : 'tofloat';
        return { e: { k, e: x, pos: t.pos, end: x.end }, t: t.type === '@' ? 'int' : 'float' };
      }
      case '$': {
        this.next();
        const x = this.unary();
        if (x.t !== 'str') throw new PolicySyntaxError("'$' dereferences a string", x.e.pos, 'a string or attribute name');
        return { e: { k: 'deref', e: x.e, pos: t.pos, end: x.e.end }, t: 'str' };
      }
      default:
        return this.primary();
    }
  }

  /** Operand of @ and &: a string literal, name, $-dereference or parenthesised string. */
  private strPrimary(): Expr {
    const x = this.peek().type === '$' ? this.unary() : this.primary();
    if (x.t !== 'str') throw new PolicySyntaxError(`expected a string to convert, found a ${typeName(x.t)}`, x.e.pos, 'a string or attribute name');
    return x.e;
  }

  private primary(): Typed {
    const t = this.next();
    switch (t.type) {
      case 'str':
        return { e: { k: 'str', v: t.text, pos: t.pos, end: t.end }, t: 'str' };
      case 'var':
        return { e: { k: 'var', name: t.text, pos: t.pos, end: t.end }, t: 'str' };
      case 'num':
        return { e: { k: 'int', v: t.num!, pos: t.pos, end: t.end }, t: 'int' };
      case 'float':
        return { e: { k: 'float', v: t.num!, pos: t.pos, end: t.end }, t: 'float' };
      case 'true':
      case 'false':
        return { e: { k: 'bool', v: t.type === 'true', pos: t.pos, end: t.end }, t: 'bool' };
      case '(': {
        const x = this.typed();
        const close = this.expect(')', "')'");
        return { e: { ...x.e, pos: t.pos, end: close.end } as Expr, t: x.t };
      }
      default:
        throw new PolicySyntaxError(`unexpected ${describeToken(t)}`, t.pos, 'a string, number, attribute name, true, false or (');
    }
  }

  /** A string-valued expression (Authorizer, licensee keys, Signature, clause values). */
  strExpr(what: string): Expr {
    const x = this.additive();
    if (x.t !== 'str') throw new PolicySyntaxError(`expected a string, found a ${typeName(x.t)}`, x.e.pos, what);
    return x.e;
  }

  // ---- Licensees ----

  licensees(): LicExpr {
    return this.licOr();
  }
  private licOr(): LicExpr {
    let l = this.licAnd();
    while (this.accept('||')) {
      this.link(this.peek().pos);
      const r = this.licAnd();
      l = { k: 'or', a: l, b: r, pos: l.pos, end: r.end };
    }
    return l;
  }
  private licAnd(): LicExpr {
    let l = this.licAtom();
    while (this.accept('&&')) {
      this.link(this.peek().pos);
      const r = this.licAtom();
      l = { k: 'and', a: l, b: r, pos: l.pos, end: r.end };
    }
    return l;
  }
  private licAtom(): LicExpr {
    const t = this.peek();
    if (t.type === '(') {
      this.next();
      this.enter(t.pos);
      const x = this.licOr();
      this.leave();
      const close = this.expect(')', "')'");
      return { ...x, pos: t.pos, end: close.end };
    }
    if (t.type === 'kof') {
      this.next();
      this.expect('(', "'(' after K-of");
      const keys: Expr[] = [this.strExpr('a principal')];
      while (this.accept(',')) keys.push(this.strExpr('a principal'));
      const close = this.expect(')', "')' or ',' in the K-of list");
      if (keys.length < t.num!) {
        throw new PolicySyntaxError(`${t.num}-of(...) lists only ${keys.length} principal${keys.length === 1 ? '' : 's'}`, t.pos, `at least ${t.num} principals`);
      }
      return { k: 'kof', n: t.num!, keys, pos: t.pos, end: close.end };
    }
    if (t.type === 'str' || t.type === 'var' || t.type === '$') {
      const e = this.strExpr('a principal');
      return { k: 'key', e, pos: e.pos, end: e.end };
    }
    return this.fail('a principal (quoted string), K-of(...) or (');
  }
}

function typeName(t: ValueType): string {
  return t === 'str' ? 'string' : t === 'int' ? 'integer' : t === 'float' ? 'float' : 'test';
}

function requireBool(l: Typed, op: Token, r: Typed): void {
  if (l.t !== 'bool' || r.t !== 'bool') {
    const bad = l.t !== 'bool' ? l : r;
    throw new PolicySyntaxError(`'${op.text}' joins tests, but this operand is a ${typeName(bad.t)}`, bad.e.pos, 'a comparison, true or false');
  }
}

function arith(l: Typed, op: Token, r: Typed): Typed {
  if ((l.t !== 'int' && l.t !== 'float') || l.t !== r.t) {
    throw new PolicySyntaxError(`'${op.text}' needs two integers or two floats, found ${typeName(l.t)} and ${typeName(r.t)}`, op.pos, 'numeric operands of one type');
  }
  const o = op.type as '+' | '-' | '*' | '/' | '%' | '^';
  return { e: { k: 'arith', t: l.t, op: o, a: l.e, b: r.e, pos: l.e.pos, end: r.e.end }, t: l.t };
}

// ---- entry points over a slice of the source ----

export function parseConditions(src: string, start: number, end: number): Clause[] {
  const p = new Parser(tokenize(src, start, end));
  const prog = p.program('eof');
  p.atEnd('end of Conditions');
  return prog;
}

export function parseLicensees(src: string, start: number, end: number): LicExpr | null {
  const toks = tokenize(src, start, end);
  if (toks.length === 1) return null; // empty field
  const p = new Parser(toks);
  const l = p.licensees();
  p.atEnd("'&&', '||' or end of Licensees");
  return l;
}

export function parseStringField(src: string, start: number, end: number, what: string): Expr {
  const p = new Parser(tokenize(src, start, end));
  const e = p.strExpr(what);
  p.atEnd(`end of field after ${what}`);
  return e;
}

export function parseLocalConstants(src: string, start: number, end: number): Array<{ name: string; value: string; pos: number }> {
  const toks = tokenize(src, start, end);
  const p = new Parser(toks);
  const out: Array<{ name: string; value: string; pos: number }> = [];
  while (p.peek().type !== 'eof') {
    const n = p.expect('var', 'a constant name');
    p.expect('=', "'=' after the constant name");
    const v = p.expect('str', 'a quoted string value');
    if (n.text.startsWith('_')) throw new PolicySyntaxError(`names starting with '_' are reserved ('${n.text}')`, n.pos, 'a name not starting with _');
    if (out.some((c) => c.name === n.text)) throw new PolicySyntaxError(`constant '${n.text}' is defined twice`, n.pos, 'each name once');
    out.push({ name: n.text, value: v.text, pos: n.pos });
  }
  return out;
}

export function parseVersion(src: string, start: number, end: number): string {
  const toks = tokenize(src, start, end);
  const t = toks[0]!;
  if ((t.type !== 'str' && t.type !== 'num') || toks.length !== 2) {
    throw new PolicySyntaxError(`unexpected ${describeToken(toks.length !== 2 && t.type !== 'eof' ? toks[1]! : t)}`, (toks.length !== 2 && t.type !== 'eof' ? toks[1]! : t).pos, 'the version, "2"');
  }
  if (t.text !== '2') throw new PolicySyntaxError(`unsupported KeyNote-Version ${t.text}`, t.pos, 'version 2');
  return t.text;
}
