// The exchange scripts: which payloads each step must and may carry. checkStep works from a per-step
// table; here it is held against a direct reading of the step (sets built from the names each time).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AGGRESSIVE_MODE, MAIN_MODE, QUICK_MODE, checkStep, type Step } from '../../src/ike/scripts.js';
import { PayloadType } from '../../src/isakmp/numbers.js';

function reference(step: Step, types: number[], encrypted: boolean): string | undefined {
  if (step.encrypted && !encrypted) return 'INVALID_FLAGS';
  for (const w of step.must) {
    const ok = w === 'AUTH' ? types.includes(PayloadType.HASH) || types.includes(PayloadType.SIG) : types.includes(PayloadType[w]);
    if (!ok) return 'PAYLOAD_MALFORMED';
  }
  const allowed = new Set<number>(step.may.map((n) => PayloadType[n]));
  for (const w of step.must) for (const t of w === 'AUTH' ? [PayloadType.HASH, PayloadType.SIG] : [PayloadType[w]]) allowed.add(t);
  if (types.some((t) => !allowed.has(t))) return 'INVALID_PAYLOAD_TYPE';
  for (const single of [PayloadType.SA, PayloadType.KEY_EXCH, PayloadType.NONCE, PayloadType.HASH]) {
    if (types.filter((x) => x === single).length > 1) return 'PAYLOAD_MALFORMED';
  }
  return undefined;
}

const STEPS = [...MAIN_MODE, ...AGGRESSIVE_MODE, ...QUICK_MODE];
const TYPES = [PayloadType.SA, PayloadType.KEY_EXCH, PayloadType.ID, PayloadType.CERT, PayloadType.CERT_REQ, PayloadType.HASH, PayloadType.SIG,
  PayloadType.NONCE, PayloadType.NOTIFY, PayloadType.DELETE, PayloadType.VENDOR, PayloadType.NAT_D, PayloadType.NAT_OA, 99];

describe('ike/scripts: payloads per step', () => {
  it('checkStep gives the verdict of a direct reading of the step, for any payload list', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STEPS), fc.array(fc.constantFrom(...TYPES), { maxLength: 7 }), fc.boolean(), (step, types, enc) => {
        assert.equal(checkStep(step, types, enc)?.notify, reference(step, types, enc), `${JSON.stringify(step)} ${types}`);
      }),
      { numRuns: 3000, seed: 2408 },
    );
  });

  it('Main Mode message 5: ID with HASH or SIG; a second HASH, a missing ID or a KE is refused', () => {
    const m5 = MAIN_MODE[4]!;
    assert.equal(checkStep(m5, [PayloadType.ID, PayloadType.HASH], true), undefined);
    assert.equal(checkStep(m5, [PayloadType.ID, PayloadType.CERT, PayloadType.SIG], true), undefined);
    assert.equal(checkStep(m5, [PayloadType.ID, PayloadType.HASH], false)?.notify, 'INVALID_FLAGS');
    assert.equal(checkStep(m5, [PayloadType.ID, PayloadType.HASH, PayloadType.HASH], true)?.notify, 'PAYLOAD_MALFORMED');
    assert.equal(checkStep(m5, [PayloadType.HASH], true)?.reason, 'missing ID payload');
    assert.equal(checkStep(m5, [PayloadType.ID], true)?.reason, 'missing AUTH payload');
    assert.equal(checkStep(m5, [PayloadType.ID, PayloadType.HASH, PayloadType.KEY_EXCH], true)?.notify, 'INVALID_PAYLOAD_TYPE');
  });
});
