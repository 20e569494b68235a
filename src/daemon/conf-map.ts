// From isakmpd.conf (the typed model of src/conf) to what the engine needs. Names go to numbers through
// the wire dictionaries of src/isakmp, so there is one table of algorithm names.
import { formatDiagnostic, legacyCipherDiagnostics, type Config } from '../conf/index.js';
import type { IpsecId, Phase1Id } from '../conf/index.js';
import {
  EspTransformId, GroupDescription, IkeAuthMethod, IkeEncryption, IkeHash, IpsecAuthAlgorithm, numberOf,
} from '../isakmp/numbers.js';
import type { CertAuth, ConnectionConfig, EngineConfig, IdSpec, IpsecSuite, IpsecTransform, PeerConfig, Phase1Transform } from '../ike/config.js';
import { ipsecSuite as confIpsecSuite } from '../conf/model.js';
import type { IpsecSuite as ConfIpsecSuite } from '../conf/index.js';
import { defaultPhase2Suites } from '../conf/index.js';
import { cipherUsable, groupUsable, hashUsable } from '../ike/crypto-adapter.js';
import type { EspEncr, IntegAlg } from '../ike/types.js';

export interface MappedConfig {
  engine: EngineConfig;
  /** Connections to start at startup ([Phase 2] Connections). */
  active: string[];
  /** What could not be mapped, for the log: unsupported algorithms, missing sections. */
  warnings: string[];
}

const ESP_ENCR: Record<string, EspEncr> = {
  AES: 'aes-cbc', '3DES': '3des-cbc', NULL: 'null', AES_CTR: 'aes-ctr', AES_GCM_8: 'aes-gcm-8', AES_GCM_12: 'aes-gcm-12',
  AES_GCM_16: 'aes-gcm-16', AES_GMAC: 'aes-gmac',
};
/** AH TRANSFORM_ID names the integrity algorithm (RFC 2407 4.4.3). */
const AH_INTEG: Record<string, IntegAlg> = { MD5: 'hmac-md5', SHA: 'hmac-sha1', SHA2_256: 'hmac-sha2-256', SHA2_384: 'hmac-sha2-384', SHA2_512: 'hmac-sha2-512' };
const INTEG: Record<number, IntegAlg> = { 1: 'hmac-md5', 2: 'hmac-sha1', 5: 'hmac-sha2-256', 6: 'hmac-sha2-384', 7: 'hmac-sha2-512' };

function offer(v: { offer: number } | 'ANY' | null | undefined): number | undefined {
  return v && v !== 'ANY' ? v.offer : undefined;
}

function lifeSeconds(life: { type: string | undefined; duration: unknown }[] | 'ANY', def: number, type = 'SECONDS'): number {
  if (life === 'ANY') return def;
  for (const l of life) {
    if ((l.type ?? '').toUpperCase() === type) {
      const d = offer(l.duration as { offer: number } | 'ANY' | null | undefined);
      if (d !== undefined) return d;
    }
  }
  return def;
}

function phase1IdSpec(id: Phase1Id | undefined): IdSpec | undefined {
  if (!id?.type) return undefined;
  const t = id.type.toUpperCase();
  if ((t === 'IPV4_ADDR' || t === 'IPV6_ADDR') && id.address) return { type: t, address: id.address };
  if ((t === 'IPV4_ADDR_SUBNET' || t === 'IPV6_ADDR_SUBNET') && id.network && id.netmask) return { type: t, network: id.network, netmask: id.netmask };
  if ((t === 'FQDN' || t === 'USER_FQDN' || t === 'KEY_ID') && id.name) return { type: t, name: id.name };
  return undefined;
}

