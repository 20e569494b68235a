// Packet I/O adapters around the sans-I/O DataPlane: a TUN device for the plaintext side, raw IPv4
// sockets for ESP (50) and AH (51), ESP-in-UDP (RFC 3948) on a UDP socket that may be shared with IKE,
// and an in-memory loopback for tests and the demo. DataPlaneHost wires one plaintext port and the
// wire ports to a DataPlane.
import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { DataPlane } from './dataplane.js';
import type { FlowInfo, WireOut } from './api.js';
import { parseAddr } from './addr.js';
import { classifyUdp4500 } from '../isakmp/index.js';
import { fragmentIpv4 } from './ip.js';
import {
  AF_INET,
  EAGAIN,
  EINTR,
  F_GETFL,
  F_SETFL,
  O_NONBLOCK,
  POLLIN,
  IFF_NO_PI,
  IFF_TUN,
  IPPROTO_IP,
  IPPROTO_RAW,
  IP_HDRINCL,
  O_CLOEXEC,
  O_RDWR,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
  SO_BINDTODEVICE,
  SendBatch,
  TUNSETIFF,
  check,
  sockaddrIn,
  sys,
} from './sys.js';

const MTU_BUF = 65536;

/**
 * Reads an fd (TUN or raw socket) without parking a thread-pool thread in read(): the fd is made
 * non-blocking, poll() waits on the pool with a short timeout (so shutdown is never stuck behind a
 * blocked read), and each wake-up drains up to a batch of packets on the main thread.
 */
