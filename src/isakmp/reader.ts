// Bounded big-endian reader over one region of a buffer. Every read checks the region's end and
// raises an IsakmpError with the absolute offset, so no decoder can read past what it was given.
import { IsakmpError } from './errors.js';
import { NotifyType } from './numbers.js';

export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    /** absolute offset of buf[0], for error messages */
    readonly base: number,
    /** notify raised when the region is too short */
    readonly shortNotify: number = NotifyType.PAYLOAD_MALFORMED,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(notify: number, reason: string, at: number = this.pos): never {
    throw new IsakmpError(notify, reason, this.base + at);
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) this.fail(this.shortNotify, `${what}: need ${n} bytes, ${this.end - this.pos} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** A copy, so decoded records never alias the caller's buffer. */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }

  rest(what: string): Uint8Array {
    return this.bytes(this.remaining, what);
  }

  /** A sub-reader over the next n bytes; this reader skips past them. */
  sub(n: number, what: string, shortNotify: number = this.shortNotify): Reader {
    this.need(n, what);
    const r = new Reader(this.buf, this.pos, this.pos + n, this.base, shortNotify);
    this.pos += n;
    return r;
  }
}

/**
 * A writer's working buffer between uses: every message is encoded once or twice per send, and a fresh
 * buffer each time (then a copy of the used part) doubled the allocations that outlive a typed array's
 * in-heap size. One writer at a time gets it; one made while it is out (nested) allocates its own.
 */
let spare: Uint8Array | undefined = new Uint8Array(2048);

const EMPTY = new Uint8Array(0);

/** Growable big-endian writer. */
export class Writer {
  private buf: Uint8Array;
  len = 0;
  constructor(capacity = 256) {
    if (spare && spare.length >= capacity) {
      this.buf = spare;
      spare = undefined;
    } else this.buf = new Uint8Array(capacity);
  }
  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, 64);
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf.fill(0, 0, this.len); // what was written so far lives on in the new buffer only
    this.buf = nb;
  }
  u8(v: number): void {
    checkInt(v, 0xff, 'u8');
    this.grow(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    checkInt(v, 0xffff, 'u16');
    this.grow(2);
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v & 0xff;
  }
  u32(v: number): void {
    checkInt(v, 0xffffffff, 'u32');
    this.grow(4);
    this.buf[this.len++] = v >>> 24;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
  }
  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** Reserve a 16-bit field to fill later (lengths). */
  mark16(): number {
    this.u16(0);
    return this.len - 2;
  }
  set16(at: number, v: number): void {
    checkInt(v, 0xffff, 'u16 length');
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v & 0xff;
  }
  set8(at: number, v: number): void {
    checkInt(v, 0xff, 'u8');
    this.buf[at] = v;
  }
  /** The bytes written, in a buffer of their own; the writer is done (its working buffer goes back). */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    // The working buffer saw message plaintext: wiped before another writer takes it.
    this.buf.fill(0, 0, this.len);
    if (this.buf.length <= 65536 && (!spare || spare.length < this.buf.length)) spare = this.buf;
    this.buf = EMPTY;
    this.len = 0;
    return out;
  }
}

function checkInt(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} out of range: ${v}`);
}
