// Payload-by-payload decoding against bytes laid out by hand from RFC 2408 section 3, RFC 2407 4.6,
// RFC 3947 and the Mode Config draft, and every strictness rule with the notify it must name.
import assert from 'node:assert/strict';
import {
  IsakmpError,
  attr,
  attrNumber,
  decodeHeader,
  decodeMessage,
  decodePayloads,
  encodeMessage,
  encodePayloads,
  findPayload,
  findPayloads,
  makeHeader,
  tryDecodeMessage,
  describePayload,
  summariseMessage,
  type Payload,
} from '../../src/isakmp/index.js';
import { expectNotify, h, hx, message, ofType } from './helpers.js';

/** decode a chain, check it, and check that encoding gives the same bytes back */
function roundTrip(first: number, bytes: string): Payload[] {
  const b = h(bytes);
  const p = decodePayloads(first, b);
  assert.equal(hx(encodePayloads(p)), hx(b));
  return p;
}

describe('isakmp codec: header (RFC 2408 3.1)', () => {
  it('decodes every header field', () => {
    const m = h('0011223344556677 8899aabbccddeeff 08 10 20 01 c4e54e01 0000001c');
    const hd = decodeHeader(m);
    assert.equal(hx(hd.ispi), '0011223344556677');
    assert.equal(hx(hd.rspi), '8899aabbccddeeff');
    assert.deepEqual([hd.nextPayload, hd.major, hd.minor, hd.exchange, hd.flags, hd.messageId, hd.length], [8, 1, 0, 32, 1, 0xc4e54e01, 28]);
  });
  it('keeps an encrypted body raw and re-encodes it exactly', () => {
    const m = message('00112233445566778899aabbccddeeff', { next: 5, flags: 1 });
    const d = decodeMessage(m);
    assert.deepEqual(d.payloads, []);
    assert.equal(hx(d.encrypted!), '00112233445566778899aabbccddeeff');
    assert.equal(hx(encodeMessage(d)), hx(m));
  });
  it('decoded bytes are plain copies, never views of a Buffer the caller may reuse', () => {
    const b = Buffer.from(message('00112233445566778899aabbccddeeff', { next: 5, flags: 1 }));
    const d = decodeMessage(b);
    assert.equal(Object.getPrototypeOf(d.encrypted), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(d.header.ispi), Uint8Array.prototype);
    b.fill(0);
    assert.equal(hx(d.encrypted!), '00112233445566778899aabbccddeeff');
  });
  it('rejects a short datagram with PAYLOAD_MALFORMED', () => expectNotify(() => decodeMessage(new Uint8Array(27)), 'PAYLOAD_MALFORMED'));
  it('rejects major version 2 (IKEv2) with INVALID_MAJOR_VERSION', () => expectNotify(() => decodeMessage(message('', { next: 0, version: 0x20 })), 'INVALID_MAJOR_VERSION'));
  it('rejects minor version 1 with INVALID_MINOR_VERSION', () => expectNotify(() => decodeMessage(message('', { next: 0, version: 0x11 })), 'INVALID_MINOR_VERSION'));
  it('rejects unknown flag bits with INVALID_FLAGS', () => {
    const e = expectNotify(() => decodeMessage(message('', { next: 0, flags: 0x08 })), 'INVALID_FLAGS');
    assert.equal(e.offset, 19);
    assert.equal(e.notify.number, 8);
  });
  it('rejects a header length that disagrees with the datagram', () => {
    const m = message('', { next: 0 });
    m[27] = 29;
    expectNotify(() => decodeMessage(m), 'UNEQUAL_PAYLOAD_LENGTHS');
    expectNotify(() => decodeMessage(Uint8Array.of(...message('', { next: 0 }), 0)), 'UNEQUAL_PAYLOAD_LENGTHS');
  });
  it('tryDecodeMessage returns the error as a value', () => {
    const r = tryDecodeMessage(new Uint8Array(3));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.notify.name, 'PAYLOAD_MALFORMED');
  });
});

