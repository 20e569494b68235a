// Waiting on the outside world without fixed sleeps: poll a condition until it holds or a deadline passes.

export interface PollOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when the deadline passes. */
  what: string;
}

export class PollTimeout extends Error {}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `probe` until it returns a value other than undefined/false/null, and returns that value.
 * A probe that throws counts as "not yet"; its last error is reported when the deadline passes.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: PollOptions,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new PollTimeout(`timed out after ${timeoutMs} ms waiting for ${opts.what}${why}`);
    }
    await pause(intervalMs);
  }
}
