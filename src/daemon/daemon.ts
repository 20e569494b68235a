// The isakmpd process: configuration, sockets, FIFO, control socket, pid file, signals and the data plane
// around the sans-I/O engine. Nothing here decides protocol questions; it feeds the engine and carries
// out the Effects it returns.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type net from 'node:net';
import { configToJson, formatDiagnostic, loadConfigFile, reloadConfig, runFifoConfigCommand, type Config } from '../conf/index.js';
import { DataPlane } from '../dataplane/dataplane.js';
import { showDataplane } from '../dataplane/control.js';
import type { SaInfo } from '../dataplane/api.js';

/** An SA of showDataplane's JSON result (bigints as strings). */
type DataplaneSaJson = Omit<SaInfo, 'seqOut' | 'seqInHigh'> & { seqOut: string; seqInHigh: string };
/** Connection names one control `connect` request may start. */
const MAX_CONNECT_NAMES = 10_000;
import { attachPacketIo, type PacketIo } from './packet-io.js';
import { IkeEngine, type EngineSnapshot } from '../ike/engine.js';
import { describePhase1 } from '../ike/proposals.js';
import { endpointKey, type Command, type Effects, type Endpoint } from '../ike/types.js';
import { PcapWriter } from '../util/pcap.js';
import { addNonEspMarker, classifyUdp4500 } from '../isakmp/natt.js';
import type { DaemonOptions } from './args.js';
import { mapConfig, usesCertificates, type MappedConfig } from './conf-map.js';
import { pkiCertAuth } from './cert-link.js';
import { loadPkiStores } from '../pki/index.js';
import type { CertAuth } from '../ike/config.js';
import { startControlServer, type ControlReply, type ControlRequest } from './control-server.js';
import { DataplaneLink } from './dataplane-link.js';
import { openFifo, parseFifoLine, type FifoCommand } from './fifo.js';
import { DaemonLog } from './log.js';
import { keynotePhase1Policy, keynotePolicy } from './policy-link.js';
import { loadPolicyFile, type Policy } from '../policy/index.js';
import { listenAddresses, UdpTransport } from './transport.js';

export class IsakmpDaemon {
  readonly log: DaemonLog;
  private config!: Config;
  private mapped!: MappedConfig;
  private engine!: IkeEngine;
  private transport!: UdpTransport;
  private dp?: DataPlane;
  private link?: DataplaneLink;
  private control?: net.Server;
  private closeFifo?: () => void;
  private timer?: NodeJS.Timeout;
  private checkTimer?: NodeJS.Timeout;
  private dpTimer?: NodeJS.Timeout;
  private pcap?: { fd: number; writer: PcapWriter; path: string };
  private io?: PacketIo;
  private passive: boolean;
  private stopping = false;
  /** Datagrams handed to a socket and not yet sent; stop() waits for them (its Deletes). */
  private pendingSends = 0;
  private sendsDrained?: () => void;
  private readonly sendDone = (): void => {
    if (--this.pendingSends === 0) this.sendsDrained?.();
  };
  private readonly started = Date.now();
  readonly drops: Record<string, number> = {};
  private onStopped?: (code: number) => void;
  private readonly ownFiles: string[] = [];

  constructor(readonly opts: DaemonOptions) {
    this.log = new DaemonLog({ toStderr: true, verbose: opts.verbose });
    this.passive = opts.sync;
  }

  private now(): number {
    return Math.round(performance.now());
  }

