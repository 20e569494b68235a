// A Libreswan pluto instance inside a namespace, run from the unpacked Debian package (apt refuses to
// install it beside strongSwan). pluto insists on /usr/libexec/ipsec/addconn, so a private mount namespace
// bind-mounts the unpacked tree there; the control socket and PID file live in the instance directory.
import fs from 'node:fs';
import path from 'node:path';
import { Daemon, run, type RunResult } from './exec.js';
import { register } from './cleanup.js';
import { waitFor } from './poll.js';
import { LIBRESWAN_ROOT, plutoBin } from './deps.js';
import type { Namespace } from './netns.js';

export interface PlutoOptions {
  ns: Namespace;
  dir: string;
  label?: string;
  /** Unpacked libreswan package root (default /var/cache/oakley-interop/libreswan). */
  root?: string;
  /** Extra `config setup` keywords (ikev1-policy=accept is always set). */
  setup?: Record<string, string>;
  /** `plutodebug=` value, e.g. 'all' or 'crypt'. */
  debug?: string;
}

export type PlutoConn = Record<string, string>;

function renderIpsecConf(setup: Record<string, string>, conns: Record<string, PlutoConn>): string {
  const line = (k: string, v: string): string => {
    if (/[\n\r]/.test(v) || !/^[a-z0-9-]+$/.test(k)) throw new Error(`bad ipsec.conf entry ${k}=${v}`);
    return `\t${k}=${v}\n`;
  };
  let out = 'config setup\n';
  for (const [k, v] of Object.entries(setup)) out += line(k, v);
  for (const [name, conn] of Object.entries(conns)) {
    out += `\nconn ${name}\n`;
    for (const [k, v] of Object.entries(conn)) out += line(k, v);
  }
  return out;
}

export class Pluto {
  readonly dir: string;
  readonly label: string;
  readonly root: string;
  readonly confPath: string;
  readonly secretsPath: string;
  readonly nssDir: string;
  readonly runDir: string;
  readonly logPath: string;
  private daemon?: Daemon;
  private releaseFn?: () => Promise<void>;
  private autoConns: string[] = [];

  constructor(readonly opts: PlutoOptions) {
    this.dir = opts.dir;
    this.label = opts.label ?? `pluto@${opts.ns.name}`;
    this.root = opts.root ?? LIBRESWAN_ROOT;
    this.confPath = path.join(this.dir, 'ipsec.conf');
    this.secretsPath = path.join(this.dir, 'ipsec.secrets');
    this.nssDir = path.join(this.dir, 'nss');
    this.runDir = path.join(this.dir, 'run');
    this.logPath = path.join(this.dir, 'pluto.log');
  }

  get ctlSocket(): string {
    return path.join(this.runDir, 'pluto.ctl');
  }

  get pid(): number | undefined {
    return this.daemon?.pid;
  }

