// The engine's timers: a binary min-heap of (time, key) pairs in two parallel arrays, so that a tick finds
// what is due in O(log n) per entry instead of scanning every SA a gateway holds. Keys are the initiator
// cookies (hex) that group an ISAKMP SA with its Quick Modes and IPsec SAs. The heap holds no records, only
// times: the engine works out a group's next time from the records themselves and queues it again after
// every change, and an entry that no longer matches is skipped (see IkeEngine.requeue).
export class TimerHeap {
  private readonly at: number[] = [];
  private readonly key: string[] = [];

  get size(): number {
    return this.at.length;
  }

  /** The earliest time queued (undefined when empty) and its key. */
  get topAt(): number | undefined {
    return this.at[0];
  }

  get topKey(): string | undefined {
    return this.key[0];
  }

  push(at: number, key: string): void {
    let i = this.at.length;
    this.at.push(at);
    this.key.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.at[parent]! <= at) break;
      this.at[i] = this.at[parent]!;
      this.key[i] = this.key[parent]!;
      i = parent;
    }
    this.at[i] = at;
    this.key[i] = key;
  }

  /** Removes the earliest entry. */
  pop(): void {
    const n = this.at.length - 1;
    if (n < 0) return;
    const at = this.at[n]!;
    const key = this.key[n]!;
    this.at.length = n;
    this.key.length = n;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.at[c + 1]! < this.at[c]!) c++;
      if (this.at[c]! >= at) break;
      this.at[i] = this.at[c]!;
      this.key[i] = this.key[c]!;
      i = c;
    }
    this.at[i] = at;
    this.key[i] = key;
  }

  clear(): void {
    this.at.length = 0;
    this.key.length = 0;
  }
}
