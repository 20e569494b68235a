// A data-plane-only host process: a TUN device for plaintext, raw IPv4 ESP/AH sockets (and optionally
// ESP-in-UDP on a port) for the wire, and a control socket that speaks the ipsecadm requests. Used for
// manual keying without a key manager, and by the namespace tests.
//   node hostd.js --tun NAME --control PATH [--device IFACE] [--udp PORT] [--routes]
import net from 'node:net';
import fs from 'node:fs';
import dgram from 'node:dgram';
import { DataPlane } from './dataplane.js';
import { execFileSync } from 'node:child_process';
import { DataPlaneHost, RawIpv4Wire, TunPort, TunRoutes, UdpEncapWire, type WirePort } from './io.js';
import { handleIpsecadmRequest, showDataplane, type ControlReply } from './control.js';

export interface HostdOptions {
  tun: string;
  control: string;
  device?: string;
  udpPort?: number;
  /** Maintain kernel routes into the TUN device for outbound protecting flows. */
  routes?: boolean;
  /** MTU set on the TUN device with `routes` (default 1400). */
  mtu?: number;
  log?: (msg: string) => void;
}

/** One JSON request per line in, one JSON reply per line out. */
export function serveControl(dp: DataPlane, path: string, log: (m: string) => void, afterChange?: () => void): net.Server {
  try {
    fs.unlinkSync(path);
  } catch {
    /* not there */
  }
  const server = net.createServer((s) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('error', () => s.destroy());
    s.on('data', (d: string) => {
      buf += d;
      if (buf.length > 1 << 20) return s.destroy();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let req: { cmd?: string; what?: string } | null = null;
        try {
          req = JSON.parse(line) as { cmd?: string };
        } catch {
          /* reply below */
        }
        const reply: ControlReply =
          req?.cmd === 'ipsecadm'
            ? handleIpsecadmRequest(dp, req)
            : req?.cmd === 'show'
              ? showDataplane(dp, req.what === 'sa' || req.what === 'flows' ? req.what : 'all')
              : { ok: false, error: req ? `unknown command ${String(req.cmd)}` : 'malformed JSON' };
        if (req?.cmd === 'ipsecadm' && reply.ok === true) {
          log(`control: ${reply.text}`);
          afterChange?.();
        }
        s.write(`${JSON.stringify(reply)}\n`);
      }
    });
  });
  server.listen(path);
  return server;
}

export function startHostd(o: HostdOptions): { dp: DataPlane; host: DataPlaneHost; stop(): void; ready: Promise<void> } {
  const log = o.log ?? ((m: string) => console.error(m));
  const dp = new DataPlane({ bypassUdpPorts: [500, 4500] });
  const onError = (e: Error) => log(`io: ${e.message}`);
  const tun = new TunPort(o.tun, onError);
  const wires: WirePort[] = [new RawIpv4Wire({ ...(o.device ? { device: o.device } : {}) }, onError)];
  let udp: dgram.Socket | undefined;
  if (o.udpPort) {
    udp = dgram.createSocket('udp4');
    const w = new UdpEncapWire(udp, '0.0.0.0');
    udp.on('message', (m, r) => void w.deliver(m, r));
    udp.bind(o.udpPort);
    wires.push(w);
  }
  const host = new DataPlaneHost(dp, tun, wires).start();
  host.on('drop', (reason: string) => log(`drop: ${reason}`));
  dp.on('expire', (e) => log(`expire ${e.kind} ${e.sa.proto} spi 0x${e.sa.spi.toString(16)} (${e.reason})`));
  dp.on('acquire', (e) => log(`acquire flow ${e.flowId} ${e.packet.src} -> ${e.packet.dst}`));
  // Leave room for the outer header and ESP overhead (about 73 bytes for 3DES/AES-CBC + HMAC over
  // IPv4): raw IP_HDRINCL sends are not fragmented by the kernel, so the inner MTU must be smaller.
  if (o.routes) execFileSync('ip', ['link', 'set', tun.name, 'mtu', String(o.mtu ?? 1400), 'up'], { stdio: 'ignore' });
  const routes = o.routes ? new TunRoutes(tun.name, (args) => void execFileSync('ip', args, { stdio: 'ignore' })) : undefined;
  const server = serveControl(dp, o.control, log, () => routes?.sync(dp.listFlows()));
  const ready = new Promise<void>((resolve) => server.once('listening', () => resolve()));
  log(`hostd: tun ${tun.name}, crypto ${dp.provider.name}, control ${o.control}`);
  return {
    dp,
    host,
    ready,
    stop() {
      server.close();
      routes?.clear();
      udp?.close();
      host.stop();
    },
  };
}

function main(argv: string[]): void {
  const get = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const tun = get('--tun');
  const control = get('--control');
  if (!tun || !control) {
    console.error('usage: hostd --tun NAME --control PATH [--device IFACE] [--udp PORT] [--routes]');
    process.exit(2);
  }
  const udp = get('--udp');
  const device = get('--device');
  const h = startHostd({ tun, control, routes: argv.includes('--routes'), ...(device ? { device } : {}), ...(udp ? { udpPort: Number(udp) } : {}) });
  void h.ready.then(() => console.log('ready'));
  const bye = () => {
    h.stop();
    process.exit(0);
  };
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
}

if (process.argv[1] && /hostd\.js$/.test(process.argv[1])) {
  // Blocking reads of the TUN device and raw sockets each hold a thread-pool thread.
  process.env.UV_THREADPOOL_SIZE ??= '8';
  main(process.argv.slice(2));
}
