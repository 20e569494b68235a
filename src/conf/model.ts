// The typed model: what the daemon asks of a configuration, with isakmpd's fallbacks applied in one place
// (Configuration defaults to Default-phase-1-configuration, Port to 500, unknown peers to [Phase 1]:Default,
// lifetimes to LIFE_MAIN_MODE / LIFE_QUICK_MODE through the generated sections).
import { isIP } from 'node:net';
import type { Config } from './config.js';
import { parseOfferAccept, decodePresharedKey, splitList, type OfferAccept } from './values.js';
import { CODE_FALLBACKS, DEFAULT_PHASE2_SUITES_FALLBACK } from './defaults.js';

export interface Located { section: string }

export interface Peer extends Located {
  phase: number | undefined;
  address: string | undefined;
  localAddress: string | undefined;
  port: number;
  transport: string;
  configuration: string;
  /** Raw Authentication value; see presharedKey for the bytes. */
  authentication: string | undefined;
  presharedKey: Uint8Array | undefined;
  /** Phase1-ID section names. */
  id: string | undefined;
  remoteId: string | undefined;
  flags: string[];
  /** Force-encapsulation=yes (oakley extension): ESP in UDP even without a NAT. */
  forceEncapsulation: boolean;
}

export interface Lifetime extends Located {
  type: string | undefined;
  /** 'ANY', a parsed offer/accept value, or null when the value is malformed. */
  duration: OfferAccept | 'ANY' | null | undefined;
}

export interface IsakmpTransform extends Located {
  encryption: string | undefined;
  hash: string | undefined;
  authMethod: string | undefined;
  group: string | undefined;
  groupType: string | undefined;
  prf: string | undefined;
  keyLength: OfferAccept | 'ANY' | null | undefined;
  life: Lifetime[] | 'ANY';
}

export interface Phase1Proposal extends Located {
  doi: string;
  exchangeType: string | undefined;
  transforms: IsakmpTransform[];
}

export interface Phase1Id extends Located {
  type: string | undefined;
  address: string | undefined;
  network: string | undefined;
  netmask: string | undefined;
  name: string | undefined;
}

export interface IpsecId extends Located {
  type: string | undefined;
  address: string | undefined;
  network: string | undefined;
  netmask: string | undefined;
  protocol: string | undefined;
  port: string | undefined;
}

export interface Connection extends Located {
  phase: number | undefined;
  isakmpPeer: string | undefined;
  configuration: string | undefined;
  localId: string | undefined;
  remoteId: string | undefined;
  flags: string[];
  pfTag: string | undefined;
  /** Listed in [Phase 2]:Passive-connections (only Local-ID and Remote-ID matter then). */
  passive: boolean;
  /** Connections are also passive unless Flags has Active-only; this says whether we start it. */
  activeOnly: boolean;
}

export interface IpsecTransform extends Located {
  transformId: string | undefined;
  encapsulationMode: string | undefined;
  authAlgorithm: string | undefined;
  group: string | undefined;
  keyLength: OfferAccept | 'ANY' | null | undefined;
  keyRounds: string | undefined;
  life: Lifetime[] | 'ANY';
}

export interface IpsecProtocol extends Located {
  protocolId: string | undefined;
  replayWindow: number;
  transforms: IpsecTransform[];
}

export interface IpsecSuite extends Located {
  protocols: IpsecProtocol[];
}

export interface InitiatorIdSection extends Located {
  authentication: string;
  presharedKey: Uint8Array | undefined;
}

export interface General {
  retransmits: number;
  exchangeMaxTime: number;
  checkInterval: number;
  dpdCheckInterval: number;
  natTKeepalive: number;
  listenOn: string[] | undefined;
  useKeynote: boolean;
  policyFile: string;
  pubkeyDirectory: string;
  deleteSAs: boolean;
  acquireOnly: boolean;
  logverbose: boolean;
  loglevel: string[] | undefined;
  renegotiateOnHup: boolean;
  sharedSADB: boolean;
  defaultPhase1Id: string | undefined;
  defaultPhase2Suites: string[];
}

export interface X509Settings {
  caDirectory: string;
  certDirectory: string;
  crlDirectory: string;
  privateKey: string;
  privateKeyDirectory: string;
  acceptSelfSigned: boolean;
}

export interface KeyNoteSettings {
  credentialDirectory: string;
}