describe('isakmp codec: payloads', () => {
  it('SA / proposal / transform with TV attributes (Main Mode message 1)', () => {
    const [sa] = roundTrip(
      1,
      // SA: next 0, len 0x38, DOI 1 (IPsec), situation IDENTITY_ONLY
      '00 00 0038 00000001 00000001' +
        // proposal #1, ISAKMP, spi size 0, 1 transform, len 0x2c
        '00 00 002c 01 01 00 01' +
        // transform #1 KEY_IKE, RESERVED2 0, attributes: AES_CBC, key 128, SHA, PSK, MODP_2048, seconds, 28800
        '00 00 0024 01 01 0000 8001 0007 800e 0080 8002 0002 8003 0001 8004 000e 800b 0001 800c 7080',
    );
    const s = ofType(sa, 1);
    assert.equal(s.doi, 1);
    assert.equal(s.situation, 1);
    const p = s.proposals[0]!;
    assert.deepEqual([p.number, p.protocol, p.spi.length, p.transforms.length], [1, 1, 0, 1]);
    const t = p.transforms[0]!;
    assert.deepEqual([t.number, t.id], [1, 1]);
    assert.deepEqual(t.attributes.map((a) => [a.type, a.value]), [[1, 7], [14, 128], [2, 2], [3, 1], [4, 14], [11, 1], [12, 28800]]);
  });

  it('SA body exactly as strongSwan 5.9.8 sent it (SAi_b from a real capture)', () => {
    const body = '00000001000000010000002c01010001000000240101000080010007800e0080800200028004000e80030001800b0001800c0000';
    const len = (4 + body.length / 2).toString(16).padStart(4, '0');
    const [sa] = roundTrip(1, `0000${len}${body}`);
    assert.equal(ofType(sa, 1).proposals[0]!.transforms[0]!.attributes.length, 7);
  });

  it('Quick Mode ESP proposal with SPI and a TLV lifetime (RFC 2407 4.5)', () => {
    const [sa] = roundTrip(
      1,
      '00 00 0038 00000001 00000001' +
        '00 00 002c 01 03 04 01 c1000001' +
        '00 00 0020 01 0c 0000 8001 0002 0002 0004 00465000 8004 0001 8005 0002 8006 0080',
    );
    const p = ofType(sa, 1).proposals[0]!;
    assert.equal(hx(p.spi), 'c1000001');
    assert.equal(p.transforms[0]!.id, 12);
    const life = p.transforms[0]!.attributes[1]!;
    assert.equal(hx(life.value as Uint8Array), '00465000');
    assert.equal(attrNumber(life), 4608000);
  });

  it('two proposals with the same number (AH and ESP together) are kept in order', () => {
    const [sa] = roundTrip(
      1,
      '00 00 0034 00000001 00000001' +
        '02 00 0014 01 02 04 01 11111111 00 00 0008 01 03 0000' +
        '00 00 0014 01 03 04 01 22222222 00 00 0008 01 0c 0000',
    );
    assert.deepEqual(ofType(sa, 1).proposals.map((p) => [p.number, p.protocol]), [[1, 2], [1, 3]]);
  });

  it('KE, NONCE, HASH, SIG, VID and NAT-D carry their data', () => {
    const ps = roundTrip(4, '0a 00 0008 deadbeef 08 00 0006 0102 09 00 0005 03 0d 00 0004 14 00 0006 aabb 82 00 0005 cc 00 00 0005 dd');
    assert.deepEqual(ps.map((p) => [p.type, hx((p as { data: Uint8Array }).data)]), [
      [4, 'deadbeef'],
      [10, '0102'],
      [8, '03'],
      [9, ''],
      [13, 'aabb'],
      [20, 'cc'],
      [130, 'dd'],
    ]);
  });

  it('ID payload in the IPsec DOI form (RFC 2407 4.6.2): type, protocol, port', () => {
    const [id] = roundTrip(5, '00 00 000c 01 11 01f4 c0000201');
    assert.deepEqual(id, { type: 5, idType: 1, protocol: 17, port: 500, data: h('c0000201') });
  });

  it('CERT and CR', () => {
    const [c, r] = roundTrip(6, '07 00 0007 04 aabb 00 00 0005 04');
    assert.deepEqual(c, { type: 6, encoding: 4, data: h('aabb') });
    assert.deepEqual(r, { type: 7, encoding: 4, data: new Uint8Array(0) });
  });

  it('Notification (RFC 2408 3.14): INITIAL-CONTACT with the cookies as SPI', () => {
    const [n] = roundTrip(11, '00 00 001c 00000001 01 10 6002 00112233445566778899aabbccddeeff');
    assert.deepEqual(n, { type: 11, doi: 1, protocol: 1, spi: h('00112233445566778899aabbccddeeff'), notifyType: 24578, data: new Uint8Array(0) });
  });

  it('Notification R-U-THERE with a sequence number (RFC 3706)', () => {
    const [n] = roundTrip(11, '00 00 0020 00000001 01 10 8d28 00112233445566778899aabbccddeeff 00000007');
    assert.equal(ofType(n, 11).notifyType, 36136);
    assert.equal(hx(ofType(n, 11).data), '00000007');
  });

  it('Delete (RFC 2408 3.15) with two ESP SPIs', () => {
    const [d] = roundTrip(12, '00 00 0014 00000001 03 04 0002 c2000002 c3000003');
    assert.deepEqual(d, { type: 12, doi: 1, protocol: 3, spiSize: 4, spis: [h('c2000002'), h('c3000003')] });
  });

  it('Attribute payload (Mode Config): TLV and TV attributes', () => {
    const [a] = roundTrip(14, '00 00 0010 01 00 0001 0001 0000 c088 0000');
    assert.deepEqual(a, { type: 14, cfgType: 1, identifier: 1, attributes: [{ type: 1, value: new Uint8Array(0) }, { type: 16520, value: 0 }] });
  });

  it('NAT-OA (RFC 3947 3.2) and its draft number 131', () => {
    const [a, b] = roundTrip(21, '83 00 000c 01 000000 c0000201 00 00 000c 01 000000 c6336401');
    assert.deepEqual(a, { type: 21, idType: 1, data: h('c0000201') });
    assert.deepEqual(b, { type: 131, idType: 1, data: h('c6336401') });
  });

  it('IKE fragment payload (132): id, number, last flag, data', () => {
    const [f] = roundTrip(132, '00 00 000b 0001 02 01 aabbcc');
    assert.deepEqual(f, { type: 132, fragmentId: 1, number: 2, flags: 1, data: h('aabbcc') });
    expectNotify(() => decodePayloads(132, h('00 00 0008 0001 00 00')), 'PAYLOAD_MALFORMED');
  });

  it('an unknown payload type is kept raw and round-trips', () => {
    const [u] = roundTrip(200, '00 00 0007 010203');
    assert.deepEqual(u, { type: 200, raw: true, data: h('010203') });
  });

  it('finds payloads by type', () => {
    const ps = decodePayloads(8, h('0d 00 0005 01 0d 00 0005 02 00 00 0005 03'));
    assert.equal(findPayload(ps, 13)?.data[0], 2);
    assert.equal(findPayloads(ps, 13).length, 2);
    assert.equal(findPayload(ps, 1), undefined);
  });
});

