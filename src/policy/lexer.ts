// Tokens of the KeyNote expression sublanguages (Local-Constants, Authorizer, Licensees, Conditions,
// Signature, KeyNote-Version). The lexer works on a slice of the original assertion text so every
// token keeps its absolute offset and errors can name line and column in the file.
import { PolicySyntaxError } from './errors.js';

export type TokType =
  | 'str' | 'num' | 'float' | 'var' | 'kof' | 'true' | 'false' | 'eof'
  | '(' | ')' | '{' | '}' | ';' | ',' | '->' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '~=' | '='
  | '&&' | '||' | '!' | '+' | '-' | '*' | '/' | '%' | '^' | '.' | '@' | '&' | '$';

export interface Token {
  type: TokType;
  text: string; // decoded value for strings, source text otherwise
  pos: number;
  end: number;
  num?: number; // for num, float and kof
}

const PUNCT: TokType[] = ['->', '==', '!=', '<=', '>=', '~=', '&&', '||', '(', ')', '{', '}', ';', ',', '<', '>', '=', '!', '+', '-', '*', '/', '%', '^', '.', '@', '&', '$'];

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdent(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Decode a KeyNote string literal starting at src[pos] === '"'. Returns value and end offset. */
export function readString(src: string, pos: number, limit: number): { value: string; end: number } {
  let i = pos + 1;
  let out = '';
  while (i < limit) {
    const c = src[i]!;
    if (c === '"') return { value: out, end: i + 1 };
    if (c === '\n') throw new PolicySyntaxError('newline inside a string literal (end the line with \\ to continue it)', i, 'closing "');
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined || i + 1 >= limit) break;
      if (n === '\n' || (n === '\r' && src[i + 2] === '\n')) {
        // backslash-newline: skip the newline and the indentation of the next line
        i += n === '\r' ? 3 : 2;
        while (i < limit && (src[i] === ' ' || src[i] === '\t')) i++;
        continue;
      }
      if (n >= '0' && n <= '7') {
        let j = i + 1;
        let v = 0;
        while (j < limit && j < i + 4 && src[j]! >= '0' && src[j]! <= '7') v = v * 8 + (src.charCodeAt(j++) - 48);
        out += v === 0 ? '0' : String.fromCharCode(v & 0xff);
        i = j;
        continue;
      }
      out += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n === 'f' ? '\f' : n;
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  throw new PolicySyntaxError('unterminated string literal', pos, 'closing "');
}

export function tokenize(src: string, start: number, end: number): Token[] {
  const toks: Token[] = [];
  let i = start;
  while (i < end) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      i++;
      continue;
    }
    if (c === 35 /* # */) {
      while (i < end && src[i] !== '\n') i++;
      continue;
    }
    if (c === 34 /* " */) {
      const s = readString(src, i, end);
      toks.push({ type: 'str', text: s.value, pos: i, end: s.end });
      i = s.end;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      while (j < end && isDigit(src.charCodeAt(j))) j++;
      // K-of( threshold: digits immediately followed by "-of"
      if (src.startsWith('-of', j) && j + 3 <= end && !isIdent(src.charCodeAt(j + 3))) {
        const k = Number(src.slice(i, j));
        if (src[i] === '0') throw new PolicySyntaxError('the K in K-of must start with a digit 1-9', i, 'K-of(...)');
        toks.push({ type: 'kof', text: src.slice(i, j + 3), pos: i, end: j + 3, num: k });
        i = j + 3;
        continue;
      }
      if (src[j] === '.' && j + 1 < end && isDigit(src.charCodeAt(j + 1))) {
        j++;
        while (j < end && isDigit(src.charCodeAt(j))) j++;
        toks.push({ type: 'float', text: src.slice(i, j), pos: i, end: j, num: Number(src.slice(i, j)) });
      } else {
        toks.push({ type: 'num', text: src.slice(i, j), pos: i, end: j, num: Number(src.slice(i, j)) | 0 });
      }
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i;
      while (j < end && isIdent(src.charCodeAt(j))) j++;
      const w = src.slice(i, j);
      const lw = w.toLowerCase();
      toks.push({ type: lw === 'true' ? 'true' : lw === 'false' ? 'false' : 'var', text: w, pos: i, end: j });
      i = j;
      continue;
    }
    const p = PUNCT.find((op) => src.startsWith(op, i) && i + op.length <= end);
    if (!p) throw new PolicySyntaxError(`unexpected character '${src[i]}'`, i, 'an operator, string, number or name');
    toks.push({ type: p, text: p, pos: i, end: i + p.length });
    i += p.length;
  }
  toks.push({ type: 'eof', text: '', pos: end, end });
  return toks;
}

export function describeToken(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of field';
    case 'str':
      return `string "${t.text.length > 24 ? t.text.slice(0, 24) + '…' : t.text}"`;
    case 'var':
      return `name '${t.text}'`;
    case 'num':
    case 'float':
      return `number ${t.text}`;
    default:
      return `'${t.text}'`;
  }
}
