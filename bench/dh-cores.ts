// The DH-bound limit when two daemons run at once: each core does DH while the other does too. A core alone
// runs DH a few per cent faster than two busy cores do (shared caches, memory bandwidth, clock), and two
// daemon processes on two cores can never do better than the latter. The other cores' measurements run in
// processes of their own, as the daemons do (threads of one process would also share its allocator and
// OpenSSL's locks). The processes stay up between measurements, so that a benchmark can take many short ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { measureDhLimit } from './crypto.bench.js';

const CHILD = '--dh-core';

if (process.argv[2] === CHILD) {
  const group = Number(process.argv[3]);
  measureDhLimit(group, 100); // warm, then say so
  process.stdout.write('ready\n');
  // One line per measurement: its length in milliseconds; the answer is handshakes per second.
  createInterface({ input: process.stdin }).on('line', (ms) => process.stdout.write(`${measureDhLimit(group, Number(ms))}\n`));
  process.stdin.on('end', () => process.exit(0));
}

/** DH measured on `cores` cores at the same time: this process and cores - 1 helpers. */
export class DhCores {
  private constructor(
    private readonly group: number,
    private readonly children: ChildProcess[],
    private readonly lines: AsyncIterator<string>[],
  ) {}

  static async open(group: number, cores: number): Promise<DhCores> {
    const children = Array.from({ length: cores - 1 }, () =>
      spawn(process.execPath, [fileURLToPath(import.meta.url), CHILD, String(group)], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const d = new DhCores(group, children, children.map((c) => createInterface({ input: c.stdout! })[Symbol.asyncIterator]()));
    try {
      await Promise.all(d.lines.map(next)); // each has warmed up
      measureDhLimit(group, 100);
    } catch (e) {
      d.close();
      throw e;
    }
    return d;
  }

  /** Handshakes per second that DH allows on each core, all measured over the same `ms`. */
  async measure(ms: number): Promise<number[]> {
    const results = Promise.all(this.lines.map(next));
    for (const c of this.children) c.stdin!.write(`${ms}\n`);
    const mine = measureDhLimit(this.group, ms);
    return [mine, ...(await results).map(Number)];
  }

  close(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

async function next(it: AsyncIterator<string>): Promise<string> {
  const r = await it.next();
  if (r.done) throw new Error('a DH measuring process exited early');
  return r.value;
}