function ipsecIdSpec(id: IpsecId | undefined): IdSpec | undefined {
  if (!id?.type) return undefined;
  const t = id.type.toUpperCase();
  const proto = id.protocol ? (/^\d+$/.test(id.protocol) ? Number(id.protocol) : ({ tcp: 6, udp: 17, icmp: 1 } as Record<string, number>)[id.protocol.toLowerCase()]) : undefined;
  const port = id.port && /^\d+$/.test(id.port) ? Number(id.port) : undefined;
  const extra = { ...(proto !== undefined ? { protocol: proto } : {}), ...(port !== undefined ? { port } : {}) };
  if ((t === 'IPV4_ADDR' || t === 'IPV6_ADDR') && id.address) return { type: t, address: id.address, ...extra };
  if ((t === 'IPV4_ADDR_SUBNET' || t === 'IPV6_ADDR_SUBNET') && id.network && id.netmask) return { type: t, network: id.network, netmask: id.netmask, ...extra };
  return undefined;
}

/** Whether a peer the file configures (not the built-in Default-phase-1) authenticates with certificates. */
export function usesCertificates(c: Config): boolean {
  return c.peers().some((p) => p.section !== 'Default-phase-1' &&
    (c.phase1Proposal(p)?.transforms ?? []).some((t) => (t.authMethod ?? '').toUpperCase() === 'RSA_SIG'));
}

