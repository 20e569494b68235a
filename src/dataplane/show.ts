// Text renderings of the SAD and SPD for `ipsecadm show` and `isakmpctl show sa|flows`.
// Keys are never shown.
import type { DataPlaneStats, FlowInfo, SaInfo } from './api.js';

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function lifetime(l: SaInfo['soft']): string {
  const parts: string[] = [];
  if (l.bytes) parts.push(`${l.bytes}B`);
  if (l.packets) parts.push(`${l.packets}pkt`);
  if (l.seconds) parts.push(`${l.seconds}s`);
  return parts.length ? parts.join('/') : '-';
}

export function formatSas(sas: SaInfo[], now = Date.now()): string {
  if (sas.length === 0) return 'No SAs.';
  return sas
    .map((s) => {
      const alg = s.proto === 'ah' ? s.auth : s.auth === 'none' ? s.enc : `${s.enc}/${s.auth}`;
      const drops = Object.entries(s.counters.drops)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const lines = [
        `${s.proto} spi ${hex(s.spi)} ${s.src} -> ${s.dst} ${s.mode}${s.encap ? ` udp ${s.encap.sport}->${s.encap.dport}` : ''} ${alg}${s.esn ? ' esn' : ''}${s.label ? ` (${s.label})` : ''}`,
        `    bytes ${s.counters.bytes} packets ${s.counters.packets} replay-window ${s.replayWindow} replay-drops ${s.counters.replayDrops} auth-failures ${s.counters.authFailures}${drops ? ` drops: ${drops}` : ''}`,
        `    age ${Math.max(0, Math.round((now - s.created) / 1000))}s soft ${lifetime(s.soft)} hard ${lifetime(s.hard)}${s.softExpired ? ' (soft expired)' : ''} seq-out ${s.seqOut} seq-in ${s.seqInHigh}${s.next ? ` grouped-with ${s.next.proto}/${hex(s.next.spi)}@${s.next.dst}` : ''}`,
      ];
      return lines.join('\n');
    })
    .join('\n');
}

export function formatFlows(flows: FlowInfo[]): string {
  if (flows.length === 0) return 'No flows.';
  return flows
    .map((f) => {
      const sel = f.selector;
      const proto = sel.proto ? ` proto ${sel.proto}` : '';
      const ports = `${sel.sport ? ` sport ${sel.sport}` : ''}${sel.dport ? ` dport ${sel.dport}` : ''}`;
      const sa = f.bundle?.length
        ? ` sa ${f.bundle.map((b) => `${b.proto}/${hex(b.spi)}@${b.dst}`).join('+')}`
        : f.type === 'bypass' || f.type === 'permit' || f.type === 'deny'
          ? ''
          : ` ${f.saProto ?? 'esp'} peer ${f.peer ?? 'any'}`;
      return `flow ${f.id} ${f.direction} ${f.type} ${sel.src} -> ${sel.dst}${proto}${ports}${sa} hits ${f.hits}`;
    })
    .join('\n');
}

export function formatStats(s: DataPlaneStats): string {
  const drops = Object.entries(s.drops)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `SAs ${s.sas} flows ${s.flows} in ${s.inPackets} out ${s.outPackets} crypto ${s.crypto}${drops ? ` drops: ${drops}` : ''}`;
}
