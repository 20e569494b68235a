// The isakmpd.conf lexer. It reproduces what isakmpd's parser does with each line (conf.c conf_parse and
// conf_parse_line) rather than what a generic INI reader would do, because an operator's existing file must
// keep its meaning. Every value keeps the file and line it came from. Where isakmpd silently drops text,
// the diagnostic is an error: the operator almost certainly meant something by it.
import type { Diagnostic } from './diagnostics.js';

export interface LexEntry {
  /** Section name exactly as written between the brackets (case kept; matching is case-insensitive). */
  section: string;
  /** Tag as isakmpd cuts it: from the line start up to the first space, tab or '='. */
  tag: string;
  value: string;
  /** First physical line of the (possibly continued) logical line. */
  line: number;
}

export interface LexHeader {
  name: string;
  line: number;
}

export interface LexResult {
  file: string;
  headers: LexHeader[];
  entries: LexEntry[];
  diagnostics: Diagnostic[];
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';

/**
 * Split text into logical lines the way isakmpd does: a backslash right before a newline turns both into
 * spaces and joins the next line; a last line without a newline is dropped.
 */
function logicalLines(text: string): { lines: { text: string; line: number }[]; tail?: { text: string; line: number } } {
  const lines: { text: string; line: number }[] = [];
  let start = 0;
  let startLine = 1;
  let physical = 1;
  let buf = '';
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 10) continue;
    if (i > 0 && text[i - 1] === '\\') {
      // Escaped newline: the backslash and the newline both become spaces.
      buf += text.slice(start, i - 1) + '  ';
      start = i + 1;
      physical++;
      continue;
    }
    lines.push({ text: buf + text.slice(start, i), line: startLine });
    buf = '';
    start = i + 1;
    physical++;
    startLine = physical;
  }
  if (start < text.length || buf !== '') return { lines, tail: { text: buf + text.slice(start), line: startLine } };
  return { lines };
}

export function lex(text: string, file: string): LexResult {
  const headers: LexHeader[] = [];
  const entries: LexEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  const diag = (severity: Diagnostic['severity'], line: number, code: string, message: string, hint?: string, section?: string, tag?: string): void => {
    diagnostics.push({ severity, file, line, code, message, ...(hint ? { hint } : {}), ...(section !== undefined ? { section } : {}), ...(tag !== undefined ? { tag } : {}) });
  };

  const { lines, tail } = logicalLines(text);
  // null: no section yet, or the last header was unmatched (isakmpd ignores lines until the next good header).
  let section: string | null = null;
  let lostHeaderLine = 0;

  for (const { text: raw, line } of lines) {
    let l = raw;
    const nul = l.indexOf('\0');
    if (nul >= 0) {
      diag('error', line, 'nul-byte', 'line contains a NUL byte; isakmpd stops reading the line there', 'remove the NUL byte (the file may be binary or corrupted)', section ?? undefined);
      l = l.slice(0, nul);
    }
    if (l[0] === '#' || l[0] === ';') continue;

    if (l[0] === '[') {
      const close = l.indexOf(']', 1);
      if (close < 0) {
        diag('error', line, 'unmatched-bracket', "unmatched ']' in section header; isakmpd ignores every line until the next section header",
          `write the header as [${l.slice(1).trim()}]`);
        section = null;
        lostHeaderLine = line;
        continue;
      }
      section = l.slice(1, close);
      headers.push({ name: section, line });
      const rest = l.slice(close + 1);
      if (rest.trim() !== '') diag('warning', line, 'header-trailing-text', `text after ']' is ignored: '${rest.trim()}'`, 'put nothing after the closing bracket; comments go on their own line starting with # or ;', section);
      if (section === '') diag('warning', line, 'empty-section-name', 'empty section name []', 'name the section, e.g. [General]');
      else if (section !== section.trim()) diag('warning', line, 'section-name-spaces', `section name has leading or trailing blanks: '[${section}]'; they are part of the name`, `write [${section.trim()}]`, section);
      continue;
    }

    const eq = l.indexOf('=');
    if (eq >= 0) {
      if (section === null) {
        if (lostHeaderLine) diag('error', line, 'no-section', `line ignored: it follows the malformed section header on line ${lostHeaderLine}`, "close that header with ']'");
        else diag('error', line, 'no-section', 'assignment before any [Section] header is ignored', 'put a section header such as [General] above it');
        continue;
      }
      let tagEnd = 0;
      while (tagEnd < l.length && l[tagEnd] !== ' ' && l[tagEnd] !== '\t' && l[tagEnd] !== '=') tagEnd++;
      const tag = l.slice(0, tagEnd);
      let v = eq + 1;
      while (v < l.length && (l[v] === ' ' || l[v] === '\t')) v++;
      // isakmpd trims trailing whitespace (isspace) but never the value's first character.
      let end = l.length;
      while (end - 1 > v && isSpace(l[end - 1]!)) end--;
      const value = l.slice(v, end);
      if (tag === '') {
        if (l[0] === '=') diag('error', line, 'empty-tag', "no tag name before '='; the value is unreachable", 'write Tag=Value', section);
        else diag('error', line, 'empty-tag', 'the line starts with a blank, so isakmpd reads an empty tag name and the value is unreachable',
          `remove the leading blanks: '${l.trim()}'`, section);
        continue; // isakmpd stores it under the empty tag, where nothing ever reads it
      }
      const between = l.slice(tagEnd, eq);
      if (between.trim() !== '') diag('warning', line, 'tag-with-space', `the tag ends at the first blank: isakmpd reads tag '${tag}' and ignores '${between.trim()}'`,
        `tag names have no spaces; write '${tag}${between.trim()}=' or fix the spelling`, section, tag);
      if (/[ \t][#;]/.test(value)) diag('warning', line, 'midline-comment', "'#' or ';' in the middle of a line does not start a comment: it stays part of the value",
        `move the comment to its own line; the value read is '${value}'`, section, tag);
      entries.push({ section, tag, value, line });
      continue;
    }

    // No '=': isakmpd logs "syntax error" unless the line is blank (only spaces and tabs).
    const nonBlank = l.replace(/^[ \t]+/, '');
    if (nonBlank !== '') {
      if (nonBlank.trim() === '') diag('warning', line, 'stray-whitespace', 'line holds only whitespace such as a carriage return; isakmpd logs a syntax error for it', 'save the file with Unix (LF) line ends', section ?? undefined);
      else if (nonBlank[0] === '#' || nonBlank[0] === ';' || nonBlank[0] === '[')
        diag('error', line, 'indented', `comments and section headers must start in the first column; isakmpd reports a syntax error for '${nonBlank.trim()}'`, 'remove the leading blanks', section ?? undefined);
      else diag('error', line, 'syntax', `syntax error: '${l.trim()}' is neither a [Section] header, a Tag=Value line nor a comment`, 'write Tag=Value, or start a comment with # or ; in the first column', section ?? undefined);
    }
  }

  if (tail !== undefined) {
    const t = tail.text;
    if (t.trim() === '' || t[0] === '#' || t[0] === ';') diag('warning', tail.line, 'unterminated', 'last line has no newline and is ignored by isakmpd', 'end the file with a newline');
    else diag('error', tail.line, 'unterminated', `last line has no newline, so isakmpd ignores it: '${t.trim()}'`, 'end the file with a newline');
  }
  return { file, headers, entries, diagnostics };
}
