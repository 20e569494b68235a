// The few Linux syscalls Node lacks (TUN ioctl, raw IP sockets), through koffi. Loaded lazily so the
// rest of the data plane (and every test that does not need root) works without them.
import { createRequire } from 'node:module';

type Fn = (...args: unknown[]) => number;
type AsyncFn = Fn & { async: (...args: unknown[]) => void };
interface Libc {
  read: Fn;
  fcntl: Fn;
  poll: AsyncFn;
  open: Fn;
  ioctl: Fn;
  /** ioctl whose argument is a value, not a pointer (TUNSETOFFLOAD). */
  ioctlInt: Fn;
  socket: Fn;
  setsockopt: Fn;
  getsockopt: Fn;
  sendto: Fn;
  sendmmsg: Fn;
  sendmsg: Fn;
  recvmmsg: Fn;
  bind: Fn;
  getsockname: Fn;
  write: Fn;
  close: Fn;
  errno: () => number;
  strerror: (e: number) => string;
}

let libc: Libc | undefined;
let koffiMod: KoffiMem | undefined;

interface KoffiMem {
  alloc(type: string, n: number): unknown;
  view(ptr: unknown, len: number): ArrayBuffer;
  address(ptr: unknown): bigint;
  free(ptr: unknown): void;
}

export function sys(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as {
    load(p: string): { func(d: string, ...rest: unknown[]): Fn };
    errno(): number;
  };
  koffiMod = koffi as unknown as KoffiMem;
  const l = koffi.load('libc.so.6');
  const strerror = l.func('const char *strerror(int errnum)') as unknown as (e: number) => string;
  libc = {
    read: l.func('intptr_t read(int fd, uint8_t *buf, size_t len)'),
    fcntl: l.func('int fcntl(int fd, int cmd, int arg)'),
    poll: l.func('int poll(uint8_t *fds, unsigned long nfds, int timeout)') as AsyncFn,
    open: l.func('int open(const char *path, int flags)'),
    ioctl: l.func('int ioctl(int fd, unsigned long req, uint8_t *arg)'),
    ioctlInt: l.func('ioctl', 'int', ['int', 'unsigned long', 'unsigned long']),
    socket: l.func('int socket(int domain, int type, int protocol)'),
    setsockopt: l.func('int setsockopt(int fd, int level, int name, const uint8_t *val, uint32_t len)'),
    getsockopt: l.func('int getsockopt(int fd, int level, int name, _Out_ uint8_t *val, _Inout_ uint32_t *len)'),
    sendto: l.func('intptr_t sendto(int fd, const uint8_t *buf, size_t len, int flags, const uint8_t *addr, uint32_t alen)'),
    sendmmsg: l.func('int sendmmsg(int fd, uintptr_t msgvec, unsigned int vlen, int flags)'),
    sendmsg: l.func('intptr_t sendmsg(int fd, uintptr_t msg, int flags)'),
    bind: l.func('int bind(int fd, const uint8_t *addr, uint32_t alen)'),
    getsockname: l.func('int getsockname(int fd, _Out_ uint8_t *addr, _Inout_ uint32_t *alen)'),
    recvmmsg: l.func('int recvmmsg(int fd, uintptr_t msgvec, unsigned int vlen, int flags, uintptr_t timeout)'),
    write: l.func('intptr_t write(int fd, const uint8_t *buf, size_t len)'),
    close: l.func('int close(int fd)'),
    errno: () => koffi.errno(),
    strerror,
  };
  return libc;
}

export function check(r: number, what: string): number {
  if (r < 0) {
    const s = sys();
    const e = s.errno();
    throw new Error(`${what}: ${s.strerror(e)} (errno ${e})`);
  }
  return r;
}

export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const POLLIN = 1;
export const EAGAIN = 11;
export const EINTR = 4;
export const O_CLOEXEC = 0o2000000;
export const AF_INET = 2;
export const SOCK_RAW = 3;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_IP = 0;
export const IPPROTO_RAW = 255;
export const IP_HDRINCL = 3;
export const SOL_SOCKET = 1;
export const SO_BINDTODEVICE = 25;
export const SO_RCVBUF = 8;
/** SO_RCVBUF past net.core.rmem_max (CAP_NET_ADMIN). */
export const SO_RCVBUFFORCE = 33;
export const TUNSETIFF = 0x400454ca;
export const IFF_TUN = 0x0001;
export const IFF_NO_PI = 0x1000;
/** linux/if_tun.h: every read and write carries a struct virtio_net_hdr first. */
export const IFF_VNET_HDR = 0x4000;
/** _IOW('T', 208, unsigned int): the offloads the reader can take (argument by value). */
export const TUNSETOFFLOAD = 0x400454d0;
/** _IOW('T', 216, int): size of the virtio header (argument by pointer). */
export const TUNSETVNETHDRSZ = 0x400454d8;
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;

