import assert from 'node:assert/strict';
import { evaluateQuery } from '../../src/policy/compliance.js';
import { policySet, query } from './helpers.js';

const V3 = ['reject', 'log', 'approve'];

describe('policy/compliance: licensees', () => {
  const pol = (lic: string): string => `Authorizer: "POLICY"\nLicensees: ${lic}\n`;
  const cases: Array<[string, string[], string]> = [
    ['"a"', ['a'], 'true'],
    ['"a"', ['b'], 'false'],
    ['"a" && "b"', ['a'], 'false'],
    ['"a" && "b"', ['a', 'b'], 'true'],
    ['"a" || "b"', ['b'], 'true'],
    ['"a" || "b" && "c"', ['a'], 'true'], // && binds tighter
    ['("a" || "b") && "c"', ['a'], 'false'],
    ['2-of("a", "b", "c")', ['a', 'c'], 'true'],
    ['2-of("a", "b", "c")', ['c'], 'false'],
    ['2-of("a", "a", "c")', ['a'], 'true'], // repeats are counted
    ['3-of("a", "a", "b")', ['a'], 'false'],
    ['1-of("x", "y")', ['y'], 'true'],
  ];
  for (const [lic, req, want] of cases) {
    it(`${lic} with requesters ${req.join(',')} -> ${want}`, () => assert.equal(query(pol(lic), {}, req), want));
  }

  it('a missing Licensees field is worth _MAX_TRUST, an empty one _MIN_TRUST', () => {
    assert.equal(query('Authorizer: "POLICY"\n', {}, ['anyone']), 'true');
    assert.equal(query('Authorizer: "POLICY"\nLicensees:\n', {}, ['anyone']), 'false');
    assert.equal(query('Authorizer: "POLICY"\nConditions: true;\n', {}, ['anyone']), 'true');
    assert.equal(query('Authorizer: "POLICY"\nConditions:\n', {}, ['anyone']), 'false');
  });

  it('dereferences attributes and Local-Constants in Licensees', () => {
    assert.equal(query('Local-Constants: Bob = "key-bob"\nAuthorizer: "POLICY"\nLicensees: Bob\n', {}, ['key-bob']), 'true');
    assert.equal(query('Authorizer: "POLICY"\nLicensees: who\n', { who: 'carol' }, ['carol']), 'true');
    assert.equal(query('Authorizer: "POLICY"\nLicensees: "pre-" . who\n', { who: 'carol' }, ['pre-carol']), 'true');
  });

  it('Local-Constants shadow action attributes inside their own assertion only', () => {
    const text = 'Local-Constants: level = "high"\nAuthorizer: "POLICY"\nLicensees: "sub"\nConditions: level == "high";\n\nAuthorizer: "sub"\nConditions: level == "low";\n';
    assert.equal(query(text, { level: 'low' }, ['x']), 'true');
    assert.equal(query(text, { level: 'high' }, ['x']), 'false'); // sub sees the attribute, not POLICY's constant
  });
});