const list = (c: Config, s: string, t: string): string[] => c.getList(s, t) ?? [];

/** Well-known service names isakmpd resolves through getservbyname in the samples. */
export const SERVICE_PORTS: Readonly<Record<string, number>> = { isakmp: 500, 'ipsec-nat-t': 4500 };

export function parsePort(v: string | undefined, def: number): number | undefined {
  if (v === undefined) return def;
  const s = v.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 0 && n <= 65535 ? n : undefined;
  }
  return SERVICE_PORTS[s.toLowerCase()];
}

export function peer(c: Config, section: string): Peer | undefined {
  if (!c.hasSection(section)) return undefined;
  const auth = c.get(section, 'Authentication');
  return {
    section,
    phase: c.getNum(section, 'Phase'),
    address: c.get(section, 'Address'),
    localAddress: c.get(section, 'Local-address'),
    port: parsePort(c.get(section, 'Port'), CODE_FALLBACKS.port) ?? CODE_FALLBACKS.port,
    transport: c.get(section, 'Transport') ?? CODE_FALLBACKS.transport,
    configuration: c.get(section, 'Configuration') ?? 'Default-phase-1-configuration',
    authentication: auth,
    presharedKey: auth === undefined ? undefined : decodePresharedKey(auth) ?? undefined,
    id: c.get(section, 'ID'),
    remoteId: c.get(section, 'Remote-ID'),
    flags: list(c, section, 'Flags'),
    forceEncapsulation: (c.get(section, 'Force-encapsulation') ?? '').trim().toLowerCase() === 'yes',
  };
}

/** Peers named in [Phase 1] (by address and Default) and by connections, each once, in that order. */
export function peers(c: Config): Peer[] {
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (n: string | undefined): void => {
    if (n === undefined || seen.has(n.toLowerCase())) return;
    seen.add(n.toLowerCase());
    names.push(n);
  };
  for (const b of c.sectionBindings('Phase 1')) add(b.value);
  for (const conn of [...connections(c), ...passiveConnections(c)]) add(conn.isakmpPeer);
  return names.map((n) => peer(c, n)).filter((p): p is Peer => p !== undefined);
}