/**
 * Raises a socket's receive buffer limit to `bytes`, past net.core.rmem_max when we may
 * (SO_RCVBUFFORCE); returns the limit the kernel reports afterwards (it doubles what it is given).
 */
export function setRcvbuf(fd: number, bytes: number): number {
  const s = sys();
  const v = new Uint8Array(4);
  const dv = new DataView(v.buffer);
  dv.setInt32(0, bytes, true);
  if (s.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, v, 4) < 0) s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, v, 4);
  const len = [4];
  v.fill(0);
  return s.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, v, len) < 0 ? -1 : dv.getInt32(0, true);
}

export function sockaddrIn(addr: Uint8Array): Uint8Array {
  const sa = new Uint8Array(16);
  sa[0] = AF_INET & 0xff; // sa_family in host (little-endian) order
  sa[1] = AF_INET >> 8;
  sa.set(addr, 4);
  return sa;
}

export const EMSGSIZE = 90;

const MMSGHDR = 64; // struct mmsghdr on LP64: struct msghdr (56) + unsigned int msg_len, padded
const IOVEC = 16;
const SOCKADDR_IN = 16;

/**
 * `size` bytes of native memory (freed by the caller with koffi's free) with its address and JS views;
 * zeroed from `zeroFrom` on (the message headers; payload areas are written before they are read).
 */
function nativeBytes(size: number, zeroFrom: number): { mem: unknown; base: bigint; bytes: Uint8Array; dv: DataView } {
  sys();
  const k = koffiMod!;
  const mem = k.alloc('uint8_t', size);
  const ab = k.view(mem, size);
  const bytes = new Uint8Array(ab);
  bytes.fill(0, zeroFrom);
  return { mem, base: k.address(mem), bytes, dv: new DataView(ab) };
}

/**
 * Native memory for sendmmsg(2)/recvmmsg(2): `slots` datagram buffers of `slotSize` bytes, then one
 * struct mmsghdr and one iovec per slot (the iovec pointing at its buffer), then, with names, one
 * sockaddr_in per slot named by its header (the destination when sending, the source when receiving),
 * then `ctrlSpace` bytes of control message room per slot when asked for.
 */
abstract class MmsgSlots {
  readonly slots: number;
  readonly slotSize: number;
  protected readonly mem: unknown;
  protected readonly base: bigint;
  protected readonly bytes: Uint8Array;
  protected readonly dv: DataView;
  protected readonly hdrOff: number;
  protected readonly iovOff: number;
  protected readonly addrOff: number;
  protected readonly ctrlOff: number;
  protected readonly ctrlSpaceN: bigint;

  constructor(slots: number, slotSize: number, withNames: boolean, protected readonly ctrlSpace = 0) {
    this.slots = slots;
    this.slotSize = slotSize;
    this.hdrOff = slots * slotSize;
    this.iovOff = this.hdrOff + slots * MMSGHDR;
    this.addrOff = this.iovOff + slots * IOVEC;
    this.ctrlOff = this.addrOff + (withNames ? slots * SOCKADDR_IN : 0);
    this.ctrlSpaceN = BigInt(ctrlSpace);
    const size = this.ctrlOff + slots * ctrlSpace;
    ({ mem: this.mem, base: this.base, bytes: this.bytes, dv: this.dv } = nativeBytes(size, this.hdrOff));
    for (let i = 0; i < slots; i++) {
      const h = this.hdrOff + i * MMSGHDR;
      const iov = this.iovOff + i * IOVEC;
      this.dv.setBigUint64(h + 16, this.base + BigInt(iov), true); // msg_iov
      this.dv.setBigUint64(h + 24, 1n, true); // msg_iovlen
      this.dv.setBigUint64(iov, this.base + BigInt(i * slotSize), true); // iov_base
      this.dv.setBigUint64(iov + 8, BigInt(slotSize), true); // iov_len
      if (ctrlSpace) this.dv.setBigUint64(h + 32, this.base + BigInt(this.ctrlOff + i * ctrlSpace), true); // msg_control
      if (!withNames) continue;
      const sa = this.addrOff + i * SOCKADDR_IN;
      this.dv.setBigUint64(h, this.base + BigInt(sa), true); // msg_name
      this.dv.setUint32(h + 8, SOCKADDR_IN, true); // msg_namelen
      this.bytes[sa] = AF_INET & 0xff;
      this.bytes[sa + 1] = AF_INET >> 8;
    }
  }