function readLoop(fd: number, onPacket: (p: Uint8Array) => void, onError: (e: Error) => void): { stop(): void } {
  const s = sys();
  s.fcntl(fd, F_SETFL, s.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
  let stopped = false;
  const buf = new Uint8Array(MTU_BUF);
  const pfd = new Uint8Array(8);
  new DataView(pfd.buffer).setInt32(0, fd, true);
  pfd[4] = POLLIN;
  const drain = () => {
    for (let i = 0; i < 256 && !stopped; i++) {
      const n = s.read(fd, buf, MTU_BUF);
      if (n < 0) {
        const e = s.errno();
        if (e !== EAGAIN && e !== EINTR) onError(new Error(`read: ${s.strerror(e)}`));
        return;
      }
      // A view, not a copy: every consumer finishes with the packet before the next read.
      if (n > 0) onPacket(buf.subarray(0, n));
    }
  };
  const wait = () => {
    if (stopped) return;
    pfd[6] = 0;
    pfd[7] = 0;
    s.poll.async(pfd, 1, 250, (err: unknown, r: number) => {
      if (stopped) return;
      if (err) onError(err instanceof Error ? err : new Error(String(err)));
      else if (r > 0) drain();
      wait();
    });
  };
  wait();
  return {
    stop() {
      stopped = true;
    },
  };
}

/**
 * The plaintext side: packets leaving this host (to protect) and packets delivered to it. Packets
 * handed to onPacket callbacks (here and on WirePort) are valid only during the call: the adapters
 * read into one reused buffer.
 */
export interface PlainPort {
  onPacket(cb: (pkt: Uint8Array) => void): void;
  write(pkt: Uint8Array): void;
  close(): void;
}

/** The protected side: where ESP/AH leaves and arrives, and where clear packets go. */
export interface WirePort {
  onPacket(cb: (pkt: Uint8Array) => void): void;
  onUdp?(cb: (esp: Uint8Array, outer: { src: string; dst: string; sport: number; dport: number }) => void): void;
  send(out: WireOut): void;
  sendClear(pkt: Uint8Array): void;
  close(): void;
}

export class TunPort implements PlainPort {
  readonly fd: number;
  readonly name: string;
  private reader?: { stop(): void };
  private cb?: (p: Uint8Array) => void;

  constructor(name: string, private readonly onError: (e: Error) => void = () => {}) {
    const s = sys();
    this.fd = check(s.open('/dev/net/tun', O_RDWR | O_CLOEXEC), 'open /dev/net/tun');
    const ifr = new Uint8Array(40);
    ifr.set(Buffer.from(name.slice(0, 15)), 0);
    const flags = IFF_TUN | IFF_NO_PI;
    ifr[16] = flags & 0xff;
    ifr[17] = flags >> 8;
    try {
      check(s.ioctl(this.fd, TUNSETIFF, ifr), `TUNSETIFF ${name}`);
    } catch (e) {
      s.close(this.fd);
      throw e;
    }
    this.name = Buffer.from(ifr.subarray(0, 16)).toString('latin1').replace(/\0.*$/, '');
  }

  onPacket(cb: (pkt: Uint8Array) => void): void {
    this.cb = cb;
    this.reader ??= readLoop(this.fd, (p) => this.cb?.(p), this.onError);
  }

  write(pkt: Uint8Array): void {
    const s = sys();
    if (s.write(this.fd, pkt, pkt.length) < 0) this.onError(new Error(`write ${this.name}: ${s.strerror(s.errno())}`));
  }

  close(): void {
    this.reader?.stop();
    sys().close(this.fd);
  }
}

/**
 * Raw IPv4 sockets: one per protocol (50, 51) receiving whole IP packets, and an IPPROTO_RAW socket
 * for sending complete packets we built (IP_HDRINCL). Bound to the outer interface so that host
 * routes pointing into the TUN device (transport mode) do not swallow our own protected packets.
 */
export class RawIpv4Wire implements WirePort {
  private readonly rx: number[] = [];
  private readonly tx: number;
  private readonly readers: { stop(): void }[] = [];
  private cb?: (p: Uint8Array) => void;
  /** Outer packets above this are sent as IPv4 fragments (raw IP_HDRINCL sends are never split for us). */
  private readonly mtu: number;
  private readonly frag = new Uint8Array(MTU_BUF);
  private readonly to = sockaddrIn(new Uint8Array(4));
  private readonly batch: SendBatch;
  private closed = false;

  constructor(
    opts: { device?: string; protocols?: number[]; mtu?: number } = {},
    private readonly onError: (e: Error) => void = () => {},
  ) {
    const s = sys();
    this.mtu = opts.mtu ?? 1500;
    this.batch = new SendBatch(64, Math.max(this.mtu, 1500));
    const bind = (fd: number) => {
      if (opts.device) {
        const name = Buffer.from(`${opts.device}\0`);
        check(s.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length), `SO_BINDTODEVICE ${opts.device}`);
      }
    };
    this.tx = check(s.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW), 'socket(raw)');
    const one = new Uint8Array([1, 0, 0, 0]);
    check(s.setsockopt(this.tx, IPPROTO_IP, IP_HDRINCL, one, 4), 'IP_HDRINCL');
    bind(this.tx);
    for (const proto of opts.protocols ?? [50, 51]) {
      const fd = check(s.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, proto), `socket(raw, ${proto})`);
      bind(fd);
      this.rx.push(fd);
    }
  }

  onPacket(cb: (pkt: Uint8Array) => void): void {
    this.cb = cb;
    if (this.readers.length === 0) for (const fd of this.rx) this.readers.push(readLoop(fd, (p) => this.cb?.(p), this.onError));
  }

  private sendIp(pkt: Uint8Array): void {
    if (pkt[0]! >> 4 !== 4) {
      this.onError(new Error('raw wire: IPv6 outer packets need ESP-in-UDP here'));
      return;
    }
    if (pkt.length > this.mtu && fragmentIpv4(pkt, this.mtu, this.frag, this.queue)) return;
    this.queue(pkt);
  }

  /**
   * Sends go out together: queued here and flushed with one sendmmsg once the current burst of work
   * (a drain of the TUN device, all fragments of a packet) is done, or when the batch is full.
   */
  private readonly queue = (pkt: Uint8Array): void => {
    const b = this.batch;
    if (b.add(pkt, pkt, 16)) {
      if (b.count === 1) queueMicrotask(this.flush);
      return;
    }
    this.flush();
    if (b.add(pkt, pkt, 16)) {
      queueMicrotask(this.flush);
      return;
    }
    // Larger than a slot (a packet above the MTU that could not be fragmented): on its own.
    this.to.set(pkt.subarray(16, 20), 4);
    const r = sys().sendto(this.tx, pkt, pkt.length, 0, this.to, 16);
    if (r < 0) this.onError(new Error(`sendto: ${sys().strerror(sys().errno())}`));
  };

  private readonly flush = (): void => {
    if (this.batch.count === 0 || this.closed) return;
    const e = this.batch.flush(this.tx);
    if (e) this.onError(new Error(`sendmmsg: ${sys().strerror(e)}`));
  };

  send(out: WireOut): void {
    if (out.encap) {
      this.onError(new Error('raw wire cannot send ESP-in-UDP'));
      return;
    }
    this.sendIp(out.bytes);
  }

  sendClear(pkt: Uint8Array): void {
    // Clear IPv6 (router solicitations and the like from the TUN device itself) has nowhere to go here.
    if (pkt[0]! >> 4 === 4) this.sendIp(pkt);
  }

  close(): void {
    this.flush();
    this.closed = true;
    for (const r of this.readers) r.stop();
    for (const fd of [...this.rx, this.tx]) sys().close(fd);
    this.batch.free();
  }
}

