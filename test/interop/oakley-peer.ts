// The project's own daemon as a lab peer: isakmpd.conf rendered from a small description, isakmpd started
// inside a namespace (tracked by PID through Lab.spawn), and its state read back through the control
// socket, both with the library call (for polling) and through `isakmpctl -j show sa` (the CLI the
// operator uses).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../../src/cli/isakmpctl/control.js';
import { run, waitFor, type Daemon, type Lab, type Site, type Charon, type ConfSection } from './lab/index.js';

/** The compiled tree this file runs from (dist or a per-area output folder). */
const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ISAKMPD_JS = path.join(DIST, 'src', 'cli', 'isakmpd.js');
export const ISAKMPCTL_JS = path.join(DIST, 'src', 'cli', 'isakmpctl.js');

export const PSK = 'oakley-interop-psk-0123456789';

export type OakleyId = { type: 'FQDN'; name: string } | { type: 'IPV4_ADDR'; address: string } | { type: 'USER_FQDN'; name: string };

export interface OakleyConfSpec {
  /** Our outer address and the peer's. */
  local: string;
  remote: string;
  /** Whether we start the exchange (Connections) or wait for it (Passive-connections). */
  role: 'initiator' | 'responder';
  exchange?: 'ID_PROT' | 'AGGRESSIVE';
  /** Main Mode transform names (isakmpd.conf(5) auto-generated names), in offer order. */
  transforms: string[];
  /** Quick Mode suite names, in offer order. */
  suites: string[];
  /** Our protected subnet and the peer's (CIDR /24). */
  localNet: string;
  remoteNet: string;
  /** Pre-shared key (omitted for RSA_SIG). */
  psk?: string;
  localId?: OakleyId;
  remoteId?: OakleyId;
  /** Extra tags for [General], the phase 1 peer section and the phase 2 connection section. */
  general?: Record<string, string>;
  peer?: Record<string, string>;
  connection?: Record<string, string>;
  /** Extra whole sections (e.g. X509-certificates). */
  sections?: Record<string, Record<string, string>>;
  /** Force-encapsulation=yes in the peer section: ESP in UDP on port 4500 without a NAT. Default off. */
  forceEncapsulation?: boolean;
}

function netSection(cidr: string): Record<string, string> {
  const [network, bits] = cidr.split('/');
  if (bits !== '24') throw new Error(`only /24 subnets in the lab plan: ${cidr}`);
  return { 'ID-type': 'IPV4_ADDR_SUBNET', Network: network!, Netmask: '255.255.255.0' };
}

function idSection(id: OakleyId): Record<string, string> {
  return id.type === 'IPV4_ADDR' ? { 'ID-type': 'IPV4_ADDR', Address: id.address } : { 'ID-type': id.type, Name: id.name };
}

/** Renders an isakmpd.conf with one phase 1 peer ("peer") and one phase 2 connection ("net"). */
export function oakleyConf(spec: OakleyConfSpec): string {
  const sections: Record<string, Record<string, string>> = {};
  sections['General'] = { 'Listen-on': spec.local, Retransmits: '3', ...(spec.general ?? {}) };
  sections['Phase 1'] = { [spec.remote]: 'peer' };
  sections['Phase 2'] = { [spec.role === 'initiator' ? 'Connections' : 'Passive-connections']: 'net' };
  const peer: Record<string, string> = { Phase: '1', Address: spec.remote, Configuration: 'p1' };
  if (spec.psk !== undefined) peer['Authentication'] = spec.psk;
  if (spec.forceEncapsulation) peer['Force-encapsulation'] = 'yes';
  if (spec.localId) {
    peer['ID'] = 'my-id';
    sections['my-id'] = idSection(spec.localId);
  }
  if (spec.remoteId) {
    peer['Remote-ID'] = 'peer-id';
    sections['peer-id'] = idSection(spec.remoteId);
  }
  sections['peer'] = { ...peer, ...(spec.peer ?? {}) };
  sections['p1'] = { EXCHANGE_TYPE: spec.exchange ?? 'ID_PROT', Transforms: spec.transforms.join(',') };
  sections['net'] = { Phase: '2', 'ISAKMP-peer': 'peer', Configuration: 'p2', 'Local-ID': 'local-net', 'Remote-ID': 'remote-net', ...(spec.connection ?? {}) };
  sections['p2'] = { EXCHANGE_TYPE: 'QUICK_MODE', Suites: spec.suites.join(',') };
  sections['local-net'] = netSection(spec.localNet);
  sections['remote-net'] = netSection(spec.remoteNet);
  Object.assign(sections, spec.sections ?? {});
  let out = '';
  for (const [name, tags] of Object.entries(sections)) {
    out += `[${name}]\n`;
    for (const [k, v] of Object.entries(tags)) {
      if (/[\n\r]/.test(v)) throw new Error(`line break in ${name}/${k}`);
      out += `${k}=${v}\n`;
    }
    out += '\n';
  }
  return out;
}

