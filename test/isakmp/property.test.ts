// Property tests (bounded): generated messages round-trip both ways; random and mutated bytes
// only ever produce an IsakmpError; any input the strict decoder accepts re-encodes to itself;
// decoding never depends on bytes beyond the buffer it was given.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  IsakmpError,
  decodeMessage,
  decodePayloads,
  encodeMessage,
  encodePayloads,
  makeHeader,
  type DataAttribute,
  type IsakmpMessage,
  type Payload,
} from '../../src/isakmp/index.js';
import { buildConversation } from './exchange-builder.js';

// OAKLEY_PROPERTY_RUNS raises the bound for a longer fuzzing session; the default keeps npm test quick.
const RUNS = Number(process.env.OAKLEY_PROPERTY_RUNS) || 300;

/** fast-check builds records without a prototype; the decoder returns ordinary objects. */
function plain<T>(v: T): T {
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(plain) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) as T;
  return v;
}
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const attribute: fc.Arbitrary<DataAttribute> = fc.oneof(
  fc.record({ type: fc.integer({ min: 0, max: 0x7fff }), value: u16 }),
  fc.record({ type: fc.integer({ min: 0, max: 0x7fff }), value: bytes(12) }),
);
const attributes = fc.array(attribute, { maxLength: 6 });

const proposals = fc
  .array(
    fc.record({
      number: u8,
      protocol: u8,
      spi: bytes(16),
      transforms: fc.array(fc.record({ number: u8, id: u8, attributes }), { minLength: 1, maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((ps) => ps.sort((a, b) => a.number - b.number));

const payload: fc.Arbitrary<Payload> = fc.oneof(
  fc.record({ type: fc.constant(1 as const), doi: fc.constantFrom(0, 1), situation: fc.constantFrom(0, 1), proposals }),
  fc.record({ type: fc.constantFrom(4 as const, 8 as const, 9 as const, 10 as const, 13 as const), data: bytes(64) }),
  fc.record({ type: fc.constant(5 as const), idType: u8, protocol: u8, port: u16, data: bytes(32) }),
  fc.record({ type: fc.constantFrom(6 as const, 7 as const), encoding: u8, data: bytes(32) }),
  fc.record({ type: fc.constant(11 as const), doi: u32, protocol: u8, spi: bytes(16), notifyType: u16, data: bytes(16) }),
  fc.integer({ min: 0, max: 16 }).chain((spiSize) =>
    fc.record({ type: fc.constant(12 as const), doi: u32, protocol: u8, spiSize: fc.constant(spiSize), spis: fc.array(fc.uint8Array({ minLength: spiSize, maxLength: spiSize }), { maxLength: 4 }) }),
  ),
  fc.record({ type: fc.constant(14 as const), cfgType: u8, identifier: u16, attributes }),
  fc.record({ type: fc.constantFrom(20 as const, 130 as const), data: bytes(32) }),
  fc.record({ type: fc.constantFrom(21 as const, 131 as const), idType: u8, data: bytes(16) }),
  fc.record({ type: fc.constant(132 as const), fragmentId: u16, number: fc.integer({ min: 1, max: 255 }), flags: u8, data: bytes(32) }),
  fc.record({ type: fc.integer({ min: 22, max: 127 }), raw: fc.constant(true as const), data: bytes(32) }),
).map(plain) as fc.Arbitrary<Payload>;

const cookie = fc.uint8Array({ minLength: 8, maxLength: 8 });
const msg: fc.Arbitrary<IsakmpMessage> = fc
  .record({ ispi: cookie, rspi: cookie, exchange: u8, flags: fc.constantFrom(0, 2, 4, 6), messageId: u32, payloads: fc.array(payload, { maxLength: 6 }) })
  .map(({ payloads, ...h }) => ({ header: makeHeader(h), payloads }));

/** Decode, asserting that only IsakmpError can come out. */
function decodeOrError(b: Uint8Array): IsakmpMessage | IsakmpError {
  try {
    return decodeMessage(b);
  } catch (e) {
    assert.ok(e instanceof IsakmpError, `non-IsakmpError thrown: ${String(e)}`);
    assert.ok(!e.reason.startsWith('internal decoder error'), e.message);
    return e;
  }
}

// Seeds for mutation: every message of the synthetic conversation, in plaintext form.
const seeds = buildConversation().map((m) => {
  const header = decodeMessage(m.wire).header;
  return encodeMessage({ header: { ...header, flags: 0 }, payloads: m.payloads });
});

describe('isakmp codec properties', () => {
  it('decode(encode(m)) deep-equals m, and encode(decode(b)) equals b', () => {
    fc.assert(
      fc.property(msg, (m) => {
        const b = encodeMessage(m);
        const d = decodeMessage(b);
        const expected = { header: { ...m.header, length: b.length, nextPayload: m.payloads[0]?.type ?? 0 }, payloads: m.payloads };
        assert.deepStrictEqual(d, expected);
        assert.deepStrictEqual(encodeMessage(d), b);
      }),
      { numRuns: RUNS },
    );
  });

  it('payload chains round-trip through encodePayloads / decodePayloads', () => {
    fc.assert(
      fc.property(fc.array(payload, { minLength: 1, maxLength: 6 }), (ps) => {
        const b = encodePayloads(ps);
        assert.deepStrictEqual(decodePayloads(ps[0]!.type, b), ps);
      }),
      { numRuns: RUNS },
    );
  });

  it('random bytes only ever give IsakmpError (or a message that re-encodes to the same bytes)', () => {
    fc.assert(
      fc.property(bytes(200), fc.integer({ min: 0, max: 255 }), (tail, first) => {
        // a plausible header in front of random bytes reaches the payload parsers more often
        const b = new Uint8Array(28 + tail.length);
        b.set(tail, 28);
        b[16] = first % 24;
        b[17] = 0x10;
        new DataView(b.buffer).setUint32(24, b.length);
        const r = decodeOrError(b);
        if (!(r instanceof IsakmpError)) assert.deepStrictEqual(encodeMessage(r), b);
        const r2 = decodeOrError(tail);
        if (!(r2 instanceof IsakmpError)) assert.deepStrictEqual(encodeMessage(r2), tail);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('mutated real messages: only IsakmpError, and anything accepted is canonical', () => {
    const mutation = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      edits: fc.array(fc.record({ at: fc.nat(), value: u8 }), { minLength: 1, maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      fixLength: fc.boolean(),
    });
    fc.assert(
      fc.property(mutation, ({ seed, edits, cut, fixLength }) => {
        let b = Uint8Array.from(seeds[seed]!);
        // clear ENC so the payload parsers see the body (encrypted bodies are opaque)
        b[19] = b[19]! & ~1;
        for (const e of edits) b[28 + (e.at % Math.max(1, b.length - 28))] = e.value;
        if (cut !== undefined) b = b.slice(0, cut % (b.length + 1));
        if (fixLength && b.length >= 28) new DataView(b.buffer, b.byteOffset).setUint32(24, b.length);
        const r = decodeOrError(b);
        if (!(r instanceof IsakmpError)) assert.deepStrictEqual(encodeMessage(r), b);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('decrypted-body decoding tolerates padding but still only throws IsakmpError', () => {
    fc.assert(
      fc.property(fc.array(payload, { minLength: 1, maxLength: 4 }), bytes(16), (ps, pad) => {
        const body = encodePayloads(ps);
        const padded = new Uint8Array(body.length + pad.length);
        padded.set(body);
        padded.set(pad, body.length);
        assert.deepStrictEqual(decodePayloads(ps[0]!.type, padded, { decrypted: true }), ps);
      }),
      { numRuns: RUNS },
    );
  });

  it('never reads past the buffer it is given', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), fc.nat(), bytes(64), (seed, cutAt, garbage) => {
        const full = Uint8Array.from(seeds[seed]!);
        full[19] = full[19]! & ~1;
        const n = cutAt % (full.length + 1);
        // the same prefix, once followed by garbage in the same ArrayBuffer and once alone
        const big = new Uint8Array(n + garbage.length);
        big.set(full.subarray(0, n));
        big.set(garbage, n);
        const view = big.subarray(0, n);
        const alone = full.slice(0, n);
        if (n >= 28) {
          new DataView(view.buffer, view.byteOffset).setUint32(24, n);
          new DataView(alone.buffer).setUint32(24, n);
        }
        const a = decodeOrError(view);
        const b = decodeOrError(alone);
        if (a instanceof IsakmpError || b instanceof IsakmpError) assert.equal(String(a), String(b));
        else assert.deepStrictEqual(a, b);
      }),
      { numRuns: RUNS },
    );
  });
});
