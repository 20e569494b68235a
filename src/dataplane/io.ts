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
import { TcpCoalescer } from './offload/gro.js';
import { segment } from './offload/gso.js';
import { VNET_HDR_LEN, readVnetHdr, type VnetHdr } from './offload/vnet.js';
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
  IFF_VNET_HDR,
  TUNSETOFFLOAD,
  TUNSETVNETHDRSZ,
  TUN_F_CSUM,
  TUN_F_TSO4,
  TUN_F_TSO6,
  IPPROTO_IP,
  IPPROTO_RAW,
  IP_HDRINCL,
  O_CLOEXEC,
  O_RDWR,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
  SO_BINDTODEVICE,
  setRcvbuf,
  RecvBatch,
  SendBatch,
  GsoBatch,
  enableUdpGro,
  ENOBUFS,
  TUNSETIFF,
  check,
  sockaddrIn,
  sys,
} from './sys.js';

const MTU_BUF = 65536;
/** Datagrams per recvmmsg on the raw ESP socket (64 KiB of native memory each); AH, rarer, gets fewer. */
const RECV_SLOTS = 16;
const RECV_SLOTS_AH = 4;
/** Receive buffer limit of the raw ESP/AH sockets. */
const RAW_RCVBUF = 8 << 20;

/**
 * Reads an fd (TUN or raw socket) without parking a thread-pool thread in read(): the fd is made
 * non-blocking, poll() waits on the pool with a short timeout (so shutdown is never stuck behind a
 * blocked read), and each wake-up drains up to a batch of packets on the main thread.
 */
