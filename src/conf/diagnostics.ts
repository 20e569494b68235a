// Every message about a configuration carries where it came from and what to write instead, so an operator
// can fix a file without reading the daemon's source.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** File the text came from; `<fifo>` for run-time changes, `<defaults>` for built-in values. */
  file: string;
  /** 1-based line; 0 when the problem has no single line (a missing section, a file-level check). */
  line: number;
  section?: string;
  tag?: string;
  message: string;
  /** What to write instead, or how to fix it. */
  hint?: string;
  /** Stable identifier so callers and tests can match a kind of problem without parsing prose. */
  code: string;
}

/** One line per diagnostic, compiler style: `file:line: error: [Section]:Tag: message (hint)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  const subject = d.section !== undefined ? `[${d.section}]${d.tag !== undefined ? `:${d.tag}` : ''}: ` : '';
  const hint = d.hint ? `\n    hint: ${d.hint}` : '';
  return `${where}: ${d.severity}: ${subject}${d.message}${hint}`;
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === 'error');

/** Sort by file, then line, keeping the original order for equal positions (Array.prototype.sort is stable). */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}
