// IP address text <-> bytes, and CIDR prefixes. Node's net module validates; we keep bytes because
// the packet path compares raw header bytes without building strings.
import net from 'node:net';

export type AddrBytes = Uint8Array; // 4 or 16 bytes

export function parseAddr(text: string): AddrBytes | undefined {
  const t = text.trim();
  const fam = net.isIP(t);
  if (fam === 4) {
    const parts = t.split('.').map((p) => Number(p));
    return Uint8Array.from(parts);
  }
  if (fam === 6) return parseIpv6(t);
  return undefined;
}

function parseIpv6(t: string): AddrBytes {
  const out = new Uint8Array(16);
  let s = t;
  // Embedded IPv4 tail (::ffff:192.0.2.1).
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = s.slice(lastColon + 1).split('.').map(Number);
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':').filter((x) => x !== '') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups: number[] = h.map((x) => parseInt(x, 16));
  const fill = 8 - groups.length - r.length;
  for (let i = 0; i < fill && rest !== undefined; i++) groups.push(0);
  for (const x of r) groups.push(parseInt(x, 16));
  if (tail.length) groups.splice(6, 2, tail[0]!, tail[1]!);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = (groups[i]! >> 8) & 0xff;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

export function formatAddr(b: Uint8Array, off = 0, len = b.length - off): string {
  if (len === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const g: string[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[off + i * 2]! << 8) | b[off + i * 2 + 1]!).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

export function normAddr(text: string): string | undefined {
  const b = parseAddr(text);
  if (!b) return undefined;
  const t = formatAddr(b);
  // The caller's own string when it is already in normal form: long-lived records then share it.
  return t === text ? text : t;
}

/** An IPv4 address at b[off..off+4) as a signed 32-bit integer (a small integer to V8, never boxed). */
export function v4Int(b: Uint8Array, off = 0): number {
  return (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
}

/** Writes an IPv4 address held by v4Int() as four bytes at b[off..]. */
export function putV4(b: Uint8Array, off: number, a: number): void {
  b[off] = a >>> 24;
  b[off + 1] = (a >>> 16) & 0xff;
  b[off + 2] = (a >>> 8) & 0xff;
  b[off + 3] = a & 0xff;
}

export interface Prefix {
  addr: AddrBytes; // masked
  len: number; // prefix length in bits
}

/** "192.0.2.0/24", "192.0.2.1" (host), "2001:db8::/32". Host bits are masked off. */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  const a = parseAddr(slash < 0 ? text : text.slice(0, slash));
  if (!a) return undefined;
  const max = a.length * 8;
  let len = max;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^\d+$/.test(l)) {
      // dotted netmask
      const m = parseAddr(l);
      if (!m || m.length !== a.length) return undefined;
      const ml = maskLen(m);
      if (ml < 0) return undefined;
      len = ml;
    } else len = Number(l);
  }
  if (len < 0 || len > max) return undefined;
  return { addr: maskAddr(a, len), len };
}

export function maskLen(m: Uint8Array): number {
  let len = 0;
  let ended = false;
  for (const byte of m) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >> bit) & 1;
      if (set && ended) return -1;
      if (set) len++;
      else ended = true;
    }
  }
  return len;
}

export function maskAddr(a: Uint8Array, len: number): AddrBytes {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    out[i] = a[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddr(p.addr)}/${p.len}`;
}

export function addrEqual(a: Uint8Array, aOff: number, b: Uint8Array, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[aOff + i] !== b[i]) return false;
  return true;
}

export function isUnspecified(a: Uint8Array): boolean {
  return a.every((x) => x === 0);
}