  /** Starts everything; throws with an operator-readable message when it cannot run. */
  async start(onStopped: (code: number) => void): Promise<void> {
    this.onStopped = onStopped;
    for (const d of this.opts.debug) {
      const err = this.log.set(d);
      if (err) throw new Error(`-D: ${err}`);
    }
    const r = loadConfigFile(this.opts.configFile, { insecure: this.opts.insecure });
    for (const d of r.diagnostics) this.log.info('misc', d.severity === 'error' ? 0 : 10, formatDiagnostic(d));
    if (!r.ok) throw new Error(`configuration ${this.opts.configFile} has errors; not starting`);
    this.useConfig(r.config);
    for (const spec of this.config.general().loglevel ?? []) this.log.set(spec);
    if (this.config.general().logverbose) this.log.verbose = true;

    if (!this.opts.noKernel) {
      this.dp = new DataPlane({ bypassUdpPorts: [this.opts.port, this.opts.natTPort] });
      this.link = new DataplaneLink(this.dp, !this.opts.acquireOnly && !this.config.general().acquireOnly, (m) => this.log.info('sysdep', 0, m));
      this.dp.on('expire', (e) => this.run({ type: 'expire', spi: e.sa.spi, hard: e.kind === 'hard', reason: e.reason }));
      // An outbound packet matched a flow without an SA: negotiate the connection that covers it.
      this.dp.on('acquire', (e) => this.run({ type: 'acquire', src: e.packet.src, dst: e.packet.dst, ...(e.peer ? { peer: e.peer } : {}) }));
      this.dpTimer = setInterval(() => this.dp?.tick(), 1000);
      this.dpTimer.unref();
    }

    this.transport = new UdpTransport(
      (data, from, to, natT) => this.receive(data, from, to, natT),
      (msg) => this.log.info('transport', 0, msg),
    );
    const la = listenAddresses(this.config.general().listenOn, this.opts.family);
    for (const e of la.errors) this.log.info('transport', 0, e);
    const bindErrors = await this.transport.bind(la.addresses, this.opts.port, this.opts.noNatT ? undefined : this.opts.natTPort);
    for (const e of bindErrors) this.log.info('transport', 0, e);
    if (this.transport.ikeEndpoints().length === 0) throw new Error(`no address to listen on (port ${this.opts.port}): ${bindErrors[0] ?? 'Listen-on matched nothing'}`);
    this.log.info('transport', 10, `listening on ${this.transport.ikeEndpoints().map(endpointKey).join(', ')}`);

    if (this.opts.tun) {
      if (!this.dp) throw new Error('--tun needs the data plane (drop -n)');
      // oakley extensions: [General] Tun-MTU (default DEFAULT_TUN_MTU) and Link-MTU (outer link, default 1500)
      const num = (tag: string): number | undefined => {
        const v = this.config.get('General', tag);
        return v && /^\d+$/.test(v.trim()) ? Number(v.trim()) : undefined;
      };
      const tunMtu = num('Tun-MTU');
      const linkMtu = num('Link-MTU');
      this.io = attachPacketIo(this.dp, this.opts.tun, this.transport.bound.filter((b) => b.natT), (m) => this.log.info('sysdep', 0, m), this.drops, {
        ...(tunMtu ? { tunMtu } : {}), ...(linkMtu ? { linkMtu } : {}),
        ikePorts: this.transport.bound.map((b) => b.local.port),
      });
      this.log.info('sysdep', 10, `data plane on ${this.opts.tun}: ESP on raw sockets and in UDP`);
    }

    this.engine = new IkeEngine({
      config: this.mapped.engine, local: this.transport.ikeEndpoints(), ...(this.opts.noNatT ? {} : { natTPort: this.opts.natTPort }),
      logWanted: (cls, level, kind) => this.log.wanted(cls, level, kind),
    });
    this.engine.keepPlain = false; // until a capture starts (pcapOn)

    this.closeFifo = openFifo(this.opts.fifo, (l) => this.fifoLine(l), (m) => this.log.info('ui', 0, m));
    this.control = await startControlServer(this.opts.control, (req) => this.handleControl(req), (m) => this.log.info('ui', 0, m));
    this.ownFiles.push(this.opts.control);
    fs.writeFileSync(this.opts.pidFile, `${process.pid}\n`);
    this.ownFiles.push(this.opts.pidFile);
    if (this.opts.pcap) this.pcapOn(this.opts.pcapFile);

    this.log.info('misc', 0, `isakmpd started (pid ${process.pid}, config ${this.opts.configFile}, control ${this.opts.control})`);
    this.startConnections();
    const every = Math.max(5, this.config.general().checkInterval) * 1000;
    this.checkTimer = setInterval(() => this.startConnections(), every);
  }

