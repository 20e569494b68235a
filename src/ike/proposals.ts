// Building SA offers and choosing from them. The responder picks the first offer it can accept, in the
// initiator's order (RFC 2408 4.2), and echoes that transform unchanged.
import type { IpsecSuite, IpsecTransform, Phase1Transform } from './config.js';
import { cipherName, cipherUsable, groupUsable, hashName, hashUsable } from './crypto-adapter.js';
import {
  EncapMode, EspId, IkeAttr, IkeAuth, IpsecAttr, IpsecAuth, KEY_IKE, LifeType, Proto,
} from './numbers.js';
import type { EspEncr, IntegAlg } from './types.js';
import { attrNum, type Attr, type Proposal, type Transform } from './wire.js';

// ---------- phase 1 ----------

export function phase1Attrs(t: Phase1Transform): Attr[] {
  const a: Attr[] = [
    { type: IkeAttr.ENCRYPTION_ALGORITHM, value: t.encr },
    { type: IkeAttr.HASH_ALGORITHM, value: t.hash },
    { type: IkeAttr.AUTHENTICATION_METHOD, value: t.auth },
    { type: IkeAttr.GROUP_DESCRIPTION, value: t.group },
    { type: IkeAttr.LIFE_TYPE, value: LifeType.SECONDS },
    { type: IkeAttr.LIFE_DURATION, value: t.lifeSeconds },
  ];
  if (t.keyLength) a.push({ type: IkeAttr.KEY_LENGTH, value: t.keyLength });
  return a;
}

export function phase1Proposal(ts: Phase1Transform[]): Proposal {
  return {
    num: 1, protocol: Proto.ISAKMP, spi: Buffer.alloc(0),
    transforms: ts.map((t, i) => ({ num: i + 1, id: KEY_IKE, attrs: phase1Attrs(t) })),
  };
}

/** Reads a received phase 1 transform; undefined when it uses something we do not implement. */
export function readPhase1Transform(t: Transform): Phase1Transform | undefined {
  if (t.id !== KEY_IKE) return undefined;
  const known = new Set<number>([
    IkeAttr.ENCRYPTION_ALGORITHM, IkeAttr.HASH_ALGORITHM, IkeAttr.AUTHENTICATION_METHOD, IkeAttr.GROUP_DESCRIPTION,
    IkeAttr.LIFE_TYPE, IkeAttr.LIFE_DURATION, IkeAttr.KEY_LENGTH,
  ]);
  if (t.attrs.some((a) => !known.has(a.type))) return undefined;
  const encr = attrNum(t.attrs, IkeAttr.ENCRYPTION_ALGORITHM);
  const hash = attrNum(t.attrs, IkeAttr.HASH_ALGORITHM);
  const auth = attrNum(t.attrs, IkeAttr.AUTHENTICATION_METHOD);
  const group = attrNum(t.attrs, IkeAttr.GROUP_DESCRIPTION);
  if (encr === undefined || hash === undefined || auth === undefined || group === undefined) return undefined;
  const keyLength = attrNum(t.attrs, IkeAttr.KEY_LENGTH);
  if (!cipherUsable(encr, keyLength) || !hashUsable(hash) || !groupUsable(group)) return undefined;
  let lifeSeconds = 28800;
  // LIFE_TYPE/LIFE_DURATION come in pairs; only the seconds lifetime is tracked.
  for (let i = 0; i < t.attrs.length; i++) {
    if (t.attrs[i]!.type === IkeAttr.LIFE_TYPE && attrNum([t.attrs[i]!], IkeAttr.LIFE_TYPE) === LifeType.SECONDS) {
      const d = t.attrs[i + 1];
      if (d?.type === IkeAttr.LIFE_DURATION) lifeSeconds = attrNum([d], IkeAttr.LIFE_DURATION) ?? lifeSeconds;
    }
  }
  return { encr, hash, auth, group, lifeSeconds, ...(keyLength !== undefined ? { keyLength } : {}) };
}

const samePhase1 = (a: Phase1Transform, b: Phase1Transform): boolean =>
  a.encr === b.encr && a.hash === b.hash && a.auth === b.auth && a.group === b.group &&
  (a.keyLength ?? 0) === (b.keyLength ?? 0);

/**
 * Responder choice: the first received transform equal to one configured (lifetime: the shorter one wins),
 * among the authentication methods we can do for this peer (default: pre-shared keys).
 */
export function choosePhase1(
  offer: Proposal[], mine: Phase1Transform[], auths: ReadonlySet<number> = new Set([IkeAuth.PRE_SHARED]),
): { transform: Transform; chosen: Phase1Transform } | undefined {
  for (const p of offer) {
    for (const t of p.transforms) {
      const r = readPhase1Transform(t);
      if (!r || !auths.has(r.auth)) continue;
      const m = mine.find((x) => samePhase1(x, r));
      if (m) return { transform: t, chosen: { ...r, lifeSeconds: Math.min(r.lifeSeconds, m.lifeSeconds) } };
    }
  }
  return undefined;
}

