// Shared entry wrapper for the binaries: exit codes from the command, and a clean message (no stack)
// for anything unexpected so an operator sees one line, not a trace.
export function realMain(fn: (argv: string[]) => Promise<number>): void {
  fn(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const msg = err instanceof Error ? err.message : String(err);
      console.error(`${process.argv[1]?.split('/').pop() ?? 'oakley'}: ${msg}`);
      if (process.env.OAKLEY_DEBUG && err instanceof Error) console.error(err.stack);
      process.exitCode = 1;
    },
  );
}