  private useConfig(c: Config): void {
    const g = c.general();
    // KeyNote decides Quick Modes we answer unless -K or Use-Keynote is not "yes" (isakmpd policy.c).
    let policy: Policy | undefined;
    if (g.useKeynote && !this.opts.ignorePolicy) {
      const p = loadPolicyFile(g.policyFile);
      for (const d of p.diagnostics) this.log.info('policy', d.severity === 'error' ? 0 : 10, `${d.file}:${d.line}: ${d.severity}: ${d.message}`);
      if (p.diagnostics.some((d) => d.severity === 'error')) {
        throw new Error(`cannot use the policy file ${g.policyFile} (run with -K, or set [General] Use-Keynote=no, to run without KeyNote)`);
      }
      policy = p.policy;
    }
    // Certificate stores only when a configured peer uses RSA_SIG (the built-in default names RSA_SIG too).
    let certAuth: CertAuth | undefined;
    if (usesCertificates(c)) {
      const x = c.x509();
      const stores = loadPkiStores({
        caDir: x.caDirectory, certDir: x.certDirectory, crlDir: x.crlDirectory, privateKey: x.privateKey,
        privateKeyDir: x.privateKeyDirectory, acceptSelfSigned: x.acceptSelfSigned,
      });
      for (const p of stores.problems) this.log.info('misc', 10, `x509: ${p.file ?? ''}: ${p.reason}`);
      this.log.info('misc', 10, `x509: ${stores.cas.length} CA(s), ${stores.certs.length} certificate(s), ${stores.crls.length} CRL(s), ${stores.privateKey ? 'a' : 'no'} private key`);
      certAuth = pkiCertAuth(stores);
    }
    this.config = c;
    this.mapped = mapConfig(c, certAuth ? { certAuth } : {});
    if (policy) this.mapped.engine.policy = keynotePolicy(policy, (m) => this.log.info('policy', 0, m));
    // oakley extension: [General] Phase1-policy=yes also asks the policy about each authenticated phase 1.
    if (policy && /^yes/i.test(c.get('General', 'Phase1-policy') ?? '')) {
      this.mapped.engine.phase1Policy = keynotePhase1Policy(policy, (m) => this.log.info('policy', 0, m));
    }
    for (const w of this.mapped.warnings) this.log.info('misc', w.includes('Default-phase-1') ? 20 : 0, `config: ${w}`);
    if (this.engine) {
      this.engine.config = this.mapped.engine;
      // Timers follow the new values (Exchange-max-time, DPD-check-interval) at once, not at the next datagram.
      this.apply(this.engine.tick(this.now()));
    }
  }

  /** [Phase 2] Connections are brought up at start and kept up (isakmpd connection.c). */
  private startConnections(): void {
    if (this.passive || this.stopping) return;
    for (const name of this.mapped.active) this.run({ type: 'connect', name });
  }

  // ---------- engine driving ----------

  private receive(data: Buffer, from: Endpoint, to: Endpoint, natT: boolean): void {
    if (this.stopping) return;
    let ike: Uint8Array = data;
    if (natT) {
      // Port 4500 (RFC 3948 2.2): IKE behind the non-ESP marker, ESP in UDP, or a keepalive.
      const c = classifyUdp4500(data);
      if (c.kind === 'keepalive') return;
      if (c.kind === 'invalid') {
        this.drops['natt-invalid'] = (this.drops['natt-invalid'] ?? 0) + 1;
        return;
      }
      if (c.kind === 'esp') {
        if (this.io) {
          this.io.espInUdp(data, from, to);
          return;
        }
        const r = this.dp?.inboundUdp(c.esp, { src: from.address, dst: to.address, sport: from.port, dport: to.port });
        if (!r || r.action === 'drop') this.drops['esp-in-udp-dropped'] = (this.drops['esp-in-udp-dropped'] ?? 0) + 1;
        return;
      }
      ike = c.ike;
    }
    this.capture(ike, from, to);
    this.apply(this.engine.receive(ike, from, to, this.now()));
  }