  free(): void {
    koffiMod?.free(this.mem);
  }
}

/**
 * Datagrams queued in native memory and handed to the kernel with one sendmmsg(2) for the lot: the
 * per-call cost of a system call through the FFI is paid once per batch instead of once per packet.
 * Each slot holds one datagram of up to `slotSize` bytes and its IPv4 destination.
 */
export class SendBatch extends MmsgSlots {
  count = 0;
  /** sendmmsg calls made, for tests and statistics. */
  calls = 0;

  constructor(slots: number, slotSize: number) {
    super(slots, slotSize, true);
  }

  /**
   * Queues a datagram to the IPv4 address at dst[dstOff..+4] (and UDP port, for datagram sockets);
   * false when it does not fit a slot or the batch is full.
   */
  add(pkt: Uint8Array, dst: Uint8Array, dstOff: number, port = 0): boolean {
    if (this.count >= this.slots || pkt.length > this.slotSize) return false;
    const i = this.count++;
    this.bytes.set(pkt, i * this.slotSize);
    this.dv.setBigUint64(this.iovOff + i * IOVEC + 8, BigInt(pkt.length), true); // iov_len
    const sa = this.addrOff + i * SOCKADDR_IN + 4;
    this.bytes[sa - 2] = port >> 8;
    this.bytes[sa - 1] = port & 0xff;
    this.bytes[sa] = dst[dstOff]!;
    this.bytes[sa + 1] = dst[dstOff + 1]!;
    this.bytes[sa + 2] = dst[dstOff + 2]!;
    this.bytes[sa + 3] = dst[dstOff + 3]!;
    return true;
  }

  /** Sends everything queued on fd; returns the errno of the first failure (that datagram is dropped), or 0. */
  flush(fd: number): number {
    const s = sys();
    let firstErr = 0;
    let at = 0;
    while (at < this.count) {
      const r = s.sendmmsg(fd, this.base + BigInt(this.hdrOff + at * MMSGHDR), this.count - at, 0);
      this.calls++;
      if (r > 0) at += r;
      else {
        const e = s.errno();
        if (e === EINTR) continue;
        firstErr ||= e;
        at++; // skip the datagram the kernel refused and go on with the rest
      }
    }
    this.count = 0;
    return firstErr;
  }
}

export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;

/**
 * Receive slots in native memory for recvmmsg(2): one system call brings up to `slots` datagrams, each
 * read in place as a view of its slot (valid until the next recv). Slots hold whole IP packets, so
 * they are 64 KiB (a reassembled datagram can be that large).
 */
export class RecvBatch extends MmsgSlots {
  /** recvmmsg calls made, for tests and statistics. */
  calls = 0;

  /**
   * With `withNames`, every slot also receives its sender's sockaddr_in (a datagram socket's source
   * address and port, read with srcAddr/srcPort); with `withGro`, room for the UDP_GRO control
   * message (segSize), for a socket with UDP_GRO on.
   */
  constructor(slots: number, slotSize = 65536, private readonly withNames = false, withGro = false) {
    super(slots, slotSize, withNames, withGro ? CMSG_INT_SPACE : 0);
  }

  /** Receives what is waiting on a non-blocking fd: the count (0 when none), or -errno. */
  recv(fd: number): number {
    const s = sys();
    // The kernel writes back how much of each name it filled in: give every slot the whole room again.
    if (this.withNames) for (let i = 0; i < this.slots; i++) this.dv.setUint32(this.hdrOff + i * MMSGHDR + 8, SOCKADDR_IN, true);
    // ... and of each control buffer.
    if (this.ctrlSpace) for (let i = 0; i < this.slots; i++) this.dv.setBigUint64(this.hdrOff + i * MMSGHDR + 40, this.ctrlSpaceN, true);
    for (;;) {
      const r = s.recvmmsg(fd, this.base + BigInt(this.hdrOff), this.slots, MSG_DONTWAIT, 0n);
      this.calls++;
      if (r >= 0) return r;
      const e = s.errno();
      if (e === EINTR) continue;
      return e === EAGAIN ? 0 : -e;
    }
  }

  /** Datagram i of the last recv (a view into native memory), or undefined if it was truncated. */
  packet(i: number): Uint8Array | undefined {
    const h = this.hdrOff + i * MMSGHDR;
    if (this.dv.getInt32(h + 48, true) & MSG_TRUNC) return undefined;
    const n = this.dv.getUint32(h + 56, true);
    return this.bytes.subarray(i * this.slotSize, i * this.slotSize + n);
  }

