// Child processes for the lab: one-shot commands with a deadline, and long-running daemons tracked by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Kill the command and reject when it has not finished by then. */
  timeoutMs?: number;
  input?: string;
  /** Reject on a non-zero exit status (default true). */
  check?: boolean;
  cwd?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(message: string, readonly result: RunResult) {
    super(message);
  }
}

const describe = (cmd: string, args: readonly string[]): string => [cmd, ...args].join(' ');

/** Runs a command to completion; the output is collected as text. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CommandError(`${describe(cmd, args)}: ${err.message}`, { code: null, signal: null, stdout, stderr }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr };
      if (timedOut) {
        reject(new CommandError(`${describe(cmd, args)}: no exit within ${timeoutMs} ms\n${stderr}${stdout}`, result));
      } else if ((opts.check ?? true) && code !== 0) {
        reject(new CommandError(`${describe(cmd, args)}: exit ${code ?? signal}\n${stderr}${stdout}`, result));
      } else {
        resolve(result);
      }
    });
    if (child.stdin) {
      // A command that exits before reading its input must not crash the caller with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

export interface DaemonOptions {
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr of the daemon are appended to this file. */
  logFile: string;
}

/**
 * A long-running process in its own process group. The lab stops it by its PID (and group), never by name.
 * The command chain used here (`ip netns exec`, `unshare`, `sh -c 'exec ...'`) execs in place, so the PID
 * is the daemon's own.
 */
export class Daemon {
  readonly child: ChildProcess;
  readonly pid: number;
  private exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  running = true;

  constructor(readonly label: string, cmd: string, args: readonly string[], opts: DaemonOptions) {
    const fd = fs.openSync(opts.logFile, 'a');
    try {
      this.child = spawn(cmd, args, { env: opts.env ?? process.env, detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      fs.closeSync(fd);
    }
    if (this.child.pid === undefined) throw new Error(`${label}: could not start ${cmd}`);
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.running = false;
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
      this.child.on('error', () => {
        this.running = false;
        resolve();
      });
    });
  }

  /** Sends a signal to the daemon's process group (falls back to the PID alone). */
  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      try {
        process.kill(this.pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** Resolves when the process has exited, or false after the deadline. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const done = await Promise.race([this.exited.then(() => true), deadline]);
    clearTimeout(timer);
    return done;
  }

  /** SIGTERM (or the given signal), then SIGKILL when it lingers. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.signal(sig);
    if (await this.waitExit(graceMs)) return;
    this.signal('SIGKILL');
    await this.waitExit(2_000);
  }

  /** Synchronous last resort for process exit handlers. */
  killNow(): void {
    this.signal('SIGKILL');
  }
}
