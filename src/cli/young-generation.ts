// V8's young generation for the daemon: 64 MiB semi-spaces instead of Node's 16 MiB. A negotiation's state
// lives as long as its exchange, hundreds of milliseconds when a gateway takes handshakes by the hundred;
// with 16 MiB semi-spaces that state is copied from one semi-space to the other, promoted, and then found
// again by full collections of the old generation. With 64 MiB most of it dies young. V8 reads the size only
// when the process starts, so isakmpd re-executes itself once, in place, with the flag added: execve(2) keeps
// the PID that -i wrote and that supervisors watch, and the open descriptors. OAKLEY_SEMI_SPACE_MB=0 keeps
// Node's default; another number sets that size. Under a burst of handshakes resident memory may grow by up
// to twice the size; V8 gives the young generation back when the daemon is idle.
import { createRequire } from 'node:module';

const FLAG = '--max-semi-space-size';
export const DEFAULT_SEMI_SPACE_MB = 64;

/**
 * The flag to add, or undefined when the process needs none: the size is set already (on the command line or
 * in NODE_OPTIONS), the operator turned it off, or the variable is not a size.
 */
export function semiSpaceFlag(env: NodeJS.ProcessEnv, execArgv: readonly string[]): string | undefined {
  if (execArgv.some((a) => a === FLAG || a.startsWith(`${FLAG}=`))) return undefined;
  if ((env['NODE_OPTIONS'] ?? '').includes(FLAG)) return undefined;
  const v = env['OAKLEY_SEMI_SPACE_MB'];
  const mb = v === undefined || v === '' ? DEFAULT_SEMI_SPACE_MB : Number(v);
  if (!Number.isInteger(mb) || mb <= 0 || mb > 1024) return undefined;
  return `${FLAG}=${mb}`;
}

const F_SETFD = 2;

/**
 * Replaces this process with node running the same script and arguments plus the semi-space flag. Returns only
 * when nothing needs doing or the exec could not happen (then the daemon runs with Node's default); must run
 * before anything writes to stdout or stderr, and before the daemon opens a file or socket.
 */
export function reexecWithYoungGeneration(): void {
  const flag = semiSpaceFlag(process.env, process.execArgv);
  if (!flag || process.argv[1] === undefined) return;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as { load(p: string): { func(d: string): (...a: unknown[]) => number } };
    const libc = koffi.load('libc.so.6');
    const execve = libc.func('int execve(const char *path, const char **argv, const char **envp)');
    const fcntl = libc.func('int fcntl(int fd, int cmd, int arg)');
    // Node marks stdin, stdout and stderr close-on-exec at start-up; the new image must get them.
    for (const fd of [0, 1, 2]) fcntl(fd, F_SETFD, 0);
    const argv = [process.execPath, ...process.execArgv, flag, ...process.argv.slice(1), null];
    const envp = [...Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`), null];
    execve(process.execPath, argv, envp);
    // Still here: the exec failed. Put the marks back and carry on with Node's default size.
    for (const fd of [0, 1, 2]) fcntl(fd, F_SETFD, 1);
  } catch {
    // koffi or libc not loadable here: Node's default size
  }
}