/** One row of `isakmpctl -j show sa`'s ISAKMP list. */
export interface OakleyIsakmpSa {
  peer: string;
  role: 'initiator' | 'responder';
  state: string;
  local: string;
  remote: string;
  icookie: string;
  rcookie: string;
  encr: string;
  hash: string;
  group: number;
  idI: string;
  idR: string;
  exchange: string;
  nat?: string;
  [k: string]: unknown;
}

/** One row of `isakmpctl -j show sa`'s IPsec list. */
export interface OakleyIpsecSa {
  connection: string;
  peer: string;
  spiIn: string;
  spiOut: string;
  mode?: string;
  encap?: string | boolean;
  encr?: string;
  integ?: string;
  pfsGroup?: number | null;
  localSelector: string;
  remoteSelector: string;
  [k: string]: unknown;
}

export interface OakleySaState {
  isakmp: OakleyIsakmpSa[];
  ipsec: OakleyIpsecSa[];
  dataplane?: Array<{ spi: string; packets: number; bytes: number }>;
}

export interface OakleyOptions {
  /** TUN device for the userspace data plane (ping through the tunnel). */
  tun?: string;
  /** -T: no NAT-T (raw ESP). */
  noNatT?: boolean;
  /** Policy file text; without it the daemon runs with -K (no KeyNote). */
  policy?: string;
  /** Debug classes (-D class=level). */
  debug?: string[];
  extraArgs?: string[];
}

export class Oakley {
  readonly dir: string;
  readonly confPath: string;
  readonly sock: string;
  readonly logPath: string;
  readonly policyPath: string;
  private daemon?: Daemon;

  constructor(
    private readonly lab: Lab,
    readonly site: Site,
    readonly name: string,
    private readonly conf: string,
    private readonly opts: OakleyOptions = {},
  ) {
    this.dir = path.join(lab.dir, name);
    this.confPath = path.join(this.dir, 'isakmpd.conf');
    this.sock = path.join(this.dir, 'ctl.sock');
    this.logPath = path.join(lab.dir, `${name}.log`);
    this.policyPath = path.join(this.dir, 'isakmpd.policy');
  }

  get pid(): number | undefined {
    return this.daemon?.pid;
  }

