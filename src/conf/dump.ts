// The effective configuration, written back in isakmpd.conf syntax or as JSON: the file's sections, then
// the built-in defaults, then every auto-generated section the configuration refers to. Order is stable:
// load order for stored sections and tags, discovery order for generated ones.
import type { Config } from './config.js';
import type { Binding } from './store.js';
import { splitList } from './values.js';

export type SectionOrigin = 'file' | 'default' | 'generated';

export interface EffectiveSection {
  name: string;
  origin: SectionOrigin;
  bindings: Binding[];
}

/** Tags whose values name other sections, followed to find the generated sections in use. */
const REFERENCE_TAGS = new Set(['transforms', 'suites', 'protocols', 'default-phase-2-suites', 'life', 'configuration']);

export function effectiveSections(c: Config): EffectiveSection[] {
  const out: EffectiveSection[] = [];
  const seen = new Set<string>();
  for (const name of c.sections()) {
    const bindings = c.sectionBindings(name);
    seen.add(name.toLowerCase());
    out.push({ name, origin: bindings.some((b) => !b.isDefault) ? 'file' : 'default', bindings });
  }
  // Breadth-first over references so a suite comes before its protocol and transform.
  for (let i = 0; i < out.length; i++) {
    for (const b of out[i]!.bindings) {
      if (!REFERENCE_TAGS.has(b.tag.toLowerCase())) continue;
      for (const ref of splitList(b.value).items) {
        if (seen.has(ref.toLowerCase()) || !c.store.isGeneratedName(ref) || c.store.hasStored(ref)) continue;
        seen.add(ref.toLowerCase());
        out.push({ name: ref, origin: 'generated', bindings: c.sectionBindings(ref) });
      }
    }
  }
  const rank: Record<SectionOrigin, number> = { file: 0, default: 1, generated: 2 };
  return out.map((s, i) => ({ s, i })).sort((a, b) => rank[a.s.origin] - rank[b.s.origin] || a.i - b.i).map((x) => x.s);
}

export interface DumpOptions {
  /** Leave out built-in defaults and generated values: what isakmpd's `r` report and SIGUSR1 dump print. */
  withoutDefaults?: boolean;
}

export function dumpConfig(c: Config, opts: DumpOptions = {}): string {
  const lines: string[] = [];
  const src = c.files.length ? c.files.join(', ') : 'built-in defaults';
  lines.push(`# Effective configuration from ${src}, as isakmpd reads it.`);
  let part: SectionOrigin | undefined;
  const titles: Record<SectionOrigin, string> = {
    file: '# ---- sections from the file (built-in defaults they inherit are listed after a comment) ----',
    default: '# ---- built-in defaults ----',
    generated: '# ---- auto-generated transforms and suites referenced above ----',
  };
  for (const s of effectiveSections(c)) {
    if (opts.withoutDefaults && s.origin !== 'file') continue;
    if (s.origin !== part) {
      part = s.origin;
      lines.push('', titles[part]);
    }
    lines.push('', `[${s.name}]`);
    let inDefaults = s.origin !== 'file';
    for (const b of s.bindings) {
      if (opts.withoutDefaults && b.isDefault) continue;
      if (b.isDefault && !inDefaults) {
        inDefaults = true;
        lines.push(b.generated ? '# generated for this name:' : '# built-in defaults:');
      }
      lines.push(`${b.tag}=${b.value}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function configToJson(c: Config, opts: DumpOptions = {}): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const s of effectiveSections(c)) {
    if (opts.withoutDefaults && s.origin !== 'file') continue;
    const tags: Record<string, string> = {};
    for (const b of s.bindings) if (!(opts.withoutDefaults && b.isDefault)) tags[b.tag] = b.value;
    out[s.name] = tags;
  }
  return out;
}
