// Small file readers shared by the keynote and policy-test commands.
import fs from 'node:fs';
import { readString } from '../lexer.js';

export interface Out {
  out(line: string): void;
  err(line: string): void;
}

export const consoleOut: Out = { out: (l) => console.log(l), err: (l) => console.error(l) };

export class UsageError extends Error {}

export function readText(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** keynote(1) environment file: lines `name = "value"`, # comments. */
export function parseEnvironment(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(line);
    if (!m) throw new UsageError(`${file}:${i + 1}: expected name = "value"`);
    const rest = line.slice(m[0].length);
    let value: string;
    if (rest.startsWith('"')) {
      try {
        const s = readString(rest, 0, rest.length);
        value = s.value;
        if (rest.slice(s.end).trim() !== '') throw new UsageError(`${file}:${i + 1}: text after the closing quote`);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`${file}:${i + 1}: ${(e as Error).message}`);
      }
    } else value = rest.trim();
    env[m[1]!] = value;
  }
  return env;
}

/** Principals file: one principal per line, quoted or bare. */
export function parsePrincipals(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.replace(/\\\r?\n\s*/g, '').split('\n')) {
    const l = raw.trim();
    if (!l || l.startsWith('#')) continue;
    out.push(l.startsWith('"') ? readString(l, 0, l.length).value : l);
  }
  return out;
}

/** A key file: the key string, quoted or bare, possibly wrapped with backslash-newlines. */
export function parseKeyFile(text: string): string {
  const t = text.replace(/\\\r?\n\s*/g, '').trim();
  const unq = t.startsWith('"') ? readString(t, 0, t.length).value : t;
  return unq.replace(/\s+/g, '');
}
