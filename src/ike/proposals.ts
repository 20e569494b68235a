// Building SA offers and choosing from them. The responder picks the first offer it can accept, in the
// initiator's order (RFC 2408 4.2), and echoes that transform unchanged.
import type { IpsecSuite, IpsecTransform, Phase1Transform } from './config.js';
import { cipherName, cipherUsable, groupUsable, hashName, hashUsable } from './crypto-adapter.js';
import type { EspEncr, IntegAlg } from './types.js';
import { attr, attrNumber, type DataAttribute as Attr, type Proposal, type Transform } from '../isakmp/index.js';
import { ahLayout, espLayout } from '../crypto/index.js';
import { u32 } from './ids.js';
import { AhTransformId, ProtocolId, IkeAuthMethod, EncapsulationMode, IpsecAuthAlgorithm, EspTransformId, IsakmpTransformId, IkeAttr, IpsecAttr, LifeType } from '../isakmp/numbers.js';

/** The numeric value of the first attribute of a type (TV, or TLV up to 6 bytes). */
export function attrNum(attrs: readonly Attr[], type: number): number | undefined {
  const a = attrs.find((x) => x.type === type);
  if (!a) return undefined;
  const v = attrNumber(a);
  return typeof v === 'number' ? v : undefined;
}

// ---------- phase 1 ----------

export function phase1Attrs(t: Phase1Transform): Attr[] {
  const a: Attr[] = [
    { type: IkeAttr.ENCRYPTION_ALGORITHM, value: t.encr },
    { type: IkeAttr.HASH_ALGORITHM, value: t.hash },
    { type: IkeAttr.AUTHENTICATION_METHOD, value: t.auth },
    { type: IkeAttr.GROUP_DESCRIPTION, value: t.group },
    // attr(): a duration above 65535 (a day is 86400 s) must go as a variable-length (TLV) attribute
    attr(IkeAttr.LIFE_TYPE, LifeType.SECONDS),
    attr(IkeAttr.LIFE_DURATION, t.lifeSeconds),
  ];
  if (t.lifeKilobytes) a.push(attr(IkeAttr.LIFE_TYPE, LifeType.KILOBYTES), attr(IkeAttr.LIFE_DURATION, t.lifeKilobytes));
  if (t.keyLength) a.push({ type: IkeAttr.KEY_LENGTH, value: t.keyLength });
  return a;
}

export function phase1Proposal(ts: Phase1Transform[]): Proposal {
  return {
    number: 1, protocol: ProtocolId.ISAKMP, spi: new Uint8Array(0),
    transforms: ts.map((t, i) => ({ number: i + 1, id: IsakmpTransformId.KEY_IKE, attributes: phase1Attrs(t) })),
  };
}

/** Reads a received phase 1 transform; undefined when it uses something we do not implement. */
export function readPhase1Transform(t: Transform): Phase1Transform | undefined {
  if (t.id !== IsakmpTransformId.KEY_IKE) return undefined;
  const known = new Set<number>([
    IkeAttr.ENCRYPTION_ALGORITHM, IkeAttr.HASH_ALGORITHM, IkeAttr.AUTHENTICATION_METHOD, IkeAttr.GROUP_DESCRIPTION,
    IkeAttr.LIFE_TYPE, IkeAttr.LIFE_DURATION, IkeAttr.KEY_LENGTH,
  ]);
  if (t.attributes.some((a) => !known.has(a.type))) return undefined;
  const encr = attrNum(t.attributes, IkeAttr.ENCRYPTION_ALGORITHM);
  const hash = attrNum(t.attributes, IkeAttr.HASH_ALGORITHM);
  const auth = attrNum(t.attributes, IkeAttr.AUTHENTICATION_METHOD);
  const group = attrNum(t.attributes, IkeAttr.GROUP_DESCRIPTION);
  if (encr === undefined || hash === undefined || auth === undefined || group === undefined) return undefined;
  const keyLength = attrNum(t.attributes, IkeAttr.KEY_LENGTH);
  if (!cipherUsable(encr, keyLength) || !hashUsable(hash) || !groupUsable(group)) return undefined;
  // LIFE_TYPE/LIFE_DURATION come in pairs (IKE and IPsec DOI number them alike: 11/12 and 1/2 differ only
  // in type numbers), seconds and kilobytes.
  let lifeSeconds = 28800;
  let lifeKilobytes: number | undefined;
  for (let i = 0; i + 1 < t.attributes.length; i++) {
    if (t.attributes[i]!.type !== IkeAttr.LIFE_TYPE || t.attributes[i + 1]!.type !== IkeAttr.LIFE_DURATION) continue;
    const type = attrNum([t.attributes[i]!], IkeAttr.LIFE_TYPE);
    const d = attrNum([t.attributes[i + 1]!], IkeAttr.LIFE_DURATION);
    if (d === undefined) continue;
    if (type === LifeType.SECONDS) lifeSeconds = d;
    else if (type === LifeType.KILOBYTES) lifeKilobytes = d;
  }
  return { encr, hash, auth, group, lifeSeconds, ...(lifeKilobytes ? { lifeKilobytes } : {}), ...(keyLength !== undefined ? { keyLength } : {}) };
}

