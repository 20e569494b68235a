// Every resource the lab creates is registered here the moment it exists, so that it is released on every
// exit path: the normal close(), a mocha after() hook, process exit, and SIGINT/SIGTERM/SIGHUP.

export interface CleanupEntry {
  what: string;
  /** Orderly release (may wait for a process to exit). */
  release: () => Promise<void>;
  /** Immediate synchronous release, used from process exit handlers where nothing async can run. */
  releaseNow: () => void;
}

const live = new Set<CleanupEntry>();
let handlersInstalled = false;

function releaseAllNow(): void {
  // Newest first: processes inside a namespace go before the namespace.
  for (const entry of [...live].reverse()) {
    try {
      entry.releaseNow();
    } catch {
      /* keep going: the rest must still be released */
    }
    live.delete(entry);
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', releaseAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      releaseAllNow();
      process.kill(process.pid, sig);
    });
  }
}

/** Registers a resource; the returned function releases it (once) and unregisters it. */
export function register(entry: CleanupEntry): () => Promise<void> {
  installHandlers();
  live.add(entry);
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    live.delete(entry);
    await entry.release();
  };
}

/** Resources not yet released (for the self-test and for diagnostics). */
export function liveResources(): string[] {
  return [...live].map((e) => e.what);
}
