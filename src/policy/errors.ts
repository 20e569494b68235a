// Syntax errors carry an absolute offset into the assertion source; the assertion parser turns them
// into line/column diagnostics. They never escape the parser's public functions.
export class PolicySyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly expected?: string,
  ) {
    super(message);
  }
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  file: string;
  line: number; // 1-based
  column: number; // 1-based
  message: string;
  expected?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  const exp = d.expected ? ` (expected ${d.expected})` : '';
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}${exp}`;
}

/** Offset -> 1-based line/column over a source text. */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(text: string, readonly firstLine = 1) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + this.firstLine, column: offset - this.starts[lo]! + 1 };
  }
}