function readLoop(
  fd: number, onPacket: (p: Uint8Array, slot: number) => void, onError: (e: Error) => void, bufSize = MTU_BUF, batch?: RecvBatch,
  onDrained?: () => void,
): { stop(): void } {
  const s = sys();
  s.fcntl(fd, F_SETFL, s.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
  let stopped = false;
  const buf = batch ? undefined : new Uint8Array(bufSize);
  const pfd = new Uint8Array(8);
  new DataView(pfd.buffer).setInt32(0, fd, true);
  pfd[4] = POLLIN;
  const drainOne = () => {
    for (let i = 0; i < 256 && !stopped; i++) {
      const n = s.read(fd, buf!, bufSize);
      if (n < 0) {
        const e = s.errno();
        if (e !== EAGAIN && e !== EINTR) onError(new Error(`read: ${s.strerror(e)}`));
        return;
      }
      // A view, not a copy: every consumer finishes with the packet before the next read.
      if (n > 0) onPacket(buf!.subarray(0, n), 0);
    }
  };
  // Sockets: recvmmsg brings a batch per system call; packets are views of its native slots.
  const drainBatch = () => {
    for (let got = 0; got < 256 && !stopped; ) {
      const n = batch!.recv(fd);
      if (n < 0) {
        onError(new Error(`recvmmsg: ${s.strerror(-n)}`));
        return;
      }
      for (let i = 0; i < n && !stopped; i++) {
        const p = batch!.packet(i);
        if (p && p.length > 0) onPacket(p, i);
      }
      if (n < batch!.slots) return;
      got += n;
    }
  };
  const drain = batch ? drainBatch : drainOne;
  const wait = () => {
    if (stopped) return;
    pfd[6] = 0;
    pfd[7] = 0;
    s.poll.async(pfd, 1, 250, (err: unknown, r: number) => {
      if (stopped) return;
      if (err) onError(err instanceof Error ? err : new Error(String(err)));
      else if (r > 0) {
        drain();
        if (!stopped) onDrained?.();
      }
      wait();
    });
  };
  wait();
  return {
    stop() {
      if (!stopped) batch?.free();
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
  /** Writes out what write() is holding back (packets being merged), at the end of a burst. */
  flush?(): void;
  close(): void;
}

/** The protected side: where ESP/AH leaves and arrives, and where clear packets go. */
export interface WirePort {
  onPacket(cb: (pkt: Uint8Array) => void): void;
  onUdp?(cb: (esp: Uint8Array, outer: { src: string; dst: string; sport: number; dport: number }) => void): void;
  send(out: WireOut): void;
  sendClear(pkt: Uint8Array): void;
  /** cb runs after each burst of received packets has been handed on (a drain of the wire's socket). */
  onDrained?(cb: () => void): void;
  close(): void;
}

export interface TunOptions {
  /**
   * Ask the kernel for TUN offloads (IFF_VNET_HDR with checksum and TCP segmentation offload): TCP
   * super-packets up to 64 KiB are read and cut into segments here, and decrypted TCP segments are
   * merged into super-packets before they are written. Default true; when the kernel refuses, the
   * device is opened plain. False opens it plain.
   */
  offload?: boolean;
  /** Packets from the TUN that could not be segmented (reason), for drop counters. */
  onDrop?: (reason: 'malformed' | 'unsupported') => void;
}

export class TunPort implements PlainPort {
  readonly fd: number;
  readonly name: string;
  /** Whether the device runs with offloads (virtio headers, super-packets). */
  readonly offload: boolean;
  private reader?: { stop(): void };
  private cb?: (p: Uint8Array) => void;
  private readonly gro?: TcpCoalescer;
  private readonly hdr: VnetHdr = { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 };
  private seg?: { buf: Uint8Array; dv: DataView; rbuf?: ArrayBufferLike; rdv?: DataView };
  private flushQueued = false;
  private closed = false;
  /** Super-packets read (each cut into segments), when offloading. */
  superPackets = 0;

  constructor(
    name: string,
    private readonly onError: (e: Error) => void = () => {},
    private readonly opts: TunOptions = {},
  ) {
    let r = opts.offload === false ? undefined : openTun(name, true);
    r ??= openTun(name, false);
    if (typeof r !== 'object') throw new Error(r ?? `TUNSETIFF ${name}`);
    this.fd = r.fd;
    this.name = r.name;
    this.offload = r.offload;
    if (this.offload) {
      this.gro = new TcpCoalescer((f) => this.writeFrame(f));
      const buf = new Uint8Array(MTU_BUF);
      this.seg = { buf, dv: new DataView(buf.buffer) };
    }
  }

  onPacket(cb: (pkt: Uint8Array) => void): void {
    this.cb = cb;
    this.reader ??= this.offload
      ? readLoop(this.fd, (p) => this.fromKernel(p), this.onError, MTU_BUF + VNET_HDR_LEN)
      : readLoop(this.fd, (p) => this.cb?.(p), this.onError);
  }

  /** One read from an offloading TUN: a virtio header, then a packet that may need cutting up. */
  private fromKernel(p: Uint8Array): void {
    const cb = this.cb;
    if (!cb || p.length <= VNET_HDR_LEN) return;
    const seg = this.seg!;
    if (p.buffer !== seg.rbuf) {
      seg.rbuf = p.buffer;
      seg.rdv = new DataView(p.buffer);
    }
    readVnetHdr(p, 0, this.hdr);
    if (this.hdr.gsoType !== 0) this.superPackets++;
    const err = segment(p, seg.rdv!, p.byteOffset + VNET_HDR_LEN, p.length - VNET_HDR_LEN, this.hdr, seg.buf, seg.dv, cb);
    if (err) this.opts.onDrop?.(err);
  }

  write(pkt: Uint8Array): void {
    if (this.closed) return;
    if (this.gro) {
      // Held until the current burst of work is done, so that segments of one flow can be merged.
      this.gro.add(pkt);
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(this.flush);
      }
      return;
    }
    this.writeFrame(pkt);
  }

  readonly flush = (): void => {
    this.flushQueued = false;
    if (!this.closed) this.gro?.flush();
  };

  private writeFrame(f: Uint8Array): void {
    const s = sys();
    if (s.write(this.fd, f, f.length) < 0) this.onError(new Error(`write ${this.name}: ${s.strerror(s.errno())}`));
  }

  /** Writes and packets merged, when offloading. */
  get coalescing(): { writes: number; packets: number } | undefined {
    return this.gro?.stats;
  }

  close(): void {
    this.reader?.stop();
    this.gro?.flush();
    this.closed = true;
    sys().close(this.fd);
  }
}

/** Opens and names a TUN device; with offload, only if the kernel takes every offload ioctl. */
function openTun(name: string, offload: boolean): { fd: number; name: string; offload: boolean } | string | undefined {
  const s = sys();
  const fd = check(s.open('/dev/net/tun', O_RDWR | O_CLOEXEC), 'open /dev/net/tun');
  const ifr = new Uint8Array(40);
  ifr.set(Buffer.from(name.slice(0, 15)), 0);
  const flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  ifr[16] = flags & 0xff;
  ifr[17] = flags >> 8;
  if (s.ioctl(fd, TUNSETIFF, ifr) < 0) {
    const e = s.errno();
    s.close(fd);
    return offload ? undefined : `TUNSETIFF ${name}: ${s.strerror(e)} (errno ${e})`;
  }
  if (offload) {
    const size = new Uint8Array([VNET_HDR_LEN, 0, 0, 0]);
    if (s.ioctl(fd, TUNSETVNETHDRSZ, size) < 0 || s.ioctlInt(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) {
      // An older kernel, or a TUN without these: the device goes away with its fd and is made again plain.
      s.close(fd);
      return undefined;
    }
  }
  return { fd, name: Buffer.from(ifr.subarray(0, 16)).toString('latin1').replace(/\0.*$/, ''), offload };
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

  private readonly recvBatch: boolean;
  private readonly protocols: number[];

  constructor(
    opts: { device?: string; protocols?: number[]; mtu?: number; recvBatch?: boolean; rcvbuf?: number } = {},
    private readonly onError: (e: Error) => void = () => {},
  ) {
    const s = sys();
    this.mtu = opts.mtu ?? 1500;
    this.recvBatch = opts.recvBatch ?? true;
    this.protocols = opts.protocols ?? [50, 51];
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
    // A deep receive queue: the default (~200 KiB, under a hundred full-size ESP packets) overflows
    // whenever this process is off the CPU for a millisecond at line rate, and every drop costs the
    // tunnelled TCP a retransmission. A limit, not an allocation.
    for (const proto of this.protocols) {
      const fd = check(s.socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, proto), `socket(raw, ${proto})`);
      bind(fd);
      setRcvbuf(fd, opts.rcvbuf ?? RAW_RCVBUF);
      this.rx.push(fd);
    }
  }

  onPacket(cb: (pkt: Uint8Array) => void): void {
    this.cb = cb;
    if (this.readers.length === 0)
      this.rx.forEach((fd, i) => {
        const slots = this.protocols[i] === 51 ? RECV_SLOTS_AH : RECV_SLOTS;
        this.readers.push(readLoop(fd, (p) => this.cb?.(p), this.onError, MTU_BUF, this.recvBatch ? new RecvBatch(slots) : undefined));
      });
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

/** Node's UDP handle under a dgram socket (its internal state), or undefined when Node does not show it. */
function dgramHandle(socket: dgram.Socket): { fd?: unknown; recvStop?: unknown } | undefined {
  const sym = Object.getOwnPropertySymbols(socket).find((x) => String(x) === 'Symbol(state symbol)');
  return sym ? (socket as unknown as Record<symbol, { handle?: { fd?: unknown; recvStop?: unknown } } | undefined>)[sym]?.handle : undefined;
}

/** The file descriptor under a bound Node dgram socket (Linux), or undefined when Node does not show it. */
export function dgramFd(socket: dgram.Socket): number | undefined {
  const fd = dgramHandle(socket)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Stops Node reading a bound dgram socket (libuv stops polling it), so that its fd can be read by
 * someone else; false when Node does not show its handle. Nothing else changes: sends still go
 * through Node, and close() stops receiving again (a no-op) before closing the handle. Node starts
 * reading only once, when the bind completes, so this must come after the bind.
 */
export function dgramStopReading(socket: dgram.Socket): boolean {
  const h = dgramHandle(socket);
  if (!h || typeof h.recvStop !== 'function') return false;
  return (h.recvStop as () => number).call(h) === 0;
}

/** Datagrams per recvmmsg on a port 4500 socket read by the data plane (64 KiB of native memory each). */
const UDP_RECV_SLOTS = 32;

export interface UdpEncapOptions {
  /**
   * The socket's fd, for sending ESP-in-UDP ourselves with UDP GSO (GsoBatch): a burst of equal-size
   * datagrams to one peer leaves as one sendmsg. Without it every datagram goes through Node's send.
   */
  fd?: number;
  /** Longest datagram that may be a GSO segment: the outer link MTU less 28 (default 1472). */
  maxSegment?: number;
  /** Send with UDP GSO when the fd is known (default true); false leaves every send to Node. */
  gso?: boolean;
  /**
   * Read the socket ourselves (needs fd; IPv4 only): Node's reading stops (dgramStopReading) and the
   * fd is drained with recvmmsg, batches with their source addresses. ESP-in-UDP goes to the data
   * plane as a view of native memory; every other datagram (IKE behind the non-ESP marker,
   * keepalives, anything malformed) to this callback as a Buffer of its own, in arrival order, with
   * its source, as Node's 'message' event would have given it.
   */
  receive?: (msg: Buffer, from: { address: string; port: number }) => void;
  /**
   * With `receive`: turn UDP_GRO on (default true), so that a train of equal-size datagrams from one
   * peer (a GSO send) arrives as one entry of a recvmmsg batch, cut apart here.
   */
  gro?: boolean;
  onError?: (e: Error) => void;
}

/**
 * ESP-in-UDP on an existing UDP socket (the daemon's port 4500 socket). The socket's owner calls
 * deliver() for every datagram classified 'esp'; this adapter sends encapsulated ESP on the socket.
 * With the socket's fd, IPv4 sends are queued during a burst of work (a drain of the TUN device) and
 * flushed in a microtask as GSO groups: consecutive datagrams to one address and port with the same
 * length, in their order. IKE keeps using Node's send on the same socket; ESP-in-UDP carries no
 * marker (RFC 3948 2.2: the UDP payload starts with the SPI), so the datagrams are the ESP bytes.
 */
export class UdpEncapWire implements WirePort {
  private udpCb?: (esp: Uint8Array, outer: { src: string; dst: string; sport: number; dport: number }) => void;
  private readonly gso?: GsoBatch;
  private flushQueued = false;
  private closed = false;
  private lastDst = '';
  private lastAddr = 0;
  private port?: number;
  private reader?: { stop(): void };
  private drainedCb?: () => void;
  private srcNum = -1;
  private srcStr = '';
  /** Whether this wire reads the socket itself (opts.receive was taken up). */
  readonly receiving: boolean = false;
  /** Datagrams read from the socket ourselves: ESP-in-UDP, the rest handed to opts.receive, and batch entries that held several (UDP_GRO). */
  readonly recvStats = { esp: 0, other: 0, gro: 0 };
  /** Whether UDP_GRO is on for the socket we read. */
  readonly gro: boolean = false;
  private recvBatch?: RecvBatch;
  /** Datagrams the kernel refused (errno name -> count), e.g. a full socket buffer. */
  readonly sendErrors: Record<string, number> = {};

  constructor(
    private readonly socket: dgram.Socket,
    private readonly localAddress: string,
    private readonly clear?: (pkt: Uint8Array) => void,
    private readonly opts: UdpEncapOptions = {},
  ) {
    if (opts.fd !== undefined && opts.fd >= 0 && opts.gso !== false) this.gso = new GsoBatch(opts.maxSegment);
    const other = opts.receive;
    if (other && opts.fd !== undefined && opts.fd >= 0 && socket.address().family === 'IPv4' && dgramStopReading(socket)) {
      this.receiving = true;
      this.port = socket.address().port;
      this.gro = opts.gro !== false && enableUdpGro(opts.fd);
      const batch = (this.recvBatch = new RecvBatch(UDP_RECV_SLOTS, MTU_BUF, true, this.gro));
      this.reader = readLoop(
        opts.fd, (p, i) => this.fromSocket(p, batch, i, other), (e) => opts.onError?.(e), MTU_BUF, batch, this.drained,
      );
    }
  }

  /** recvmmsg calls made on the socket, when this wire reads it. */
  get recvCalls(): number {
    return this.recvBatch?.calls ?? 0;
  }

  /** One entry of a recvmmsg batch (slot i): one datagram, or with UDP_GRO several of one size back to back. */
  private fromSocket(p: Uint8Array, batch: RecvBatch, i: number, other: NonNullable<UdpEncapOptions['receive']>): void {
    const a = batch.srcAddr(i);
    if (a !== this.srcNum) {
      // A burst comes from one peer: its address string is made once.
      this.srcNum = a;
      this.srcStr = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
    }
    const sport = batch.srcPort(i);
    const seg = this.gro ? batch.segSize(i) : 0;
    if (seg <= 0 || seg >= p.length) {
      this.fromPeer(p, sport, other);
      return;
    }
    this.recvStats.gro++;
    for (let off = 0; off < p.length && !this.closed; off += seg) this.fromPeer(p.subarray(off, Math.min(off + seg, p.length)), sport, other);
  }

  /** One datagram: ESP to the data plane, the rest copied to its owner. */
  private fromPeer(p: Uint8Array, sport: number, other: NonNullable<UdpEncapOptions['receive']>): void {
    if (classifyUdp4500(p).kind === 'esp') {
      this.recvStats.esp++;
      this.udpCb?.(p, { src: this.srcStr, dst: this.localAddress, sport, dport: this.port! });
      return;
    }
    this.recvStats.other++;
    other(Buffer.from(p), { address: this.srcStr, port: sport });
  }

  /** After a drain: merged TUN writes for the burst, then whatever it made us queue for the wire. */
  private readonly drained = (): void => {
    this.drainedCb?.();
    this.flush();
  };

  onDrained(cb: () => void): void {
    this.drainedCb = cb;
  }

  /** GSO statistics (sendmsg calls, those with UDP_SEGMENT, datagrams, errno that turned GSO off), or undefined without it. */
  get gsoStats(): { calls: number; gsoCalls: number; datagrams: number; refused: number } | undefined {
    const g = this.gso;
    return g && { calls: g.calls, gsoCalls: g.gsoCalls, datagrams: g.datagrams, refused: g.refused };
  }

  /** Feed a received datagram; returns false when it is not ESP (IKE or keepalive: the caller's). */
  deliver(msg: Uint8Array, rinfo: { address: string; port: number }): boolean {
    if (classifyUdp4500(msg).kind !== 'esp') return false;
    // The bound port, asked once: address() is a system call through Node for every datagram.
    this.port ??= this.socket.address().port;
    this.udpCb?.(msg, { src: rinfo.address, dst: this.localAddress, sport: rinfo.port, dport: this.port });
    return true;
  }

  onPacket(): void {}

  onUdp(cb: (esp: Uint8Array, outer: { src: string; dst: string; sport: number; dport: number }) => void): void {
    this.udpCb = cb;
  }

  send(out: WireOut): void {
    if (!out.encap || this.closed) return;
    const g = this.gso;
    const addr = g ? this.ipv4(out.dst) : undefined;
    if (g && addr !== undefined) {
      const port = out.encap.dport;
      if (!g.add(out.bytes, addr, port)) {
        this.flush();
        if (!g.add(out.bytes, addr, port)) {
          this.socket.send(out.bytes, port, out.dst);
          return;
        }
      }
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(this.flush);
      }
      return;
    }
    this.socket.send(out.bytes, out.encap.dport, out.dst);
  }

  /** An IPv4 address as a 32-bit number (the last one cached: a burst goes to one peer), else undefined. */
  private ipv4(dst: string): number | undefined {
    if (dst === this.lastDst) return this.lastAddr;
    const p = dst.split('.');
    if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) < 256)) return undefined;
    this.lastDst = dst;
    this.lastAddr = ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
    return this.lastAddr;
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const g = this.gso;
    if (!g || g.count === 0 || this.closed) return;
    const refusedBefore = g.refused;
    const e = g.flush(this.opts.fd!);
    if (g.refused && !refusedBefore) this.opts.onError?.(new Error(`UDP GSO refused (${sys().strerror(g.refused)}): ESP-in-UDP goes one datagram per call`));
    if (e) {
      const name = `errno-${e}`;
      this.sendErrors[name] = (this.sendErrors[name] ?? 0) + 1;
      // A full socket buffer is ordinary loss under load; anything else is worth a line in the log.
      if (e !== EAGAIN && e !== ENOBUFS) this.opts.onError?.(new Error(`sendmsg (ESP-in-UDP): ${sys().strerror(e)}`));
    }
  };

  sendClear(pkt: Uint8Array): void {
    this.clear?.(pkt);
  }

  close(): void {
    if (this.closed) return; // native memory is freed once
    this.flush();
    this.closed = true;
    this.reader?.stop();
    this.gso?.free();
  }
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
      // A burst of decrypted TCP segments becomes merged TUN writes once the burst is read, whatever
      // else (a Node callback and its microtasks) runs between the packets.
      w.onDrained?.(() => this.plain.flush?.());
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
