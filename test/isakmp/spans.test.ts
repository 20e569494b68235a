// Received payload bytes (payloadSpan): the engine hashes exactly what the peer sent (SAi_b, IDii_b,
// everything after HASH in Quick Mode), so the codec hands those spans out beside the decoded records.
import assert from 'node:assert/strict';
import { decodeMessage, decodePayloads, encodePayloads, payloadSpan, PayloadType } from '../../src/isakmp/index.js';
import { h, hx, message } from './helpers.js';

// SA (strongSwan 5.9.8 Main Mode proposal, from a capture) then a VID then a NONCE of 4 bytes.
const SA_BODY = '00000001000000010000002c01010001000000240101000080010007800e0080800200028004000e80030001800b0001800c0000';
const SA = `0d00${(4 + SA_BODY.length / 2).toString(16).padStart(4, '0')}${SA_BODY}`;
const VID = '0a000014afcad71368a1f1c96b8696fc77570100';
const NONCE = '00000008deadbeef';

describe('isakmp codec: payload spans', () => {
  it('decodeMessage({ spans: true }) gives each payload its exact received bytes', () => {
    const m = decodeMessage(message(SA + VID + NONCE, { next: PayloadType.SA }), { spans: true });
    assert.deepEqual(m.payloads.map((p) => hx(payloadSpan(p)!.raw)), [SA, VID, NONCE]);
    assert.equal(hx(payloadSpan(m.payloads[0]!)!.body), SA_BODY);
    assert.equal(hx(payloadSpan(m.payloads[2]!)!.body), 'deadbeef');
  });

  it('decodePayloads over a decrypted body: spans stop before the cipher padding', () => {
    const body = h(`${NONCE}000000000007`);
    const ps = decodePayloads(PayloadType.NONCE, body, { decrypted: true, spans: true });
    assert.equal(ps.length, 1);
    assert.equal(hx(payloadSpan(ps[0]!)!.raw), NONCE);
  });

  it('spans stay out of the records: JSON, deep equality and re-encoding are unchanged', () => {
    const bytes = message(SA + VID + NONCE, { next: PayloadType.SA });
    const a = decodeMessage(bytes, { spans: true });
    const b = decodeMessage(bytes);
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify(a.payloads.map((p) => Object.keys(p))), JSON.stringify(b.payloads.map((p) => Object.keys(p))));
    assert.equal(hx(encodePayloads(a.payloads)), SA + VID + NONCE);
  });

  it('without the option no spans are kept', () => {
    const m = decodeMessage(message(NONCE, { next: PayloadType.NONCE }));
    assert.equal(payloadSpan(m.payloads[0]!), undefined);
  });
});