const samePhase1 = (a: Phase1Transform, b: Phase1Transform): boolean =>
  a.encr === b.encr && a.hash === b.hash && a.auth === b.auth && a.group === b.group &&
  (a.keyLength ?? 0) === (b.keyLength ?? 0);

/**
 * Responder choice: the first received transform equal to one configured (lifetime: the shorter one wins),
 * among the authentication methods we can do for this peer (default: pre-shared keys).
 */
export function choosePhase1(
  offer: Proposal[], mine: Phase1Transform[], auths: ReadonlySet<number> = new Set([IkeAuthMethod.PRE_SHARED]),
): { transform: Transform; chosen: Phase1Transform } | undefined {
  for (const p of offer) {
    for (const t of p.transforms) {
      const r = readPhase1Transform(t);
      if (!r || !auths.has(r.auth)) continue;
      const m = mine.find((x) => samePhase1(x, r));
      if (m) return { transform: t, chosen: shorterLife(r, m) };
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
  return m ? shorterLife(r, m) : undefined;
}

/** The received transform with the shorter of both lifetimes, seconds and kilobytes (unset = none). */
function shorterLife(r: Phase1Transform, m: Phase1Transform): Phase1Transform {
  const kb = r.lifeKilobytes && m.lifeKilobytes ? Math.min(r.lifeKilobytes, m.lifeKilobytes) : r.lifeKilobytes || m.lifeKilobytes;
  const out: Phase1Transform = { ...r, lifeSeconds: Math.min(r.lifeSeconds, m.lifeSeconds) };
  if (kb) out.lifeKilobytes = kb;
  return out;
}

// ---------- phase 2 ----------
// A suite is one proposal number; its transforms may belong to ESP and AH, which then go out as one
// proposal payload per protocol under the same number (an AH+ESP bundle, RFC 2408 4.2, as isakmpd does).
// Sizes and validity come from the algorithm registry in src/crypto (espLayout/ahLayout).

export type IpsecProto = 'esp' | 'ah';
export const protoOf = (t: IpsecTransform): IpsecProto => t.protocol ?? 'esp';
const PROTO_ID: Record<IpsecProto, number> = { esp: ProtocolId.IPSEC_ESP, ah: ProtocolId.IPSEC_AH };
const PROTO_BY_ID: Record<number, IpsecProto> = { [ProtocolId.IPSEC_ESP]: 'esp', [ProtocolId.IPSEC_AH]: 'ah' };

const ESP_ID: Record<EspEncr, number> = {
  'aes-cbc': EspTransformId.AES, '3des-cbc': EspTransformId['3DES'], null: EspTransformId.NULL, 'aes-ctr': EspTransformId.AES_CTR,
  'aes-gcm-8': EspTransformId.AES_GCM_8, 'aes-gcm-12': EspTransformId.AES_GCM_12, 'aes-gcm-16': EspTransformId.AES_GCM_16,
  'aes-gmac': EspTransformId.AES_GMAC,
};
const ESP_BY_ID: Record<number, EspEncr> = Object.fromEntries(Object.entries(ESP_ID).map(([k, v]) => [v, k as EspEncr]));
const INTEG_ID: Record<Exclude<IntegAlg, 'none'>, number> = {
  'hmac-md5': IpsecAuthAlgorithm.HMAC_MD5, 'hmac-sha1': IpsecAuthAlgorithm.HMAC_SHA, 'hmac-sha2-256': IpsecAuthAlgorithm.HMAC_SHA2_256,
  'hmac-sha2-384': IpsecAuthAlgorithm.HMAC_SHA2_384, 'hmac-sha2-512': IpsecAuthAlgorithm.HMAC_SHA2_512,
};
const INTEG_BY_ID: Record<number, IntegAlg> = Object.fromEntries(Object.entries(INTEG_ID).map(([k, v]) => [v, k as IntegAlg]));
/** AH transform IDs name the same algorithms as the AUTHENTICATION_ALGORITHM values (RFC 2407 4.4.3). */
const AH_ID: Record<Exclude<IntegAlg, 'none'>, number> = {
  'hmac-md5': AhTransformId.MD5, 'hmac-sha1': AhTransformId.SHA, 'hmac-sha2-256': AhTransformId.SHA2_256,
  'hmac-sha2-384': AhTransformId.SHA2_384, 'hmac-sha2-512': AhTransformId.SHA2_512,
};
const AH_BY_ID: Record<number, IntegAlg> = Object.fromEntries(Object.entries(AH_ID).map(([k, v]) => [v, k as IntegAlg]));

/** Transforms whose KEY_LENGTH is variable (AES family): 128 bits when the attribute is absent. */
const variableKey = (encr: EspEncr): boolean => encr.startsWith('aes-');
const keyBitsOf = (t: IpsecTransform): number | undefined =>
  protoOf(t) === 'ah' ? undefined : (t.keyLength ?? (variableKey(t.encr) ? 128 : undefined));

/**
 * KEYMAT bytes for one SA of this transform: the encryption key with its salt (CTR/GCM/GMAC, RFC 3686 5.1,
 * RFC 4106 8.1, as the data plane takes it), then the integrity key. Undefined when the registry refuses it.
 */
export function keySizes(t: IpsecTransform): { enc: number; auth: number; keyBits: number } | undefined {
  if (protoOf(t) === 'ah') {
    if (t.integ === 'none') return undefined;
    const l = ahLayout(AH_ID[t.integ], INTEG_ID[t.integ]);
    return l.ok ? { enc: 0, auth: l.value.integKeyBytes, keyBits: 0 } : undefined;
  }
  const l = espLayout(ESP_ID[t.encr], keyBitsOf(t), t.integ === 'none' ? undefined : INTEG_ID[t.integ]);
  if (!l.ok) return undefined;
  return { enc: l.value.encKeyBytes + l.value.saltBytes, auth: l.value.integKeyBytes, keyBits: l.value.encKeyBytes * 8 };
}

/** ENCAPSULATION_MODE for a mode, with UDP encapsulation when NAT-T is in use (RFC 3947 5.1 or the drafts). */
export function encapValue(mode: 'tunnel' | 'transport', natT?: 'rfc' | 'draft'): number {
  if (!natT) return mode === 'tunnel' ? EncapsulationMode.TUNNEL : EncapsulationMode.TRANSPORT;
  if (natT === 'rfc') return mode === 'tunnel' ? EncapsulationMode.UDP_ENCAP_TUNNEL : EncapsulationMode.UDP_ENCAP_TRANSPORT;
  return mode === 'tunnel' ? EncapsulationMode.UDP_ENCAP_TUNNEL_DRAFT : EncapsulationMode.UDP_ENCAP_TRANSPORT_DRAFT;
}
const MODE_BY_ENCAP: Record<number, { mode: 'tunnel' | 'transport'; udp: boolean }> = {
  [EncapsulationMode.TUNNEL]: { mode: 'tunnel', udp: false }, [EncapsulationMode.TRANSPORT]: { mode: 'transport', udp: false },
  [EncapsulationMode.UDP_ENCAP_TUNNEL]: { mode: 'tunnel', udp: true }, [EncapsulationMode.UDP_ENCAP_TRANSPORT]: { mode: 'transport', udp: true },
  [EncapsulationMode.UDP_ENCAP_TUNNEL_DRAFT]: { mode: 'tunnel', udp: true }, [EncapsulationMode.UDP_ENCAP_TRANSPORT_DRAFT]: { mode: 'transport', udp: true },
};

/** SA_LIFE_TYPE/SA_LIFE_DURATION pairs (RFC 2407 4.5): seconds, and kilobytes when set. */
export function lifeAttrs(lifeSeconds: number, lifeKilobytes?: number): Attr[] {
  const a = [attr(IpsecAttr.SA_LIFE_TYPE, LifeType.SECONDS), attr(IpsecAttr.SA_LIFE_DURATION, lifeSeconds)];
  if (lifeKilobytes) a.push(attr(IpsecAttr.SA_LIFE_TYPE, LifeType.KILOBYTES), attr(IpsecAttr.SA_LIFE_DURATION, lifeKilobytes));
  return a;
}

/** Reads SA_LIFE_TYPE/SA_LIFE_DURATION pairs; a type without its duration is ignored. */
export function readLife(attrs: readonly Attr[]): { seconds?: number; kilobytes?: number } {
  const out: { seconds?: number; kilobytes?: number } = {};
  for (let i = 0; i + 1 < attrs.length; i++) {
    if (attrs[i]!.type !== IpsecAttr.SA_LIFE_TYPE || attrs[i + 1]!.type !== IpsecAttr.SA_LIFE_DURATION) continue;
    const type = attrNum([attrs[i]!], IpsecAttr.SA_LIFE_TYPE);
    const d = attrNum([attrs[i + 1]!], IpsecAttr.SA_LIFE_DURATION);
    if (d === undefined) continue;
    if (type === LifeType.SECONDS) out.seconds = d;
    else if (type === LifeType.KILOBYTES) out.kilobytes = d;
  }
  return out;
}

function ipsecAttrs(t: IpsecTransform, natT?: 'rfc' | 'draft'): Attr[] {
  const a: Attr[] = lifeAttrs(t.lifeSeconds, t.lifeKilobytes);
  if (t.pfsGroup) a.push({ type: IpsecAttr.GROUP_DESCRIPTION, value: t.pfsGroup });
  a.push({ type: IpsecAttr.ENCAPSULATION_MODE, value: encapValue(t.mode, natT) });
  if (t.integ !== 'none') a.push({ type: IpsecAttr.AUTHENTICATION_ALGORITHM, value: INTEG_ID[t.integ] });
  if (protoOf(t) === 'esp' && (t.keyLength || variableKey(t.encr))) a.push({ type: IpsecAttr.KEY_LENGTH, value: keyBitsOf(t)! });
  if (t.esn) a.push({ type: IpsecAttr.EXTENDED_SEQ, value: 1 });
  return a;
}

/** The protocols of a suite in the order they first appear (AH before ESP when written so). */
export const suiteProtocols = (s: IpsecSuite): IpsecProto[] => [...new Set(s.transforms.map(protoOf))];

/** Our offer: suite i is proposal number i+1, one proposal payload per protocol with that protocol's SPI. */
export function phase2Proposals(suites: IpsecSuite[], spis: Partial<Record<IpsecProto, number>>, natT?: 'rfc' | 'draft'): Proposal[] {
  return suites.flatMap((s, i) => suiteProtocols(s).map((proto) => ({
    number: i + 1, protocol: PROTO_ID[proto], spi: u32(spis[proto] ?? 0),
    transforms: s.transforms.filter((t) => protoOf(t) === proto)
      .map((t, j) => ({ number: j + 1, id: proto === 'ah' ? AH_ID[t.integ as Exclude<IntegAlg, 'none'>] : ESP_ID[t.encr], attributes: ipsecAttrs(t, natT) })),
  })));
}

const KNOWN_IPSEC_ATTRS = new Set<number>([
  IpsecAttr.SA_LIFE_TYPE, IpsecAttr.SA_LIFE_DURATION, IpsecAttr.GROUP_DESCRIPTION, IpsecAttr.ENCAPSULATION_MODE,
  IpsecAttr.AUTHENTICATION_ALGORITHM, IpsecAttr.KEY_LENGTH, IpsecAttr.EXTENDED_SEQ,
]);

/** A received ESP or AH transform as ours; undefined when it names something we cannot run. */
export function readIpsecTransform(t: Transform, protocol: number = ProtocolId.IPSEC_ESP): IpsecTransform | undefined {
  const proto = PROTO_BY_ID[protocol];
  if (!proto) return undefined;
  if (t.attributes.some((a) => !KNOWN_IPSEC_ATTRS.has(a.type))) return undefined;
  const authAttr = attrNum(t.attributes, IpsecAttr.AUTHENTICATION_ALGORITHM);
  let encr: EspEncr = 'null';
  let integ: IntegAlg;
  if (proto === 'ah') {
    const a = AH_BY_ID[t.id];
    if (!a || (authAttr !== undefined && INTEG_BY_ID[authAttr] !== a)) return undefined;
    integ = a;
  } else {
    const e = ESP_BY_ID[t.id];
    if (!e) return undefined;
    encr = e;
    integ = authAttr === undefined ? 'none' : (INTEG_BY_ID[authAttr] ?? ('unknown' as IntegAlg));
    if (!(integ in INTEG_ID) && integ !== 'none') return undefined;
  }
  const m = MODE_BY_ENCAP[attrNum(t.attributes, IpsecAttr.ENCAPSULATION_MODE) ?? EncapsulationMode.TUNNEL];
  if (!m) return undefined;
  const keyLength = attrNum(t.attributes, IpsecAttr.KEY_LENGTH);
  const pfsGroup = attrNum(t.attributes, IpsecAttr.GROUP_DESCRIPTION);
  if (pfsGroup !== undefined && !groupUsable(pfsGroup)) return undefined;
  const esn = attrNum(t.attributes, IpsecAttr.EXTENDED_SEQ) === 1;
  const life = readLife(t.attributes);
  const r: IpsecTransform = {
    ...(proto === 'ah' ? { protocol: 'ah' as const } : {}),
    encr, integ, mode: m.mode, lifeSeconds: life.seconds ?? 28800, ...(life.kilobytes ? { lifeKilobytes: life.kilobytes } : {}),
    ...(m.udp ? { udpEncap: true } : {}), ...(keyLength !== undefined ? { keyLength } : {}),
    ...(pfsGroup !== undefined ? { pfsGroup } : {}), ...(esn ? { esn: true } : {}),
  };
  return keySizes(r) ? r : undefined;
}

const sameIpsec = (a: IpsecTransform, b: IpsecTransform): boolean =>
  protoOf(a) === protoOf(b) && a.encr === b.encr && a.integ === b.integ && a.mode === b.mode &&
  (a.pfsGroup ?? 0) === (b.pfsGroup ?? 0) && (keyBitsOf(a) ?? 0) === (keyBitsOf(b) ?? 0) && !!a.esn === !!b.esn;

/** The shorter of two lifetimes where set (0/undefined = none). */
const minLife = (a?: number, b?: number): number | undefined => (a && b ? Math.min(a, b) : a || b || undefined);

export interface Phase2Part {
  protocol: IpsecProto;
  proposal: Proposal;
  transform: Transform;
  chosen: IpsecTransform;
  peerSpi: number;
  /** Our configured lifetime was shorter than the offer: tell the initiator (RESPONDER-LIFETIME). */
  shorterThanOffer: boolean;
}

export interface Phase2Choice {
  number: number;
  /** One part per protocol of the chosen proposal number, in the offer's order. */
  parts: Phase2Part[];
}

/**
 * Responder choice (RFC 2408 4.2): the first proposal number whose every protocol has a transform equal to
 * one of a single configured suite with the same protocols; lifetimes are the shorter of offer and ours.
 */
export function choosePhase2(offer: Proposal[], suites: IpsecSuite[]): Phase2Choice | undefined {
  const numbers = [...new Set(offer.map((p) => p.number))];
  for (const n of numbers) {
    const group = offer.filter((p) => p.number === n);
    if (group.some((p) => !PROTO_BY_ID[p.protocol] || p.spi.length !== 4)) continue;
    const protos = group.map((p) => PROTO_BY_ID[p.protocol]!);
    if (new Set(protos).size !== protos.length) continue;
    for (const s of suites) {
      const mine = suiteProtocols(s);
      if (mine.length !== protos.length || !protos.every((x) => mine.includes(x))) continue;
      const parts: Phase2Part[] = [];
      for (const p of group) {
        let part: Phase2Part | undefined;
        for (const t of p.transforms) {
          const r = readIpsecTransform(t, p.protocol);
          const m = r && s.transforms.find((x) => sameIpsec(x, r));
          if (!r || !m) continue;
          const lifeKilobytes = minLife(r.lifeKilobytes, m.lifeKilobytes);
          const chosen: IpsecTransform = { ...r, lifeSeconds: Math.min(r.lifeSeconds, m.lifeSeconds), ...(lifeKilobytes ? { lifeKilobytes } : {}) };
          const shorterThanOffer = m.lifeSeconds < r.lifeSeconds || (!!m.lifeKilobytes && (!r.lifeKilobytes || m.lifeKilobytes < r.lifeKilobytes));
          part = { protocol: protoOf(r), proposal: p, transform: t, chosen, peerSpi: Buffer.from(p.spi).readUInt32BE(0), shorterThanOffer };
          break;
        }
        if (!part) break;
        parts.push(part);
      }
      if (parts.length === group.length) return { number: n, parts };
    }
  }
  return undefined;
}

/** Initiator check: one proposal number, one transform per protocol, each one we offered. */
export function acceptPhase2Reply(reply: Proposal[], suites: IpsecSuite[]): Phase2Choice | undefined {
  if (reply.length === 0 || new Set(reply.map((p) => p.number)).size !== 1 || reply.some((p) => p.transforms.length !== 1)) return undefined;
  return choosePhase2(reply, suites);
}

/** Names for logs and `show sa`, isakmpd style. */
export function describePhase1(t: Phase1Transform): { encr: string; hash: string; group: number } {
  return { encr: cipherName(t.encr, t.keyLength), hash: hashName(t.hash), group: t.group };
}