/**
 * ESP-in-UDP on an existing UDP socket (the daemon's port 4500 socket). The socket's owner calls
 * deliver() for every datagram classified 'esp'; this adapter sends encapsulated ESP on the socket.
 */
export class UdpEncapWire implements WirePort {
  private udpCb?: (esp: Uint8Array, outer: { src: string; dst: string; sport: number; dport: number }) => void;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly localAddress: string,
    private readonly clear?: (pkt: Uint8Array) => void,
  ) {}

  /** Feed a received datagram; returns false when it is not ESP (IKE or keepalive: the caller's). */
  deliver(msg: Uint8Array, rinfo: { address: string; port: number }): boolean {
    if (classifyUdp4500(msg).kind !== 'esp') return false;
    this.udpCb?.(msg, { src: rinfo.address, dst: this.localAddress, sport: rinfo.port, dport: this.socket.address().port });
    return true;
  }

  onPacket(): void {}

  onUdp(cb: (esp: Uint8Array, outer: { src: string; dst: string; sport: number; dport: number }) => void): void {
    this.udpCb = cb;
  }

  send(out: WireOut): void {
    if (!out.encap) return;
    this.socket.send(out.bytes, out.encap.dport, out.dst);
  }

  sendClear(pkt: Uint8Array): void {
    this.clear?.(pkt);
  }

  close(): void {}
}

/** Joins a DataPlane to its ports. Outbound: plain -> dp.outbound -> wire; inbound the other way. */
export class DataPlaneHost extends EventEmitter {
  private timer?: NodeJS.Timeout;

  constructor(
    readonly dp: DataPlane,
    private readonly plain: PlainPort,
    private readonly wires: WirePort[],
  ) {
    super();
  }

  start(): this {
    this.plain.onPacket((p) => this.fromPlain(p));
    for (const w of this.wires) {
      w.onPacket((p) => this.fromWire(this.dp.inbound(p)));
      w.onUdp?.((esp, outer) => this.fromWire(this.dp.inboundUdp(esp, outer)));
    }
    this.timer = setInterval(() => this.dp.tick(), 1000);
    this.timer.unref();
    return this;
  }

  private fromPlain(p: Uint8Array): void {
    const r = this.dp.outbound(p);
    if (r.action === 'protect') {
      const w = r.out.encap ? (this.wires.find((x) => x instanceof UdpEncapWire) ?? this.wires[0]) : (this.wires.find((x) => !(x instanceof UdpEncapWire)) ?? this.wires[0]);
      w?.send(r.out);
    } else if (r.action === 'clear') this.wires[0]?.sendClear(r.packet);
    else this.emit('drop', r.reason);
  }

