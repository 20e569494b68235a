import assert from 'node:assert/strict';
import { IsakmpError, type Payload, type PayloadOf } from '../../src/isakmp/index.js';

export const h = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/[\s:]/g, ''), 'hex'));
export const hx = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Assert that fn throws an IsakmpError naming `notify`; returns it. */
export function expectNotify(fn: () => unknown, notify: string): IsakmpError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof IsakmpError, `expected IsakmpError ${notify}, got ${String(caught)}`);
  assert.equal(caught.notify.name, notify, caught.message);
  return caught;
}

/** A 28-byte header followed by `body`, with the length field right. */
export function message(body: string, opts: { next: number; exchange?: number; flags?: number; version?: number; mid?: number } = { next: 0 }): Uint8Array {
  const b = h(body);
  const out = new Uint8Array(28 + b.length);
  out.set(h('0102030405060708'), 0);
  out[16] = opts.next;
  out[17] = opts.version ?? 0x10;
  out[18] = opts.exchange ?? 2;
  out[19] = opts.flags ?? 0;
  new DataView(out.buffer).setUint32(20, opts.mid ?? 0);
  new DataView(out.buffer).setUint32(24, out.length);
  out.set(b, 28);
  return out;
}

/** Narrow a decoded payload to the record of its type (fails the test otherwise). */
export function ofType<T extends number>(p: Payload | undefined, type: T): PayloadOf<T> {
  assert.ok(p, `expected a payload of type ${type}`);
  assert.equal(p.type, type);
  assert.ok(!('raw' in p), `payload ${type} was not parsed`);
  return p as PayloadOf<T>;
}