  /** The IPv4 source address of datagram i (a big-endian 32-bit number), with names; 0 when the kernel gave none. */
  srcAddr(i: number): number {
    const sa = this.addrOff + i * SOCKADDR_IN;
    return this.dv.getUint32(this.hdrOff + i * MMSGHDR + 8, true) >= 8 ? this.dv.getUint32(sa + 4, false) : 0;
  }

  /** The UDP source port of datagram i, with names. */
  srcPort(i: number): number {
    return this.dv.getUint16(this.addrOff + i * SOCKADDR_IN + 2, false);
  }

  /**
   * With UDP_GRO: the size of the datagrams that slot i holds back to back (the last may be shorter),
   * or 0 when it holds one datagram as sent.
   */
  segSize(i: number): number {
    if (!this.ctrlSpace) return 0;
    const h = this.hdrOff + i * MMSGHDR;
    if (this.dv.getUint32(h + 40, true) < CMSG_INT_LEN) return 0; // msg_controllen (low half; it is at most 24)
    const c = this.ctrlOff + i * this.ctrlSpace;
    if (this.dv.getInt32(c + 8, true) !== SOL_UDP || this.dv.getInt32(c + 12, true) !== UDP_GRO) return 0;
    return this.dv.getInt32(c + 16, true);
  }
}

/** linux/udp.h: deliver trains of equal-size datagrams as one, with their size in a control message. */
export const UDP_GRO = 104;
/** CMSG_SPACE(sizeof(int)) and CMSG_LEN(sizeof(int)) on LP64. */
const CMSG_INT_SPACE = 24;
const CMSG_INT_LEN = 20;

/** Turns UDP_GRO on for a UDP socket (Linux 5.0+); false when the kernel refuses. */
export function enableUdpGro(fd: number): boolean {
  return sys().setsockopt(fd, SOL_UDP, UDP_GRO, new Uint8Array([1, 0, 0, 0]), 4) === 0;
}

export const EINVAL = 22;
export const ENOBUFS = 105;
export const EIO = 5;
export const SOL_UDP = 17;
/** linux/udp.h: per-call (cmsg) segment size for UDP GSO. */
export const UDP_SEGMENT = 103;
/** The kernel's cap on segments in one UDP GSO send (UDP_MAX_SEGMENTS). */
export const UDP_MAX_SEGMENTS = 64;
/** The largest UDP payload of one IPv4 send (64 KiB less the IPv4 and UDP headers). */
export const UDP4_MAX_PAYLOAD = 65535 - 20 - 8;

const MSGHDR = 56;
/** CMSG_SPACE(sizeof(uint16_t)) on LP64: a 16-byte struct cmsghdr and the value, padded to 8. */
const CMSG_SEG_SPACE = 24;
const CMSG_SEG_LEN = 18;

/**
 * UDP generic segmentation offload (Linux 4.18+) for IPv4 datagrams that share a destination and a
 * size: the group is copied back to back into native memory and handed to the kernel with one
 * sendmsg(2) carrying a UDP_SEGMENT control message, so one route lookup and one socket buffer cover
 * up to 64 datagrams; the kernel (or the device) cuts it into datagrams of `segment size` bytes, the
 * last one possibly shorter. The size travels per call, never as a socket option, so other datagrams
 * sent on the same socket (IKE) are never cut.
 *
 * add() accepts a datagram while it can join the open group: same address and port, the same length
 * as the first (or shorter, which then closes the group, since only the last segment may be short),
 * under 64 segments and 64 KiB, and no longer than `maxSegment` (a segment must fit the route's MTU,
 * or the kernel refuses the whole send). A longer datagram goes alone, without segmentation. When the
 * kernel refuses GSO (EINVAL, EIO: an old kernel, a device without checksum offload, a route with
 * xfrm), the group is sent one datagram per call and GSO is not tried again.
 */
export class GsoBatch {
  /** Datagrams in the open group. */
  count = 0;
  /** sendmsg calls made; those that carried UDP_SEGMENT; datagrams handed to the kernel. */
  calls = 0;
  gsoCalls = 0;
  datagrams = 0;
  /** The errno that made us give GSO up, or 0 while it is in use. */
  refused = 0;
  private readonly mem: unknown;
  private readonly base: bigint;
  private readonly bytes: Uint8Array;
  private readonly dv: DataView;
  private used = 0;
  private segSize = 0;
  private closed = false;
  private port = 0;
  private addr = 0;
  /** Layout: payload area, then struct msghdr, struct iovec, sockaddr_in and the control message. */
  private static readonly AREA = UDP4_MAX_PAYLOAD;
  private readonly hdr = GsoBatch.AREA + 5; // 8-aligned
  private readonly iov = this.hdr + MSGHDR;
  private readonly sa = this.iov + IOVEC;
  private readonly cmsg = this.sa + SOCKADDR_IN;

