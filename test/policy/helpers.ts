// Shared helpers for the policy tests: parse trusted assertions and run one query.
import assert from 'node:assert/strict';
import { parseAssertion, type Assertion } from '../../src/policy/assertion.js';
import { AssertionSet, evaluateQuery } from '../../src/policy/compliance.js';
import { parsePolicyText } from '../../src/policy/isakmpd/policy-file.js';

export function policySet(text: string): AssertionSet {
  const { policy, diagnostics } = parsePolicyText(text, 'test.policy');
  const errors = diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors, [], 'policy text should parse');
  return policy.set;
}

export function query(text: string, attrs: Record<string, string>, requesters: string[] = ['alice'], values = ['false', 'true']): string {
  return evaluateQuery(policySet(text), { values, authorizers: requesters, attributes: attrs }).value;
}

/** Value of a single Conditions program under POLICY with no Licensees field. */
export function cond(conditions: string, attrs: Record<string, string> = {}, values = ['false', 'true']): string {
  return query(`Authorizer: "POLICY"\nConditions: ${conditions}\n`, attrs, ['alice'], values);
}

export function mustParse(text: string, trusted = true): Assertion {
  const r = parseAssertion(text, 't', trusted);
  if (!r.ok) assert.fail(`unexpected parse error: ${JSON.stringify(r.diagnostic)}`);
  return r.assertion;
}

export function parseError(text: string): { line: number; column: number; message: string; expected?: string } {
  const r = parseAssertion(text, 't', true);
  if (r.ok) assert.fail('expected a parse error');
  return r.diagnostic;
}
