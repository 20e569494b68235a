// isakmpd's main, loaded by isakmpd.js once the process has its V8 flags: the IKEv1 key management daemon
// (isakmpd(8) flags). Runs in the foreground; -d sends the log to stderr (it always goes there; without -d,
// SIGINT is ignored as a detached isakmpd would be).
import { parseArgs, USAGE } from '../daemon/args.js';
import { IsakmpDaemon } from '../daemon/daemon.js';
import { realMain } from './main.js';

realMain(async (argv) => {
  const opts = parseArgs(argv);
  if (typeof opts === 'string') {
    console.error(`isakmpd: ${opts}\n${USAGE}`);
    return 2;
  }
  const d = new IsakmpDaemon(opts);
  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  try {
    await d.start(done);
  } catch (err) {
    await d.stop(1).catch(() => undefined);
    throw err;
  }
  process.on('SIGTERM', () => void d.stop(0));
  // -d once: SIGINT shuts down cleanly; -dd leaves SIGINT's default (immediate exit), as isakmpd does.
  if (opts.foreground === 1) process.on('SIGINT', () => void d.stop(0));
  else if (opts.foreground === 0) process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => void d.fifoCommand({ cmd: 'reload' }));
  process.on('SIGUSR1', () => void d.fifoCommand({ cmd: 'report', file: opts.reportFile }));
  const code = await finished;
  if (process.env.OAKLEY_DEBUG) console.error('active handles at exit:', (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().map((h) => (h as object).constructor.name));
  // Leave no straggling handle (a FIFO opened read-write never reports EOF) between us and the exit.
  process.exit(code);
});
