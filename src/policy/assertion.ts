// One KeyNote assertion (RFC 2704 section 4): field splitting with the label, continuation, comment
// and order rules, then each field handed to its sublanguage parser. Errors come back as
// diagnostics with line and column, never as exceptions.
import type { Clause, Expr, LicExpr } from './ast.js';
import { LineMap, PolicySyntaxError, type Diagnostic } from './errors.js';
import { canonicalPrincipal } from './keys.js';
import { parseConditions, parseLicensees, parseLocalConstants, parseStringField, parseVersion } from './parser.js';

export const FIELD_NAMES = ['KeyNote-Version', 'Local-Constants', 'Authorizer', 'Licensees', 'Conditions', 'Comment', 'Signature'] as const;
export type FieldName = (typeof FIELD_NAMES)[number];
const BY_LOWER = new Map<string, FieldName>(FIELD_NAMES.map((f) => [f.toLowerCase(), f]));

export interface Field {
  name: FieldName;
  labelPos: number; // offset of the label
  bodyStart: number; // after the colon
  bodyEnd: number;
}

export interface Assertion {
  /** full source the offsets below refer to */
  source: string;
  file: string;
  lines: LineMap;
  /** offset of the first character of the assertion */
  start: number;
  end: number;
  fields: Partial<Record<FieldName, Field>>;
  version?: string;
  localConstants: Map<string, string>;
  /** Authorizer as written (after constant substitution) and its comparison form */
  authorizer: string;
  authorizerKey: string;
  /** undefined when the field is missing (worth _MAX_TRUST), null when present but empty (_MIN_TRUST) */
  licensees: LicExpr | null | undefined;
  /** undefined when missing (_MAX_TRUST); [] when empty (_MIN_TRUST) */
  conditions: Clause[] | undefined;
  comment?: string;
  signature?: { value: string; labelPos: number };
  /** policy-file assertions are trusted: no signature needed */
  trusted: boolean;
}

export type ParseResult = { ok: true; assertion: Assertion } | { ok: false; diagnostic: Diagnostic };

/**
 * Parse the assertion in source[start, end). `lines` maps offsets of `source` to file positions.
 */
export function parseAssertionAt(source: string, start: number, end: number, file: string, lines: LineMap, trusted: boolean): ParseResult {
  const diag = (offset: number, message: string, expected?: string): ParseResult => {
    const { line, column } = lines.at(offset);
    return { ok: false, diagnostic: { severity: 'error', file, line, column, message, ...(expected ? { expected } : {}) } };
  };
  try {
    const split = splitFields(source, start, end);
    if ('error' in split) return diag(split.error.offset, split.error.message, split.error.expected);
    const { fields, order, first } = split;
    if (order.length === 0) return diag(start, 'empty assertion', 'a field such as Authorizer:');
    const kv = fields['KeyNote-Version'];
    if (kv && order[0] !== kv) return diag(kv.labelPos, 'KeyNote-Version must be the first field', 'KeyNote-Version before other fields');
    const sig = fields.Signature;
    if (sig && order[order.length - 1] !== sig) return diag(order[order.length - 1]!.labelPos, 'no field may follow Signature', 'Signature as the last field');
    const au = fields.Authorizer;
    if (!au) return diag(start, 'assertion has no Authorizer field', 'an Authorizer: field');

    const version = kv ? parseVersion(source, kv.bodyStart, kv.bodyEnd) : undefined;
    const localConstants = new Map<string, string>();
    const lc = fields['Local-Constants'];
    if (lc) for (const c of parseLocalConstants(source, lc.bodyStart, lc.bodyEnd)) localConstants.set(c.name, c.value);

    const authExpr = parseStringField(source, au.bodyStart, au.bodyEnd, 'the authorizing principal');
    const authorizer = constantString(authExpr, localConstants);
    if (authorizer === null) return diag(au.bodyStart, 'Authorizer must be a string or a Local-Constants name', 'a quoted principal');
    if (authorizer === '') return diag(au.bodyStart, 'Authorizer is empty', 'a principal');
    if (authorizer === 'POLICY' && !trusted) return diag(au.bodyStart, 'only local (trusted) assertions may have Authorizer "POLICY"', 'a key as Authorizer');

    const li = fields.Licensees;
    const licensees = li ? parseLicensees(source, li.bodyStart, li.bodyEnd) : undefined;
    const co = fields.Conditions;
    const conditions = co ? parseConditions(source, co.bodyStart, co.bodyEnd) : undefined;
    const cm = fields.Comment;
    let signature: Assertion['signature'];
    if (sig) {
      const e = parseStringField(source, sig.bodyStart, sig.bodyEnd, 'the signature string');
      if (e.k !== 'str') return diag(sig.bodyStart, 'Signature must be a quoted string', 'a quoted "sig-...:..." string');
      signature = { value: e.v, labelPos: sig.labelPos };
    }
    const assertion: Assertion = {
      source,
      file,
      lines,
      start: first,
      end,
      fields,
      ...(version !== undefined ? { version } : {}),
      localConstants,
      authorizer,
      authorizerKey: canonicalPrincipal(authorizer),
      licensees,
      conditions,
      ...(cm ? { comment: source.slice(cm.bodyStart, cm.bodyEnd).trim() } : {}),
      ...(signature ? { signature } : {}),
      trusted,
    };
    return { ok: true, assertion };
  } catch (e) {
    if (e instanceof PolicySyntaxError) return diag(e.offset, e.message, e.expected);
    throw e;
  }
}

