// OpenSSL 3 keeps DES, Blowfish and CAST in its legacy provider, which node does not load by default.
// isakmpd offers whatever the file names; we can only offer what this process can run, so every
// referenced legacy cipher that OpenSSL cannot load is reported where it is configured, with the fix.
import { PHASE1_CIPHERS, ESP_CIPHERS, cipherAvailable, LEGACY_PROVIDER_HINT } from '../crypto/index.js';
import type { Config } from './config.js';
import type { Diagnostic } from './diagnostics.js';
import type { Binding } from './store.js';
import { effectiveSections } from './dump.js';
import { splitList } from './values.js';

/** The check, by the name the configuration uses for the algorithm. */
const LEGACY_BY_TAG: Record<string, Map<string, () => boolean>> = {
  encryption_algorithm: new Map(
    PHASE1_CIPHERS.filter((c) => c.legacy).map((c) => [c.name, () => cipherAvailable(c.openssl(c.defaultKeyBits), c.defaultKeyBits / 8, c.blockSize)]),
  ),
  transform_id: new Map(
    ESP_CIPHERS.filter((c) => c.legacy).map((c) => [c.name, () => cipherAvailable(c.openssl(c.keyBits[0]!), c.keyBits[0]! / 8, c.ivBytes)]),
  ),
};

/** Warnings for each section the configuration uses that names a legacy cipher OpenSSL cannot run here. */
export function legacyCipherDiagnostics(c: Config): Diagnostic[] {
  const out: Diagnostic[] = [];
  const sections = effectiveSections(c);
  // A generated section has no line of its own: point at the line that names it (a suite's protocol
  // and transform are named by the generated suite, so follow the chain back to the file).
  const referredFrom = new Map<string, Binding['origin']>();
  for (const s of sections) {
    for (const b of s.bindings) {
      const at = b.generated ? referredFrom.get(s.name.toLowerCase()) ?? b.origin : b.origin;
      for (const name of splitList(b.value).items) if (!referredFrom.has(name.toLowerCase())) referredFrom.set(name.toLowerCase(), at);
    }
  }
  for (const s of sections) {
    for (const b of s.bindings) {
      const usable = LEGACY_BY_TAG[b.tag.toLowerCase()]?.get(b.value.trim().toUpperCase());
      if (!usable || usable()) continue;
      const at = b.generated ? referredFrom.get(s.name.toLowerCase()) ?? b.origin : b.origin;
      out.push({
        severity: 'warning',
        file: at.file,
        line: at.line,
        section: s.name,
        tag: b.tag,
        message: `${b.value} is not available in this process, so this transform will not be offered or accepted`,
        hint: LEGACY_PROVIDER_HINT,
        code: 'legacy-cipher-unavailable',
      });
    }
  }
  return out;
}
