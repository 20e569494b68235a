#!/usr/bin/env node
// isakmpctl: one binary, one module per subcommand under ./isakmpctl/, so each piece stays small.
import { realMain } from './main.js';

type Sub = { run(argv: string[]): Promise<number> };
const SUBCOMMANDS: Record<string, () => Promise<Sub>> = {
  decode: () => import('./isakmpctl/decode.js'),
  'check-config': () => import('./isakmpctl/check-config.js'),
  'policy-test': () => import('./isakmpctl/policy-test.js'),
  show: () => import('./isakmpctl/control.js'),
  connect: () => import('./isakmpctl/control.js'),
  teardown: () => import('./isakmpctl/control.js'),
  reload: () => import('./isakmpctl/control.js'),
  debug: () => import('./isakmpctl/control.js'),
};

const USAGE = `usage: isakmpctl [-s SOCK] [-j] COMMAND [ARGS]
commands:
  decode [-j] [--keys FILE] CAPTURE     print the ISAKMP messages in a pcap/pcapng file
  check-config [-c FILE] [--dump] [-j]  validate an isakmpd.conf without a daemon
  policy-test [...]                     evaluate the KeyNote policy against a described SA
  show sa|flows|peers|stats|config      state of the running daemon
  connect NAME | teardown NAME|ADDR | reload | debug CLASS LEVEL`;

realMain(async (argv) => {
  // Global options may precede the command; control subcommands re-read them from the full argv.
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) i += argv[i] === '-s' ? 2 : 1;
  const cmd = argv[i];
  if (!cmd || cmd === 'help' || cmd === '-h' || cmd === '--help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const load = SUBCOMMANDS[cmd];
  if (!load) {
    console.error(`isakmpctl: unknown command '${cmd}'\n${USAGE}`);
    return 2;
  }
  const sub = await load();
  // decode, check-config and policy-test take their own options after the command name;
  // control commands get the whole argv so they see -s/-j given before the command.
  return sub.run(['decode', 'check-config', 'policy-test'].includes(cmd) ? [...argv.slice(0, i), ...argv.slice(i + 1)] : argv);
});
