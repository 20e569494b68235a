// With --tun: the data plane's packet I/O (src/dataplane/io.ts) around the daemon's DataPlane. Plaintext
// comes and goes through a TUN device with kernel routes for the remote networks of our flows; ESP arrives
// on raw sockets or, with NAT-T, in UDP on the daemon's own port 4500 sockets, which it shares with IKE.
import { execFileSync } from 'node:child_process';
import type { DataPlane } from '../dataplane/dataplane.js';
import { setRcvbuf } from '../dataplane/sys.js';
import { DataPlaneHost, RawIpv4Wire, TunPort, TunRoutes, UdpEncapWire, dgramFd, type UdpEncapOptions, type WirePort } from '../dataplane/io.js';
import type { Endpoint } from '../ike/types.js';
import type { Bound } from './transport.js';

export interface PacketIo {
  espInUdp(datagram: Buffer, from: Endpoint, to: Endpoint): void;
  flowsChanged(): void;
  stop(): void;
}

/**
 * TUN MTU by default: room for the outer IP header and the ESP (or ESP-in-UDP) overhead inside a 1500-byte
 * link, so forwarded packets never leave as fragments (middleboxes drop those, and no PMTUD signal reaches
 * the sending host). A larger one (`[General] Tun-MTU=`, an oakley extension) trades that for throughput:
 * the raw ESP wire then fragments outer packets above `Link-MTU` itself, ESP in UDP is fragmented by the kernel.
 */
export const DEFAULT_TUN_MTU = 1400;

/** Receive buffer limit of the port 4500 sockets when they carry ESP (a limit, not an allocation). */
const ESP_UDP_RCVBUF = 8 << 20;

/**
 * Routes into the TUN go in their own table, consulted after rules that keep the daemon's own IKE (its UDP
 * ports) and ESP/AH packets on the main table: a host-to-host flow routes the peer's outer address into the
 * TUN, and our own datagrams to that address must still leave on the wire (isakmpd's IKE bypass flows).
 */
export const TUN_ROUTE_TABLE = 1770;
const BYPASS_PRIORITY = 1770;

/** The `ip rule` commands that set up (or, with 'del', remove) the bypass and the TUN table. */
export function routingRules(op: 'add' | 'del', ikePorts: number[]): string[][] {
  const out: string[][] = [];
  for (const fam of [[], ['-6']]) {
    for (const port of [...new Set(ikePorts)]) out.push([...fam, 'rule', op, 'priority', String(BYPASS_PRIORITY), 'ipproto', 'udp', 'sport', String(port), 'lookup', 'main']);
    // ESP and AH, and 255: the data plane sends them on an IPPROTO_RAW socket, which routes as protocol 255
    for (const proto of ['50', '51', '255']) out.push([...fam, 'rule', op, 'priority', String(BYPASS_PRIORITY), 'ipproto', proto, 'lookup', 'main']);
    out.push([...fam, 'rule', op, 'priority', String(BYPASS_PRIORITY + 1), 'lookup', String(TUN_ROUTE_TABLE)]);
  }
  return out;
}

/** An on/off environment switch that defaults to on: 0, off, no or false turn it off (OAKLEY_TUN_OFFLOAD, OAKLEY_RECVMMSG, OAKLEY_UDP_GSO, OAKLEY_UDP_RECVMMSG, OAKLEY_UDP_GRO). */
export function envSwitch(v: string | undefined): boolean {
  return !/^(0|off|no|false)$/i.test((v ?? '').trim());
}

/**
 * How the data plane uses a port 4500 socket, from the environment. ESP-in-UDP leaves with UDP GSO
 * from the socket's own fd unless OAKLEY_UDP_GSO is a false value; the data plane reads an IPv4
 * socket itself (recvmmsg; IKE and keepalives handed back to the daemon through the socket's own
 * receive function) unless OAKLEY_UDP_RECVMMSG is a false value, and then Node reads it, one
 * datagram per callback; reading it, it asks for UDP_GRO unless OAKLEY_UDP_GRO is a false value.
 */