  /** Writes ipsec.conf and ipsec.secrets (secrets in ipsec.secrets(5) syntax, e.g. `@a @b : PSK "x"`). */
  configure(conns: Record<string, PlutoConn>, secrets: string): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const setup: Record<string, string> = { 'ikev1-policy': 'accept', ...(this.opts.setup ?? {}) };
    if (this.opts.debug) setup['plutodebug'] = this.opts.debug;
    fs.writeFileSync(this.confPath, renderIpsecConf(setup, conns));
    this.autoConns = Object.entries(conns)
      .filter(([, c]) => ['add', 'start', 'route', 'ondemand'].includes(c['auto'] ?? ''))
      .map(([name]) => name);
    fs.writeFileSync(this.secretsPath, secrets.endsWith('\n') ? secrets : secrets + '\n', { mode: 0o600 });
  }

  async start(timeoutMs = 20_000): Promise<void> {
    if (!fs.existsSync(this.confPath)) throw new Error(`${this.label}: configure() before start()`);
    fs.mkdirSync(this.runDir, { recursive: true });
    fs.mkdirSync(this.nssDir, { recursive: true });
    if (!fs.existsSync(path.join(this.nssDir, 'cert9.db'))) {
      await run('certutil', ['-N', '-d', `sql:${this.nssDir}`, '--empty-password']);
    }
    const libexec = path.join(this.root, 'usr/libexec/ipsec');
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const script = [
      'mount -t tmpfs tmpfs /run',
      'mkdir -p /run/pluto /usr/libexec/ipsec',
      `mount --bind ${q(libexec)} /usr/libexec/ipsec`,
      `exec ${q(path.join(libexec, 'pluto'))} --nofork --stderrlog --config ${q(this.confPath)} --secretsfile ${q(this.secretsPath)}` +
        ` --nssdir ${q(this.nssDir)} --rundir ${q(this.runDir)} --ipsecdir ${q(this.dir)}`,
    ].join(' && ');
    const daemon = new Daemon(this.label, 'ip', this.opts.ns.argv('unshare', ['-m', 'sh', '-c', script]), { logFile: this.logPath });
    this.daemon = daemon;
    this.releaseFn = register({
      what: `${this.label} pid ${daemon.pid}`,
      release: () => daemon.stop(),
      releaseNow: () => daemon.killNow(),
    });
    await waitFor(
      async () => {
        if (!daemon.running) throw new Error(`${this.label} exited (${daemon.exitCode ?? daemon.exitSignal}); see ${this.logPath}`);
        if (!fs.existsSync(this.ctlSocket)) return false;
        return (await this.whack(['--status'], { check: false, timeoutMs: 5_000 })).code === 0;
      },
      { what: `${this.label} control socket ${this.ctlSocket}`, timeoutMs, intervalMs: 100 },
    );
    // pluto loads auto= connections through a forked addconn after its socket is up: wait for them, or
    // a peer initiating now would find no connection.
    await waitFor(
      async () => {
        const st = await this.status();
        return this.autoConns.every((c) => st.includes(`"${c}"`));
      },
      { what: `${this.label} to load ${this.autoConns.join(', ')}`, timeoutMs, intervalMs: 100 },
    );
  }

  /** IKE and IPsec states from `whack --showstates`: serial, connection name and state name. */
  async states(): Promise<Array<{ serial: number; conn: string; state: string; line: string }>> {
    const r = await this.whack(['--showstates']);
    const out: Array<{ serial: number; conn: string; state: string; line: string }> = [];
    for (const line of r.stdout.split('\n')) {
      const m = /#(\d+): "([^"]+)"\S* (STATE_\w+)/.exec(line);
      if (m) out.push({ serial: Number(m[1]), conn: m[2]!, state: m[3]!, line });
    }
    return out;
  }

  /** Polls until a state of this connection matches (e.g. /STATE_MAIN_R3|STATE_AGGR_R2/). */
  waitState(conn: string, state: RegExp, timeoutMs = 20_000): Promise<{ serial: number; conn: string; state: string; line: string }> {
    return waitFor(async () => (await this.states()).find((s) => s.conn === conn && state.test(s.state)), {
      what: `${this.label}: ${conn} in ${state}`,
      timeoutMs,
      intervalMs: 100,
    });
  }

  whack(args: readonly string[], opts: { check?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(plutoBin('whack'), ['--ctlsocket', this.ctlSocket, ...args], { check: opts.check, timeoutMs: opts.timeoutMs ?? 30_000 });
  }

  /** Loads (or reloads) a connection from ipsec.conf. */
  async addConn(name: string): Promise<void> {
    await run(plutoBin('addconn'), ['--ctlsocket', this.ctlSocket, '--config', this.confPath, name]);
  }

  /** Initiates a connection; whack waits for the outcome unless asynchronous. */
  initiate(name: string, opts: { asynchronous?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    const args = ['--name', name, '--initiate'];
    if (opts.asynchronous) args.push('--asynchronous');
    return this.whack(args, { check: false, timeoutMs: opts.timeoutMs ?? 30_000 });
  }

  status(): Promise<string> {
    return this.whack(['--status']).then((r) => r.stdout);
  }

  readLog(): string {
    return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'utf8') : '';
  }

  /** Polls pluto's log until the pattern appears (e.g. /ISAKMP SA established/). */
  async waitLog(pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    await waitFor(() => pattern.test(this.readLog()), { what: `${this.label}: ${pattern} in ${this.logPath}`, timeoutMs });
  }

  async stop(): Promise<void> {
    if (this.releaseFn) await this.releaseFn();
  }
}
