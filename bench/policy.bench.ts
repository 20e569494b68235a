// KeyNote compliance checking: queries per second against 1,000 assertions forming one delegation
// chain (POLICY -> p0 -> ... -> p999 -> passphrase), each link with the Conditions a real isakmpd
// policy carries. The limit beside it is measured in the same run: evaluating those same 1,000
// Conditions programs back to back with no delegation bookkeeping, the floor any engine pays.
import { AssertionSet, evaluateQuery } from '../src/policy/compliance.js';
import { programValue } from '../src/policy/evaluate.js';
import { checkQuickMode, principalsForPsk } from '../src/policy/isakmpd/check.js';
import { parsePolicyText } from '../src/policy/isakmpd/policy-file.js';

const N = 1000;
const CONDITIONS = 'app_domain == "IPsec policy" && esp_present == "yes" && esp_enc_alg != "null" && (esp_enc_alg == "aes" || esp_enc_alg == "3des") -> "true";';

function chainPolicy(): string {
  const parts = ['Authorizer: "POLICY"\nLicensees: "p0"\nConditions: ' + CONDITIONS];
  for (let i = 0; i < N - 2; i++) parts.push(`Authorizer: "p${i}"\nLicensees: "p${i + 1}"\nConditions: ${CONDITIONS}`);
  parts.push(`Authorizer: "p${N - 2}"\nLicensees: "passphrase-sha1-hex:8843d7f92416211de9ebb963ff4ce28125932878"\nConditions: ${CONDITIONS}`);
  return parts.join('\n\n');
}

function rate(fn: () => void, ms: number, maxIter = 100000): { perSec: number; iters: number } {
  fn(); // warm up
  const start = process.hrtime.bigint();
  let iters = 0;
  let elapsed = 0;
  while (iters < maxIter) {
    fn();
    iters++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (elapsed >= ms) break;
  }
  return { perSec: (iters * 1000) / elapsed, iters };
}

export async function bench(): Promise<void> {
  const attrs = { app_domain: 'IPsec policy', esp_present: 'yes', esp_enc_alg: 'aes' };
  const t0 = process.hrtime.bigint();
  const { policy, diagnostics } = parsePolicyText(chainPolicy(), 'chain.policy');
  const parseMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (diagnostics.some((d) => d.severity === 'error') || policy.assertions.length !== N) throw new Error('bench policy did not parse');
  const req = principalsForPsk('foobar');
  const ok = checkQuickMode(policy, attrs, req);
  if (!ok.allowed) throw new Error(`bench query refused: ${ok.explanation}`);

  const q = rate(() => {
    if (evaluateQuery(policy.set, { values: ['false', 'true'], authorizers: req, attributes: attrs }).index !== 1) throw new Error('refused');
  }, 2000);
  // The floor: the same Conditions, evaluated directly.
  const ctx = evaluateQuery(new AssertionSet(), { values: ['false', 'true'], authorizers: req, attributes: attrs }).context;
  const scopes = policy.assertions.map((a) => ({ clauses: a.conditions!, scope: ctx.scope(a) }));
  const floor = rate(() => {
    for (const s of scopes) if (programValue(s.clauses, s.scope) !== 1) throw new Error('floor');
  }, 1000);
  // A wrong key walks the whole chain and finds nobody; the explanation is read, as a log line would.
  const wrong = principalsForPsk('wrong');
  const refused = rate(() => {
    const d = checkQuickMode(policy, attrs, wrong);
    if (d.allowed || d.explanation.length === 0) throw new Error('refusal');
  }, 1000);

  console.log(`policy parse, ${N} assertions: ${parseMs.toFixed(1)} ms`);
  console.log(`queries/s, ${N}-assertion delegation chain (granted): ${q.perSec.toFixed(0)}  [limit: ${floor.perSec.toFixed(0)}/s = the ${N} Conditions alone; ratio ${(q.perSec / floor.perSec).toFixed(2)}]`);
  console.log(`refusals/s (unknown key, explanation read), same chain: ${refused.perSec.toFixed(0)}`);
}