/** Canonical text of an IP address so 2001:DB8::1 and 2001:db8:0::1 find the same [Phase 1] tag. */
function canonicalIp(a: string): string | undefined {
  const kind = isIP(a);
  if (kind === 4) return a;
  if (kind === 6) {
    try {
      return new URL(`http://[${a}]/`).hostname.slice(1, -1);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** exchange.c: [Phase 1]:<address>, then [Phase 1]:Default. */
export function peerByAddress(c: Config, addr: string): Peer | undefined {
  let name = c.get('Phase 1', addr);
  if (name === undefined) {
    const want = canonicalIp(addr);
    if (want !== undefined) {
      for (const b of c.sectionBindings('Phase 1')) {
        if (b.tag.toLowerCase() !== 'default' && canonicalIp(b.tag) === want) {
          name = b.value;
          break;
        }
      }
    }
  }
  name ??= c.get('Phase 1', 'Default');
  return name === undefined ? undefined : peer(c, name);
}

export function defaultPeer(c: Config): Peer | undefined {
  const name = c.get('Phase 1', 'Default');
  return name === undefined ? undefined : peer(c, name);
}

export function connection(c: Config, section: string, passive = false): Connection | undefined {
  if (!c.hasSection(section)) return undefined;
  const flags = list(c, section, 'Flags');
  return {
    section,
    phase: c.getNum(section, 'Phase'),
    isakmpPeer: c.get(section, 'ISAKMP-peer'),
    configuration: c.get(section, 'Configuration'),
    localId: c.get(section, 'Local-ID'),
    remoteId: c.get(section, 'Remote-ID'),
    flags,
    pfTag: c.get(section, 'PF-Tag'),
    passive,
    activeOnly: flags.some((f) => f.toLowerCase() === 'active-only'),
  };
}

export function connections(c: Config): Connection[] {
  return list(c, 'Phase 2', 'Connections').map((n) => connection(c, n)).filter((x): x is Connection => x !== undefined);
}

export function passiveConnections(c: Config): Connection[] {
  return list(c, 'Phase 2', 'Passive-connections').map((n) => connection(c, n, true)).filter((x): x is Connection => x !== undefined);
}

/** A transform without Life sends no lifetime attributes (the peer's defaults apply). */
function lifeOf(c: Config, section: string): Lifetime[] | 'ANY' {
  const v = c.get(section, 'Life');
  if (v !== undefined && v.trim().toUpperCase() === 'ANY') return 'ANY';
  const names = v === undefined ? [] : splitList(v).items;
  return names.map((n) => lifetime(c, n));
}

export function lifetime(c: Config, section: string): Lifetime {
  const d = c.get(section, 'LIFE_DURATION');
  return {
    section,
    type: c.get(section, 'LIFE_TYPE'),
    duration: d === undefined ? undefined : d.trim().toUpperCase() === 'ANY' ? 'ANY' : parseOfferAccept(d),
  };
}

function numSpec(c: Config, s: string, t: string): OfferAccept | 'ANY' | null | undefined {
  const v = c.get(s, t);
  if (v === undefined) return undefined;
  return v.trim().toUpperCase() === 'ANY' ? 'ANY' : parseOfferAccept(v);
}

export function isakmpTransform(c: Config, section: string): IsakmpTransform {
  return {
    section,
    encryption: c.get(section, 'ENCRYPTION_ALGORITHM'),
    hash: c.get(section, 'HASH_ALGORITHM'),
    authMethod: c.get(section, 'AUTHENTICATION_METHOD'),
    group: c.get(section, 'GROUP_DESCRIPTION'),
    groupType: c.get(section, 'GROUP_TYPE'),
    prf: c.get(section, 'PRF'),
    keyLength: numSpec(c, section, 'KEY_LENGTH'),
    life: lifeOf(c, section),
  };
}

export function phase1Proposal(c: Config, p: Peer | string): Phase1Proposal | undefined {
  const pr = typeof p === 'string' ? peer(c, p) : p;
  if (!pr) return undefined;
  const conf = pr.configuration;
  if (!c.hasSection(conf)) return undefined;
  return {
    section: conf,
    doi: c.get(conf, 'DOI') ?? 'IPSEC',
    exchangeType: c.get(conf, 'EXCHANGE_TYPE'),
    transforms: list(c, conf, 'Transforms').map((t) => isakmpTransform(c, t)),
  };
}

export function ipsecTransform(c: Config, section: string): IpsecTransform {
  return {
    section,
    transformId: c.get(section, 'TRANSFORM_ID'),
    encapsulationMode: c.get(section, 'ENCAPSULATION_MODE'),
    authAlgorithm: c.get(section, 'AUTHENTICATION_ALGORITHM'),
    group: c.get(section, 'GROUP_DESCRIPTION'),
    keyLength: numSpec(c, section, 'KEY_LENGTH'),
    keyRounds: c.get(section, 'KEY_ROUNDS'),
    life: lifeOf(c, section),
  };
}

export function ipsecProtocol(c: Config, section: string): IpsecProtocol {
  return {
    section,
    protocolId: c.get(section, 'PROTOCOL_ID'),
    replayWindow: c.getNum(section, 'ReplayWindow', CODE_FALLBACKS.replayWindow),
    transforms: list(c, section, 'Transforms').map((t) => ipsecTransform(c, t)),
  };
}

export function ipsecSuite(c: Config, section: string): IpsecSuite {
  return { section, protocols: list(c, section, 'Protocols').map((p) => ipsecProtocol(c, p)) };
}

/** The suites a connection offers, in order; each is a separate proposal. */
export function phase2Suites(c: Config, conn: Connection | string): IpsecSuite[] {
  const name = typeof conn === 'string' ? conn : conn.section;
  const conf = c.get(name, 'Configuration');
  if (conf === undefined) return [];
  return list(c, conf, 'Suites').map((s) => ipsecSuite(c, s));
}

/** Suites for SAs set up on demand (PF_KEY acquire), with isakmpd's fallback. */
export function defaultPhase2Suites(c: Config): string[] {
  return c.getList('General', 'Default-phase-2-suites') ?? [DEFAULT_PHASE2_SUITES_FALLBACK];
}

export function phase1Id(c: Config, section: string): Phase1Id | undefined {
  if (!c.hasSection(section)) return undefined;
  return {
    section,
    type: c.get(section, 'ID-type'),
    address: c.get(section, 'Address'),
    network: c.get(section, 'Network'),
    netmask: c.get(section, 'Netmask'),
    name: c.get(section, 'Name'),
  };
}

export function ipsecId(c: Config, section: string): IpsecId | undefined {
  if (!c.hasSection(section)) return undefined;
  return {
    section,
    type: c.get(section, 'ID-type'),
    address: c.get(section, 'Address'),
    network: c.get(section, 'Network'),
    netmask: c.get(section, 'Netmask'),
    protocol: c.get(section, 'Protocol'),
    port: c.get(section, 'Port'),
  };
}

/**
 * Aggressive Mode responder without [peer]:Authentication: the key is in a section named after the
 * initiator's ID (`[10.0.0.1]`, `[foo.bar.org]`, `[user@foo.bar.org]`).
 */
export function initiatorIdSection(c: Config, id: string): InitiatorIdSection | undefined {
  const auth = c.get(id, 'Authentication');
  if (auth === undefined) return undefined;
  return { section: id, authentication: auth, presharedKey: decodePresharedKey(auth) ?? undefined };
}

const defined = (c: Config, t: string): boolean => c.isDefined('General', t);

export function general(c: Config): General {
  const nat = c.getNum('General', 'NAT-T-Keepalive');
  return {
    retransmits: c.getNum('General', 'Retransmits', CODE_FALLBACKS.retransmitsWithoutTag),
    exchangeMaxTime: c.getNum('General', 'Exchange-max-time', 120),
    checkInterval: c.getNum('General', 'Check-interval', CODE_FALLBACKS.checkInterval),
    dpdCheckInterval: c.getNum('General', 'DPD-check-interval', CODE_FALLBACKS.dpdCheckInterval),
    natTKeepalive: nat === undefined || nat < 1 ? CODE_FALLBACKS.natTKeepalive : nat,
    listenOn: c.getList('General', 'Listen-on'),
    // Only the literal prefix "yes" turns KeyNote on (policy.c compares three characters).
    useKeynote: (c.get('General', 'Use-Keynote') ?? '').startsWith('yes'),
    policyFile: c.get('General', 'Policy-file') ?? '/etc/isakmpd/isakmpd.policy',
    pubkeyDirectory: c.get('General', 'Pubkey-directory') ?? '/etc/isakmpd/pubkeys/',
    deleteSAs: !(c.get('General', 'Delete-SAs') ?? 'yes').startsWith('no'),
    acquireOnly: defined(c, 'Acquire-Only'),
    logverbose: defined(c, 'Logverbose'),
    loglevel: c.getList('General', 'Loglevel'),
    renegotiateOnHup: defined(c, 'Renegotiate-on-HUP'),
    sharedSADB: defined(c, 'Shared-SADB'),
    defaultPhase1Id: c.get('General', 'Default-phase-1-ID'),
    defaultPhase2Suites: defaultPhase2Suites(c),
  };
}

export function x509(c: Config): X509Settings {
  const g = (t: string, d: string): string => c.get('X509-certificates', t) ?? d;
  return {
    caDirectory: g('CA-directory', '/etc/isakmpd/ca/'),
    certDirectory: g('Cert-directory', '/etc/isakmpd/certs/'),
    crlDirectory: g('CRL-directory', '/etc/isakmpd/crls/'),
    privateKey: g('Private-key', '/etc/isakmpd/private/local.key'),
    privateKeyDirectory: g('Private-key-directory', '/etc/isakmpd/private/'),
    acceptSelfSigned: c.isDefined('X509-certificates', 'Accept-self-signed'),
  };
}

export function keynote(c: Config): KeyNoteSettings {
  return { credentialDirectory: c.get('KeyNote', 'Credential-directory') ?? '/etc/isakmpd/keynote/' };
}

/**
 * The pre-shared key for a phase 1 exchange, as ike_auth_get_key finds it: [peer]:Authentication, else
 * (Aggressive Mode responder) the section named after the initiator's ID string. Undefined when neither
 * exists; null when the value is an invalid 0x key.
 */
export function presharedKeyFor(c: Config, peerSection: string, initiatorId?: string): Uint8Array | null | undefined {
  const v = c.get(peerSection, 'Authentication') ?? (initiatorId === undefined ? undefined : c.get(initiatorId, 'Authentication'));
  return v === undefined ? undefined : decodePresharedKey(v);
}