export function mapConfig(c: Config, opts: { certAuth?: CertAuth } = {}): MappedConfig {
  const warnings: string[] = [];
  // Legacy ciphers OpenSSL cannot run here: one warning each, where the file names them, with the fix;
  // their transforms are left out of every offer below (cipherUsable), never failing mid-exchange.
  const legacy = legacyCipherDiagnostics(c);
  const legacySections = new Set(legacy.map((d) => (d.section ?? '').toLowerCase()));
  for (const d of legacy) warnings.push(formatDiagnostic(d).replace(/\n\s*/g, ' '));
  const g = c.general();
  const peers: PeerConfig[] = [];
  for (const p of c.peers()) {
    if (!p.presharedKey && !opts.certAuth) {
      warnings.push(`peer ${p.section}: no pre-shared key (Authentication) and no certificates loaded, peer ignored`);
      continue;
    }
    const prop = c.phase1Proposal(p);
    const transforms: Phase1Transform[] = [];
    for (const t of prop?.transforms ?? []) {
      const encr = numberOf(IkeEncryption, t.encryption ?? '');
      const hash = numberOf(IkeHash, t.hash ?? '');
      const auth = numberOf(IkeAuthMethod, t.authMethod ?? 'PRE_SHARED');
      const group = numberOf(GroupDescription, t.group ?? 'MODP_1024');
      const keyLength = offer(t.keyLength);
      if (encr === undefined || !cipherUsable(encr, keyLength) || hash === undefined || !hashUsable(hash) || group === undefined || !groupUsable(group)) {
        if (!legacySections.has(t.section.toLowerCase())) warnings.push(`transform ${t.section}: ${t.encryption}/${t.hash}/${t.group} not implemented, skipped`);
        continue;
      }
      if (auth !== 1 && !(auth === 3 && opts.certAuth)) {
        warnings.push(`transform ${t.section}: authentication ${t.authMethod} not available (pre-shared keys, or RSA_SIG with certificates), skipped`);
        continue;
      }
      const kb = lifeSeconds(t.life, 0, 'KILOBYTES');
      transforms.push({ encr, hash, auth, group, lifeSeconds: lifeSeconds(t.life, 3600), ...(kb ? { lifeKilobytes: kb } : {}), ...(keyLength ? { keyLength } : {}) });
    }
    const id = p.id ? phase1IdSpec(c.phase1Id(p.id)) : undefined;
    const remoteId = p.remoteId ? phase1IdSpec(c.phase1Id(p.remoteId)) : undefined;
    peers.push({
      name: p.section,
      ...(p.address ? { address: { address: p.address, port: p.port } } : {}),
      ...(p.localAddress ? { localAddress: p.localAddress } : {}),
      ...(p.presharedKey ? { psk: p.presharedKey } : {}),
      exchange: (prop?.exchangeType ?? 'ID_PROT').toUpperCase() === 'AGGRESSIVE' ? 'aggressive' : 'main',
      transforms,
      ...(id ? { id } : {}),
      ...(remoteId ? { remoteId } : {}),
      ...(p.forceEncapsulation ? { forceEncapsulation: true } : {}),
    });
  }
  /** One isakmpd suite as the engine's offer (AH and ESP transforms of one proposal number). */
  const mapSuite = (s: ConfIpsecSuite): IpsecSuite => {
    const transforms: IpsecTransform[] = [];
    for (const proto of s.protocols) {
      const pid = (proto.protocolId ?? '').toUpperCase();
      if (pid !== 'IPSEC_ESP' && pid !== 'IPSEC_AH') {
        warnings.push(`suite ${s.section}: protocol ${proto.protocolId} not implemented (ESP and AH)`);
        continue;
      }
      const ah = pid === 'IPSEC_AH';
      for (const t of proto.transforms) {
        const id = (t.transformId ?? '').toUpperCase();
        const encr = ah ? 'null' : ESP_ENCR[id];
        // Combined-mode ESP (GCM, GMAC) takes no AUTHENTICATION_ALGORITHM.
        const integ = ah ? AH_INTEG[id] : t.authAlgorithm ? INTEG[numberOf(IpsecAuthAlgorithm, t.authAlgorithm) ?? -1] : /^AES_(GCM|GMAC)/.test(id) ? 'none' : undefined;
        if (!encr || !integ || (!ah && numberOf(EspTransformId, id) === undefined)) {
          warnings.push(`transform ${t.section}: ${t.transformId}/${t.authAlgorithm} not implemented, skipped`);
          continue;
        }
        const group = t.group ? numberOf(GroupDescription, t.group) : undefined;
        const keyLength = offer(t.keyLength);
        const kb = lifeSeconds(t.life, 0, 'KILOBYTES');
        transforms.push({
          ...(ah ? { protocol: 'ah' as const } : {}),
          encr, integ, mode: (t.encapsulationMode ?? 'TUNNEL').toUpperCase() === 'TRANSPORT' ? 'transport' : 'tunnel',
          lifeSeconds: lifeSeconds(t.life, 1200),
          ...(kb ? { lifeKilobytes: kb } : {}),
          ...(encr.startsWith('aes-') ? { keyLength: keyLength ?? 128 } : {}),
          ...(group ? { pfsGroup: group } : {}),
        });
      }
    }
    return { name: s.section, transforms };
  };
  const connections: ConnectionConfig[] = [];
  const active: string[] = [];
  for (const conn of [...c.connections(), ...c.passiveConnections()]) {
    if (!conn.isakmpPeer) {
      warnings.push(`connection ${conn.section}: no ISAKMP-peer`);
      continue;
    }
    const suites = c.phase2Suites(conn).map(mapSuite).filter((x) => x.transforms.length > 0);
    const localId = conn.localId ? ipsecIdSpec(c.ipsecId(conn.localId)) : undefined;
    const remoteId = conn.remoteId ? ipsecIdSpec(c.ipsecId(conn.remoteId)) : undefined;
    connections.push({
      name: conn.section, peer: conn.isakmpPeer, suites, passive: conn.passive,
      ...(localId ? { localId } : {}), ...(remoteId ? { remoteId } : {}),
    });
    if (!conn.passive) active.push(conn.section);
  }
  const phase1ByAddress: Record<string, string> = {};
  for (const b of c.sectionBindings('Phase 1')) if (b.tag.toLowerCase() !== 'default') phase1ByAddress[b.tag] = b.value;
  const def = c.get('Phase 1', 'Default');
  return {
    engine: {
      ...(opts.certAuth ? { certAuth: opts.certAuth } : {}),
      peers, connections, phase1ByAddress, ...(def && peers.some((p) => p.name === def) ? { defaultPeer: def } : {}),
      retransmits: g.retransmits, exchangeMaxTimeSec: g.exchangeMaxTime, dpdIntervalSec: g.dpdCheckInterval,
      // Default-phase-2-suites: what SAs set up on demand (data plane ACQUIRE without a connection) offer
      defaultSuites: defaultPhase2Suites(c).map((n) => mapSuite(confIpsecSuite(c, n))).filter((x) => x.transforms.length > 0),
    },
    active,
    warnings,
  };
}
