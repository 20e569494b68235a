// Human explanations of a query: which assertion came closest to granting and why it did not, or
// which one granted. Policy text is quoted from the source; secrets in principals are masked.
import { positionOf, type Assertion } from './assertion.js';
import type { Clause, Expr, LicExpr } from './ast.js';
import { POLICY, QueryContext } from './compliance.js';
import { clauseTest, evalStr, Fault, type Scope } from './evaluate.js';

/** Principals as they may appear in logs: passphrases masked, long keys shortened. */
export function displayPrincipal(p: string): string {
  if (p.startsWith('passphrase:')) return 'passphrase:(secret)';
  if (p.length > 48) return `${p.slice(0, 40)}…(${p.length} chars)`;
  return p;
}

const quote = (a: Assertion, e: { pos: number; end: number }): string => a.source.slice(e.pos, e.end).replace(/\s+/g, ' ').trim();

function varsOf(e: Expr, out: Set<string>): Set<string> {
  switch (e.k) {
    case 'var':
      out.add(e.name);
      break;
    case 'deref':
    case 'toint':
    case 'tofloat':
    case 'neg':
    case 'not':
      varsOf(e.e, out);
      break;
    case 'concat':
    case 'arith':
    case 'rel':
    case 'and':
    case 'or':
      varsOf(e.a, out);
      varsOf(e.b, out);
      break;
    case 'regex':
      varsOf(e.a, out);
      varsOf(e.re, out);
      break;
  }
  return out;
}

function safeTest(e: Expr, s: Scope): boolean | string {
  const r = clauseTest({ test: e, pos: e.pos, end: e.end }, s);
  return r.fault ?? r.ok;
}

/** Why a test is false, pointing at the failing part with the attribute values it saw. */
function whyFalse(a: Assertion, e: Expr, s: Scope): string {
  if (e.k === 'and') {
    const l = safeTest(e.a, s);
    if (l !== true) return whyFalse(a, e.a, s);
    return whyFalse(a, e.b, s);
  }
  if (e.k === 'or') return `${whyFalse(a, e.a, s)}; and ${whyFalse(a, e.b, s)}`;
  const r = safeTest(e, s);
  const vars = [...varsOf(e, new Set())].map((n) => `${n} = ${JSON.stringify(s.lookup(n))}`);
  const seen = vars.length ? ` (${vars.join(', ')})` : '';
  if (typeof r === 'string') return `${quote(a, e)} could not be evaluated: ${r}${seen}`;
  return `${quote(a, e)} is false${seen}`;
}

function conjuncts(e: Expr): Expr[] {
  return e.k === 'and' ? [...conjuncts(e.a), ...conjuncts(e.b)] : [e];
}

/** Fraction of the best clause's conjuncts that hold: a measure of how near the Conditions came. */
function nearness(clauses: Clause[], s: Scope): { score: number; clause?: Clause } {
  let best = { score: 0 } as { score: number; clause?: Clause };
  for (const c of clauses) {
    const parts = conjuncts(c.test);
    const ok = parts.filter((p) => safeTest(p, s) === true).length;
    const score = ok / parts.length;
    if (!best.clause || score > best.score) best = { score, clause: c };
  }
  return best;
}

function licPrincipals(e: LicExpr, a: Assertion, s: Scope, out: string[]): string[] {
  switch (e.k) {
    case 'key':
      try {
        out.push(evalStr(e.e, s));
      } catch (err) {
        if (!(err instanceof Fault)) throw err;
      }
      break;
    case 'kof':
      for (const k of e.keys) licPrincipals({ k: 'key', e: k, pos: k.pos, end: k.end }, a, s, out);
      break;
    default:
      licPrincipals(e.a, a, s, out);
      licPrincipals(e.b, a, s, out);
  }
  return out;
}

/** Why the nearest clause gave nothing, descending into nested blocks whose test held. */
function describeClause(a: Assertion, c: Clause, s: Scope, ctx: QueryContext, prefix = ''): string {
  const ok = safeTest(c.test, s);
  if (ok !== true) return `conditions failed: ${prefix}${whyFalse(a, c.test, s)}`;
  if (c.block && c.block.length) {
    const inner = nearness(c.block, s);
    if (inner.clause) return describeClause(a, inner.clause, s, ctx, `${prefix}inside ${quote(a, c.test)} -> { }: `);
  }
  const v = c.value ? quote(a, c.value) : 'nothing';
  return `conditions: ${prefix}${quote(a, c.test)} holds but yields ${v}, which counts as ${JSON.stringify(ctx.valueName(0))}`;
}

