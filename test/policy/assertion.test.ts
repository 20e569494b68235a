import assert from 'node:assert/strict';
import { signedText } from '../../src/policy/assertion.js';
import { mustParse, parseError } from './helpers.js';

describe('policy/assertion: fields', () => {
  it('reads every field, with case-insensitive labels', () => {
    const a = mustParse(
      'keynote-version: 2\nLOCAL-CONSTANTS: A = "x" B="y"\nauthorizer: "POLICY"\nLicensees: A\nConDitions: true;\nComment: hello\n  world\nSignature: "sig-rsa-sha1-hex:00"\n',
      true,
    );
    assert.equal(a.version, '2');
    assert.equal(a.authorizer, 'POLICY');
    assert.deepEqual([...a.localConstants], [['A', 'x'], ['B', 'y']]);
    assert.equal(a.comment, 'hello\n  world');
    assert.equal(a.signature?.value, 'sig-rsa-sha1-hex:00');
    assert.ok(a.licensees && a.licensees.k === 'key');
    assert.equal(a.conditions?.length, 1);
  });

  it('distinguishes a missing field from an empty one', () => {
    const missing = mustParse('Authorizer: "POLICY"\n');
    assert.equal(missing.licensees, undefined);
    assert.equal(missing.conditions, undefined);
    const empty = mustParse('Authorizer: "POLICY"\nLicensees:\nConditions:\n');
    assert.equal(empty.licensees, null);
    assert.deepEqual(empty.conditions, []);
  });

  it('joins continuation lines and skips comment lines', () => {
    const a = mustParse('Authorizer: "POLICY"\n# a comment line\nLicensees: "a" ||\n\t"b" # trailing comment\n   || "c"\n');
    assert.ok(a.licensees?.k === 'or');
  });

  it('uses Local-Constants as the Authorizer', () => {
    const a = mustParse('Local-Constants: Me = "key-of-me"\nAuthorizer: Me\n', true);
    assert.equal(a.authorizer, 'key-of-me');
  });

  it('decodes string escapes and backslash-newline', () => {
    const a = mustParse('Authorizer: "PO\\\n     LICY"\nLocal-Constants: X = "a\\tb\\n\\101\\0\\q"\n');
    assert.equal(a.authorizer, 'POLICY');
    assert.equal(a.localConstants.get('X'), 'a\tb\nA0q');
  });

  it('signed text runs from the first line through the newline before Signature', () => {
    const text = 'KeyNote-Version: 2\nAuthorizer: "k"\nSignature: "sig-rsa-sha1-hex:00"\n';
    const a = mustParse(text, false);
    assert.equal(signedText(a), 'KeyNote-Version: 2\nAuthorizer: "k"\n');
  });
});

describe('policy/assertion: errors carry line, column and what was expected', () => {
  const cases: Array<[string, string, number, number, RegExp]> = [
    ['no Authorizer', 'Licensees: "a"\n', 1, 1, /no Authorizer/],
    ['unknown label', 'Authorizer: "POLICY"\nLicencees: "a"\n', 2, 1, /unknown field 'Licencees'/],
    ['duplicate field', 'Authorizer: "POLICY"\nauthorizer: "x"\n', 2, 1, /appears twice/],
    ['version not first', 'Authorizer: "POLICY"\nKeyNote-Version: 2\n', 2, 1, /must be the first/],
    ['field after Signature', 'Authorizer: "k"\nSignature: "x"\nComment: late\n', 3, 1, /no field may follow Signature/],
    ['bad version', 'KeyNote-Version: 3\nAuthorizer: "POLICY"\n', 1, 18, /unsupported KeyNote-Version/],
    ['unterminated string', 'Authorizer: "POLICY\n', 1, 13, /unterminated string/],
    ['missing semicolon', 'Authorizer: "POLICY"\nConditions: a == "b"\n', 2, 21, /unexpected end of field/],
    ['mixed types', 'Authorizer: "POLICY"\nConditions: @a == "b";\n', 2, 16, /cannot compare a integer with a string/],
    ['float equality', 'Authorizer: "POLICY"\nConditions: &a == 1.0;\n', 2, 16, /cannot be tested for equality/],
    ['K-of too short', 'Authorizer: "POLICY"\nLicensees: 3-of("a", "b")\n', 2, 12, /lists only 2 principals/],
    ['reserved constant', 'Local-Constants: _x = "1"\nAuthorizer: "POLICY"\n', 1, 18, /reserved/],
    ['duplicate constant', 'Local-Constants: a = "1" a = "2"\nAuthorizer: "POLICY"\n', 1, 26, /defined twice/],
    ['indented first line', '  Authorizer: "POLICY"\n', 1, 1, /indented line before any field/],
    ['blank line inside', 'Authorizer: "POLICY"\n\nLicensees: "a"\n', 3, 1, /blank line inside/],
    ['stray character', 'Authorizer: "POLICY"\nConditions: a == "b" ` ;\n', 2, 22, /unexpected character/],
  ];
  for (const [name, text, line, column, re] of cases) {
    it(name, () => {
      const d = parseError(text);
      assert.match(d.message, re);
      assert.equal(d.line, line, `line of ${JSON.stringify(d)}`);
      assert.equal(d.column, column, `column of ${JSON.stringify(d)}`);
      assert.ok(d.expected, 'names what was expected');
    });
  }

  it('rejects Authorizer POLICY on an untrusted assertion', async () => {
    const { parseAssertion } = await import('../../src/policy/assertion.js');
    const r = parseAssertion('Authorizer: "POLICY"\n', 'c', false);
    assert.equal(r.ok, false);
  });
});
