// isakmpd(8) command line: getopt "46ac:dD:f:i:KnN:p:Ll:R:STv" plus --control PATH.
export interface DaemonOptions {
  family?: 4 | 6;
  acquireOnly: boolean;
  configFile: string;
  debug: string[];
  /** Count of -d: foreground with logging to stderr. */
  foreground: number;
  fifo: string;
  pidFile: string;
  ignorePolicy: boolean;
  pcap: boolean;
  pcapFile: string;
  natTPort: number;
  noKernel: boolean;
  port: number;
  reportFile: string;
  sync: boolean;
  noNatT: boolean;
  verbose: boolean;
  control: string;
  /** Accept a config readable by others (tests and the demo use temp copies with 0600 anyway). */
  insecure: boolean;
  /** Userspace data plane I/O: plaintext through this TUN device, ESP on raw sockets and in UDP (root). */
  tun?: string;
}

export const DEFAULT_OPTIONS: DaemonOptions = {
  acquireOnly: false,
  configFile: '/etc/isakmpd/isakmpd.conf',
  debug: [],
  foreground: 0,
  fifo: '/var/run/isakmpd.fifo',
  pidFile: '/var/run/isakmpd.pid',
  ignorePolicy: false,
  pcap: false,
  pcapFile: '/var/run/isakmpd.pcap',
  natTPort: 4500,
  noKernel: false,
  port: 500,
  reportFile: '/var/run/isakmpd.report',
  sync: false,
  noNatT: false,
  verbose: false,
  control: '/var/run/isakmpd.sock',
  insecure: false,
};

export const USAGE =
  'usage: isakmpd [-46adKLnSTv] [-c config-file] [-D class=level] [-f fifo] [-i pid-file]\n' +
  '               [-l packetlog-file] [-N udpencap-port] [-p listen-port] [-R report-file]\n' +
  '               [--control socket-path] [--tun ifname]';

const WITH_ARG = new Set(['c', 'D', 'f', 'i', 'l', 'N', 'p', 'R']);
const FLAGS = new Set(['4', '6', 'a', 'd', 'K', 'L', 'n', 'S', 'T', 'v']);

function port(v: string, flag: string): number | string {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) return `-${flag}: '${v}' is not a port number`;
  return Number(v);
}

/** Parses argv; returns a message (for stderr, with the usage) on error. */
export function parseArgs(argv: string[]): DaemonOptions | string {
  const o: DaemonOptions = { ...DEFAULT_OPTIONS, debug: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--control' || a.startsWith('--control=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) return '--control needs a path';
      o.control = v;
      continue;
    }
    if (a === '--tun' || a.startsWith('--tun=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v || !/^[A-Za-z0-9_.-]{1,15}$/.test(v)) return '--tun needs an interface name (up to 15 characters)';
      o.tun = v;
      continue;
    }
    if (a === '--insecure-config') {
      o.insecure = true;
      continue;
    }
    if (a === '--') {
      if (i + 1 < argv.length) return `unexpected argument '${argv[i + 1]}'`;
      break;
    }
    if (!a.startsWith('-') || a === '-') return `unexpected argument '${a}'`;
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      if (FLAGS.has(f)) {
        switch (f) {
          case '4': o.family = 4; break;
          case '6': o.family = 6; break;
          case 'a': o.acquireOnly = true; break;
          case 'd': o.foreground++; break;
          case 'K': o.ignorePolicy = true; break;
          case 'L': o.pcap = true; break;
          case 'n': o.noKernel = true; break;
          case 'S': o.sync = true; break;
          case 'T': o.noNatT = true; break;
          case 'v': o.verbose = true; break;
        }
        continue;
      }
      if (!WITH_ARG.has(f)) return `unknown option -${f}`;
      const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
      if (v === undefined) return `option -${f} needs an argument`;
      switch (f) {
        case 'c': o.configFile = v; break;
        case 'D': o.debug.push(v); break;
        case 'f': o.fifo = v; break;
        case 'i': o.pidFile = v; break;
        case 'l': o.pcapFile = v; o.pcap = true; break;
        case 'R': o.reportFile = v; break;
        case 'N':
        case 'p': {
          const p = port(v, f);
          if (typeof p === 'string') return p;
          if (f === 'p') o.port = p;
          else o.natTPort = p;
          break;
        }
      }
      break;
    }
  }
  return o;
}
