// Negotiation on demand (PF_KEY ACQUIRE, isakmpd pf_key_v2_acquire): an outbound packet hit a flow with no
// SA. The connection whose IDs cover its addresses is brought up (Phase 1 first if needed); when none does
// but the flow names a peer we have a Phase 1 section for, a connection for just these two hosts is made on
// the fly with Default-phase-2-suites, as isakmpd does.
import type { ConnectionConfig, IdSpec, PeerConfig } from './config.js';
import type { IkeEngine } from './engine.js';
import { addrBytes } from './ids.js';

/** Connections made on the fly from ACQUIREs, at most. */
export const MAX_DYNAMIC_CONNECTIONS = 256;

/** Whether an address falls inside an ID (a single address or a subnet); names never match addresses. */
export function idCovers(id: IdSpec, address: string): boolean {
  const a = addrBytes(address);
  if (!a) return false;
  if (id.type === 'IPV4_ADDR' || id.type === 'IPV6_ADDR') {
    const b = addrBytes(id.address);
    return !!b && b.length === a.length && b.equals(a);
  }
  if (id.type === 'IPV4_ADDR_SUBNET' || id.type === 'IPV6_ADDR_SUBNET') {
    const n = addrBytes(id.network);
    const m = addrBytes(id.netmask);
    if (!n || !m || n.length !== a.length || m.length !== a.length) return false;
    for (let i = 0; i < a.length; i++) if ((a[i]! & m[i]!) !== (n[i]! & m[i]!)) return false;
    return true;
  }
  return false;
}

/** The connection an ACQUIRE asks for: its IDs (or, without IDs, its peer's addresses) cover the packet. */
export function connectionFor(e: IkeEngine, src: string, dst: string, peer?: string): ConnectionConfig | undefined {
  for (const c of e.config.connections) {
    const p = e.peerByName(c.peer);
    if (!p?.address) continue;
    if (peer && p.address.address !== peer) continue;
    const local: IdSpec = c.localId ?? { type: src.includes(':') ? 'IPV6_ADDR' : 'IPV4_ADDR', address: e.localFor(p.address, p).address };
    const remote: IdSpec = c.remoteId ?? { type: dst.includes(':') ? 'IPV6_ADDR' : 'IPV4_ADDR', address: p.address.address };
    if (idCovers(local, src) && idCovers(remote, dst)) return c;
  }
  return undefined;
}

/** A host-to-host connection with Default-phase-2-suites for a peer we know but no connection covers. */
function dynamicConnection(e: IkeEngine, src: string, dst: string, peerAddress: string): ConnectionConfig | undefined {
  const suites = e.config.defaultSuites;
  if (!suites?.length) return undefined;
  const peer: PeerConfig | undefined = e.config.peers.find((p) => p.address?.address === peerAddress) ??
    e.peerByName(e.config.phase1ByAddress[peerAddress] ?? '');
  if (!peer?.address) return undefined;
  const v6 = src.includes(':');
  const name = `acquire-${src}-${dst}`;
  const existing = e.connectionByName(name);
  if (existing) return existing;
  // A stream of packets to ever new hosts must not grow the configuration without bound.
  if (e.config.connections.filter((x) => x.name.startsWith('acquire-')).length >= MAX_DYNAMIC_CONNECTIONS) {
    e.drop('acquire-too-many-dynamic');
    return undefined;
  }
  const c: ConnectionConfig = {
    name, peer: peer.name, suites,
    localId: { type: v6 ? 'IPV6_ADDR' : 'IPV4_ADDR', address: src },
    remoteId: { type: v6 ? 'IPV6_ADDR' : 'IPV4_ADDR', address: dst },
  };
  e.config.connections.push(c);
  return c;
}

/** Handles one ACQUIRE: connects the covering (or a new dynamic) connection; returns its name. */
export function acquire(e: IkeEngine, src: string, dst: string, peer?: string): string | undefined {
  const c = connectionFor(e, src, dst, peer) ?? (peer ? dynamicConnection(e, src, dst, peer) : undefined);
  if (!c) {
    e.drop('acquire-no-connection');
    e.log('negotiation', 10, `ACQUIRE ${src} -> ${dst}${peer ? ` via ${peer}` : ''}: no connection covers it`);
    return undefined;
  }
  e.log('negotiation', 10, `ACQUIRE ${src} -> ${dst}: negotiating connection ${c.name}`);
  return c.name;
}
