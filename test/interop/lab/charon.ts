// A strongSwan charon instance inside a namespace: private /run (the PID file path is compiled in),
// its own strongswan.conf through STRONGSWAN_CONF, its vici socket in the instance directory, and
// swanctl wrappers.
import fs from 'node:fs';
import path from 'node:path';
import { Daemon, run, type RunResult } from './exec.js';
import { register } from './cleanup.js';
import { waitFor } from './poll.js';
import { renderConf, type ConfSection } from './conf.js';
import { parseListSas, type IkeSaInfo } from './vici-raw.js';
import type { Namespace } from './netns.js';

export const CHARON_BIN = '/usr/lib/ipsec/charon';
export const SWANCTL_BIN = '/usr/sbin/swanctl';

/** Plugins for PSK/cert IKEv1 with the userspace ESP data plane (kernel XFRM has no ESP here). */
export const DEFAULT_PLUGINS = [
  'random', 'nonce', 'aes', 'sha1', 'sha2', 'md5', 'hmac', 'gmp', 'pem', 'pkcs1', 'x509', 'pubkey',
  'curve25519', 'openssl', 'kernel-libipsec', 'kernel-netlink', 'socket-default', 'vici', 'updown',
];

export interface CharonOptions {
  ns: Namespace;
  /** Instance directory (created); holds strongswan.conf, the vici socket and logs. */
  dir: string;
  label?: string;
  plugins?: string[];
  /** Allow Aggressive Mode with PSK as responder. */
  aggressivePsk?: boolean;
  /**
   * Write the second log with private key material (ike=4, chd=4, knl=2, cfg=2) to keys.log.
   * Default true: the lab exists to be looked at.
   */
  keyLog?: boolean;
  /** Extra settings merged into the `charon` section. */
  charon?: ConfSection;
}

export class Charon {
  readonly dir: string;
  readonly confPath: string;
  readonly viciPath: string;
  readonly logPath: string;
  readonly keyLogPath: string;
  readonly stdoutPath: string;
  readonly label: string;
  private daemon?: Daemon;
  private releaseFn?: () => Promise<void>;

  constructor(readonly opts: CharonOptions) {
    this.dir = opts.dir;
    this.label = opts.label ?? `charon@${opts.ns.name}`;
    this.confPath = path.join(this.dir, 'strongswan.conf');
    this.viciPath = path.join(this.dir, 'charon.vici');
    this.logPath = path.join(this.dir, 'charon.log');
    this.keyLogPath = path.join(this.dir, 'keys.log');
    this.stdoutPath = path.join(this.dir, 'charon.stdout');
  }

  get uri(): string {
    return `unix://${this.viciPath}`;
  }

