// Small byte helpers shared by the crypto modules. Uint8Array in, Uint8Array out; Buffer only inside.

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}

export function u32be(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function u16be(n: number): Uint8Array {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n & 0xffff, 0);
  return b;
}

/** Left-pads with zero bytes to `len` (big-endian numbers such as DH values lose leading zeros in OpenSSL). */
export function leftPad(b: Uint8Array, len: number): Uint8Array {
  if (b.length >= len) return b;
  const out = new Uint8Array(len);
  out.set(b, len - b.length);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  const clean = h.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new TypeError(`not a hex string: ${h.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Big-endian unsigned comparison of two byte strings of the same length: -1, 0 or 1. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`compareBytes: lengths ${a.length} and ${b.length}`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

/** Whether a big-endian unsigned number is 0 or 1. */
export function atMostOne(b: Uint8Array): boolean {
  for (let i = 0; i < b.length - 1; i++) if (b[i] !== 0) return false;
  return b.length === 0 || b[b.length - 1]! <= 1;
}

export function bytesToBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + toHex(b));
}

/** Overwrites a secret buffer; callers use it when a key is no longer needed. */
export function wipe(b: Uint8Array | undefined): void {
  if (b) b.fill(0);
}
