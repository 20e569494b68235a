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
  socket: Fn;
  setsockopt: Fn;
  sendto: Fn;
  close: Fn;
  errno: () => number;
  strerror: (e: number) => string;
}

let libc: Libc | undefined;

export function sys(): Libc {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  const koffi = require('koffi') as {
    load(p: string): { func(d: string): Fn };
    errno(): number;
  };
  const l = koffi.load('libc.so.6');
  const strerror = l.func('const char *strerror(int errnum)') as unknown as (e: number) => string;
  libc = {
    read: l.func('intptr_t read(int fd, uint8_t *buf, size_t len)'),
    fcntl: l.func('int fcntl(int fd, int cmd, int arg)'),
    poll: l.func('int poll(uint8_t *fds, unsigned long nfds, int timeout)') as AsyncFn,
    open: l.func('int open(const char *path, int flags)'),
    ioctl: l.func('int ioctl(int fd, unsigned long req, uint8_t *arg)'),
    socket: l.func('int socket(int domain, int type, int protocol)'),
    setsockopt: l.func('int setsockopt(int fd, int level, int name, const uint8_t *val, uint32_t len)'),
    sendto: l.func('intptr_t sendto(int fd, const uint8_t *buf, size_t len, int flags, const uint8_t *addr, uint32_t alen)'),
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
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_IP = 0;
export const IPPROTO_RAW = 255;
export const IP_HDRINCL = 3;
export const SOL_SOCKET = 1;
export const SO_BINDTODEVICE = 25;
export const TUNSETIFF = 0x400454ca;
export const IFF_TUN = 0x0001;
export const IFF_NO_PI = 0x1000;

export function sockaddrIn(addr: Uint8Array): Uint8Array {
  const sa = new Uint8Array(16);
  sa[0] = AF_INET & 0xff; // sa_family in host (little-endian) order
  sa[1] = AF_INET >> 8;
  sa.set(addr, 4);
  return sa;
}