  /** Writes the files, starts isakmpd and waits until its control socket answers. */
  async start(timeoutMs = 15_000): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    let conf = this.conf;
    if (this.opts.policy !== undefined) {
      fs.writeFileSync(this.policyPath, this.opts.policy, { mode: 0o600 });
      conf = conf.replace('[General]\n', `[General]\nPolicy-file=${this.policyPath}\nUse-Keynote=yes\n`);
    }
    fs.writeFileSync(this.confPath, conf, { mode: 0o600 });
    const args = [
      ISAKMPD_JS, '-d', '-v', '-c', this.confPath, '-f', path.join(this.dir, 'fifo'), '-i', path.join(this.dir, 'pid'),
      '-R', path.join(this.dir, 'report'), '--control', this.sock,
    ];
    if (this.opts.policy === undefined) args.push('-K');
    if (this.opts.noNatT) args.push('-T');
    if (this.opts.tun) args.push('--tun', this.opts.tun);
    // OAKLEY_IOP_DEBUG=A=90 (comma-separated -D values) turns on daemon debugging for a whole run.
    const envDebug = (process.env['OAKLEY_IOP_DEBUG'] ?? '').split(',').filter(Boolean);
    for (const d of [...(this.opts.debug ?? []), ...envDebug]) args.push('-D', d);
    args.push(...(this.opts.extraArgs ?? []));
    const d = this.lab.spawn(this.site.ns, this.name, process.execPath, args);
    this.daemon = d;
    await waitFor(
      async () => {
        if (!d.running) throw new Error(`${this.name} exited (${d.exitCode ?? d.exitSignal}):\n${this.readLog().slice(-2000)}`);
        if (!fs.existsSync(this.sock)) return false;
        await this.showSa();
        return true;
      },
      { what: `${this.name} control socket`, timeoutMs, intervalMs: 100 },
    );
  }

  get running(): boolean {
    return this.daemon?.running ?? false;
  }

  /** State through the control socket (library call, cheap enough to poll). */
  async showSa(): Promise<OakleySaState> {
    const r = await request(this.sock, { cmd: 'show', what: 'sa' });
    if (!r.ok) throw new Error(`${this.name}: show sa: ${r.error ?? 'failed'}`);
    return r as unknown as OakleySaState;
  }

  /** The same state through the operator's CLI: `isakmpctl -s SOCK -j show sa`. */
  async showSaCli(): Promise<OakleySaState> {
    const r = await run(process.execPath, [ISAKMPCTL_JS, '-s', this.sock, '-j', 'show', 'sa'], { timeoutMs: 15_000 });
    return JSON.parse(r.stdout) as OakleySaState;
  }

  /** Any isakmpctl control command (e.g. ['teardown', 'net']). */
  ctl(args: string[]): Promise<import('./lab/index.js').RunResult> {
    return run(process.execPath, [ISAKMPCTL_JS, '-s', this.sock, ...args], { timeoutMs: 15_000, check: false });
  }

  /** Polls the state until the predicate holds. */
  waitState<T>(what: string, pick: (s: OakleySaState) => T | undefined | false | null, timeoutMs = 20_000): Promise<T> {
    return waitFor(
      async () => {
        if (this.daemon && !this.daemon.running) throw new Error(`${this.name} exited:\n${this.readLog().slice(-2000)}`);
        return pick(await this.showSa());
      },
      { what: `${this.name}: ${what}`, timeoutMs, intervalMs: 100 },
    );
  }

  /** Polls until an established ISAKMP SA and an IPsec SA of connection "net" exist. */
  waitEstablished(timeoutMs = 20_000): Promise<{ p1: OakleyIsakmpSa; p2: OakleyIpsecSa; state: OakleySaState }> {
    return this.waitState(
      'ISAKMP SA established and IPsec SA for net',
      (s) => {
        const p1 = s.isakmp.find((x) => x.state === 'ESTABLISHED');
        const p2 = s.ipsec.find((x) => x.connection === 'net');
        return p1 && p2 ? { p1, p2, state: s } : undefined;
      },
      timeoutMs,
    );
  }

  /** Polls until no SA of either phase is left. */
  waitNoSas(timeoutMs = 15_000): Promise<true> {
    return this.waitState('no ISAKMP or IPsec SA left', (s) => s.isakmp.length === 0 && s.ipsec.length === 0, timeoutMs);
  }

  readLog(): string {
    return fs.existsSync(this.logPath) ? fs.readFileSync(this.logPath, 'utf8') : '';
  }

  async waitLog(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return waitFor(() => this.readLog().match(pattern)?.[0], { what: `${this.name}: ${pattern} in ${this.logPath}`, timeoutMs, intervalMs: 100 });
  }

  async stop(): Promise<void> {
    await this.daemon?.stop();
  }
}

/** swanctl.conf for one IKEv1 connection "gw" with child "net" between the two sites (charon on `me`). */
export function charonConn(
  me: Site,
  them: Site,
  o: {
    aggressive?: boolean;
    ike: string;
    esp: string;
    localId?: string;
    remoteId?: string;
    auth?: 'psk' | 'pubkey';
    certs?: string;
    gw?: ConfSection;
    child?: ConfSection;
    psk?: string;
  },
): ConfSection {
  const auth = o.auth ?? 'psk';
  const localId = o.localId ?? me.outer;
  const remoteId = o.remoteId ?? them.outer;
  const conf: ConfSection = {
    connections: {
      gw: {
        version: 1,
        aggressive: o.aggressive ?? false,
        local_addrs: me.outer,
        remote_addrs: them.outer,
        proposals: o.ike,
        local: { auth, id: localId, certs: o.certs },
        remote: { auth, id: remoteId },
        children: { net: { local_ts: me.subnet, remote_ts: them.subnet, esp_proposals: o.esp, ...(o.child ?? {}) } },
        ...(o.gw ?? {}),
      },
    },
  };
  if (auth === 'psk') conf['secrets'] = { 'ike-1': { 'id-a': localId, 'id-b': remoteId, secret: `"${o.psk ?? PSK}"` } };
  return conf;
}

/** Polls charon until connection gw has an ESTABLISHED IKE SA with child net INSTALLED. */
export async function charonUp(c: Charon, timeoutMs = 20_000): ReturnType<Charon['waitEstablished']> {
  return c.waitEstablished('gw', { child: 'net', timeoutMs });
}

/** Strips a leading 0x and lower-cases an SPI for comparison between the two peers' spellings. */
export const spiHex = (s: string): string => s.replace(/^0x/i, '').toLowerCase().padStart(8, '0');