export function udpEncapOptions(b: Bound, env: NodeJS.ProcessEnv, linkMtu?: number, onError?: (e: Error) => void): UdpEncapOptions {
  const gso = envSwitch(env['OAKLEY_UDP_GSO']);
  const recv = envSwitch(env['OAKLEY_UDP_RECVMMSG']);
  const gro = envSwitch(env['OAKLEY_UDP_GRO']);
  const fd = (gso || recv) && !b.local.address.includes(':') ? dgramFd(b.socket) : undefined;
  return {
    ...(fd !== undefined ? { fd } : {}), ...(linkMtu ? { maxSegment: linkMtu - 28 } : {}), ...(onError ? { onError } : {}),
    gso, ...(recv ? { receive: b.receive, gro } : {}),
  };
}

export function attachPacketIo(
  dp: DataPlane, tunName: string, natT: Bound[], log: (m: string) => void, drops: Record<string, number>,
  opts: { tunMtu?: number; linkMtu?: number; ikePorts?: number[]; tunOffload?: boolean } = {},
): PacketIo {
  const onError = (e: Error): void => log(`packet i/o: ${e.message}`);
  const drop = (reason: string): void => {
    drops[`dataplane-${reason}`] = (drops[`dataplane-${reason}`] ?? 0) + 1;
  };
  // TUN offloads (TCP segmentation and coalescing in the data plane) unless turned off; a kernel that
  // refuses them gets the plain device.
  const offload = opts.tunOffload ?? envSwitch(process.env['OAKLEY_TUN_OFFLOAD']);
  const tun = new TunPort(tunName, onError, { offload, onDrop: (r) => drop(`tun-${r}`) });
  log(`packet i/o: ${tun.name} ${tun.offload ? 'with offloads (TSO/checksum, GRO)' : offload ? 'without offloads (refused by the kernel)' : 'without offloads (turned off)'}`);
  const udp = new Map<string, UdpEncapWire>();
  // recvmmsg on the raw ESP/AH sockets unless OAKLEY_RECVMMSG is a false value (then one read per packet).
  const recvBatch = envSwitch(process.env['OAKLEY_RECVMMSG']);
  const wires: WirePort[] = [new RawIpv4Wire({ ...(opts.linkMtu ? { mtu: opts.linkMtu } : {}), recvBatch }, onError)];
  for (const b of natT) {
    // A deep receive queue, as on the raw ESP sockets: a burst of ESP-in-UDP (a GSO send from the peer
    // is up to 64 datagrams at once) overflows the default.
    const sockFd = dgramFd(b.socket);
    if (sockFd !== undefined) setRcvbuf(sockFd, ESP_UDP_RCVBUF);
    const w = new UdpEncapWire(b.socket, b.local.address, undefined, udpEncapOptions(b, process.env, opts.linkMtu, onError));
    if (w.receiving) log(`packet i/o: ${b.local.address}:${b.local.port} read with recvmmsg by the data plane${w.gro ? ', UDP_GRO' : ''}`);
    udp.set(`${b.local.address}:${b.local.port}`, w);
    wires.push(w);
  }
  const host = new DataPlaneHost(dp, tun, wires).start();
  host.on('drop', drop);
  execFileSync('ip', ['link', 'set', tun.name, 'mtu', String(opts.tunMtu ?? DEFAULT_TUN_MTU), 'up'], { stdio: 'ignore' });
  const ip = (args: string[]): void => void execFileSync('ip', args, { stdio: 'ignore' });
  const quietly = (args: string[]): void => {
    try {
      ip(args);
    } catch {
      // absent already, or no IPv6
    }
  };
  const rules = { add: routingRules('add', opts.ikePorts ?? []), del: routingRules('del', opts.ikePorts ?? []) };
  for (const r of rules.del) quietly(r); // left over from an earlier run
  for (const r of rules.add) quietly(r);
  const routes = new TunRoutes(tun.name, (args) => ip(args[0] === 'route' || args[1] === 'route' ? [...args, 'table', String(TUN_ROUTE_TABLE)] : args));
  return {
    espInUdp(datagram, from, to) {
      udp.get(`${to.address}:${to.port}`)?.deliver(datagram, { address: from.address, port: from.port });
    },
    flowsChanged() {
      routes.sync(dp.listFlows());
    },
    stop() {
      routes.clear();
      for (const r of rules.del) quietly(r);
      host.stop();
    },
  };
}