export interface AssertionVerdict {
  assertion: Assertion;
  where: string;
  licensees: number;
  conditions: number;
  score: number;
  reasons: string[];
}

/** Judge every assertion against the query, for explanations and `policy-test`. */
export function judgeAssertions(ctx: QueryContext): AssertionVerdict[] {
  const out: AssertionVerdict[] = [];
  if (ctx.overflowed) return out;
  for (const a of ctx.set.all) {
    const s = ctx.scope(a);
    const reasons: string[] = [];
    const cond = ctx.conditionsValue(a);
    let condNear = cond > 0 ? 1 : 0;
    if (a.conditions !== undefined && cond === 0) {
      if (a.conditions.length === 0) reasons.push('Conditions field is empty (an empty Conditions never grants)');
      else {
        const n = nearness(a.conditions, s);
        condNear = n.score;
        if (n.clause) reasons.push(describeClause(a, n.clause, s, ctx));
      }
    } else if (cond < ctx.maxIndex) {
      reasons.push(`conditions give only ${JSON.stringify(ctx.valueName(cond))}`);
    }
    let lic: number;
    if (a.licensees === undefined) lic = ctx.maxIndex;
    else if (a.licensees === null) {
      lic = 0;
      reasons.push('Licensees field is empty (nobody is licensed)');
    } else {
      lic = ctx.licValue(a.licensees, a)[0];
      if (lic === 0) {
        const names = licPrincipals(a.licensees, a, s, []).map((p) => JSON.stringify(displayPrincipal(p)));
        const req = ctx.query.authorizers.map((p) => JSON.stringify(displayPrincipal(p))).join(', ') || 'none';
        reasons.push(`licensees not satisfied: ${quote(a, a.licensees).length > 120 ? names.join(', ') : quote(a, a.licensees).replace(/"passphrase:[^"]*"/g, '"passphrase:(secret)"')} — requesters: ${req}`);
      }
    }
    let reach = 1;
    if (a.authorizer !== POLICY && Math.min(lic, cond) > 0) {
      reach = 0;
      reasons.push(`Authorizer ${JSON.stringify(displayPrincipal(a.authorizer))} holds no authority from POLICY for this request`);
    }
    const score = (lic > 0 ? 1 : 0) + condNear + (a.authorizer === POLICY ? 0.25 : 0) + reach * 0.1;
    out.push({ assertion: a, where: `${a.file}:${positionOf(a).line}`, licensees: lic, conditions: cond, score, reasons });
  }
  return out;
}

export function explainRefusal(ctx: QueryContext): string {
  if (ctx.overflowed) return 'refused: the delegation graph is too deep to evaluate';
  if (ctx.set.all.length === 0) return 'the policy holds no assertions';
  if (!ctx.set.all.some((a) => a.authorizer === POLICY)) return 'no assertion has Authorizer "POLICY", so nothing can be granted';
  const verdicts = judgeAssertions(ctx);
  let best: AssertionVerdict | undefined;
  for (const v of verdicts) if (!best || v.score > best.score) best = v;
  const v = best!;
  const au = JSON.stringify(displayPrincipal(v.assertion.authorizer));
  const why = v.reasons.length ? v.reasons.join('; ') : 'it grants nothing for these requesters';
  return `closest assertion ${v.where} (Authorizer ${au}): ${why}`;
}

export function explainGrant(ctx: QueryContext, value: number): string {
  const granting = judgeAssertions(ctx).filter((v) => v.assertion.authorizer === POLICY && Math.min(v.licensees, v.conditions) >= value);
  const g = granting[0];
  if (!g) return `granted ${JSON.stringify(ctx.valueName(value))}`;
  const lic = g.assertion.licensees === undefined ? 'no Licensees field (anyone)' : `licensees ${quote(g.assertion, g.assertion.licensees ?? { pos: 0, end: 0 }).replace(/"passphrase:[^"]*"/g, '"passphrase:(secret)"')}`;
  return `granted ${JSON.stringify(ctx.valueName(value))} by assertion ${g.where} (${lic})`;
}
