// isakmpd.policy: a sequence of trusted KeyNote assertions separated by blank lines (kn_read_asserts).
// Reading never throws: every problem is a diagnostic with file:line:column, and the caller decides
// (the daemon refuses to start on errors, and keeps the previous policy on a bad reload).
import fs from 'node:fs';
import { assertionChunks, parseAssertionAt, type Assertion } from '../assertion.js';
import type { Clause, Expr } from '../ast.js';
import { AssertionSet, POLICY } from '../compliance.js';
import { LineMap, type Diagnostic } from '../errors.js';
import { ISAKMPD_ATTRIBUTE_NAMES } from './attributes.js';

export const DEFAULT_POLICY_FILE = '/etc/isakmpd/isakmpd.policy';

export interface Policy {
  file: string;
  assertions: Assertion[];
  set: AssertionSet;
}

export interface PolicyLoad {
  policy: Policy;
  diagnostics: Diagnostic[];
}

const KNOWN = new Set<string>([...ISAKMPD_ATTRIBUTE_NAMES, '_MIN_TRUST', '_MAX_TRUST', '_VALUES', '_ACTION_AUTHORIZERS']);

export function parsePolicyText(text: string, file = '<policy>'): PolicyLoad {
  const lines = new LineMap(text);
  const diagnostics: Diagnostic[] = [];
  const assertions: Assertion[] = [];
  for (const [start, end] of assertionChunks(text)) {
    const r = parseAssertionAt(text, start, end, file, lines, true);
    if (!r.ok) {
      diagnostics.push(r.diagnostic);
      continue;
    }
    assertions.push(r.assertion);
    diagnostics.push(...lint(r.assertion));
  }
  if (assertions.length > 0 && !assertions.some((a) => a.authorizer === POLICY)) {
    diagnostics.push({ severity: 'warning', file, line: 1, column: 1, message: 'no assertion has Authorizer "POLICY": every Quick Mode will be refused' });
  }
  return { policy: { file, assertions, set: new AssertionSet(assertions) }, diagnostics };
}

export function loadPolicyFile(path = DEFAULT_POLICY_FILE): PolicyLoad {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return {
      policy: { file: path, assertions: [], set: new AssertionSet() },
      diagnostics: [{ severity: 'error', file: path, line: 0, column: 0, message: `cannot read policy file (${code}): ${(e as Error).message}` }],
    };
  }
  return parsePolicyText(text, path);
}

export interface PolicyReload extends PolicyLoad {
  /** false when the new file had errors and the previous policy stays in force */
  replaced: boolean;
}

/**
 * SIGHUP / FIFO "R": read the file again; on errors keep `current` and return the diagnostics that
 * say why. New policy applies to new Quick Mode decisions only.
 */
export function reloadPolicyFile(current: Policy, path = current.file): PolicyReload {
  const next = loadPolicyFile(path);
  if (hasErrors(next.diagnostics)) return { policy: current, diagnostics: next.diagnostics, replaced: false };
  return { ...next, replaced: true };
}

export const hasErrors = (d: Diagnostic[]): boolean => d.some((x) => x.severity === 'error');

/** Warnings for names isakmpd never sets: almost always a typo that makes a test silently false. */
function lint(a: Assertion): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!a.conditions) return out;
  const seen = new Set<string>();
  const visit = (e: Expr): void => {
    switch (e.k) {
      case 'var':
        if (!KNOWN.has(e.name) && !a.localConstants.has(e.name) && !/^_\d+$/.test(e.name) && !seen.has(e.name)) {
          seen.add(e.name);
          const { line, column } = a.lines.at(e.pos);
          out.push({ severity: 'warning', file: a.file, line, column, message: `'${e.name}' is not an attribute isakmpd sets; it is always ""` });
        }
        break;
      case 'deref': case 'toint': case 'tofloat': case 'neg': case 'not':
        visit(e.e);
        break;
      case 'concat': case 'arith': case 'rel': case 'and': case 'or':
        visit(e.a);
        visit(e.b);
        break;
      case 'regex':
        visit(e.a);
        visit(e.re);
        break;
    }
  };
  const walk = (cs: Clause[]): void => {
    for (const c of cs) {
      visit(c.test);
      if (c.value) visit(c.value);
      if (c.block) walk(c.block);
    }
  };
  walk(a.conditions);
  return out;
}
