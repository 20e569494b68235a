// isakmpctl's control commands: one JSON request per line to the daemon's control socket, and the reply
// printed as text (or as JSON with -j).
import net from 'node:net';

const DEFAULT_SOCKET = '/var/run/isakmpd.sock';
const USAGE = 'usage: isakmpctl [-s SOCK] [-j] show sa|flows|peers|stats|config | connect NAME... | teardown NAME|ADDR | reload | debug CLASS LEVEL';

type Reply = { ok: boolean; error?: string; [k: string]: unknown };

/** Sends one request and waits for the one-line reply. */
export function request(sock: string, req: object, timeoutMs = 10_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`no reply from ${sock} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify(req) + '\n'));
    c.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(timer);
      c.end();
      try {
        resolve(JSON.parse(buf.slice(0, i)) as Reply);
      } catch {
        reject(new Error('malformed reply from the daemon'));
      }
    });
    c.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `cannot reach isakmpd at ${sock} (is it running? use -s SOCK)` : e.message));
    });
  });
}

function table(rows: Record<string, unknown>[], cols: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => cols.map((c) => (r[c] === undefined || r[c] === null ? '-' : Array.isArray(r[c]) ? (r[c] as unknown[]).join(',') : String(r[c]))));
  const w = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (xs: string[]): string => xs.map((x, i) => x.padEnd(w[i]!)).join('  ').trimEnd();
  return [line(cols), ...cells.map(line)].join('\n');
}

function showText(what: string, r: Reply): string {
  switch (what) {
    case 'sa': {
      const dp = (r.dataplane as Record<string, unknown>[] | undefined) ?? [];
      const ipsec = (r.ipsec as Record<string, unknown>[]).map((s) => {
        const ci = dp.find((d) => d.spi === s.spiIn);
        const co = dp.find((d) => d.spi === s.spiOut);
        return {
          ...s, 'pkts in/out': ci || co ? `${String(ci?.packets ?? 0)}/${String(co?.packets ?? 0)}` : '-',
          'replay drops': ci ? String(ci.replayDrops ?? 0) : '-',
          life: `${String(s.lifeSeconds ?? '-')}s${s.lifeKilobytes ? `/${String(s.lifeKilobytes)}KB` : ''}`,
        };
      });
      return [
        'ISAKMP SAs (phase 1):',
        table(r.isakmp as Record<string, unknown>[], ['peer', 'role', 'exchange', 'state', 'local', 'remote', 'encr', 'hash', 'group', 'nat', 'icookie', 'rcookie', 'expiresInSec']),
        '',
        'IPsec SAs (phase 2):',
        table(ipsec, ['connection', 'peer', 'spiIn', 'spiOut', 'ah', 'mode', 'encap', 'encr', 'integ', 'pfsGroup', 'localSelector', 'remoteSelector', 'pkts in/out', 'replay drops', 'life', 'expiresInSec']),
        ...(typeof r.dataplaneText === 'string' ? ['', 'Data plane SAs:', r.dataplaneText] : []),
      ].join('\n');
    }
    case 'flows':
      return table(r.flows as Record<string, unknown>[], ['id', 'direction', 'type', 'src', 'dst', 'peer', 'hits']);
    case 'peers':
      return table(r.peers as Record<string, unknown>[], ['name', 'address', 'exchange', 'transforms', 'phase1', 'connections']);
    case 'stats': {
      const flat: string[] = [];
      const walk = (o: unknown, prefix: string): void => {
        if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) walk(v, prefix ? `${prefix}.${k}` : k);
        else flat.push(`${prefix}: ${String(o)}`);
      };
      walk(r.stats, '');
      return flat.join('\n');
    }
    case 'config': {
      const out: string[] = [];
      for (const [section, tags] of Object.entries(r.config as Record<string, Record<string, string>>)) {
        out.push(`[${section}]`);
        for (const [t, v] of Object.entries(tags)) out.push(`${t}=${v}`);
        out.push('');
      }
      return out.join('\n');
    }
  }
  return JSON.stringify(r, null, 2);
}

export async function run(argv: string[]): Promise<number> {
  let sock = process.env.ISAKMPD_CONTROL ?? DEFAULT_SOCKET;
  let json = false;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-s') {
      const v = argv[++i];
      if (!v) {
        console.error(`isakmpctl: -s needs a socket path\n${USAGE}`);
        return 2;
      }
      sock = v;
    } else if (a === '-j' || a === '--json') json = true;
    else args.push(a);
  }
  const [cmd, ...rest] = args;
  let req: Record<string, unknown>;
  switch (cmd) {
    case 'show':
      if (!rest[0] || !['sa', 'flows', 'peers', 'stats', 'config'].includes(rest[0])) {
        console.error(`isakmpctl: show what? (sa, flows, peers, stats, config)\n${USAGE}`);
        return 2;
      }
      req = { cmd: 'show', what: rest[0] };
      break;
    case 'connect':
      if (!rest[0]) return usage('connect needs a connection name');
      req = rest.length === 1 ? { cmd: 'connect', name: rest[0] } : { cmd: 'connect', names: rest };
      break;
    case 'teardown':
      if (!rest[0]) return usage('teardown needs a connection name or a peer address');
      req = { cmd: 'teardown', target: rest[0] };
      break;
    case 'reload':
      req = { cmd: 'reload' };
      break;
    case 'debug':
      if (rest.length !== 2 || !/^\d+$/.test(rest[1]!)) return usage('debug needs CLASS LEVEL');
      req = { cmd: 'debug', class: rest[0], level: Number(rest[1]) };
      break;
    default:
      return usage(`unknown command '${cmd ?? ''}'`);
  }
  const r = await request(sock, req);
  if (json) console.log(JSON.stringify(r, null, 2));
  else if (!r.ok) console.error(`isakmpctl: ${r.error ?? 'failed'}`);
  else if (cmd === 'show') console.log(showText(req.what as string, r));
  else if (Array.isArray(r.messages) && r.messages.length) console.log((r.messages as string[]).join('\n'));
  return r.ok ? 0 : 1;
}

function usage(msg: string): number {
  console.error(`isakmpctl: ${msg}\n${USAGE}`);
  return 2;
}
