// POSIX 1003.2 extended regular expressions (regcomp with REG_EXTENDED) translated to JavaScript
// RegExp. The syntaxes mostly agree; the differences handled here are bracket expressions (a
// backslash is literal inside them, [:class:] names) and escapes JavaScript would read as classes.
// JavaScript picks the leftmost alternative rather than the POSIX leftmost-longest match, which only
// changes the text captured into _1.._N for ambiguous alternations, never whether a match exists.

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: '0-9A-Za-z', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', print: ' -~', graph: '!-~', cntrl: '\\x00-\\x1f\\x7f', xdigit: '0-9A-Fa-f',
};

export class RegexError extends Error {}

const cache = new Map<string, { re: RegExp; groups: number }>();

export function compilePosix(src: string): { re: RegExp; groups: number } {
  const hit = cache.get(src);
  if (hit) return hit;
  let out = '';
  let groups = 0;
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new RegexError('trailing backslash');
      // POSIX: an escaped character stands for itself
      out += /[A-Za-z0-9]/.test(n) ? n : '\\' + n;
      i += 2;
    } else if (c === '[') {
      const r = bracket(src, i);
      out += r.text;
      i = r.end;
    } else if (c === '(') {
      if (src[i + 1] === '?') throw new RegexError("'(?' is not POSIX syntax");
      groups++;
      out += c;
      i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (!m) throw new RegexError('invalid interval expression');
      out += m[0];
      i += m[0].length;
    } else {
      out += c;
      i++;
    }
  }
  let re: RegExp;
  try {
    re = new RegExp(out);
  } catch (e) {
    throw new RegexError(e instanceof Error ? e.message : String(e));
  }
  const r = { re, groups };
  if (cache.size > 1024) cache.clear();
  cache.set(src, r);
  return r;
}

function bracket(src: string, start: number): { text: string; end: number } {
  let i = start + 1;
  let out = '[';
  if (src[i] === '^') {
    out += '^';
    i++;
  }
  let first = true;
  for (;;) {
    if (i >= src.length) throw new RegexError("unterminated '[' bracket expression");
    const c = src[i]!;
    if (c === ']' && !first) return { text: out + ']', end: i + 1 };
    first = false;
    if (c === '[' && (src[i + 1] === ':' || src[i + 1] === '.' || src[i + 1] === '=')) {
      const kind = src[i + 1]!;
      const close = src.indexOf(kind + ']', i + 2);
      if (close < 0) throw new RegexError(`unterminated '[${kind}'`);
      const name = src.slice(i + 2, close);
      if (kind === ':') {
        const cls = CLASSES[name];
        if (!cls) throw new RegexError(`unknown character class [:${name}:]`);
        out += cls;
      } else out += escapeInClass(name);
      i = close + 2;
      continue;
    }
    out += c === '-' ? '-' : escapeInClass(c);
    i++;
  }
}

const escapeInClass = (s: string): string => s.replace(/[\\\]\[^]/g, '\\$&');
