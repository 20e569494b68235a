// Minimal DER reader and writer: just enough for KeyNote key encodings (PKCS#1 RSA, OpenSSL's
// DSA public/private SEQUENCEs, SubjectPublicKeyInfo) and the X.509 fields policy needs.
// Every read is bounds-checked; malformed input throws DerError, which callers turn into values.

export class DerError extends Error {}

export interface DerNode {
  tag: number; // full first identifier byte (class | constructed | number)
  start: number; // offset of the identifier byte
  headerLength: number;
  length: number;
  bytes: Buffer; // the whole encoding (header + content)
  content: Buffer;
}

export function readNode(buf: Buffer, offset = 0): DerNode {
  if (offset + 2 > buf.length) throw new DerError('truncated DER header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let len = buf[offset + 1]!;
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported DER length form');
    if (offset + 2 + n > buf.length) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
    hdr += n;
  }
  const end = offset + hdr + len;
  if (end > buf.length) throw new DerError('DER element runs past the end of its container');
  return {
    tag,
    start: offset,
    headerLength: hdr,
    length: len,
    bytes: buf.subarray(offset, end),
    content: buf.subarray(offset + hdr, end),
  };
}

export function children(node: DerNode): DerNode[] {
  if (!(node.tag & 0x20)) throw new DerError('expected a constructed DER element');
  const out: DerNode[] = [];
  let off = 0;
  while (off < node.content.length) {
    const c = readNode(node.content, off);
    out.push(c);
    off += c.bytes.length;
  }
  return out;
}

export function readSingle(buf: Buffer): DerNode {
  const n = readNode(buf, 0);
  if (n.bytes.length !== buf.length) throw new DerError('trailing bytes after DER element');
  return n;
}

export function expectTag(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
  return node;
}

/** Unsigned big-endian integer content, without leading zero bytes. */
export function integerBytes(node: DerNode): Buffer {
  expectTag(node, 0x02, 'INTEGER');
  let c = node.content;
  while (c.length > 1 && c[0] === 0) c = c.subarray(1);
  return c;
}

export function oidToString(node: DerNode): string {
  expectTag(node, 0x06, 'OBJECT IDENTIFIER');
  const b = node.content;
  if (b.length === 0) throw new DerError('empty OID');
  const parts: number[] = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

// ---- writer ----

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));

/** INTEGER from unsigned big-endian magnitude. */
export function int(mag: Buffer | number): Buffer {
  let b = typeof mag === 'number' ? Buffer.from([mag]) : mag;
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  if (b.length === 0) b = Buffer.from([0]);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

export function oid(dotted: string): Buffer {
  const p = dotted.split('.').map(Number);
  const out: number[] = [p[0]! * 40 + p[1]!];
  for (const v of p.slice(2)) {
    const stack: number[] = [];
    let x = v;
    do {
      stack.unshift(x & 0x7f);
      x = Math.floor(x / 128);
    } while (x > 0);
    for (let i = 0; i < stack.length - 1; i++) stack[i]! |= 0x80;
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

export const bitString = (content: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), content]));
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
