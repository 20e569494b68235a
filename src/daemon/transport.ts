// UDP sockets for IKE: one per listen address on the IKE port (-p) and, unless -T, on the NAT-T port (-N).
// isakmpd binds each interface address rather than the wildcard so it knows which address a datagram
// reached (Node has no IP_PKTINFO); we do the same.
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';
import type { Endpoint } from '../ike/types.js';

export interface Bound {
  socket: dgram.Socket;
  local: Endpoint;
  natT: boolean;
  /** What the socket's 'message' event does with a datagram; for a reader that takes the socket over. */
  receive(msg: Buffer, from: Endpoint): void;
}

export interface TransportStats {
  received: number;
  sent: number;
  sendErrors: number;
  oversize: number;
}

export type Receive = (data: Buffer, from: Endpoint, to: Endpoint, natT: boolean) => void;

/** Listen-on entries are addresses or interface names; without it, every interface address is used. */
export function listenAddresses(listenOn: string[] | undefined, family?: 4 | 6): { addresses: string[]; errors: string[] } {
  const ifs = os.networkInterfaces();
  const errors: string[] = [];
  const out: string[] = [];
  const fam = (a: string): boolean => (family === 4 ? net.isIPv4(a) : family === 6 ? net.isIPv6(a) : true);
  const all = Object.values(ifs).flat().filter((i): i is os.NetworkInterfaceInfo => !!i && !(i.family === 'IPv6' && i.scopeid));
  if (!listenOn || listenOn.length === 0) {
    for (const i of all) if (fam(i.address)) out.push(i.address);
  } else {
    for (const entry of listenOn) {
      if (net.isIP(entry)) {
        if (fam(entry)) out.push(entry);
      } else if (ifs[entry]) {
        for (const i of ifs[entry]!) if (fam(i.address) && !(i.family === 'IPv6' && i.scopeid)) out.push(i.address);
      } else errors.push(`Listen-on: '${entry}' is neither an address nor an interface`);
    }
  }
  return { addresses: [...new Set(out)], errors };
}

/**
 * dgram resolves every destination of every send with dns.lookup, which for an address literal tests it
 * against the IPv4 and IPv6 patterns and defers the send to the next tick. Peers are addressed by literals:
 * those are remembered once recognized and handed back at once; anything else still goes to dns.lookup.
 */
const literals = new Map<string, 4 | 6>();
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
function literalLookup(address: string, family: number, callback: LookupCallback): void {
  let f = literals.get(address);
  if (f === undefined) {
    const v = net.isIP(address);
    if (v === 4 || v === 6) {
      if (literals.size >= 65536) literals.clear();
      literals.set(address, (f = v));
    }
  }
  if (f !== undefined && f === family) callback(null, address, f);
  else dns.lookup(address, family, callback);
}

// A gateway's one address takes every peer's first messages: a burst from a few hundred peers at once (after
// a restart, or at a rekey wave) overflows Linux's default 208 KiB and each lost datagram costs its peer a
// retransmission seconds later. The kernel caps the request at net.core.rmem_max and only charges what is
// queued.
const RECV_BUFFER = 4 * 1024 * 1024;

export class UdpTransport {
  readonly bound: Bound[] = [];
  /** Sockets by local "address port": a gateway may listen on many addresses, and every send looks one up. */
  private readonly byLocal = new Map<string, Bound>();
  readonly stats: TransportStats = { received: 0, sent: 0, sendErrors: 0, oversize: 0 };

  constructor(private readonly onReceive: Receive, private readonly onError: (msg: string) => void) {}

  async bind(addresses: string[], port: number, natTPort: number | undefined): Promise<string[]> {
    const errors: string[] = [];
    for (const address of addresses) {
      for (const [p, natT] of [[port, false], ...(natTPort ? [[natTPort, true]] : [])] as [number, boolean][]) {
        const socket = dgram.createSocket({
          type: net.isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false, lookup: literalLookup as unknown as dgram.SocketOptions['lookup'],
          recvBufferSize: RECV_BUFFER,
        });
        try {
          await new Promise<void>((resolve, reject) => {
            socket.once('error', reject);
            socket.bind(p, address, () => {
              socket.off('error', reject);
              resolve();
            });
          });
        } catch (err) {
          socket.close();
          errors.push(`cannot bind ${address}:${p}: ${(err as Error).message}`);
          continue;
        }
        const local = { address, port: p };
        const receive = (msg: Buffer, from: Endpoint): void => {
          this.stats.received++;
          this.onReceive(msg, from, local, natT);
        };
        socket.on('message', (msg, rinfo) => receive(msg, { address: rinfo.address, port: rinfo.port }));
        socket.on('error', (err) => this.onError(`socket ${address}:${p}: ${err.message}`));
        const b = { socket, local, natT, receive };
        this.bound.push(b);
        this.byLocal.set(`${address} ${p}`, b);
      }
    }
    return errors;
  }

  /** The IKE (not NAT-T) endpoints, for the engine to initiate from. */
  ikeEndpoints(): Endpoint[] {
    return this.bound.filter((b) => !b.natT).map((b) => b.local);
  }

  /**
   * Sends one datagram; `done` runs once the socket is finished with it (sent or failed), and not at all when
   * nothing was handed to a socket. A callback rather than a Promise: a gateway sends thousands a second.
   */
  send(from: Endpoint, to: Endpoint, data: Uint8Array, done?: () => void): boolean {
    const b = this.byLocal.get(`${from.address} ${from.port}`) ?? this.fallback(to);
    if (!b) {
      this.stats.sendErrors++;
      this.onError(`no socket to send to ${to.address}:${to.port}`);
      return false;
    }
    if (data.length > 65507) {
      this.stats.oversize++;
      return false;
    }
    b.socket.send(data, to.port, to.address, (err) => {
      if (err) {
        this.stats.sendErrors++;
        this.onError(`send to ${to.address}:${to.port}: ${err.message}`);
      } else this.stats.sent++;
      done?.();
    });
    return true;
  }

  /** A socket of the destination's family when the source address is not one of ours. */
  private fallback(to: Endpoint): Bound | undefined {
    const v6 = net.isIPv6(to.address);
    return this.bound.find((x) => !x.natT && net.isIPv6(x.local.address) === v6);
  }

  close(): void {
    this.byLocal.clear();
    for (const b of this.bound.splice(0)) {
      try {
        b.socket.close();
      } catch {
        // already closed
      }
    }
  }
}
