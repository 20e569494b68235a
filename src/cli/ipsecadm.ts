#!/usr/bin/env node
// ipsecadm: manual keying against a running isakmpd, over its control socket (one JSON line each way).
import net from 'node:net';
import { realMain } from './main.js';
import { parseIpsecadm, USAGE } from '../dataplane/ipsecadm.js';

const DEFAULT_SOCKET = '/var/run/isakmpd.sock';

function request(path: string, req: unknown, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply from ${path}`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)));
      } catch {
        reject(new Error('malformed reply from the daemon'));
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `cannot connect to ${path}: is isakmpd running?` : e.message));
    });
  });
}

export async function run(argv: string[]): Promise<number> {
  const args = [...argv];
  let sockPath = process.env.ISAKMPD_SOCK ?? DEFAULT_SOCKET;
  let json = false;
  while (args[0] === '-s' || args[0] === '-j' || args[0] === '-h' || args[0] === '--help') {
    const a = args.shift()!;
    if (a === '-s') {
      const v = args.shift();
      if (!v) {
        console.error('ipsecadm: -s needs a socket path');
        return 2;
      }
      sockPath = v;
    } else if (a === '-j') json = true;
    else {
      console.log(USAGE);
      return 0;
    }
  }
  const parsed = parseIpsecadm(args);
  if (!parsed.ok) {
    console.error(`ipsecadm: ${parsed.error}`);
    console.error(USAGE);
    return 2;
  }
  const reply = (await request(sockPath, { cmd: 'ipsecadm', args: parsed.value })) as { ok?: boolean; text?: string; error?: string; result?: unknown };
  if (!reply || reply.ok !== true) {
    console.error(`ipsecadm: ${reply?.error ?? 'request failed'}`);
    return 1;
  }
  if (json) console.log(JSON.stringify(reply.result ?? {}, null, 2));
  else if (reply.text && parsed.value.op === 'show') console.log(reply.text);
  return 0;
}

if (process.argv[1] && /ipsecadm(\.js)?$/.test(process.argv[1])) realMain(run);
