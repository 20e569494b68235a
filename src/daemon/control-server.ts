// The control socket: a Unix stream socket speaking one JSON object per line, request and reply.
import fs from 'node:fs';
import net from 'node:net';

export type ControlRequest = Record<string, unknown> & { cmd?: unknown };
export type ControlReply = { ok: true; [k: string]: unknown } | { ok: false; error: string };
export type ControlHandler = (req: ControlRequest) => Promise<ControlReply> | ControlReply;

const MAX_LINE = 1 << 20;

/** True when something accepts connections on the socket (another daemon is running). */
function inUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startControlServer(path: string, handle: ControlHandler, onError: (msg: string) => void): Promise<net.Server> {
  if (fs.existsSync(path) && (await inUse(path))) throw new Error(`control socket ${path} is in use: is another isakmpd running?`);
  try {
    const st = fs.lstatSync(path);
    if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; not replacing it`);
    fs.unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return Promise.reject(err);
  }
  const server = net.createServer((conn) => {
    let buf = '';
    let chain = Promise.resolve();
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        conn.end(JSON.stringify({ ok: false, error: 'request too long' }) + '\n');
        return;
      }
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        chain = chain.then(async () => {
          let reply: ControlReply;
          try {
            const req = JSON.parse(line) as unknown;
            if (typeof req !== 'object' || req === null || Array.isArray(req)) reply = { ok: false, error: 'request must be a JSON object' };
            else reply = await handle(req as ControlRequest);
          } catch (err) {
            reply = { ok: false, error: err instanceof SyntaxError ? `bad JSON: ${err.message}` : String((err as Error).message ?? err) };
          }
          if (!conn.destroyed) conn.write(JSON.stringify(reply) + '\n');
        });
      }
    });
    conn.on('error', (e) => onError(`control connection: ${e.message}`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      server.on('error', (e) => onError(`control socket: ${e.message}`));
      try {
        fs.chmodSync(path, 0o600);
      } catch {
        // best effort
      }
      resolve(server);
    });
  });
}
