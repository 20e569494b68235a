// Loading: lex the text, insert the file's values (first value of a tag wins), add the built-in defaults
// (they never replace a file value), then validate. Nothing here touches a running daemon: the caller swaps
// the returned Config in only when it is ok, which is what makes reload atomic.
import fs from 'node:fs';
import { Config, type LoadResult } from './config.js';
import { hasErrors, type Diagnostic } from './diagnostics.js';
import { lex } from './lexer.js';
import { Store, DEFAULTS_ORIGIN } from './store.js';
import { builtinDefaults } from './defaults.js';
import { validate } from './validate.js';
import { checkFileSecrecy, secrecyRelaxed, INSECURE_ENV } from './secrecy.js';

export interface ParseOptions {
  /** Skip validation (lexer diagnostics are still returned). */
  noValidate?: boolean;
  generation?: number;
}

export interface LoadOptions extends ParseOptions {
  /** Accept a file others can read or that another user owns (also OAKLEY_INSECURE_CONFIG=1). */
  insecure?: boolean;
  /** A missing file gives a defaults-only configuration with a warning, as isakmpd runs on defaults. */
  allowMissing?: boolean;
}

let generationCounter = 0;
const nextGeneration = (): number => ++generationCounter;

/** Build a store from file text: file values first, duplicates reported, then the built-in defaults. */
export function buildStore(text: string | null, file: string, diagnostics: Diagnostic[]): Store {
  const store = new Store();
  if (text !== null) {
    const lx = lex(text, file);
    diagnostics.push(...lx.diagnostics);
    for (const e of lx.entries) {
      const kept = store.setNow(e.section, e.tag, e.value, false, false, { file, line: e.line });
      if (kept) {
        diagnostics.push({
          severity: 'warning', file, line: e.line, section: e.section, tag: e.tag, code: 'duplicate-tag',
          message: `duplicate tag: isakmpd keeps the first value '${kept.value}' (line ${kept.origin.line}) and ignores '${e.value}'`,
          hint: `remove one of the two ${e.tag}= lines in [${e.section}]`,
        });
      }
    }
  }
  const firstValue = (s: string, t: string): string | undefined => store.get(s, t)?.value;
  for (const [s, t, v] of builtinDefaults(firstValue)) store.setNow(s, t, v, false, true, DEFAULTS_ORIGIN);
  return store;
}

export function parseConfigText(text: string, fileName = '<text>', opts: ParseOptions = {}): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const store = buildStore(text, fileName, diagnostics);
  const config = new Config(store, { generation: opts.generation ?? nextGeneration(), files: [fileName] });
  if (!opts.noValidate) diagnostics.push(...validate(config));
  return { config, diagnostics, ok: !hasErrors(diagnostics) };
}

/** The configuration isakmpd runs with when there is no file: built-in defaults only. */
export function defaultsOnlyConfig(): Config {
  return new Config(buildStore(null, '<defaults>', []), { generation: nextGeneration(), files: [] });
}

function decodeFile(buf: Buffer, file: string, diagnostics: Diagnostic[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    diagnostics.push({ severity: 'warning', file, line: 0, code: 'not-utf8', message: 'the file is not valid UTF-8; it is read byte by byte as Latin-1', hint: 'save the file as UTF-8 (or plain ASCII)' });
    return buf.toString('latin1');
  }
}

export function loadConfigFile(file: string, opts: LoadOptions = {}): LoadResult {
  const diagnostics: Diagnostic[] = [];
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' && opts.allowMissing) {
      diagnostics.push({ severity: 'warning', file, line: 0, code: 'file-missing', message: `${file} does not exist; running on built-in defaults only`, hint: 'create the file, or pass -c FILE' });
      return { config: defaultsOnlyConfig(), diagnostics, ok: true };
    }
    diagnostics.push({ severity: 'error', file, line: 0, code: e.code === 'ENOENT' ? 'file-missing' : 'file-unreadable', message: `cannot open ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`, hint: 'check the path given with -c' });
    return { config: defaultsOnlyConfig(), diagnostics, ok: false };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      diagnostics.push({ severity: 'error', file, line: 0, code: 'file-unreadable', message: `${file} is not a regular file`, hint: 'give the path of an isakmpd.conf file' });
      return { config: defaultsOnlyConfig(), diagnostics, ok: false };
    }
    const bad = checkFileSecrecy(st, file);
    if (bad) {
      if (!secrecyRelaxed(opts.insecure)) {
        diagnostics.push({ ...bad, message: `not loading ${file}: ${bad.message}` });
        return { config: defaultsOnlyConfig(), diagnostics, ok: false };
      }
      diagnostics.push({ ...bad, severity: 'warning', message: `loading ${file} although ${bad.message.replace(/^the file/, 'it')}, because ${INSECURE_ENV}=1 or the insecure option is set` });
    }
    const text = decodeFile(fs.readFileSync(fd), file, diagnostics);
    const r = parseConfigText(text, file, opts);
    const all = [...diagnostics, ...r.diagnostics];
    return { config: r.config, diagnostics: all, ok: !hasErrors(all) };
  } finally {
    fs.closeSync(fd);
  }
}