describe('policy/compliance: delegation', () => {
  it('follows a chain of opaque principals and applies every link\'s conditions', () => {
    const text = [
      'Authorizer: "POLICY"\nLicensees: "dept"\nConditions: app == "mail";',
      'Authorizer: "dept"\nLicensees: "team"\nConditions: @size < 100;',
      'Authorizer: "team"\nLicensees: "alice" || "bob"',
    ].join('\n\n');
    assert.equal(query(text, { app: 'mail', size: '10' }, ['bob']), 'true');
    assert.equal(query(text, { app: 'mail', size: '1000' }, ['bob']), 'false');
    assert.equal(query(text, { app: 'web', size: '10' }, ['bob']), 'false');
    assert.equal(query(text, { app: 'mail', size: '10' }, ['mallory']), 'false');
    assert.equal(query(text, { app: 'mail', size: '10' }, ['team']), 'true'); // an intermediate principal as requester
  });

  it('takes the best of several assertions for the same authorizer', () => {
    const text = 'Authorizer: "POLICY"\nLicensees: "a"\nConditions: true -> "log";\n\nAuthorizer: "POLICY"\nLicensees: "b"\nConditions: true -> "approve";\n';
    assert.equal(query(text, {}, ['a'], V3), 'log');
    assert.equal(query(text, {}, ['a', 'b'], V3), 'approve');
  });

  it('survives cycles: a cycle alone grants nothing, a grounded cycle grants', () => {
    const cyc = 'Authorizer: "POLICY"\nLicensees: "x"\n\nAuthorizer: "x"\nLicensees: "y"\n\nAuthorizer: "y"\nLicensees: "x"\n';
    assert.equal(query(cyc, {}, ['z']), 'false');
    const grounded = cyc + '\nAuthorizer: "y"\nLicensees: "z"\n';
    assert.equal(query(grounded, {}, ['z']), 'true');
    const self = 'Authorizer: "POLICY"\nLicensees: "POLICY" || "q"\n';
    assert.equal(query(self, {}, ['q']), 'true');
    assert.equal(query(self, {}, ['r']), 'false');
  });

  it('the value through a cycle is the best acyclic chain, not a leftover of evaluation order', () => {
    // x -> y (log only) and y -> x; y is also granted directly at approve. x's best chain is via y.
    const text = [
      'Authorizer: "POLICY"\nLicensees: "x" || "y"',
      'Authorizer: "x"\nLicensees: "y"\nConditions: true -> "log";',
      'Authorizer: "y"\nLicensees: "x" || "k"',
    ].join('\n\n');
    assert.equal(query(text, {}, ['k'], V3), 'approve');
    const set = policySet(text);
    const r = evaluateQuery(set, { values: V3, authorizers: ['k'], attributes: {} });
    assert.equal(r.context.principalValue('x'), 1);
    assert.equal(r.context.principalValue('y'), 2);
  });

  it('multi-valued compliance: reject < log < approve', () => {
    const text = [
      'Authorizer: "POLICY"\nLicensees: 2-of("k1", "k2", "k3")\nConditions: action == "spend" -> { @amount < 1000 -> "approve"; @amount < 10000 -> "log"; };',
      'Authorizer: "POLICY"\nLicensees: "k1"\nConditions: action == "spend" && @amount < 100 -> "approve"; action == "spend" -> "log";',
    ].join('\n\n');
    assert.equal(query(text, { action: 'spend', amount: '500' }, ['k1', 'k3'], V3), 'approve');
    assert.equal(query(text, { action: 'spend', amount: '5000' }, ['k2', 'k3'], V3), 'log');
    assert.equal(query(text, { action: 'spend', amount: '50000' }, ['k2', 'k3'], V3), 'reject');
    assert.equal(query(text, { action: 'spend', amount: '50' }, ['k1'], V3), 'approve');
    assert.equal(query(text, { action: 'spend', amount: '500' }, ['k1'], V3), 'log');
    assert.equal(query(text, { action: 'spend', amount: '500' }, ['k2'], V3), 'reject');
  });

  it('K-of takes the K-th highest value among licensees with different values', () => {
    const text = [
      'Authorizer: "POLICY"\nLicensees: 2-of("a", "b", "c")',
      'Authorizer: "a"\nLicensees: "ka"\nConditions: true -> "approve";',
      'Authorizer: "b"\nLicensees: "kb"\nConditions: true -> "log";',
    ].join('\n\n');
    assert.equal(query(text, {}, ['ka', 'kb'], V3), 'log');
    assert.equal(query(text, {}, ['ka'], V3), 'reject');
    assert.equal(query(text, {}, ['ka', 'kb', 'c'], V3), 'approve');
  });

  it('exposes _ACTION_AUTHORIZERS to Conditions', () => {
    assert.equal(query('Authorizer: "POLICY"\nConditions: _ACTION_AUTHORIZERS == "p,q";\n', {}, ['p', 'q']), 'true');
  });

  it('a chain of 200 principals resolves', () => {
    const parts = ['Authorizer: "POLICY"\nLicensees: "p0"'];
    for (let i = 0; i < 200; i++) parts.push(`Authorizer: "p${i}"\nLicensees: "p${i + 1}"\nConditions: @n > ${i % 7};`);
    const text = parts.join('\n\n');
    assert.equal(query(text, { n: '9' }, ['p200']), 'true');
    assert.equal(query(text, { n: '5' }, ['p200']), 'false');
  });
});

describe('policy/compliance: keynote(4) and keynote(5) manual examples', () => {
  // keynote(4): "A simple, if contrived, email certificate for user mab", trusted here so that its
  // placeholder signature is not checked, and licensed by a policy naming the CA key.
  const EMAIL = `KeyNote-Version: 2
Comment: A simple, if contrived, email certificate for user mab
Local-Constants:  ATT_CA_key = "RSA:acdfa1df1011bbac"
                  mab_key = "DSA:deadbeefcafe001a"
Authorizer: ATT_CA_key
Licensees: mab_key
Conditions: ((app_domain == "email")  # valid for email only
          && (address == "mab@research.att.com"));
Signature: "RSA-SHA1:f00f2244"
`;
  const POL = 'Authorizer: "POLICY"\nLicensees: "RSA:acdfa1df1011bbac"\n\n' + EMAIL;

  it('the email certificate grants mab, for email to the named address only', () => {
    assert.equal(query(POL, { app_domain: 'email', address: 'mab@research.att.com' }, ['DSA:deadbeefcafe001a']), 'true');
    assert.equal(query(POL, { app_domain: 'email', address: 'jf@research.att.com' }, ['DSA:deadbeefcafe001a']), 'false');
    assert.equal(query(POL, { app_domain: 'web', address: 'mab@research.att.com' }, ['DSA:deadbeefcafe001a']), 'false');
    assert.equal(query(POL, { app_domain: 'email', address: 'mab@research.att.com' }, ['DSA:other']), 'false');
  });

  it('keynote(5): Local-Constants without spaces around = and the address regular expression', () => {
    const text = 'Authorizer: "POLICY"\nLocal-Constants: Alice="DSA:4401ff92" Bob="RSA:d1234f"\nLicensees: Alice || Bob\nConditions: address ~= "^.*@keynote\\\\.research\\\\.att\\\\.com$";\n';
    assert.equal(query(text, { address: 'angelos@keynote.research.att.com' }, ['RSA:d1234f']), 'true');
    assert.equal(query(text, { address: 'angelos@keynote.research.att.com' }, ['DSA:4401ff92']), 'true');
    assert.equal(query(text, { address: 'angelos@research.att.com' }, ['RSA:d1234f']), 'false');
  });
});