  constructor(
    /** The longest datagram that may be a segment: the route MTU less the IPv4 and UDP headers. */
    readonly maxSegment = 1500 - 28,
  ) {
    ({ mem: this.mem, base: this.base, bytes: this.bytes, dv: this.dv } = nativeBytes(this.cmsg + CMSG_SEG_SPACE, this.hdr));
    const h = this.hdr;
    this.dv.setBigUint64(h, this.base + BigInt(this.sa), true); // msg_name
    this.dv.setUint32(h + 8, SOCKADDR_IN, true); // msg_namelen
    this.dv.setBigUint64(h + 16, this.base + BigInt(this.iov), true); // msg_iov
    this.dv.setBigUint64(h + 24, 1n, true); // msg_iovlen
    this.bytes[this.sa] = AF_INET & 0xff;
    this.bytes[this.sa + 1] = AF_INET >> 8;
    this.dv.setBigUint64(this.cmsg, BigInt(CMSG_SEG_LEN), true); // cmsg_len
    this.dv.setInt32(this.cmsg + 8, SOL_UDP, true);
    this.dv.setInt32(this.cmsg + 12, UDP_SEGMENT, true);
  }

  /**
   * Adds a datagram for the IPv4 address `addr` (as a big-endian 32-bit number) and `port` to the open
   * group; false when it cannot join it (flush, then add again: an empty batch takes any datagram up
   * to 65507 bytes).
   */
  add(pkt: Uint8Array, addr: number, port: number): boolean {
    const n = pkt.length;
    if (this.count === 0) {
      if (n > GsoBatch.AREA) return false;
      this.addr = addr;
      this.port = port;
      this.segSize = n;
      // A datagram too long to be a segment goes alone.
      this.closed = n > this.maxSegment || n === 0;
    } else if (
      this.closed || addr !== this.addr || port !== this.port || n > this.segSize || n === 0 ||
      this.count >= UDP_MAX_SEGMENTS || this.used + n > GsoBatch.AREA
    ) {
      return false;
    }
    this.bytes.set(pkt, this.used);
    this.used += n;
    this.count++;
    if (n < this.segSize) this.closed = true;
    return true;
  }

  /**
   * Sends the open group on fd (an IPv4 UDP socket) and empties the batch; returns 0, or the errno of
   * a failure (that datagram, or the whole group when GSO itself failed otherwise, is dropped).
   */
  flush(fd: number): number {
    if (this.count === 0) return 0;
    const sa = this.sa;
    this.bytes[sa + 2] = this.port >> 8;
    this.bytes[sa + 3] = this.port & 0xff;
    this.dv.setUint32(sa + 4, this.addr, false);
    let err = 0;
    if (this.count > 1 && this.refused === 0) {
      this.dv.setUint16(this.cmsg + 16, this.segSize, true);
      err = this.sendmsg(fd, 0, this.used, true);
      if (err === EINVAL || err === EIO) {
        this.refused = err;
        err = this.sendEach(fd);
      } else if (err === 0) {
        this.gsoCalls++;
        this.datagrams += this.count;
      }
    } else {
      err = this.sendEach(fd);
    }
    this.count = 0;
    this.used = 0;
    this.closed = false;
    return err;
  }

  private sendEach(fd: number): number {
    let first = 0;
    for (let off = 0; off < this.used; off += this.segSize) {
      const e = this.sendmsg(fd, off, Math.min(this.segSize, this.used - off), false);
      if (e === 0) this.datagrams++;
      else first ||= e;
    }
    return first;
  }

  private sendmsg(fd: number, off: number, len: number, gso: boolean): number {
    const s = sys();
    const h = this.hdr;
    this.dv.setBigUint64(this.iov, this.base + BigInt(off), true); // iov_base
    this.dv.setBigUint64(this.iov + 8, BigInt(len), true); // iov_len
    this.dv.setBigUint64(h + 32, gso ? this.base + BigInt(this.cmsg) : 0n, true); // msg_control
    this.dv.setBigUint64(h + 40, BigInt(gso ? CMSG_SEG_SPACE : 0), true); // msg_controllen
    for (;;) {
      const r = s.sendmsg(fd, this.base + BigInt(h), MSG_DONTWAIT);
      this.calls++;
      if (r >= 0) return 0;
      const e = s.errno();
      if (e !== EINTR) return e;
    }
  }

  free(): void {
    koffiMod?.free(this.mem);
  }
}