/** Initiator check: the reply must carry exactly one transform that we offered. */
export function acceptPhase1Reply(reply: Proposal[], offered: Phase1Transform[]): Phase1Transform | undefined {
  if (reply.length !== 1 || reply[0]!.transforms.length !== 1) return undefined;
  const r = readPhase1Transform(reply[0]!.transforms[0]!);
  if (!r) return undefined;
  const m = offered.find((x) => samePhase1(x, r));
  return m ? { ...r, lifeSeconds: Math.min(r.lifeSeconds, m.lifeSeconds) } : undefined;
}

// ---------- phase 2 ----------

const ESP_ID: Record<EspEncr, number> = { 'aes-cbc': EspId.AES, '3des-cbc': EspId['3DES'], null: EspId.NULL };
const ESP_BY_ID: Record<number, EspEncr> = { [EspId.AES]: 'aes-cbc', [EspId['3DES']]: '3des-cbc', [EspId.NULL]: 'null' };
const INTEG_ID: Record<IntegAlg, number> = {
  'hmac-md5': IpsecAuth.HMAC_MD5, 'hmac-sha1': IpsecAuth.HMAC_SHA, 'hmac-sha2-256': IpsecAuth.HMAC_SHA2_256,
  'hmac-sha2-384': IpsecAuth.HMAC_SHA2_384, 'hmac-sha2-512': IpsecAuth.HMAC_SHA2_512,
};
const INTEG_BY_ID: Record<number, IntegAlg> = Object.fromEntries(Object.entries(INTEG_ID).map(([k, v]) => [v, k as IntegAlg]));
export const INTEG_KEY_BYTES: Record<IntegAlg, number> = {
  'hmac-md5': 16, 'hmac-sha1': 20, 'hmac-sha2-256': 32, 'hmac-sha2-384': 48, 'hmac-sha2-512': 64,
};
export const espKeyBytes = (encr: EspEncr, keyLength?: number): number | undefined =>
  encr === 'null' ? 0 : encr === '3des-cbc' ? (keyLength === undefined || keyLength === 192 ? 24 : undefined)
    : keyLength === undefined ? 16 : [128, 192, 256].includes(keyLength) ? keyLength / 8 : undefined;

/** ENCAPSULATION_MODE for a mode, with UDP encapsulation when NAT-T is in use (RFC 3947 5.1 or the drafts). */
export function encapValue(mode: 'tunnel' | 'transport', natT?: 'rfc' | 'draft'): number {
  if (!natT) return mode === 'tunnel' ? EncapMode.TUNNEL : EncapMode.TRANSPORT;
  if (natT === 'rfc') return mode === 'tunnel' ? EncapMode.UDP_ENCAP_TUNNEL : EncapMode.UDP_ENCAP_TRANSPORT;
  return mode === 'tunnel' ? EncapMode.UDP_ENCAP_TUNNEL_DRAFT : EncapMode.UDP_ENCAP_TRANSPORT_DRAFT;
}
const MODE_BY_ENCAP: Record<number, { mode: 'tunnel' | 'transport'; udp: boolean }> = {
  [EncapMode.TUNNEL]: { mode: 'tunnel', udp: false }, [EncapMode.TRANSPORT]: { mode: 'transport', udp: false },
  [EncapMode.UDP_ENCAP_TUNNEL]: { mode: 'tunnel', udp: true }, [EncapMode.UDP_ENCAP_TRANSPORT]: { mode: 'transport', udp: true },
  [EncapMode.UDP_ENCAP_TUNNEL_DRAFT]: { mode: 'tunnel', udp: true }, [EncapMode.UDP_ENCAP_TRANSPORT_DRAFT]: { mode: 'transport', udp: true },
};

function ipsecAttrs(t: IpsecTransform, natT?: 'rfc' | 'draft'): Attr[] {
  const a: Attr[] = [
    { type: IpsecAttr.SA_LIFE_TYPE, value: LifeType.SECONDS },
    { type: IpsecAttr.SA_LIFE_DURATION, value: t.lifeSeconds },
  ];
  if (t.pfsGroup) a.push({ type: IpsecAttr.GROUP_DESCRIPTION, value: t.pfsGroup });
  a.push({ type: IpsecAttr.ENCAPSULATION_MODE, value: encapValue(t.mode, natT) });
  a.push({ type: IpsecAttr.AUTHENTICATION_ALGORITHM, value: INTEG_ID[t.integ] });
  if (t.keyLength) a.push({ type: IpsecAttr.KEY_LENGTH, value: t.keyLength });
  return a;
}