/** Authorizer values are fixed when the assertion is read: literals, constants and concatenations. */
function constantString(e: Expr, consts: Map<string, string>): string | null {
  switch (e.k) {
    case 'str':
      return e.v;
    case 'var':
      return consts.get(e.name) ?? null;
    case 'concat': {
      const a = constantString(e.a, consts);
      const b = constantString(e.b, consts);
      return a === null || b === null ? null : a + b;
    }
    default:
      return null;
  }
}

type SplitOk = { fields: Partial<Record<FieldName, Field>>; order: Field[]; first: number };
type SplitErr = { error: { offset: number; message: string; expected?: string } };

function splitFields(src: string, start: number, end: number): SplitOk | SplitErr {
  const fields: Partial<Record<FieldName, Field>> = {};
  const order: Field[] = [];
  let cur: Field | null = null;
  let first = -1;
  let pos = start;
  let sawBlank = false;
  while (pos < end) {
    let eol = src.indexOf('\n', pos);
    if (eol < 0 || eol > end) eol = end;
    const line = src.slice(pos, eol);
    const lineEnd = line.endsWith('\r') ? eol - 1 : eol;
    const c = line[0];
    if (line.trim() === '') {
      if (cur || order.length) sawBlank = true;
    } else if (c === '#') {
      // comment line: skipped, but it is part of the signed text
      if (first < 0) first = pos;
    } else if (c === ' ' || c === '\t') {
      if (sawBlank) return { error: { offset: pos, message: 'blank line inside an assertion', expected: 'assertions separated by blank lines, fields without blank lines' } };
      if (!cur) return { error: { offset: pos, message: 'indented line before any field', expected: "a field label such as 'Authorizer:' at the start of the line" } };
      cur.bodyEnd = lineEnd;
    } else {
      if (sawBlank) return { error: { offset: pos, message: 'blank line inside an assertion', expected: 'assertions separated by blank lines, fields without blank lines' } };
      const m = /^([A-Za-z][A-Za-z0-9-]*)[ \t]*:/.exec(line);
      if (!m) return { error: { offset: pos, message: `not a field label: '${line.slice(0, 30)}'`, expected: `a field label: ${FIELD_NAMES.join(', ')}` } };
      const name = BY_LOWER.get(m[1]!.toLowerCase());
      if (!name) return { error: { offset: pos, message: `unknown field '${m[1]}'`, expected: `one of ${FIELD_NAMES.join(', ')}` } };
      if (fields[name]) return { error: { offset: pos, message: `field ${name} appears twice`, expected: 'each field at most once' } };
      if (first < 0) first = pos;
      cur = { name, labelPos: pos, bodyStart: pos + m[0].length, bodyEnd: lineEnd };
      fields[name] = cur;
      order.push(cur);
    }
    pos = eol + 1;
  }
  return { fields, order, first: first < 0 ? start : first };
}

/** Exact text covered by the signature: from the first line through the newline before "Signature:". */
export function signedText(a: Assertion): string | null {
  if (!a.signature) return null;
  return a.source.slice(a.start, a.signature.labelPos);
}

/** Parse a standalone assertion text (a credential, a -l file). */
export function parseAssertion(text: string, file = '<assertion>', trusted = false): ParseResult {
  return parseAssertionAt(text, 0, text.length, file, new LineMap(text), trusted);
}

export function positionOf(a: Assertion, offset = a.start): { file: string; line: number; column: number } {
  return { file: a.file, ...a.lines.at(offset) };
}

/**
 * Runs of non-blank lines as [start, end) offsets: how kn_read_asserts splits a file into
 * assertions. Runs holding only comment lines are skipped.
 */
export function* assertionChunks(text: string): Generator<[number, number]> {
  let pos = 0;
  let start = -1;
  let lastEnd = 0;
  let content = false;
  while (pos <= text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const line = text.slice(pos, eol);
    if (line.trim() === '') {
      if (start >= 0 && content) yield [start, lastEnd];
      start = -1;
      content = false;
    } else {
      if (start < 0) start = pos;
      if (!line.startsWith('#')) content = true;
      lastEnd = eol;
    }
    pos = eol + 1;
  }
  if (start >= 0 && content) yield [start, lastEnd];
}
