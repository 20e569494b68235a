// isakmpctl policy-test: evaluate a policy file against a described SA without a daemon, and say
// which assertion decided (or came closest) and why.
import { buildActionAttributes, buildPhase1Attributes, ISAKMPD_ATTRIBUTE_NAMES, type Phase1DecisionInput, type QuickModeDecisionInput } from '../isakmpd/attributes.js';
import { checkQuickMode, principalsForPsk } from '../isakmpd/check.js';
import { DEFAULT_POLICY_FILE, hasErrors, loadPolicyFile } from '../isakmpd/policy-file.js';
import { formatDiagnostic } from '../errors.js';
import { readText, UsageError, type Out } from './io.js';

export const POLICY_TEST_USAGE = `usage: isakmpctl policy-test [-p POLICY] [-J FILE] [--passphrase PSK]... [--principal P]...
                            [--phase1] [-j] [-v] [name=value ...]
  -p FILE         policy file (default ${DEFAULT_POLICY_FILE})
  -J FILE         SA description as JSON: either {"attributes": {...}} / a flat name->value map, or a
                  Quick Mode description {"phase1": {...}, "protocols": [...], ...} (see docs)
  --passphrase S  requester is a pre-shared key (adds passphrase:, -md5-hex:, -sha1-hex: principals)
  --principal P   a requesting principal as written in policies ("DN:/CN=peer", "rsa-hex:...")
  --phase1        the -J description is a Phase 1 check (phase = "1")
  -j              print the result as JSON
  -v              also print the action attributes used
  name=value      set or override one action attribute`;

/** Fixed values isakmpd always supplies, so a hand-written attribute list need not repeat them. */
function baseAttributes(now: Date): Record<string, string> {
  const r: Record<string, string> = {};
  for (const n of ISAKMPD_ATTRIBUTE_NAMES) r[n] = '';
  for (const n of ['esp_present', 'ah_present', 'comp_present', 'pfs', 'esp_ecn', 'ah_ecn', 'comp_ecn']) r[n] = 'no';
  r.app_domain = 'IPsec policy';
  r.doi = 'ipsec';
  const p = (x: number, w = 2): string => String(x).padStart(w, '0');
  r.GMTTimeOfDay = `${p(now.getUTCFullYear(), 4)}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  r.LocalTimeOfDay = `${p(now.getFullYear(), 4)}${p(now.getMonth() + 1)}${p(now.getDate())}${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return r;
}

export async function policyTestCommand(argv: string[], io: Out): Promise<number> {
  let file = DEFAULT_POLICY_FILE;
  let json: string | undefined;
  let asJson = false;
  let verbose = false;
  let phase1 = false;
  const requesters: string[] = [];
  const overrides: Record<string, string> = {};
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const arg = (): string => {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs an argument`);
        return v;
      };
      if (a === '-p') file = arg();
      else if (a === '-J') json = arg();
      else if (a === '--passphrase') requesters.push(...principalsForPsk(arg()));
      else if (a === '--principal') requesters.push(arg());
      else if (a === '--phase1') phase1 = true;
      else if (a === '-j') asJson = true;
      else if (a === '-v') verbose = true;
      else if (a === '-h' || a === '--help') {
        io.out(POLICY_TEST_USAGE);
        return 0;
      } else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
        const eq = a.indexOf('=');
        overrides[a.slice(0, eq)] = a.slice(eq + 1);
      } else throw new UsageError(`unexpected argument '${a}'`);
    }
    if (requesters.length === 0) throw new UsageError('give the requester: --passphrase PSK or --principal P');

    let attrs = baseAttributes(new Date());
    if (json !== undefined) {
      let doc: unknown;
      try {
        doc = JSON.parse(readText(json));
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`${json}: not valid JSON: ${(e as Error).message}`);
      }
      if (!doc || typeof doc !== 'object') throw new UsageError(`${json}: expected a JSON object`);
      const o = doc as Record<string, unknown>;
      if (phase1) attrs = buildPhase1Attributes(reviveDates(o) as unknown as Phase1DecisionInput);
      else if ('phase1' in o) attrs = buildActionAttributes(reviveDates(o) as unknown as QuickModeDecisionInput);
      else {
        const flat = (o.attributes && typeof o.attributes === 'object' ? o.attributes : o) as Record<string, unknown>;
        for (const [k, v] of Object.entries(flat)) attrs[k] = String(v);
      }
    } else if (phase1) attrs.phase = '1';
    Object.assign(attrs, overrides);

    const load = loadPolicyFile(file);
    for (const d of load.diagnostics) io.err(formatDiagnostic(d));
    if (hasErrors(load.diagnostics)) {
      io.err(`isakmpctl policy-test: ${file} has errors; isakmpd would not start with it`);
      return 2;
    }
    const d = checkQuickMode(load.policy, attrs, requesters);
    if (asJson) io.out(JSON.stringify({ result: d.value, allowed: d.allowed, explanation: d.explanation, ...(verbose ? { attributes: attrs } : {}) }, null, 2));
    else {
      if (verbose) for (const [k, v] of Object.entries(attrs).sort()) io.out(`  ${k} = ${JSON.stringify(v)}`);
      io.out(`Query result = ${d.value}`);
      io.out(d.explanation);
    }
    return d.allowed ? 0 : 1;
  } catch (e) {
    io.err(`isakmpctl policy-test: ${(e as Error).message}`);
    return 2;
  }
}

function reviveDates(o: Record<string, unknown>): Record<string, unknown> {
  return typeof o.now === 'string' ? { ...o, now: new Date(o.now) } : o;
}