  run(c: Command): void {
    this.apply(this.engine.command(c, this.now()));
  }

  private apply(fx: Effects): void {
    for (const l of fx.log) this.log.event(l);
    for (const c of fx.install) this.link?.apply(c);
    if (fx.install.length) this.io?.flowsChanged();
    for (const o of fx.send) {
      if (this.passive) {
        this.drops['passive-mode'] = (this.drops['passive-mode'] ?? 0) + 1;
        continue;
      }
      if (!o.keepalive) this.capture(o.plain ?? o.data, o.from, o.to);
      const viaNatT = !this.opts.noNatT && o.from.port === this.opts.natTPort && !o.keepalive;
      if (this.transport.send(o.from, o.to, viaNatT ? addNonEspMarker(o.data) : o.data, this.sendDone)) this.pendingSends++;
    }
    this.arm(fx.nextTimer);
  }

  /** Time the engine's timer is set for; an unchanged time keeps the armed Timeout (most datagrams). */
  private timerAt?: number;
  private readonly onTimer = (): void => {
    delete this.timer;
    delete this.timerAt;
    this.apply(this.engine.tick(this.now()));
  };

  private arm(at: number | undefined): void {
    if (at !== undefined && !this.stopping) {
      if (this.timer && this.timerAt === at) return;
      if (this.timer) clearTimeout(this.timer);
      this.timerAt = at;
      this.timer = setTimeout(this.onTimer, Math.min(Math.max(0, at - this.now()), 2 ** 31 - 1));
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    delete this.timer;
    delete this.timerAt;
  }

  private capture(data: Uint8Array, from: Endpoint, to: Endpoint): void {
    if (!this.pcap) return;
    try {
      fs.writeSync(this.pcap.fd, this.pcap.writer.record({ src: from.address, sport: from.port, dst: to.address, dport: to.port }, data, Date.now()));
    } catch (err) {
      this.log.info('misc', 0, `pcap: ${(err as Error).message}; capture stopped`);
      this.pcapOff();
    }
  }

  private pcapOn(file: string): void {
    this.pcapOff();
    const writer = new PcapWriter();
    const fd = fs.openSync(file, 'w', 0o600);
    fs.writeSync(fd, writer.header());
    this.pcap = { fd, writer, path: file };
    this.engine.keepPlain = true;
    this.log.info('misc', 10, `plaintext IKE capture to ${file}`);
  }

  private pcapOff(): void {
    if (!this.pcap) return;
    fs.closeSync(this.pcap.fd);
    delete this.pcap;
    this.engine.keepPlain = false;
  }

  // ---------- FIFO ----------

  private fifoLine(line: string): void {
    const c = parseFifoLine(line);
    if (c === undefined) return;
    if (typeof c === 'string') {
      this.log.info('ui', 0, `fifo: ${c}: "${line.slice(0, 80)}"`);
      return;
    }
    this.log.info('ui', 10, `fifo: ${line.trim()}`);
    void this.fifoCommand(c);
  }

  private resultFile(): string {
    return path.join(this.opts.fifo === '-' ? '/var/run' : path.dirname(this.opts.fifo), 'isakmpd.result');
  }

  async fifoCommand(c: FifoCommand): Promise<void> {
    switch (c.cmd) {
      case 'connect': return this.run({ type: 'connect', name: c.name });
      case 'config': {
        const r = runFifoConfigCommand(this.config, c.line);
        for (const d of r.diagnostics) this.log.info('ui', 0, formatDiagnostic(d));
        if (r.result !== undefined) fs.writeFileSync(this.resultFile(), r.result, { mode: 0o600 });
        if (r.commit) {
          try {
            this.useConfig(r.commit.config);
          } catch (err) {
            this.log.info('ui', 0, `configuration change not applied: ${(err as Error).message}`);
            return;
          }
          if (r.commit.connectionsChanged) setTimeout(() => this.startConnections(), 5000).unref();
        }
        return;
      }
      case 'delete':
        return this.run({ type: 'delete', icookie: c.icookie, rcookie: c.rcookie, ...(c.messageId !== undefined ? { messageId: c.messageId } : {}) });
      case 'debug': {
        const e = this.log.set(c.spec);
        if (e) this.log.info('ui', 0, e);
        return;
      }
      case 'debug-toggle': return this.log.toggle();
      case 'mode':
        this.passive = c.passive;
        this.log.info('ui', 0, `now ${c.passive ? 'passive' : 'active'}`);
        if (!c.passive) this.startConnections();
        return;
      case 'pcap':
        if (c.on) this.pcapOn(c.path ?? this.opts.pcapFile);
        else this.pcapOff();
        return;
      case 'quit': return this.stop(0);
      case 'reload':
        this.reload();
        return;
      case 'report': {
        // FIFO r reports to the log; SIGUSR1 writes the same to the -R file (isakmpd's report file).
        const report = { sas: this.engine.snapshot(), stats: this.stats(), connections: this.mapped.active };
        if (c.file) fs.writeFileSync(c.file, JSON.stringify(report, null, 2) + '\n', { mode: 0o600 });
        else this.log.info('misc', 0, `report: ${JSON.stringify(report)}`);
        return;
      }
      case 'sa-dump':
        fs.writeFileSync(this.resultFile(), saDump(this.engine.snapshot()), { mode: 0o600 });
        return;
      case 'teardown': {
        const isAddr = /^[0-9.]+$|:/.test(c.target);
        return this.run(isAddr ? { type: 'teardown', address: c.target } : { type: 'teardown', name: c.target, phase: c.phase });
      }
      case 'teardown-all': return this.run({ type: 'teardown-all' });
    }
  }

  reload(): { ok: boolean; messages: string[] } {
    const r = reloadConfig(this.config, this.opts.configFile, { insecure: this.opts.insecure });
    const messages = r.diagnostics.map(formatDiagnostic);
    for (const m of messages) this.log.info('misc', 0, m);
    if (r.replaced) {
      try {
        this.useConfig(r.config);
      } catch (err) {
        const m = `reload refused: ${(err as Error).message}`;
        this.log.info('misc', 0, m);
        return { ok: false, messages: [...messages, m] };
      }
      this.log.info('misc', 0, `configuration reloaded (generation ${r.config.generation})`);
      this.startConnections();
    }
    return { ok: r.replaced, messages };
  }

  // ---------- control socket ----------

  stats(): Record<string, unknown> {
    const s = this.engine.stats;
    return {
      uptimeSec: Math.round((Date.now() - this.started) / 1000),
      ike: { ...s, dropped: { ...s.dropped, ...this.drops }, halfOpen: this.engine.halfOpenCounts() },
      transport: this.transport.stats,
      ...(this.dp ? { dataplane: this.dp.stats() } : {}),
    };
  }

  private async handleControl(req: ControlRequest): Promise<ControlReply> {
    switch (req.cmd) {
      case 'show':
        switch (req.what) {
          case 'sa': {
            const snap = this.engine.snapshot();
            // The data plane's own view (counters, replay drops, lifetimes), as ipsecadm shows it.
            const dps = this.dp ? showDataplane(this.dp, 'sa') : undefined;
            const sas = dps?.ok ? ((dps.result as { sas?: DataplaneSaJson[] }).sas ?? []) : [];
            const counters = sas.map((s) => ({
              spi: `0x${(s.spi >>> 0).toString(16).padStart(8, '0')}`, proto: s.proto, dst: s.dst, bytes: s.counters.bytes, packets: s.counters.packets,
              replayDrops: s.counters.replayDrops, authFailures: s.counters.authFailures, soft: s.soft, hard: s.hard, label: s.label ?? '',
            }));
            return { ok: true, isakmp: snap.isakmp, ipsec: snap.ipsec, dataplane: counters, ...(dps?.ok ? { dataplaneText: dps.text } : {}) };
          }
          case 'flows':
            return { ok: true, flows: this.dp ? this.dp.listFlows().map((f) => ({ id: f.id, direction: f.direction, type: f.type, src: f.selector.src, dst: f.selector.dst, peer: f.peer ?? '', hits: f.hits })) : [] };
          case 'peers': {
            const snap = this.engine.snapshot();
            return {
              ok: true,
              peers: this.mapped.engine.peers.map((p) => ({
                name: p.name,
                address: p.address ? endpointKey(p.address) : 'any',
                exchange: p.exchange,
                transforms: p.transforms.map((t) => { const d = describePhase1(t); return `${d.encr}-${d.hash}-grp${d.group}`; }),
                phase1: snap.isakmp.filter((s) => s.peer === p.name).map((s) => s.state),
                connections: this.mapped.engine.connections.filter((c) => c.peer === p.name).map((c) => c.name),
              })),
            };
          }
          case 'stats':
            return { ok: true, stats: this.stats() };
          case 'config':
            return { ok: true, config: configToJson(this.config) };
          default:
            return { ok: false, error: `show: unknown object '${String(req.what)}' (sa, flows, peers, stats, config)` };
        }
      case 'connect': {
        // One name, or several (`names`): a script starting many tunnels need not open a socket for each.
        const names = typeof req.name === 'string' && req.name ? [req.name]
          : Array.isArray(req.names) && req.names.length > 0 && req.names.length <= MAX_CONNECT_NAMES && req.names.every((n) => typeof n === 'string' && n) ? (req.names as string[])
          : undefined;
        if (!names) return { ok: false, error: `connect: name missing (name, or names: 1 to ${MAX_CONNECT_NAMES} connection names)` };
        const unknown = names.filter((n) => !this.engine.connectionByName(n));
        if (unknown.length) return { ok: false, error: `connect: no connection named ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; nothing started` };
        for (const name of names) this.run({ type: 'connect', name });
        return { ok: true };
      }
      case 'teardown': {
        if (typeof req.target !== 'string' || !req.target) return { ok: false, error: 'teardown: name or address missing' };
        await this.fifoCommand({ cmd: 'teardown', phase: req.phase === 1 ? 1 : 2, target: req.target });
        return { ok: true };
      }
      case 'reload': {
        const r = this.reload();
        return r.ok ? { ok: true, messages: r.messages } : { ok: false, error: r.messages.join('\n') };
      }
      case 'debug': {
        const e = this.log.set(`${String(req.class)}=${String(req.level)}`);
        return e ? { ok: false, error: e } : { ok: true };
      }
      case 'ipsecadm': {
        if (!this.dp) return { ok: false, error: 'no data plane (-n)' };
        const modPath = '../dataplane/control.js';
        try {
          const m = (await import(modPath)) as { handleIpsecadmRequest?: (dp: DataPlane, r: unknown) => unknown };
          if (!m.handleIpsecadmRequest) return { ok: false, error: 'ipsecadm requests are not supported by this data plane' };
          return (await m.handleIpsecadmRequest(this.dp, req)) as ControlReply;
        } catch (err) {
          return { ok: false, error: `ipsecadm: ${(err as Error).message}` };
        }
      }
      case 'packet': {
        // Loopback mode without TUN: a plaintext packet through the outbound path, or a protected one
        // through the inbound path; the caller carries the bytes between two daemons.
        if (!this.dp) return { ok: false, error: 'no data plane (-n)' };
        if (typeof req.hex !== 'string' || !/^([0-9a-f]{2})+$/i.test(req.hex) || req.hex.length > 131072) return { ok: false, error: 'packet: hex bytes missing' };
        const bytes = Buffer.from(req.hex, 'hex');
        if (req.dir === 'out') {
          const r = this.dp.outbound(bytes);
          if (r.action === 'protect') return { ok: true, action: 'protect', hex: Buffer.from(r.out.bytes).toString('hex'), dst: r.out.dst };
          if (r.action === 'clear') return { ok: true, action: 'clear', hex: Buffer.from(r.packet).toString('hex') };
          return { ok: true, action: 'drop', reason: r.reason };
        }
        if (req.dir === 'in') {
          const r = this.dp.inbound(bytes);
          return r.action === 'deliver' ? { ok: true, action: 'deliver', hex: Buffer.from(r.packet).toString('hex') } : { ok: true, action: 'drop', reason: r.reason };
        }
        return { ok: false, error: "packet: dir must be 'in' or 'out'" };
      }
      case 'stop':
        setImmediate(() => void this.stop(0));
        return { ok: true };
      default:
        return { ok: false, error: `unknown command '${String(req.cmd)}'` };
    }
  }

  // ---------- shutdown ----------

  /** SIGTERM / FIFO Q: Deletes for phase 2 then phase 1 (unless -S or Delete-SAs=no), then exit. */
  async stop(code: number): Promise<void> {
    if (this.stopping) return;
    const sendDeletes = !this.opts.sync && !!this.config && this.config.general().deleteSAs;
    this.log.info('misc', 0, `shutting down${sendDeletes ? ', sending Deletes' : ''}`);
    if (this.engine) this.apply(this.engine.command({ type: 'shutdown', sendDeletes }, this.now()));
    this.stopping = true;
    await new Promise<void>((resolve) => {
      if (this.pendingSends === 0) return resolve();
      this.sendsDrained = resolve;
      setTimeout(resolve, 2000);
    });
    if (this.timer) clearTimeout(this.timer);
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.dpTimer) clearInterval(this.dpTimer);
    this.io?.stop();
    this.transport?.close();
    this.closeFifo?.();
    this.pcapOff();
    await new Promise<void>((r) => (this.control ? this.control.close(() => r()) : r()));
    for (const f of this.ownFiles) {
      try {
        fs.unlinkSync(f);
      } catch {
        // already gone
      }
    }
    await this.log.close();
    this.onStopped?.(code);
  }
}

