import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAssertion } from '../../src/policy/assertion.js';
import { evaluateQuery, AssertionSet } from '../../src/policy/compliance.js';
import { parsePolicyText } from '../../src/policy/isakmpd/policy-file.js';
import { compilePosix } from '../../src/policy/posix-regex.js';

// Fragments that steer random text into the grammar's corners.
const PIECES = [
  'Authorizer: ', 'Licensees: ', 'Conditions: ', 'Local-Constants: ', 'KeyNote-Version: ', 'Comment: ', 'Signature: ',
  '"POLICY"', '"a"', '"b\\n"', '"\\101"', '"x\\', '\n', '\n ', '\n\n', '#', '&&', '||', '!', '(', ')', '{', '}', ';', ',', '->',
  '==', '!=', '<', '>=', '~=', '.', '@', '&', '$', '+', '-', '*', '/', '%', '^', '2-of(', '0-of(', 'true', 'FALSE',
  'esp_present', '_1', '_MAX_TRUST', '1', '2.5', '"[a-"', '"^(.*)$"', '=', 'x = "y"', '"rsa-hex:00"', '"x509-base64:AAA="',
];

describe('policy/fuzz: random assertion text never crashes the parser or the evaluator', () => {
  it('structured fragments', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), fc.array(fc.constantFrom('a', 'b', 'POLICY'), { maxLength: 3 }), (parts, req) => {
        const text = parts.join('');
        const r = parseAssertion(text, 'f', true);
        assert.equal(typeof r.ok, 'boolean');
        if (!r.ok) {
          assert.ok(r.diagnostic.line >= 1 && r.diagnostic.column >= 1);
          return;
        }
        const q = evaluateQuery(new AssertionSet([r.assertion]), { values: ['false', 'true'], authorizers: req.length ? req : ['a'], attributes: { esp_present: 'yes' } });
        assert.ok(q.index === 0 || q.index === 1);
      }),
      { numRuns: 3000, seed: 2704 },
    );
  });

  it('arbitrary unicode text as a policy file', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const l = parsePolicyText(text, 'f');
        for (const d of l.diagnostics) assert.ok(d.line >= 1);
      }),
      { numRuns: 2000, seed: 2409 },
    );
  });

  it('mutations of a valid policy', () => {
    const base = 'KeyNote-Version: 2\nLocal-Constants: A = "x"\nAuthorizer: "POLICY"\nLicensees: 2-of("a", A, "c") || ("d" && "e")\nConditions: app_domain == "IPsec policy" -> { @n > 3 -> "true"; s ~= "^(a+)$" && _1 == "aa"; };\nComment: c\n';
    fc.assert(
      fc.property(fc.nat({ max: base.length - 1 }), fc.nat({ max: 5 }), fc.string({ maxLength: 3 }), (at, del, ins) => {
        const text = base.slice(0, at) + ins + base.slice(at + del);
        const r = parseAssertion(text, 'm', true);
        if (r.ok) evaluateQuery(new AssertionSet([r.assertion]), { values: ['false', 'true'], authorizers: ['a', 'c'], attributes: { n: '5', s: 'aa' } });
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  it('regular expression translation never throws anything but its own error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (re) => {
        try {
          compilePosix(re);
        } catch (e) {
          assert.equal((e as Error).constructor.name, 'RegexError');
        }
      }),
      { numRuns: 3000, seed: 1003 },
    );
  });
});