  private fromWire(r: ReturnType<DataPlane['inbound']>): void {
    if (r.action === 'deliver') this.plain.write(r.packet);
    else this.emit('drop', r.reason);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.plain.close();
    for (const w of this.wires) w.close();
  }
}

/**
 * In-memory loopback, no TUN and no root: hosts attach by outer address; send() injects a plaintext
 * packet, 'deliver' events hand decrypted packets back, and 'wire' events show what crossed the wire.
 */
export class LoopbackNetwork extends EventEmitter {
  private readonly hosts = new Map<string, LoopbackHost>();

  attach(outerAddress: string, dp: DataPlane): LoopbackHost {
    const a = parseAddr(outerAddress);
    if (!a) throw new Error(`bad address ${outerAddress}`);
    const h = new LoopbackHost(this, outerAddress, dp);
    this.hosts.set(outerAddress, h);
    return h;
  }

  /** @internal */
  carry(from: string, out: WireOut | { clear: Uint8Array; dst: string }): void {
    this.emit('wire', { from, ...out });
    const to = this.hosts.get(out.dst);
    if (!to) return;
    queueMicrotask(() => to.receive(out, from));
  }
}

export class LoopbackHost extends EventEmitter {
  constructor(
    private readonly net: LoopbackNetwork,
    readonly address: string,
    readonly dp: DataPlane,
  ) {
    super();
  }

  /** A plaintext packet from this host's stack. */
  send(pkt: Uint8Array): ReturnType<DataPlane['outbound']> {
    const r = this.dp.outbound(pkt);
    if (r.action === 'protect') this.net.carry(this.address, r.out);
    else if (r.action === 'clear') {
      const dst = pkt[0]! >> 4 === 4 ? `${pkt[16]}.${pkt[17]}.${pkt[18]}.${pkt[19]}` : '';
      this.net.carry(this.address, { clear: r.packet, dst });
    }
    return r;
  }

  /** @internal */
  receive(out: WireOut | { clear: Uint8Array; dst: string }, from: string): void {
    let r: ReturnType<DataPlane['inbound']>;
    if ('clear' in out) r = this.dp.inbound(out.clear);
    else if (out.encap) r = this.dp.inboundUdp(out.bytes, { src: from, dst: this.address, sport: out.encap.sport, dport: out.encap.dport });
    else r = this.dp.inbound(out.bytes);
    if (r.action === 'deliver') this.emit('deliver', r.packet);
    else this.emit('drop', r.reason);
  }
}

/**
 * Keeps one kernel route into the TUN device per outbound protecting flow (the flow's destination
 * network; its source as the preferred source when it is a single host), so that traffic for remote
 * networks reaches the data plane. `run` executes `ip` (injected for tests).
 */
export class TunRoutes {
  private readonly installed = new Map<string, string[]>();

  constructor(
    private readonly tun: string,
    private readonly run: (args: string[]) => void,
  ) {}

  sync(flows: FlowInfo[]): void {
    const want = new Map<string, string[]>();
    for (const f of flows) {
      if (f.direction !== 'out' || !['require', 'acquire', 'use', 'dontacq'].includes(f.type)) continue;
      const v6 = f.selector.dst.includes(':');
      const src = /\/(32|128)$/.test(f.selector.src) ? f.selector.src.replace(/\/\d+$/, '') : undefined;
      const route = [...(v6 ? ['-6'] : []), 'route', 'replace', f.selector.dst, 'dev', this.tun, ...(src ? ['src', src] : [])];
      want.set(f.selector.dst, route);
    }
    for (const [dst, route] of this.installed) {
      if (want.has(dst)) continue;
      const del = [...route];
      del[del.indexOf('replace')] = 'del';
      this.tryRun(del);
      this.installed.delete(dst);
    }
    for (const [dst, route] of want) {
      if (this.installed.get(dst)?.join(' ') === route.join(' ')) continue;
      if (this.tryRun(route)) this.installed.set(dst, route);
    }
  }

  private tryRun(args: string[]): boolean {
    try {
      this.run(args);
      return true;
    } catch {
      return false;
    }
  }

  clear(): void {
    this.sync([]);
  }
}