  get pid(): number | undefined {
    return this.daemon?.pid;
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, STRONGSWAN_CONF: this.confPath };
  }

  /** The strongswan.conf this instance runs with. */
  renderConfig(): string {
    const filelog: ConfSection = {
      main: { path: this.logPath, default: 1, ike: 2, cfg: 2, knl: 1, flush_line: true, time_format: '%s', time_add_ms: true },
    };
    if (this.opts.keyLog ?? true) {
      filelog['keys'] = {
        path: this.keyLogPath,
        default: 0,
        ike: 4,
        chd: 4,
        knl: 2,
        cfg: 2,
        flush_line: true,
        time_format: '%s',
        time_add_ms: true,
      };
    }
    const charon: ConfSection = {
      load: (this.opts.plugins ?? DEFAULT_PLUGINS).join(' '),
      install_routes: true,
      i_dont_care_about_security_and_use_aggressive_mode_psk: this.opts.aggressivePsk ?? false,
      plugins: { vici: { socket: this.uri } },
      filelog,
      ...(this.opts.charon ?? {}),
    };
    return renderConf({ charon, swanctl: { load: 'pem pkcs1 x509 pubkey openssl random' } });
  }

  async start(timeoutMs = 15_000): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(this.confPath, this.renderConfig());
    const script = `mount -t tmpfs tmpfs /run && exec ${CHARON_BIN}`;
    const daemon = new Daemon(this.label, 'ip', this.opts.ns.argv('unshare', ['-m', 'sh', '-c', script]), {
      env: this.env,
      logFile: this.stdoutPath,
    });
    this.daemon = daemon;
    this.releaseFn = register({
      what: `${this.label} pid ${daemon.pid}`,
      release: () => daemon.stop(),
      releaseNow: () => daemon.killNow(),
    });
    await waitFor(
      async () => {
        if (!daemon.running) throw new Error(`${this.label} exited (${daemon.exitCode ?? daemon.exitSignal}); see ${this.stdoutPath}`);
        if (!fs.existsSync(this.viciPath)) return false;
        const r = await this.swanctl(['--stats'], { check: false, timeoutMs: 5_000 });
        return r.code === 0;
      },
      { what: `${this.label} to answer on ${this.viciPath}`, timeoutMs, intervalMs: 100 },
    );
  }

  /** Runs swanctl against this instance. */
  swanctl(args: readonly string[], opts: { check?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    return run(SWANCTL_BIN, [...args, '--uri', this.uri], { env: this.env, check: opts.check, timeoutMs: opts.timeoutMs ?? 30_000 });
  }

  /** Writes swanctl.conf (text or object) into the instance directory and loads everything in it. */
  async load(swanctlConf: string | ConfSection): Promise<void> {
    const dir = path.join(this.dir, 'swanctl');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'swanctl.conf');
    fs.writeFileSync(file, typeof swanctlConf === 'string' ? swanctlConf : renderConf(swanctlConf));
    await this.swanctl(['--load-all', '--noprompt', '--file', file]);
  }

  /** Initiates a CHILD_SA (and its IKE SA); resolves when swanctl reports the outcome. */
  initiate(child: string, opts: { timeoutS?: number; check?: boolean } = {}): Promise<RunResult> {
    const timeoutS = opts.timeoutS ?? 20;
    return this.swanctl(['--initiate', '--child', child, '--timeout', String(timeoutS)], {
      check: opts.check,
      timeoutMs: (timeoutS + 5) * 1000,
    });
  }

  /** Initiates the IKE SA only. */
  initiateIke(ike: string, opts: { timeoutS?: number; check?: boolean } = {}): Promise<RunResult> {
    const timeoutS = opts.timeoutS ?? 20;
    return this.swanctl(['--initiate', '--ike', ike, '--timeout', String(timeoutS)], {
      check: opts.check,
      timeoutMs: (timeoutS + 5) * 1000,
    });
  }

  terminateIke(ike: string, opts: { timeoutS?: number; check?: boolean } = {}): Promise<RunResult> {
    const timeoutS = opts.timeoutS ?? 10;
    return this.swanctl(['--terminate', '--ike', ike, '--timeout', String(timeoutS)], {
      check: opts.check,
      timeoutMs: (timeoutS + 5) * 1000,
    });
  }

  terminateChild(child: string, opts: { timeoutS?: number; check?: boolean } = {}): Promise<RunResult> {
    const timeoutS = opts.timeoutS ?? 10;
    return this.swanctl(['--terminate', '--child', child, '--timeout', String(timeoutS)], {
      check: opts.check,
      timeoutMs: (timeoutS + 5) * 1000,
    });
  }

  async listSas(): Promise<IkeSaInfo[]> {
    const r = await this.swanctl(['--list-sas', '--raw']);
    return parseListSas(r.stdout);
  }

  /** Polls until an IKE SA with this connection name is ESTABLISHED (and, if given, the child INSTALLED). */
  waitEstablished(ike: string, opts: { child?: string; timeoutMs?: number } = {}): Promise<IkeSaInfo> {
    return waitFor(
      async () => {
        const sas = await this.listSas();
        return sas.find(
          (sa) =>
            sa.name === ike &&
            sa.state === 'ESTABLISHED' &&
            (opts.child === undefined || sa.children.some((c) => c.name === opts.child && c.state === 'INSTALLED')),
        );
      },
      { what: `${this.label}: IKE SA ${ike} established`, timeoutMs: opts.timeoutMs ?? 20_000, intervalMs: 100 },
    );
  }

  /** Polls until no IKE SA with this name is left. */
  async waitGone(ike: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(async () => !(await this.listSas()).some((sa) => sa.name === ike), {
      what: `${this.label}: IKE SA ${ike} gone`,
      timeoutMs,
      intervalMs: 100,
    });
  }

  /** The main log so far (level 1, ike and cfg at 2: message summaries such as "parsed QUICK_MODE ..."). */
  readLog(): string {
    return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'utf8') : '';
  }

  /** Polls the main log until the pattern appears. */
  async waitLog(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => pattern.test(this.readLog()), { what: `${this.label}: ${pattern} in ${this.logPath}`, timeoutMs });
  }

  /** The key log so far (empty when none was written). */
  readKeyLog(): string {
    return fs.existsSync(this.keyLogPath) ? fs.readFileSync(this.keyLogPath, 'utf8') : '';
  }

  /** Polls the key log until the pattern appears (charon logs asynchronously to the exchange). */
  async waitKeyLog(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => pattern.test(this.readKeyLog()), { what: `${this.label}: ${pattern} in ${this.keyLogPath}`, timeoutMs });
  }

  async stop(): Promise<void> {
    if (this.releaseFn) await this.releaseFn();
  }
}
