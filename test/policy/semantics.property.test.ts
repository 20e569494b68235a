import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AssertionSet, evaluateQuery } from '../../src/policy/compliance.js';
import { parsePolicyText } from '../../src/policy/isakmpd/policy-file.js';

// Random delegation graphs (with cycles, K-of, && and ||, multi-valued conditions) checked against
// a reference written straight from the definition: the least fixed point of
//   value(p) = max(direct(p), max over assertions A by p of min(cond(A), lic(A)))
// computed by plain iteration from _MIN_TRUST.

const VALUES = ['v0', 'v1', 'v2', 'v3'];
const AUTHS = ['POLICY', 'p1', 'p2', 'p3', 'p4'];
const NAMES = ['p1', 'p2', 'p3', 'p4', 'k1', 'k2'];

type Lic = { k: 'key'; n: string } | { k: 'and' | 'or'; a: Lic; b: Lic } | { k: 'kof'; n: number; keys: string[] };
interface Gen {
  auth: string;
  lic: Lic | null; // null: no Licensees field
  cond: number | null; // null: no Conditions field
}

const licArb: fc.Arbitrary<Lic> = fc.letrec<{ lic: Lic }>((tie) => ({
  lic: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ k: fc.constant('key' as const), n: fc.constantFrom(...NAMES) }),
    fc.record({ k: fc.constantFrom('and' as const, 'or' as const), a: tie('lic'), b: tie('lic') }),
    fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 4 }).chain((keys) =>
      fc.integer({ min: 1, max: keys.length }).map((n) => ({ k: 'kof' as const, n, keys })),
    ),
  ),
})).lic;

const genArb: fc.Arbitrary<Gen> = fc.record({
  auth: fc.constantFrom(...AUTHS),
  lic: fc.option(licArb, { nil: null, freq: 5 }),
  cond: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 4 }),
});

function licText(l: Lic): string {
  switch (l.k) {
    case 'key':
      return `"${l.n}"`;
    case 'kof':
      return `${l.n}-of(${l.keys.map((k) => `"${k}"`).join(', ')})`;
    default:
      return `(${licText(l.a)} ${l.k === 'and' ? '&&' : '||'} ${licText(l.b)})`;
  }
}

function text(gs: Gen[]): string {
  return gs
    .map((g) => {
      let t = `Authorizer: "${g.auth}"\n`;
      if (g.lic) t += `Licensees: ${licText(g.lic)}\n`;
      if (g.cond !== null) t += `Conditions: true -> "${VALUES[g.cond]}";\n`;
      return t;
    })
    .join('\n');
}

function reference(gs: Gen[], requesters: string[]): Map<string, number> {
  const max = VALUES.length - 1;
  const val = new Map<string, number>();
  const get = (p: string): number => (requesters.includes(p) ? max : (val.get(p) ?? 0));
  const lic = (l: Lic): number => {
    switch (l.k) {
      case 'key':
        return get(l.n);
      case 'and':
        return Math.min(lic(l.a), lic(l.b));
      case 'or':
        return Math.max(lic(l.a), lic(l.b));
      case 'kof':
        return l.keys.map(get).sort((x, y) => y - x)[l.n - 1]!;
    }
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of AUTHS) {
      let v = get(p);
      for (const g of gs) if (g.auth === p) v = Math.max(v, Math.min(g.cond ?? max, g.lic ? lic(g.lic) : max));
      if (v !== get(p)) {
        val.set(p, v);
        changed = true;
      }
    }
  }
  return val;
}

function engine(gs: Gen[], requesters: string[]): AssertionSet {
  const l = parsePolicyText(text(gs), 'p');
  assert.deepEqual(l.diagnostics.filter((d) => d.severity === 'error'), [], text(gs));
  return l.policy.set;
}

describe('policy/semantics: random delegation graphs', () => {
  it('the engine agrees with the least fixed point, cycles included', () => {
    fc.assert(
      fc.property(fc.array(genArb, { maxLength: 8 }), fc.subarray(['k1', 'k2', 'p3']), (gs, req) => {
        const set = engine(gs, req);
        const want = reference(gs, req);
        const got = evaluateQuery(set, { values: VALUES, authorizers: req, attributes: {} });
        assert.equal(got.index, req.includes('POLICY') ? 3 : (want.get('POLICY') ?? 0), text(gs));
        for (const p of ['p1', 'p2', 'p4']) {
          const fresh = evaluateQuery(set, { values: VALUES, authorizers: req, attributes: {} }).context;
          assert.equal(fresh.principalValue(p), want.get(p) ?? 0, `${p} in\n${text(gs)}`);
        }
      }),
      { numRuns: 1500, seed: 42 },
    );
  });

  it('assertion monotonicity: removing an assertion never raises the answer', () => {
    fc.assert(
      fc.property(fc.array(genArb, { minLength: 1, maxLength: 8 }), fc.nat(), fc.subarray(['k1', 'k2']), (gs, drop, req) => {
        const all = evaluateQuery(engine(gs, req), { values: VALUES, authorizers: req, attributes: {} }).index;
        const fewer = gs.filter((_, i) => i !== drop % gs.length);
        const less = evaluateQuery(engine(fewer, req), { values: VALUES, authorizers: req, attributes: {} }).index;
        assert.ok(less <= all, text(gs));
      }),
      { numRuns: 1000, seed: 7 },
    );
  });
});