describe('isakmp codec: strictness', () => {
  it('payload length below 4 is PAYLOAD_MALFORMED', () => expectNotify(() => decodePayloads(13, h('00 00 0003 00')), 'PAYLOAD_MALFORMED'));
  it('payload running past the message is UNEQUAL_PAYLOAD_LENGTHS', () => {
    const e = expectNotify(() => decodeMessage(message('00 00 0009 0102', { next: 13 })), 'UNEQUAL_PAYLOAD_LENGTHS');
    assert.equal(e.offset, 30);
  });
  it('truncated generic header is PAYLOAD_MALFORMED', () => expectNotify(() => decodeMessage(message('00 00', { next: 13 })), 'PAYLOAD_MALFORMED'));
  it('bytes after the last payload: UNEQUAL_PAYLOAD_LENGTHS, but padding in a decrypted body', () => {
    expectNotify(() => decodePayloads(13, h('00 00 0005 01 0000000000000003')), 'UNEQUAL_PAYLOAD_LENGTHS');
    const ps = decodePayloads(13, h('00 00 0005 01 0000000000000003'), { decrypted: true });
    assert.equal(ps.length, 1);
  });
  it('up to 3 zero bytes aligning a message to 4 bytes are kept as a trailer (Libreswan pads so)', () => {
    const m = message('00 00 0005 01 000000', { next: 13 });
    const d = decodeMessage(m);
    assert.equal(hx(d.trailer!), '000000');
    assert.equal(hx(encodeMessage(d)), hx(m));
    expectNotify(() => decodeMessage(message('00 00 0005 01 000001', { next: 13 })), 'UNEQUAL_PAYLOAD_LENGTHS');
    expectNotify(() => decodeMessage(message('00 00 0005 01 0000', { next: 13 })), 'UNEQUAL_PAYLOAD_LENGTHS');
    expectNotify(() => decodeMessage(message('00 00 0004 00000000', { next: 13 })), 'UNEQUAL_PAYLOAD_LENGTHS');
  });
  it('a non-zero RESERVED byte is PAYLOAD_MALFORMED', () => expectNotify(() => decodePayloads(13, h('00 01 0005 01')), 'PAYLOAD_MALFORMED'));
  it('a proposal or transform outside an SA is INVALID_PAYLOAD_TYPE', () => {
    expectNotify(() => decodePayloads(2, h('00 00 0008 01 01 00 00')), 'INVALID_PAYLOAD_TYPE');
    expectNotify(() => decodePayloads(13, h('03 00 0005 01 00 00 0008 01 01 0000')), 'INVALID_PAYLOAD_TYPE');
  });
  it('an SA with no proposal is BAD_PROPOSAL_SYNTAX', () => expectNotify(() => decodePayloads(1, h('00 00 000c 00000001 00000001')), 'BAD_PROPOSAL_SYNTAX'));
  it('an unsupported DOI is DOI_NOT_SUPPORTED', () => expectNotify(() => decodePayloads(1, h('00 00 0014 00000002 00000001 00 00 0008 01 01 00 00')), 'DOI_NOT_SUPPORTED'));
  it('a SECRECY situation is SITUATION_NOT_SUPPORTED', () => expectNotify(() => decodePayloads(1, h('00 00 0014 00000001 00000002 00 00 0008 01 01 00 00')), 'SITUATION_NOT_SUPPORTED'));
  it('transform count that disagrees is BAD_PROPOSAL_SYNTAX', () => {
    expectNotify(() => decodePayloads(1, h('00 00 001c 00000001 00000001 00 00 0010 01 01 00 02 00 00 0008 01 01 0000')), 'BAD_PROPOSAL_SYNTAX');
    expectNotify(() => decodePayloads(1, h('00 00 0014 00000001 00000001 00 00 0008 01 01 00 00')), 'BAD_PROPOSAL_SYNTAX');
  });
  it('decreasing proposal numbers are BAD_PROPOSAL_SYNTAX', () =>
    expectNotify(
      () => decodePayloads(1, h('00 00 002c 00000001 00000001 02 00 0010 02 03 00 01 00 00 0008 01 0c 0000 00 00 0010 01 03 00 01 00 00 0008 01 0c 0000')),
      'BAD_PROPOSAL_SYNTAX',
    ));
  it('something other than a proposal inside an SA is BAD_PROPOSAL_SYNTAX', () =>
    expectNotify(() => decodePayloads(1, h('00 00 001c 00000001 00000001 0d 00 0010 01 01 00 01 00 00 0008 01 01 0000')), 'BAD_PROPOSAL_SYNTAX'));
  it('a transform RESERVED2 that is not zero is PAYLOAD_MALFORMED', () =>
    expectNotify(() => decodePayloads(1, h('00 00 001c 00000001 00000001 00 00 0010 01 01 00 01 00 00 0008 01 01 0001')), 'PAYLOAD_MALFORMED'));
  it('a TLV attribute longer than its transform is PAYLOAD_MALFORMED', () =>
    expectNotify(() => decodePayloads(1, h('00 00 0020 00000001 00000001 00 00 0014 01 01 00 01 00 00 000c 01 01 0000 000c 0008')), 'PAYLOAD_MALFORMED'));
  it('stray bytes after the last attribute are PAYLOAD_MALFORMED', () =>
    expectNotify(() => decodePayloads(1, h('00 00 001e 00000001 00000001 00 00 0012 01 01 00 01 00 00 000a 01 01 0000 8001')), 'PAYLOAD_MALFORMED'));
  it('a Delete whose SPIs do not fill it is PAYLOAD_MALFORMED', () => expectNotify(() => decodePayloads(12, h('00 00 0011 00000001 03 04 0002 c2000002 c3')), 'PAYLOAD_MALFORMED'));
  it('a Notification SPI longer than the payload is PAYLOAD_MALFORMED', () => expectNotify(() => decodePayloads(11, h('00 00 000e 00000001 01 10 6002 0011')), 'PAYLOAD_MALFORMED'));
  it('an ID payload too short for its fixed fields is PAYLOAD_MALFORMED', () => expectNotify(() => decodePayloads(5, h('00 00 0006 01 11')), 'PAYLOAD_MALFORMED'));
  it('NAT-OA with RESERVED set is PAYLOAD_MALFORMED', () => expectNotify(() => decodePayloads(21, h('00 00 000c 01 000100 c0000201')), 'PAYLOAD_MALFORMED'));
  it('more payloads than the limit is PAYLOAD_MALFORMED', () => {
    const one = '0d 00 0004';
    const body = Array.from({ length: 200 }, () => one).join(' ').replace(/0d 00 0004$/, '00 00 0004');
    expectNotify(() => decodePayloads(13, h(body)), 'PAYLOAD_MALFORMED');
  });
  it('errors carry the absolute offset of the fault', () => {
    const e = expectNotify(() => decodeMessage(message('0d 00 0005 01 00 01 0004', { next: 13 })), 'PAYLOAD_MALFORMED');
    assert.equal(e.offset, 28 + 5 + 1);
    assert.ok(e instanceof IsakmpError && e.reason.includes('RESERVED'));
  });
});

