// The FIFO user interface (isakmpd ui.c): one command per line, selected by its first character.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export type FifoCommand =
  | { cmd: 'connect'; name: string }
  | { cmd: 'config'; line: string }
  | { cmd: 'delete'; icookie: string; rcookie: string; messageId?: number }
  | { cmd: 'debug'; spec: string }
  | { cmd: 'debug-toggle' }
  | { cmd: 'mode'; passive: boolean }
  | { cmd: 'pcap'; on: boolean; path?: string }
  | { cmd: 'quit' }
  | { cmd: 'reload' }
  | { cmd: 'report'; file?: string }
  | { cmd: 'sa-dump' }
  | { cmd: 'teardown'; phase: 1 | 2; target: string }
  | { cmd: 'teardown-all' };

const word = (s: string): string => s.slice(0, 200);

/** Parses one line; a string result is the message isakmpd would log. */
export function parseFifoLine(raw: string): FifoCommand | string | undefined {
  const line = raw.replace(/\r$/, '');
  if (line.trim() === '') return undefined;
  const args = line.slice(1).trim().split(/\s+/).filter(Boolean).map(word);
  switch (line[0]) {
    case 'c':
      return args[0] ? { cmd: 'connect', name: args[0] } : 'c: connection name missing';
    case 'C':
      return { cmd: 'config', line: line.trim() }; // the conf module parses the whole line, C included
    case 'd': {
      const [cookies, mid] = args;
      if (!cookies || !/^[0-9a-fA-F]{32}$/.test(cookies)) return 'd: want <icookie rcookie as 32 hex digits> <message id or ->';
      if (mid !== undefined && mid !== '-' && !/^[0-9a-fA-F]{1,8}$/.test(mid)) return `d: bad message id '${mid}'`;
      return {
        cmd: 'delete', icookie: cookies.slice(0, 16).toLowerCase(), rcookie: cookies.slice(16).toLowerCase(),
        ...(mid && mid !== '-' ? { messageId: parseInt(mid, 16) } : {}),
      };
    }
    case 'D':
      if (args[0] === 'T' && args.length === 1) return { cmd: 'debug-toggle' };
      if (args.length !== 2) return 'D: want <class> <level>, A <level> or T';
      return { cmd: 'debug', spec: `${args[0]}=${args[1]}` };
    case 'M':
      if (args[0] === 'active' || args[0] === 'passive') return { cmd: 'mode', passive: args[0] === 'passive' };
      return 'M: want active or passive';
    case 'p':
      if (args[0] === 'off') return { cmd: 'pcap', on: false };
      if (args[0] === 'on') return { cmd: 'pcap', on: true };
      if (args[0]?.startsWith('on=')) return { cmd: 'pcap', on: true, path: args[0].slice(3) };
      return 'p: want on, on=<path> or off';
    case 'Q':
      return line.trim() === 'Q' ? { cmd: 'quit' } : 'unrecognized command';
    case 'R':
      return { cmd: 'reload' };
    case 'r':
      return { cmd: 'report' };
    case 'S':
      return { cmd: 'sa-dump' };
    case 't': {
      let phase: 1 | 2 = 2;
      let rest = args;
      if (rest[0] === 'main' || rest[0] === 'quick') {
        phase = rest[0] === 'main' ? 1 : 2;
        rest = rest.slice(1);
      }
      return rest[0] ? { cmd: 'teardown', phase, target: rest[0] } : 't: want [main|quick] <name or address>';
    }
    case 'T':
      return { cmd: 'teardown-all' };
    default:
      return 'unrecognized command';
  }
}

/** Creates (mode 0600) and opens the FIFO read-write, so writers coming and going never give EOF. */
export function openFifo(path: string, onLine: (line: string) => void, onError: (msg: string) => void): () => void {
  let stream: NodeJS.ReadableStream & { destroy?: () => void };
  if (path === '-') {
    stream = process.stdin;
  } else {
    try {
      const st = fs.lstatSync(path);
      if (!st.isFIFO()) throw new Error(`${path} exists and is not a FIFO; not replacing it`);
      fs.unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    execFileSync('mkfifo', ['-m', '0600', path]);
    const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    stream = new net.Socket({ fd, readable: true, writable: false });
  }
  let buf = '';
  stream.on('data', (chunk: Buffer | string) => {
    buf += chunk.toString();
    if (buf.length > 65536) buf = buf.slice(-4096);
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine(line);
    }
  });
  stream.on('error', (e: Error) => onError(`fifo: ${e.message}`));
  return () => {
    if (path !== '-') {
      stream.destroy?.();
      try {
        fs.unlinkSync(path);
      } catch {
        // gone already
      }
    }
  };
}
