// The compliance checker (RFC 2704 section 5, keynote(4)): a principal's value is the maximum of its
// direct authority (being a requester) and the values of the assertions it authorises; an assertion
// is worth the minimum of its Licensees and Conditions values; the query answers with POLICY's value.
// Delegation may form cycles: a principal already being evaluated on the current path counts as
// _MIN_TRUST there, and a result is memoised only when it did not depend on such a cut, which gives
// the least fixed point (the best value reachable through an acyclic chain of assertions).
import type { Assertion } from './assertion.js';
import type { LicExpr } from './ast.js';
import { evalStr, Fault, programValue, type Scope } from './evaluate.js';
import { canonicalPrincipal } from './keys.js';

export type Attributes = Record<string, string> | ((name: string) => string | undefined);

export interface Query {
  /** compliance values in increasing order, e.g. ["false", "true"] */
  values: string[];
  /** requesting principals (action authorizers) */
  authorizers: string[];
  attributes: Attributes;
}

const literalCanon = new WeakMap<object, string>();

export const POLICY = 'POLICY';
export const MAX_DELEGATION_DEPTH = 1024;

/** An indexed set of assertions that have already been admitted (trusted, or signature verified). */
export class AssertionSet {
  readonly all: Assertion[] = [];
  private readonly byAuthorizer = new Map<string, Assertion[]>();

  constructor(assertions: Iterable<Assertion> = []) {
    for (const a of assertions) this.add(a);
  }

  add(a: Assertion): void {
    this.all.push(a);
    const list = this.byAuthorizer.get(a.authorizerKey);
    if (list) list.push(a);
    else this.byAuthorizer.set(a.authorizerKey, [a]);
  }

  authorizedBy(principalKey: string): readonly Assertion[] {
    return this.byAuthorizer.get(principalKey) ?? [];
  }

  /** A new set holding this set's assertions plus extra ones (per-query credentials). */
  with(extra: Iterable<Assertion>): AssertionSet {
    const s = new AssertionSet(this.all);
    for (const a of extra) s.add(a);
    return s;
  }
}

export class QueryContext {
  readonly maxIndex: number;
  private readonly requesters: Set<string>;
  private readonly lookupAttr: (name: string) => string | undefined;
  private readonly valuesJoined: string;
  private readonly authorizersJoined: string;
  private readonly valueIdx = new Map<string, number>();
  private readonly memo = new Map<string, number>();
  private readonly onPath = new Map<string, number>();
  /** evaluation ran out of stack and was refused */
  overflowed = false;

  constructor(
    readonly set: AssertionSet,
    readonly query: Query,
  ) {
    if (query.values.length === 0) throw new Error('a query needs at least one compliance value');
    this.maxIndex = query.values.length - 1;
    query.values.forEach((v, i) => {
      if (!this.valueIdx.has(v)) this.valueIdx.set(v, i);
    });
    this.requesters = new Set(query.authorizers.map(canonicalPrincipal));
    const attrs = query.attributes;
    this.lookupAttr = typeof attrs === 'function' ? attrs : (n) => (Object.prototype.hasOwnProperty.call(attrs, n) ? attrs[n] : undefined);
    this.valuesJoined = query.values.join(',');
    this.authorizersJoined = query.authorizers.join(',');
  }

  valueName(i: number): string {
    return this.query.values[i]!;
  }

  isRequester(principal: string): boolean {
    return this.requesters.has(canonicalPrincipal(principal));
  }

  /** Value of a principal (by its written form). */
  principalValue(principal: string): number {
    return this.pv(canonicalPrincipal(principal))[0];
  }

  /** returns [value, lowest path depth of a cut this result depended on] */
  private pv(key: string): [number, number] {
    if (this.requesters.has(key)) return [this.maxIndex, Infinity];
    const m = this.memo.get(key);
    if (m !== undefined) return [m, Infinity];
    const onPath = this.onPath.get(key);
    if (onPath !== undefined) return [0, onPath];
    const depth = this.onPath.size;
    // A delegation chain deeper than this is cut (worth _MIN_TRUST, never memoised) rather than
    // allowed to exhaust the stack.
    if (depth >= MAX_DELEGATION_DEPTH) return [0, 0];
    this.onPath.set(key, depth);
    let best = 0;
    let low = Infinity;
    for (const a of this.set.authorizedBy(key)) {
      const [v, l] = this.assertionValue(a);
      if (l < low) low = l;
      if (v > best) best = v;
      if (best === this.maxIndex) break;
    }
    this.onPath.delete(key);
    if (low >= depth) {
      this.memo.set(key, best);
      low = Infinity;
    }
    return [best, low];
  }

