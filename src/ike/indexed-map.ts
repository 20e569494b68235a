// A Map that also keeps secondary indexes (value groups by a key derived from the value), updated on set
// and delete, so "all SAs with this peer" is a lookup instead of a scan over every SA. The derived key of a
// value must not change while it is in the map.
export class IndexedMap<K, V> extends Map<K, V> {
  // A group of one holds the value itself: most groups (one peer, one connection) have a single member,
  // and a Set per group would cost more than the record it indexes.
  private readonly idx: { of: (v: V) => string; groups: Map<string, V | Set<V>> }[] = [];

  /**
   * Adds an index; returns a lookup function for it (a copy of the group, safe to change the map while
   * going through it) with `each`, which visits the group in place and allocates nothing (the map must not
   * change meanwhile). Call before the first set().
   */
  index(of: (v: V) => string): Lookup<V> {
    const groups = new Map<string, V | Set<V>>();
    this.idx.push({ of, groups });
    const lookup = (key: string): readonly V[] => {
      const g = groups.get(key);
      return g === undefined ? EMPTY : g instanceof Set ? [...g] : [g];
    };
    lookup.each = (key: string, f: (v: V) => void): void => {
      const g = groups.get(key);
      if (g === undefined) return;
      if (g instanceof Set) g.forEach((v) => f(v));
      else f(g);
    };
    // A gateway's peers can share one address by the thousand: asking whether a group has some member must
    // not copy the group.
    lookup.some = (key: string, f: (v: V) => boolean): boolean => {
      const g = groups.get(key);
      if (g === undefined) return false;
      if (!(g instanceof Set)) return f(g);
      for (const v of g) if (f(v)) return true;
      return false;
    };
    return lookup;
  }

  /** Called with every value set (the engine notes whose timers may have moved). */
  onSet?: (v: V) => void;

  override set(k: K, v: V): this {
    this.onSet?.(v);
    const old = super.get(k);
    if (old !== undefined && old !== v) this.unindex(old);
    super.set(k, v);
    // the constructor of Map may call set before the fields exist
    const idx = this.idx ?? [];
    for (let i = 0; i < idx.length; i++) {
      const { of, groups } = idx[i]!;
      const key = of(v);
      const g = groups.get(key);
      if (g === undefined || g === v) groups.set(key, v);
      else if (g instanceof Set) g.add(v);
      else groups.set(key, new Set([g, v]));
    }
    return this;
  }

  override delete(k: K): boolean {
    const old = super.get(k);
    if (old === undefined) return false;
    this.unindex(old);
    return super.delete(k);
  }

  override clear(): void {
    for (const { groups } of this.idx) groups.clear();
    super.clear();
  }

  private unindex(v: V): void {
    for (const { of, groups } of this.idx) {
      const key = of(v);
      const g = groups.get(key);
      if (g === v) groups.delete(key);
      else if (g instanceof Set) {
        g.delete(v);
        if (g.size === 1) groups.set(key, g.values().next().value as V);
      }
    }
  }
}

const EMPTY: readonly never[] = [];

export interface Lookup<V> {
  (key: string): readonly V[];
  each(key: string, f: (v: V) => void): void;
  /** Whether some member of the group satisfies `f`; stops at the first, copies nothing. */
  some(key: string, f: (v: V) => boolean): boolean;
}
