// Logging by isakmpd's debug classes and levels (-D class=level, FIFO `D`), through winston.
// A message of class C and level L is written when L <= the level set for C; level 0 always is.
import winston from 'winston';
import { LogClass, type LogClassName, type LogEvent } from '../ike/types.js';

export const CLASS_BY_NUMBER: Record<number, LogClassName> = Object.fromEntries(
  Object.entries(LogClass).map(([k, v]) => [v, k as LogClassName]),
);

export class DaemonLog {
  readonly levels: Record<LogClassName, number> = Object.fromEntries(Object.keys(LogClass).map((k) => [k, 0])) as Record<LogClassName, number>;
  private saved?: Record<LogClassName, number>;
  private readonly w: winston.Logger;

  constructor(opts: { toStderr: boolean; file?: string; verbose: boolean }) {
    const transports: winston.transport[] = [];
    if (opts.toStderr) transports.push(new winston.transports.Stream({ stream: process.stderr }));
    if (opts.file) transports.push(new winston.transports.File({ filename: opts.file }));
    if (transports.length === 0) transports.push(new winston.transports.Stream({ stream: process.stderr }));
    this.w = winston.createLogger({
      level: 'debug',
      format: winston.format.printf((i) => `${new Date().toISOString().slice(11, 23)} ${String(i.message)}`),
      transports,
    });
    this.verbose = opts.verbose;
  }
  verbose: boolean;

  /** "class=level", "A=level", "N=level" or the FIFO form "class level"; returns an error text. */
  set(spec: string): string | undefined {
    const m = /^\s*([A-Za-z0-9_]+)\s*[= ]\s*(\d+)\s*$/.exec(spec);
    if (!m) return `bad debug spec '${spec}' (want class=level)`;
    const lvl = Math.min(99, Number(m[2]));
    const c = m[1]!;
    if (c === 'A' || c.toLowerCase() === 'all') {
      for (const k of Object.keys(this.levels) as LogClassName[]) this.levels[k] = lvl;
      return undefined;
    }
    const name = /^\d+$/.test(c) ? CLASS_BY_NUMBER[Number(c)] : (Object.keys(LogClass).find((k) => k.toLowerCase() === c.toLowerCase()) as LogClassName | undefined);
    if (!name) return `unknown debug class '${c}' (0-10 or ${Object.keys(LogClass).join(', ')})`;
    this.levels[name] = lvl;
    return undefined;
  }

  /** FIFO `D T`: toggle all classes to 0 and back. */
  toggle(): void {
    if (this.saved) {
      Object.assign(this.levels, this.saved);
      delete this.saved;
    } else {
      this.saved = { ...this.levels };
      for (const k of Object.keys(this.levels) as LogClassName[]) this.levels[k] = 0;
    }
  }

  enabled(cls: LogClassName, level: number): boolean {
    return level <= this.levels[cls];
  }

  /** Whether event() would write an event of this class, level and kind. */
  wanted(cls: LogClassName, level: number, kind?: LogEvent['kind']): boolean {
    // -v reports completed phase 1 and 2 whatever the levels; otherwise level 0 is always on.
    if (kind === 'phase1-done' || kind === 'phase2-done') return this.verbose || this.enabled(cls, 10);
    return this.enabled(cls, level);
  }

  event(e: LogEvent): void {
    if (!this.wanted(e.cls, e.level, e.kind)) return;
    this.w.info(e.level > 0 ? `${e.cls}: ${e.msg}` : e.msg);
  }

  info(cls: LogClassName, level: number, msg: string): void {
    this.event({ cls, level, msg });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.w.on('finish', () => resolve());
      this.w.end();
      setTimeout(resolve, 200).unref();
    });
  }
}