  scope(a: Assertion): Scope {
    const ctx = this;
    const scope: Scope = {
      temp: null,
      maxIndex: this.maxIndex,
      valueIndex: (v) => this.valueIdx.get(v) ?? -1,
      lookup(name: string): string {
        switch (name) {
          case '_MIN_TRUST':
            return ctx.query.values[0]!;
          case '_MAX_TRUST':
            return ctx.query.values[ctx.maxIndex]!;
          case '_VALUES':
            return ctx.valuesJoined;
          case '_ACTION_AUTHORIZERS':
            return ctx.authorizersJoined;
        }
        const t = scope.temp?.get(name);
        if (t !== undefined) return t;
        const c = a.localConstants.get(name);
        if (c !== undefined) return c;
        return ctx.lookupAttr(name) ?? '';
      },
    };
    return scope;
  }

  conditionsValue(a: Assertion): number {
    if (a.conditions === undefined) return this.maxIndex;
    return programValue(a.conditions, this.scope(a));
  }

  private assertionValue(a: Assertion): [number, number] {
    const cond = this.conditionsValue(a);
    if (cond === 0) return [0, Infinity];
    let low = Infinity;
    let lic: number;
    if (a.licensees === undefined) lic = this.maxIndex;
    else if (a.licensees === null) lic = 0;
    else {
      const r = this.licValue(a.licensees, a);
      lic = r[0];
      low = r[1];
    }
    return [Math.min(cond, lic), low];
  }

  keyValue(e: LicExpr & { k: 'key' }, a: Assertion): [number, number] {
    if (e.e.k === 'str') {
      // literal principals: canonical form computed once per syntax node
      let c = literalCanon.get(e.e);
      if (c === undefined) {
        c = canonicalPrincipal(e.e.v);
        literalCanon.set(e.e, c);
      }
      return this.pv(c);
    }
    let s: string;
    try {
      s = evalStr(e.e, this.scope(a));
    } catch (err) {
      if (err instanceof Fault) return [0, Infinity];
      throw err;
    }
    return this.pv(canonicalPrincipal(s));
  }

  licValue(e: LicExpr, a: Assertion): [number, number] {
    switch (e.k) {
      case 'key':
        return this.keyValue(e, a);
      case 'and': {
        const l = this.licValue(e.a, a);
        if (l[0] === 0) return l;
        const r = this.licValue(e.b, a);
        return [Math.min(l[0], r[0]), Math.min(l[1], r[1])];
      }
      case 'or': {
        const l = this.licValue(e.a, a);
        if (l[0] === this.maxIndex) return l;
        const r = this.licValue(e.b, a);
        return [Math.max(l[0], r[0]), Math.min(l[1], r[1])];
      }
      case 'kof': {
        // K-th highest value among the listed principals, repeats counted
        const vals: number[] = [];
        let low = Infinity;
        for (const k of e.keys) {
          const r = this.keyValue({ k: 'key', e: k, pos: k.pos, end: k.end }, a);
          vals.push(r[0]);
          if (r[1] < low) low = r[1];
        }
        vals.sort((x, y) => y - x);
        return [vals[e.n - 1] ?? 0, low];
      }
    }
  }
}

export interface QueryResult {
  index: number;
  value: string;
  context: QueryContext;
}

export function evaluateQuery(set: AssertionSet, query: Query): QueryResult {
  const ctx = new QueryContext(set, query);
  let index: number;
  try {
    index = ctx.principalValue(POLICY);
  } catch (e) {
    // Last line of defence when called on an already deep stack: refuse, never crash.
    if (!(e instanceof RangeError)) throw e;
    index = 0;
    ctx.overflowed = true;
  }
  return { index, value: query.values[index]!, context: ctx };
}
