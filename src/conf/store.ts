// The binding store: isakmpd's conf_bindings as an immutable-by-convention value. Sections and tags match
// case-insensitively; the first spelling seen is kept for display. Each binding remembers whether it is a
// built-in default and where it came from. Names of auto-generated transforms and suites are answered lazily
// from autogen.ts (isakmpd loads all of them as defaults; generating on demand gives the same answers).
import { generateSection } from './autogen.js';

export interface Origin {
  file: string;
  line: number;
}

export interface Binding {
  section: string;
  tag: string;
  value: string;
  isDefault: boolean;
  /** True when the value comes from an auto-generated transform or suite name. */
  generated: boolean;
  origin: Origin;
}

interface SectionEntry {
  name: string;
  tags: Map<string, Binding>;
}

export const DEFAULTS_ORIGIN: Origin = { file: '<defaults>', line: 0 };
export const GENERATED_ORIGIN: Origin = { file: '<generated>', line: 0 };

const key = (s: string): string => s.toLowerCase();

export class Store {
  private readonly secs: Map<string, SectionEntry>;
  /** Generated sections that a run-time change touched: they now live in `secs` and lazy lookup stops. */
  private readonly materialized: Set<string>;

  constructor(secs?: Map<string, SectionEntry>, materialized?: Set<string>) {
    this.secs = secs ?? new Map();
    this.materialized = materialized ?? new Set();
  }

  clone(): Store {
    const secs = new Map<string, SectionEntry>();
    for (const [k, e] of this.secs) secs.set(k, { name: e.name, tags: new Map(e.tags) });
    return new Store(secs, new Set(this.materialized));
  }

  private lazy(section: string): Map<string, string> | null {
    if (this.materialized.has(key(section))) return null;
    return generateSection(section);
  }

  get(section: string, tag: string): Binding | undefined {
    const b = this.secs.get(key(section))?.tags.get(key(tag));
    if (b) return b;
    const gen = this.lazy(section);
    if (!gen) return undefined;
    for (const [t, v] of gen) {
      if (key(t) === key(tag)) return { section, tag: t, value: v, isDefault: true, generated: true, origin: GENERATED_ORIGIN };
    }
    return undefined;
  }

  /** Stored sections (file and built-in defaults) in insertion order; lazily generated ones are not listed. */
  sectionNames(): string[] {
    return [...this.secs.values()].filter((e) => e.tags.size > 0).map((e) => e.name);
  }

  hasStored(section: string): boolean {
    return (this.secs.get(key(section))?.tags.size ?? 0) > 0;
  }

  isGeneratedName(section: string): boolean {
    return this.lazy(section) !== null;
  }

  has(section: string): boolean {
    return this.hasStored(section) || this.isGeneratedName(section);
  }

  /** All bindings of a section: stored ones in insertion order, then generated tags not overridden. */
  bindings(section: string): Binding[] {
    const out: Binding[] = [...(this.secs.get(key(section))?.tags.values() ?? [])];
    const gen = this.lazy(section);
    if (gen) {
      const seen = new Set(out.map((b) => key(b.tag)));
      for (const [t, v] of gen) if (!seen.has(key(t))) out.push({ section, tag: t, value: v, isDefault: true, generated: true, origin: GENERATED_ORIGIN });
    }
    return out;
  }

  /**
   * conf_set_now: with override the old binding goes first; without it an existing binding (user or default)
   * wins. Returns the binding that was kept when the set was refused, so callers can report the duplicate.
   */
  setNow(section: string, tag: string, value: string, override: boolean, isDefault: boolean, origin: Origin): Binding | null {
    const k = key(section);
    let e = this.secs.get(k);
    const existing = e?.tags.get(key(tag));
    if (existing && !override) return existing;
    if (!e || e.tags.size === 0) {
      e = { name: section, tags: new Map() };
      this.secs.set(k, e);
    }
    if (existing) e.tags.delete(key(tag));
    e.tags.set(key(tag), { section: e.name, tag, value, isDefault, generated: false, origin });
    return null;
  }

  /** conf_remove_now; true when something was removed. */
  removeNow(section: string, tag: string): boolean {
    const e = this.secs.get(key(section));
    return e ? e.tags.delete(key(tag)) : false;
  }

  /** conf_remove_section_now; true when something was removed. */
  removeSectionNow(section: string): boolean {
    const e = this.secs.get(key(section));
    if (!e || e.tags.size === 0) return false;
    this.secs.delete(key(section));
    return true;
  }

  /**
   * Before a run-time change touches a generated section, copy its values in as defaults so the change has
   * isakmpd's effect (for example `C rm` of a generated tag really removes it until the next reload).
   * Loading a file never calls this: there the file's values simply win over generated ones tag by tag.
   */
  materialize(section: string): void {
    const gen = this.lazy(section);
    if (!gen) return;
    this.materialized.add(key(section));
    const k = key(section);
    let e = this.secs.get(k);
    if (!e) {
      e = { name: section, tags: new Map() };
      this.secs.set(k, e);
    }
    for (const [t, v] of gen) {
      if (!e.tags.has(key(t))) e.tags.set(key(t), { section: e.name, tag: t, value: v, isDefault: true, generated: true, origin: GENERATED_ORIGIN });
    }
  }
}
