// Run-time changes: the FIFO `C` commands (isakmpd ui.c ui_config) as a transaction over a copy of the
// store. Nothing is visible until commit() returns a new Config, which the daemon swaps in as one step.
import { Config } from './config.js';
import type { Diagnostic } from './diagnostics.js';
import { hasErrors } from './diagnostics.js';
import { splitList } from './values.js';
import { validate } from './validate.js';
import type { Store } from './store.js';

export const FIFO_ORIGIN = { file: '<fifo>', line: 0 };

export interface CommitResult {
  config: Config;
  /** Validation of the new configuration (isakmpd applies C commands regardless; the caller decides). */
  diagnostics: Diagnostic[];
  ok: boolean;
  /** [Phase 2] Connections or Passive-connections changed: isakmpd re-reads the connection list 5 s later. */
  connectionsChanged: boolean;
}

export interface OpResult {
  /** False when the operation had no effect (for example `set` without force on an existing tag). */
  changed: boolean;
  diagnostics: Diagnostic[];
}

const isConnTag = (section: string, tag: string): boolean =>
  section.toLowerCase() === 'phase 2' && ['connections', 'passive-connections'].includes(tag.toLowerCase());

export class ConfigTransaction {
  private readonly work: Store;
  private connectionsChanged = false;
  private done = false;

  constructor(private readonly base: Config) {
    this.work = base.store.clone();
  }

  /** The value as this transaction currently sees it. */
  get(section: string, tag: string): string | undefined {
    return this.work.get(section, tag)?.value;
  }

  /** `listEdit`: set/add/rmv, the only commands after which isakmpd re-reads the connection list. */
  private touch(section: string, tag?: string, listEdit = false): void {
    if (this.done) throw new Error('transaction already committed or aborted');
    this.work.materialize(section);
    if (listEdit && tag !== undefined && isConnTag(section, tag)) this.connectionsChanged = true;
  }

  /** `C set [section]:tag=value [force]`: without force an existing value (even a built-in default) stays. */
  set(section: string, tag: string, value: string, force = false): OpResult {
    this.touch(section, tag, true);
    const kept = this.work.setNow(section, tag, value, force, false, FIFO_ORIGIN);
    if (kept) {
      return {
        changed: false,
        diagnostics: [{ severity: 'warning', ...FIFO_ORIGIN, section, tag, code: 'duplicate-tag',
          message: `[${section}]:${tag} already has the value '${kept.value}'${kept.isDefault ? ' (a built-in default)' : ''}; isakmpd ignores the set`,
          hint: `C set [${section}]:${tag}=${value} force` }],
      };
    }
    return { changed: true, diagnostics: [] };
  }

  /** `C add`: append to a comma list unless the value is already there; creates the tag if missing. */
  add(section: string, tag: string, value: string): OpResult {
    this.touch(section, tag, true);
    const cur = this.work.get(section, tag)?.value;
    if (cur === undefined) {
      this.work.setNow(section, tag, value, true, false, FIFO_ORIGIN);
      return { changed: true, diagnostics: [] };
    }
    if (splitList(cur).items.includes(value)) return { changed: false, diagnostics: [] };
    this.work.setNow(section, tag, cur.endsWith(',') ? cur + value : `${cur},${value}`, true, false, FIFO_ORIGIN);
    return { changed: true, diagnostics: [] };
  }

  /** `C rmv`: remove a value from a list; the tag goes when the list becomes empty. */
  rmv(section: string, tag: string, value: string): OpResult {
    this.touch(section, tag, true);
    const cur = this.work.get(section, tag)?.value;
    if (cur === undefined) return { changed: false, diagnostics: [] };
    const rest = splitList(cur).items.filter((x) => x !== value);
    if (rest.length === 0) this.work.removeNow(section, tag);
    else this.work.setNow(section, tag, rest.join(','), true, false, FIFO_ORIGIN);
    return { changed: true, diagnostics: [] };
  }

  /** `C rm`: remove a tag (a built-in default too, until the next reload). */
  rm(section: string, tag: string): OpResult {
    this.touch(section, tag);
    return { changed: this.work.removeNow(section, tag), diagnostics: [] };
  }

  /** `C rms`: remove a whole section. */
  rms(section: string): OpResult {
    this.touch(section);
    return { changed: this.work.removeSectionNow(section), diagnostics: [] };
  }

  commit(): CommitResult {
    if (this.done) throw new Error('transaction already committed or aborted');
    this.done = true;
    const config = new Config(this.work, { generation: this.base.generation + 1, files: this.base.files });
    const diagnostics = validate(config);
    return { config, diagnostics, ok: !hasErrors(diagnostics), connectionsChanged: this.connectionsChanged };
  }

