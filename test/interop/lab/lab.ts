// A lab is one run's set of namespaces, links, daemons and captures, with one directory for their files.
// Everything it makes is released by close(), and also on process exit or signal (see cleanup.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Namespace, createLink } from './netns.js';
import { Charon, type CharonOptions } from './charon.js';
import { Pluto, type PlutoOptions } from './pluto.js';
import { Capture, IKE_FILTER } from './capture.js';
import { register } from './cleanup.js';
import { Daemon } from './exec.js';
import { SUBNETS, hostIn, outerAddress, runId } from './plan.js';

export interface Site {
  ns: Namespace;
  /** Outer interface in this namespace and its 198.18.x.y address. */
  ifname: string;
  outer: string;
  /** Protected subnet put on lo, and this site's host address in it. */
  subnet: string;
  inner: string;
}

export interface SitePair {
  left: Site;
  right: Site;
}

export interface LabOptions {
  /** Namespace and directory name prefix (a PID and random suffix are added). */
  prefix?: string;
  /** Keep the lab directory after close() (also with OAKLEY_LAB_KEEP=1). */
  keep?: boolean;
  /** Parent directory for the lab directory (default the OS temp dir). */
  parentDir?: string;
}

type Closable = { close: () => Promise<void> };

export class Lab {
  private static open = new Set<Lab>();
  readonly id: string;
  readonly dir: string;
  private closers: Array<() => Promise<void>> = [];
  private links = 0;
  private closed = false;
  private unregisterDir: () => Promise<void>;

  private constructor(opts: LabOptions) {
    this.id = runId(opts.prefix ?? 'olab');
    this.dir = fs.mkdtempSync(path.join(opts.parentDir ?? os.tmpdir(), `${this.id}-`));
    const keep = opts.keep ?? process.env['OAKLEY_LAB_KEEP'] === '1';
    const removeDir = (): void => {
      if (!keep) fs.rmSync(this.dir, { recursive: true, force: true });
    };
    this.unregisterDir = register({ what: `lab dir ${this.dir}`, release: async () => removeDir(), releaseNow: removeDir });
    Lab.open.add(this);
  }

  static async create(opts: LabOptions = {}): Promise<Lab> {
    return new Lab(opts);
  }

  /** Closes every lab still open (for a mocha after() hook). */
  static async closeAll(): Promise<void> {
    for (const lab of [...Lab.open]) await lab.close();
  }

  private track<T extends { stop?: () => Promise<void>; delete?: () => Promise<void> }>(thing: T, how: () => Promise<void>): T {
    this.closers.push(how);
    return thing;
  }

  /** A namespace named `<lab id>-<role>`. */
  async namespace(role: string): Promise<Namespace> {
    const ns = await Namespace.create(`${this.id}-${role}`);
    return this.track(ns, () => ns.delete());
  }

  /**
   * Two sites joined by one veth link: left 198.18.n.1 with 192.0.2.0/24 on lo, right 198.18.n.2 with
   * 198.51.100.0/24 on lo.
   */
  async sitePair(opts: { leftSubnet?: string; rightSubnet?: string } = {}): Promise<SitePair> {
    const n = this.links++;
    const leftNs = await this.namespace('l' + n);
    const rightNs = await this.namespace('r' + n);
    const [l, r] = await createLink(
      { ns: leftNs, ifname: `ol${n}`, cidr: `${outerAddress(n, 1)}/24` },
      { ns: rightNs, ifname: `or${n}`, cidr: `${outerAddress(n, 2)}/24` },
    );
    const leftSubnet = opts.leftSubnet ?? SUBNETS.left;
    const rightSubnet = opts.rightSubnet ?? SUBNETS.right;
    const left: Site = { ns: leftNs, ifname: l.ifname, outer: l.address, subnet: leftSubnet, inner: hostIn(leftSubnet, 1) };
    const right: Site = { ns: rightNs, ifname: r.ifname, outer: r.address, subnet: rightSubnet, inner: hostIn(rightSubnet, 1) };
    await leftNs.addLoopbackAddress(`${left.inner}/24`);
    await rightNs.addLoopbackAddress(`${right.inner}/24`);
    return { left, right };
  }

  /** A charon instance (not yet started) with its files in `<lab dir>/<name>`. */
  charon(ns: Namespace, name: string, opts: Omit<CharonOptions, 'ns' | 'dir'> = {}): Charon {
    const c = new Charon({ ...opts, ns, dir: path.join(this.dir, name), label: opts.label ?? `charon-${name}` });
    return this.track(c, () => c.stop());
  }

  /** A pluto instance (not yet started) with its files in `<lab dir>/<name>`. */
  pluto(ns: Namespace, name: string, opts: Omit<PlutoOptions, 'ns' | 'dir'> = {}): Pluto {
    const p = new Pluto({ ...opts, ns, dir: path.join(this.dir, name), label: opts.label ?? `pluto-${name}` });
    return this.track(p, () => p.stop());
  }

  /** Starts a tcpdump capture (default filter: IKE, NAT-T and ESP). */
  async capture(site: Pick<Site, 'ns' | 'ifname'>, file: string, filter = IKE_FILTER): Promise<Capture> {
    const cap = new Capture(site.ns, site.ifname, file, filter);
    this.track(cap, () => cap.stop());
    await cap.start();
    return cap;
  }

  /**
   * Starts any long-running process inside a namespace (for example the project's own isakmpd, or iperf3),
   * tracked by PID and stopped with the lab. Output goes to `<lab dir>/<label>.log`.
   */
  spawn(ns: Namespace, label: string, cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; private?: 'run' } = {}): Daemon {
    if (!/^[A-Za-z0-9_.-]+$/.test(label)) throw new Error(`bad label ${label}`);
    const logFile = path.join(this.dir, `${label}.log`);
    // private: 'run' gives the process its own tmpfs /run (PID files, sockets at compiled-in paths).
    const argv =
      opts.private === 'run'
        ? ns.argv('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs tmpfs /run && exec "$0" "$@"', cmd, ...args])
        : ns.argv(cmd, args);
    const d = new Daemon(label, 'ip', argv, { env: opts.env, logFile });
    const release = register({ what: `${label} pid ${d.pid}`, release: () => d.stop(), releaseNow: () => d.killNow() });
    this.closers.push(release);
    return d;
  }

  /** Registers anything else with a close() to be released with the lab. */
  adopt<T extends Closable>(thing: T): T {
    this.closers.push(() => thing.close());
    return thing;
  }

  /** Stops daemons and captures, deletes namespaces and (unless kept) the directory. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Lab.open.delete(this);
    const errors: unknown[] = [];
    for (const c of this.closers.reverse()) {
      try {
        await c();
      } catch (err) {
        errors.push(err);
      }
    }
    await this.unregisterDir();
    if (errors.length) throw errors[0];
  }
}
