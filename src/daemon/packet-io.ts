// With --tun: the data plane's packet I/O (src/dataplane/io.ts) around the daemon's DataPlane. Plaintext
// comes and goes through a TUN device with kernel routes for the remote networks of our flows; ESP arrives
// on raw sockets or, with NAT-T, in UDP on the daemon's own port 4500 sockets, which it shares with IKE.
import { execFileSync } from 'node:child_process';
import type { DataPlane } from '../dataplane/dataplane.js';
import { DataPlaneHost, RawIpv4Wire, TunPort, TunRoutes, UdpEncapWire, type WirePort } from '../dataplane/io.js';
import type { Endpoint } from '../ike/types.js';
import type { Bound } from './transport.js';

export interface PacketIo {
  espInUdp(datagram: Buffer, from: Endpoint, to: Endpoint): void;
  flowsChanged(): void;
  stop(): void;
}

/**
 * TUN MTU by default: large, so TCP through the tunnel sends few big packets (the per-packet cost dominates);
 * the raw ESP wire fragments outer packets above the link MTU itself, ESP in UDP is fragmented by the kernel.
 */
export const DEFAULT_TUN_MTU = 16000;

export function attachPacketIo(
  dp: DataPlane, tunName: string, natT: Bound[], log: (m: string) => void, drops: Record<string, number>,
  opts: { tunMtu?: number; linkMtu?: number } = {},
): PacketIo {
  const onError = (e: Error): void => log(`packet i/o: ${e.message}`);
  const tun = new TunPort(tunName, onError);
  const udp = new Map<string, UdpEncapWire>();
  const wires: WirePort[] = [new RawIpv4Wire(opts.linkMtu ? { mtu: opts.linkMtu } : {}, onError)];
  for (const b of natT) {
    const w = new UdpEncapWire(b.socket, b.local.address);
    udp.set(`${b.local.address}:${b.local.port}`, w);
    wires.push(w);
  }
  const host = new DataPlaneHost(dp, tun, wires).start();
  host.on('drop', (reason: string) => {
    drops[`dataplane-${reason}`] = (drops[`dataplane-${reason}`] ?? 0) + 1;
  });
  execFileSync('ip', ['link', 'set', tun.name, 'mtu', String(opts.tunMtu ?? DEFAULT_TUN_MTU), 'up'], { stdio: 'ignore' });
  const routes = new TunRoutes(tun.name, (args) => void execFileSync('ip', args, { stdio: 'ignore' }));
  return {
    espInUdp(datagram, from, to) {
      udp.get(`${to.address}:${to.port}`)?.deliver(datagram, { address: from.address, port: from.port });
    },
    flowsChanged() {
      routes.sync(dp.listFlows());
    },
    stop() {
      routes.clear();
      host.stop();
    },
  };
}