  abort(): void {
    this.done = true;
  }
}

// ---- the FIFO line syntax, with isakmpd's sscanf field limits ----

export type FifoConfigCommand =
  | { op: 'get'; section: string; tag: string }
  | { op: 'set'; section: string; tag: string; value: string; force: boolean }
  | { op: 'add' | 'rmv'; section: string; tag: string; value: string }
  | { op: 'rm'; section: string; tag: string }
  | { op: 'rms'; section: string };

const FIELD_MAX = 200;
const WS = /\s/;

/** A tiny scanf for the few conversions ui_config uses. */
class Scan {
  pos = 0;
  constructor(readonly s: string) {}
  ws(): void { while (this.pos < this.s.length && WS.test(this.s[this.pos]!)) this.pos++; }
  lit(c: string): boolean {
    if (this.s[this.pos] !== c) return false;
    this.pos++;
    return true;
  }
  /** %200s: skip blanks, then up to 200 non-blank characters. */
  word(): string | null {
    this.ws();
    const start = this.pos;
    while (this.pos < this.s.length && this.pos - start < FIELD_MAX && !WS.test(this.s[this.pos]!)) this.pos++;
    return this.pos > start ? this.s.slice(start, this.pos) : null;
  }
  /** %200[^x]: up to 200 characters other than x, at least one. */
  until(x: string): string | null {
    const start = this.pos;
    while (this.pos < this.s.length && this.pos - start < FIELD_MAX && this.s[this.pos] !== x) this.pos++;
    return this.pos > start ? this.s.slice(start, this.pos) : null;
  }
}

/** Parse one `C ...` FIFO line; a string result is the reason it is malformed. */
export function parseFifoConfigCommand(line: string): FifoConfigCommand | string {
  const sc = new Scan(line.replace(/\n$/, ''));
  const usage = 'expected C set|add|rmv [section]:tag=value, C rm|get [section]:tag or C rms [section]';
  if (!sc.lit('C')) return usage;
  sc.ws();
  const sub = sc.word();
  if (!sub) return usage;
  const op = sub.toLowerCase();
  sc.ws();
  if (!sc.lit('[')) return `${usage} (missing '[')`;
  const section = sc.until(']');
  if (section === null || !sc.lit(']')) return `${usage} (missing ']')`;
  if (op === 'rms') return { op, section };
  if (!sc.lit(':')) return `${usage} (missing ':' after the section)`;
  if (op === 'get' || op === 'rm') {
    const tag = sc.word();
    return tag ? { op, section, tag } : `${usage} (missing tag)`;
  }
  if (op !== 'set' && op !== 'add' && op !== 'rmv') return `unknown C subcommand '${sub}'; ${usage}`;
  const tag = sc.until('=');
  if (tag === null || !sc.lit('=')) return `${usage} (missing '=')`;
  const value = sc.word();
  if (value === null) return `${usage} (missing value)`;
  const extra = sc.word();
  if (op === 'set') return { op, section, tag, value, force: extra !== null };
  return { op, section, tag, value };
}

export interface FifoConfigResult {
  /** The new configuration when the command changed something. */
  commit?: CommitResult;
  /** Text for /var/run/isakmpd.result (`C get`): the value and a newline, or empty when unset. */
  result?: string;
  diagnostics: Diagnostic[];
}

/** Run one FIFO `C` line against a configuration: parse, apply in its own transaction, commit. */
export function runFifoConfigCommand(config: Config, line: string): FifoConfigResult {
  const cmd = parseFifoConfigCommand(line);
  if (typeof cmd === 'string') {
    return { diagnostics: [{ severity: 'error', ...FIFO_ORIGIN, code: 'fifo-malformed', message: `command "${line.trim()}" malformed`, hint: cmd }] };
  }
  if (cmd.op === 'get') {
    const v = config.get(cmd.section, cmd.tag);
    return { result: v === undefined ? '' : `${v}\n`, diagnostics: [] };
  }
  const tx = new ConfigTransaction(config);
  let r: OpResult;
  switch (cmd.op) {
    case 'set': r = tx.set(cmd.section, cmd.tag, cmd.value, cmd.force); break;
    case 'add': r = tx.add(cmd.section, cmd.tag, cmd.value); break;
    case 'rmv': r = tx.rmv(cmd.section, cmd.tag, cmd.value); break;
    case 'rm': r = tx.rm(cmd.section, cmd.tag); break;
    case 'rms': r = tx.rms(cmd.section); break;
  }
  const commit = tx.commit();
  return { commit, diagnostics: r.diagnostics };
}