describe('isakmp codec: encoding', () => {
  it('builds a message whose length and next-payload fields are computed', () => {
    const m = encodeMessage({ header: makeHeader({ ispi: h('0102030405060708'), exchange: 5 }), payloads: [{ type: 13, data: h('aa') }, { type: 10, data: h('bb') }] });
    assert.equal(hx(m), '0102030405060708' + '0000000000000000' + '0d' + '10' + '05' + '00' + '00000000' + '00000026' + '0a000005aa' + '00000005bb');
  });
  it('attr() picks TV for 16-bit values and 4- or 8-byte TLV beyond', () => {
    assert.deepEqual(attr(12, 28800), { type: 12, value: 28800 });
    assert.deepEqual(attr(12, 86400), { type: 12, value: h('00015180') });
    assert.deepEqual(attr(2, 2n ** 40n), { type: 2, value: h('0000010000000000') });
    assert.equal(attrNumber(attr(12, 86400)), 86400);
  });
  it('refuses to encode values that do not fit their fields', () => {
    assert.throws(() => encodePayloads([{ type: 13, data: new Uint8Array(70000) }]), RangeError);
    assert.throws(() => encodePayloads([{ type: 14, cfgType: 1, identifier: 1, attributes: [{ type: 1, value: 70000 }] }]), RangeError);
  });
});

describe('isakmp describe', () => {
  it('summarises a message in one line for logs', () => {
    const m = decodeMessage(message('0a 00 0005 01 00 00 0005 02', { next: 13, exchange: 32, mid: 0x11223344 }));
    assert.equal(summariseMessage(m), 'QUICK_MODE mid 0x11223344 [VENDOR, NONCE]');
    const e = decodeMessage(message('00112233445566778899aabbccddeeff', { next: 8, flags: 1 }));
    assert.equal(summariseMessage(e), 'ID_PROT mid 0x00000000 ENC <16 encrypted bytes>');
  });
  it('describes payloads with names from the tables', () => {
    const [n] = decodePayloads(11, h('00 00 001c 00000001 01 10 6002 00112233445566778899aabbccddeeff'));
    assert.ok(describePayload(n!).includes('Notify Message Type: INITIAL_CONTACT (24578)'));
  });
});
