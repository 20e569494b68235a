// The DH-bound limit when two daemons run at once: each core does DH while the other does too. A core alone
// runs DH a few per cent faster than two busy cores do (shared caches, memory bandwidth, clock), and two
// daemon processes on two cores can never do better than the latter. The other cores' measurements run in
// processes of their own, as the daemons do (threads of one process would also share its allocator and
// OpenSSL's locks).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { measureDhLimit } from './crypto.bench.js';

const CHILD = '--dh-core';

if (process.argv[2] === CHILD) {
  const group = Number(process.argv[3]);
  const ms = Number(process.argv[4]);
  measureDhLimit(group, 100); // warm, say so, and wait for the start
  process.stdout.write('ready\n');
  process.stdin.once('data', () => {
    process.stdout.write(`${measureDhLimit(group, ms)}\n`);
    process.exit(0);
  });
}

/** Handshakes per second that DH allows on each of `cores` cores, all measured at the same time. */
export async function measureDhLimitOnCores(group: number, ms: number, cores: number): Promise<number[]> {
  const children = Array.from({ length: cores - 1 }, () =>
    spawn(process.execPath, [fileURLToPath(import.meta.url), CHILD, String(group), String(ms)], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  try {
    const lines = children.map((c) => createInterface({ input: c.stdout })[Symbol.asyncIterator]());
    const next = async (it: AsyncIterator<string>): Promise<string> => {
      const r = await it.next();
      if (r.done) throw new Error('a DH measuring process exited early');
      return r.value;
    };
    await Promise.all(lines.map(next)); // each has warmed up
    const results = Promise.all(lines.map(next));
    for (const c of children) c.stdin.write('go\n');
    const mine = measureDhLimit(group, ms);
    return [mine, ...(await results).map(Number)];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}
