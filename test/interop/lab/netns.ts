// Network namespaces and the veth links between them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { run, type RunOptions, type RunResult } from './exec.js';
import { register } from './cleanup.js';
import { assertPlanAddress } from './plan.js';

export class Namespace {
  private releaseFn: () => Promise<void>;
  deleted = false;

  private constructor(readonly name: string) {
    this.releaseFn = register({
      what: `netns ${name}`,
      release: async () => this.deleteNow(),
      releaseNow: () => this.deleteNow(),
    });
  }

  /** Creates the namespace and brings its loopback up. */
  static async create(name: string): Promise<Namespace> {
    if (name.length > 40 || !/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad namespace name ${name}`);
    await run('ip', ['netns', 'add', name]);
    const ns = new Namespace(name);
    await ns.ip(['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** `ip -n NAME ...` */
  ip(args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run('ip', ['-n', this.name, ...args], opts);
  }

  /** Runs a command inside the namespace (`ip netns exec`). */
  exec(cmd: string, args: readonly string[], opts?: RunOptions): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** argv prefix that runs a command inside this namespace, for long-running processes. */
  argv(cmd: string, args: readonly string[]): string[] {
    return ['netns', 'exec', this.name, cmd, ...args];
  }

  /** Puts an inner (protected-subnet) address on lo: this kernel has no dummy links. */
  async addLoopbackAddress(cidr: string): Promise<void> {
    assertPlanAddress(cidr);
    await this.ip(['addr', 'add', cidr, 'dev', 'lo']);
  }

  async addRoute(dest: string, via: string): Promise<void> {
    assertPlanAddress(dest);
    assertPlanAddress(via);
    await this.ip(['route', 'replace', dest, 'via', via]);
  }

  /** One ICMP echo with a deadline; true when answered. */
  async ping(dest: string, opts: { source?: string; timeoutS?: number; count?: number } = {}): Promise<boolean> {
    assertPlanAddress(dest);
    const args = ['-n', '-q', '-c', String(opts.count ?? 1), '-W', String(opts.timeoutS ?? 1)];
    if (opts.source) args.push('-I', opts.source);
    const r = await this.exec('ping', [...args, dest], { check: false, timeoutMs: 10_000 });
    return r.code === 0;
  }

  private deleteNow(): void {
    if (this.deleted) return;
    this.deleted = true;
    // A process that was just killed may still pin the namespace (or a mount namespace holding a copy of
    // its bind mount) for a moment: retry until it goes, within a deadline. Synchronous on purpose: this
    // also runs from process exit handlers.
    const deadline = Date.now() + 5_000;
    for (;;) {
      spawnSync('ip', ['netns', 'delete', this.name], { stdio: 'ignore' });
      if (!fs.existsSync(`/run/netns/${this.name}`) || Date.now() > deadline) return;
      spawnSync('sleep', ['0.1']);
    }
  }

  /** Deletes the namespace (its veth ends go with it). Processes inside must be stopped first. */
  async delete(): Promise<void> {
    await this.releaseFn();
  }
}

export interface LinkEnd {
  ns: Namespace;
  ifname: string;
  address: string; // without prefix length
  cidr: string;
}

/**
 * A veth pair created directly inside the two namespaces (no name ever exists in the root namespace, so
 * concurrent runs cannot collide), addressed and up.
 */
export async function createLink(
  a: { ns: Namespace; ifname: string; cidr: string },
  b: { ns: Namespace; ifname: string; cidr: string },
): Promise<[LinkEnd, LinkEnd]> {
  for (const end of [a, b]) {
    assertPlanAddress(end.cidr);
    if (end.ifname.length > 15) throw new Error(`interface name too long: ${end.ifname}`);
  }
  await run('ip', ['link', 'add', a.ifname, 'netns', a.ns.name, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns.name]);
  const ends: LinkEnd[] = [];
  for (const end of [a, b]) {
    await end.ns.ip(['addr', 'add', end.cidr, 'dev', end.ifname]);
    await end.ns.ip(['link', 'set', end.ifname, 'up']);
    ends.push({ ns: end.ns, ifname: end.ifname, cidr: end.cidr, address: end.cidr.split('/')[0]! });
  }
  return [ends[0]!, ends[1]!];
}