export function phase2Proposals(suites: IpsecSuite[], spi: number, natT?: 'rfc' | 'draft'): Proposal[] {
  const spiBuf = Buffer.alloc(4);
  spiBuf.writeUInt32BE(spi >>> 0, 0);
  return suites.map((s, i) => ({
    num: i + 1, protocol: Proto.ESP, spi: spiBuf,
    transforms: s.transforms.map((t, j) => ({ num: j + 1, id: ESP_ID[t.encr], attrs: ipsecAttrs(t, natT) })),
  }));
}

export function readIpsecTransform(t: Transform): IpsecTransform | undefined {
  const encr = ESP_BY_ID[t.id];
  if (!encr) return undefined;
  const known = new Set<number>([
    IpsecAttr.SA_LIFE_TYPE, IpsecAttr.SA_LIFE_DURATION, IpsecAttr.GROUP_DESCRIPTION, IpsecAttr.ENCAPSULATION_MODE,
    IpsecAttr.AUTHENTICATION_ALGORITHM, IpsecAttr.KEY_LENGTH,
  ]);
  if (t.attrs.some((a) => !known.has(a.type))) return undefined;
  const integ = INTEG_BY_ID[attrNum(t.attrs, IpsecAttr.AUTHENTICATION_ALGORITHM) ?? -1];
  if (!integ) return undefined;
  const m = MODE_BY_ENCAP[attrNum(t.attrs, IpsecAttr.ENCAPSULATION_MODE) ?? EncapMode.TUNNEL];
  if (!m) return undefined;
  const mode = m.mode;
  const keyLength = attrNum(t.attrs, IpsecAttr.KEY_LENGTH);
  if (espKeyBytes(encr, keyLength) === undefined) return undefined;
  const pfsGroup = attrNum(t.attrs, IpsecAttr.GROUP_DESCRIPTION);
  if (pfsGroup !== undefined && !groupUsable(pfsGroup)) return undefined;
  let lifeSeconds = 28800;
  for (let i = 0; i < t.attrs.length; i++) {
    if (t.attrs[i]!.type === IpsecAttr.SA_LIFE_TYPE && attrNum([t.attrs[i]!], IpsecAttr.SA_LIFE_TYPE) === LifeType.SECONDS) {
      const d = t.attrs[i + 1];
      if (d?.type === IpsecAttr.SA_LIFE_DURATION) lifeSeconds = attrNum([d], IpsecAttr.SA_LIFE_DURATION) ?? lifeSeconds;
    }
  }
  return {
    encr, integ, mode, lifeSeconds, ...(m.udp ? { udpEncap: true } : {}),
    ...(keyLength !== undefined ? { keyLength } : {}), ...(pfsGroup !== undefined ? { pfsGroup } : {}),
  };
}

const sameIpsec = (a: IpsecTransform, b: IpsecTransform): boolean =>
  a.encr === b.encr && a.integ === b.integ && a.mode === b.mode && (a.pfsGroup ?? 0) === (b.pfsGroup ?? 0) &&
  (a.keyLength ?? (a.encr === 'aes-cbc' ? 128 : 0)) === (b.keyLength ?? (b.encr === 'aes-cbc' ? 128 : 0));

export interface Phase2Choice {
  proposal: Proposal;
  transform: Transform;
  chosen: IpsecTransform;
  peerSpi: number;
}

/** Responder choice over ESP-only proposals (AH/IPComp bundles are declined). */
export function choosePhase2(offer: Proposal[], suites: IpsecSuite[]): Phase2Choice | undefined {
  const mine = suites.flatMap((s) => s.transforms);
  for (const p of offer) {
    if (p.protocol !== Proto.ESP || p.spi.length !== 4) continue;
    for (const t of p.transforms) {
      const r = readIpsecTransform(t);
      if (!r) continue;
      const m = mine.find((x) => sameIpsec(x, r));
      if (m) return { proposal: p, transform: t, chosen: { ...r, lifeSeconds: Math.min(r.lifeSeconds, m.lifeSeconds) }, peerSpi: p.spi.readUInt32BE(0) };
    }
  }
  return undefined;
}

export function acceptPhase2Reply(reply: Proposal[], suites: IpsecSuite[]): Phase2Choice | undefined {
  if (reply.length !== 1 || reply[0]!.transforms.length !== 1) return undefined;
  return choosePhase2(reply, suites);
}

/** Names for logs and `show sa`, isakmpd style. */
export function describePhase1(t: Phase1Transform): { encr: string; hash: string; group: number } {
  return { encr: cipherName(t.encr, t.keyLength), hash: hashName(t.hash), group: t.group };
}
