// The one timing loop every benchmark uses: operations per second over about `ms` milliseconds.

/** Runs `op` repeatedly for about `ms` milliseconds (after one warm-up call, at least 3 times). */
export function rate(ms: number, op: () => void): number {
  op();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (n < 3 || t - t0 < ms) {
    op();
    n++;
    // Reading the clock costs about as much as a cheap op: read it every few iterations once warmed up.
    if ((n & 3) === 0 || n < 8) t = performance.now();
  }
  return (n * 1000) / (performance.now() - t0);
}