/** FIFO `S`: isakmpd's sa_dump_all format, one block per SA. */
export function saDump(s: EngineSnapshot): string {
  const out: string[] = [];
  for (const sa of s.isakmp) {
    out.push(`SA name: ${sa.peer} (Phase 1/${sa.role === 'initiator' ? 'Initiator' : 'Responder'})`);
    out.push(`src: ${sa.local} dst: ${sa.remote}`);
    if (sa.expiresInSec !== undefined) out.push(`Hard timeout in ${sa.expiresInSec} seconds`);
    out.push(`Flags 0x${(sa.state === 'ESTABLISHED' ? 1 : 0).toString(16).padStart(8, '0')}`);
    out.push(`icookie ${sa.icookie} rcookie ${sa.rcookie}`, '');
  }
  for (const sa of s.ipsec) {
    out.push(`SA name: ${sa.connection} (Phase 2)`);
    out.push(`src: ${sa.local} dst: ${sa.remote}`);
    out.push(`Hard timeout in ${sa.expiresInSec} seconds`);
    out.push('Flags 0x00000001');
    out.push(`SPI 0: ${String(sa.spiIn).slice(2)}`, `SPI 1: ${String(sa.spiOut).slice(2)}`);
    out.push(`Transform: IPsec ESP ${sa.mode} ${sa.encr} ${sa.integ}${sa.pfsGroup ? ` PFS group ${sa.pfsGroup}` : ''}`);
    out.push(`Flow: ${sa.localSelector} <-> ${sa.remoteSelector}`, '');
  }
  return out.join('\n') + (out.length ? '\n' : '');
}
