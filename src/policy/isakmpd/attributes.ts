// The action attributes isakmpd hands to KeyNote for a Quick Mode decision (isakmpd policy.c,
// policy_callback), computed from a plain description of the negotiated SA. Names, spellings and
// formats follow isakmpd: zero-padded dotted quads, eight 4-digit lower-case hex groups for IPv6,
// "" for values the SA does not carry, and its quirks (ECN_TUNNEL falling through into the
// encapsulation case, AH SHA2 transforms naming ah_auth_alg).
import { readSingle } from '../der.js';
import { nameOneline } from '../keys.js';
import { AhTransformId, EncapsulationMode, EspTransformId, IdType, IpcompTransformId, IpsecAuthAlgorithm, numberOf, type NumberTable } from '../../isakmp/numbers.js';

export type IdTypeName =
  | 'IPV4_ADDR' | 'FQDN' | 'USER_FQDN' | 'IPV4_ADDR_SUBNET' | 'IPV6_ADDR' | 'IPV6_ADDR_SUBNET'
  | 'IPV4_RANGE' | 'IPV6_RANGE' | 'DER_ASN1_DN' | 'DER_ASN1_GN' | 'KEY_ID';

/** An IPsec DOI identity (RFC 2407 4.6.2) as the policy needs to see it. */
export interface IdentityInput {
  /** ID type number or its isakmpd name */
  type: number | IdTypeName | string;
  /** address for *_ADDR; network for *_SUBNET; first address for *_RANGE */
  address?: string;
  /** netmask for *_SUBNET: dotted/colon form or prefix length */
  mask?: string | number;
  /** last address for *_RANGE */
  end?: string;
  /** FQDN / USER_FQDN text; KEY_ID bytes; DER_ASN1_DN as a one-line DN string or DER bytes */
  value?: string | Uint8Array;
  /** IP protocol number (0 = any) */
  protocol?: number;
  port?: number;
}

/** One protocol of the proposal under decision, with its chosen transform. */
export interface ProtocolInput {
  protocol: 'esp' | 'ah' | 'ipcomp' | 2 | 3 | 4;
  /** transform ID number or isakmpd name (3DES, AES, SHA2_256, DEFLATE, ...) */
  transformId: number | string;
  /**
   * The chosen transform's attributes in wire order, when available: reproduces isakmpd exactly,
   * including attribute-order effects. When absent, the convenience fields below are used.
   */
  attributes?: Array<{ type: number; value: number; length?: number }>;
  lifeSeconds?: number;
  lifeKbytes?: number;
  groupDesc?: number;
  encapsulation?: number | string;
  authAlgorithm?: number | string;
  keyLength?: number;
  keyRounds?: number;
  dictSize?: number;
  privateAlgorithm?: number;
  /** ECN_TUNNEL attribute value, if the transform carries one */
  ecnTunnel?: number;
}

export interface QuickModeDecisionInput {
  /** phase 1 (the ISAKMP SA this Quick Mode runs under) */
  phase1: {
    exchange: 'main' | 'aggressive';
    /** DH group of the ISAKMP SA */
    group: number;
    /** how phase 1 was authenticated; selects the requesting principals, not an attribute */
    authMethod?: 'psk' | 'rsa-sig' | 'keynote';
    localAddress: string;
    remoteAddress: string;
    remotePort?: number;
    /** the peer's phase 1 identity (id_r if we initiated phase 1, else id_i) */
    remoteId: IdentityInput;
  };
  /** true if this daemon initiated the Quick Mode exchange */
  initiator: boolean;
  /** Quick Mode does its own DH exchange */
  pfs: boolean;
  protocols: ProtocolInput[];
  /** client IDs of the Quick Mode (IDci/IDcr seen from our side); absent when none were sent */
  localFilter?: IdentityInput;
  remoteFilter?: IdentityInput;
  /** decision time, for GMTTimeOfDay / LocalTimeOfDay (default: now) */
  now?: Date;
}

const ESP_ENC: Record<number, string> = {
  1: 'des-iv64', 2: 'des', 3: '3des', 12: 'aes', 13: 'aes', 20: 'aes', 23: 'aes', 4: 'rc5', 5: 'idea', 6: 'cast',
  7: 'blowfish', 8: '3idea', 9: 'des-iv32', 10: 'rc4', 11: 'null',
};
const AUTH_ALG: Record<number, string> = {
  1: 'hmac-md5', 2: 'hmac-sha', 8: 'hmac-ripemd', 5: 'hmac-sha2-256', 6: 'hmac-sha2-384', 7: 'hmac-sha2-512', 3: 'des-mac', 4: 'kpdk',
};
const AH_HASH: Record<number, string> = { 2: 'md5', 3: 'sha', 8: 'ripemd', 4: 'des' };
const AH_SHA2: Record<number, string> = { 5: 'sha2-256', 6: 'sha2-384', 7: 'sha2-512' };
const COMP_ALG: Record<number, string> = { 1: 'oui', 2: 'deflate', 3: 'lzs', 4: 'v42bis' };
const ID_TYPE_TEXT: Record<number, string> = {
  1: 'IPv4 address', 7: 'IPv4 range', 4: 'IPv4 subnet', 5: 'IPv6 address', 8: 'IPv6 range', 6: 'IPv6 subnet',
  2: 'FQDN', 3: 'User FQDN', 9: 'ASN1 DN', 10: 'ASN1 GN', 11: 'Key ID',
};

/** IPsec attribute types (RFC 2407 4.5) */
const A = { LIFE_TYPE: 1, LIFE_DURATION: 2, GROUP: 3, ENCAP: 4, AUTH: 5, KEY_LENGTH: 6, KEY_ROUNDS: 7, DICT: 8, PRIVATE: 9, ECN: 10 } as const;

export class AttributeInputError extends Error {}

function num(table: NumberTable, v: number | string, what: string): number {
  if (typeof v === 'number') return v;
  if (/^\d+$/.test(v)) return Number(v);
  const n = numberOf(table, v);
  if (n === undefined) throw new AttributeInputError(`unknown ${what} '${v}'`);
  return n;
}

// ---- address formatting ----

function parseV4(s: string): number[] {
  const p = s.trim().split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new AttributeInputError(`bad IPv4 address '${s}'`);
  return p.map(Number);
}

function parseV6(s: string): number[] {
  let t = s.trim().replace(/%.*$/, '');
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    tail = parseV4(v4[1]!);
    t = t.slice(0, -v4[1]!.length) + '0:0';
  }
  const halves = t.split('::');
  if (halves.length > 2) throw new AttributeInputError(`bad IPv6 address '${s}'`);
  const words = (h: string): number[] => (h === '' ? [] : h.split(':').map((w) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) throw new AttributeInputError(`bad IPv6 address '${s}'`);
    return parseInt(w, 16);
  }));
  const a = words(halves[0]!);
  const b = halves.length === 2 ? words(halves[1]!) : [];
  const fill = 8 - a.length - b.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) throw new AttributeInputError(`bad IPv6 address '${s}'`);
  const all = [...a, ...new Array<number>(fill).fill(0), ...b];
  const bytes = all.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

export const isV6 = (s: string): boolean => s.includes(':');
export const addressBytes = (s: string): number[] => (isV6(s) ? parseV6(s) : parseV4(s));

/** isakmpd's zero-padded address text. */
export function paddedAddress(bytes: number[]): string {
  if (bytes.length === 4) return bytes.map((b) => String(b).padStart(3, '0')).join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(bytes[i]!.toString(16).padStart(2, '0') + bytes[i + 1]!.toString(16).padStart(2, '0'));
  return g.join(':');
}

export const padAddress = (s: string): string => paddedAddress(addressBytes(s));

function maskBytes(mask: string | number, len: number): number[] {
  if (typeof mask === 'number' || /^\d+$/.test(mask)) {
    const bits = Number(mask);
    if (bits < 0 || bits > len * 8) throw new AttributeInputError(`bad prefix length ${mask}`);
    return Array.from({ length: len }, (_, i) => {
      const b = Math.max(0, Math.min(8, bits - i * 8));
      return (0xff << (8 - b)) & 0xff;
    });
  }
  const m = addressBytes(mask);
  if (m.length !== len) throw new AttributeInputError(`mask '${mask}' does not match the address family`);
  return m;
}

function printable(b: Uint8Array): boolean {
  for (const c of b) if (c < 0x20 || c > 0x7e) return false;
  return true;
}

interface IdText {
  type: string;
  text: string;
  lower: string;
  upper: string;
  proto: string;
  port: string;
}

function protoText(p: number | undefined): string {
  const n = p ?? 0;
  return n === 6 ? 'tcp' : n === 17 ? 'udp' : n === 97 ? 'etherip' : String(n);
}

/** Text forms of an identity, as policy_callback computes them. */
export function identityText(id: IdentityInput): IdText {
  const t = num(IdType, id.type, 'ID type');
  const out: IdText = { type: ID_TYPE_TEXT[t] ?? '', text: '', lower: '', upper: '', proto: protoText(id.protocol), port: String(id.port ?? 0) };
  if (!ID_TYPE_TEXT[t]) throw new AttributeInputError(`unknown ID type ${t}`);
  const need = (v: string | undefined, what: string): string => {
    if (v === undefined) throw new AttributeInputError(`${out.type} identity needs ${what}`);
    return v;
  };
  switch (t) {
    case 1:
    case 5: {
      const a = addressBytes(need(id.address, 'an address'));
      if ((t === 1) !== (a.length === 4)) throw new AttributeInputError(`${out.type} identity with address '${id.address}'`);
      out.lower = out.upper = out.text = paddedAddress(a);
      break;
    }
    case 7:
    case 8: {
      const lo = addressBytes(need(id.address, 'a first address'));
      const hi = addressBytes(need(id.end, 'a last address (end)'));
      out.lower = paddedAddress(lo);
      out.upper = paddedAddress(hi);
      out.text = `${out.lower}-${out.upper}`;
      break;
    }
    case 4:
    case 6: {
      const a = addressBytes(need(id.address, 'a network address'));
      const m = maskBytes(id.mask ?? (a.length === 4 ? 32 : 128), a.length);
      out.lower = paddedAddress(a.map((b, i) => b & m[i]!));
      out.upper = paddedAddress(a.map((b, i) => (b & m[i]!) | (~m[i]! & 0xff)));
      out.text = `${out.lower}-${out.upper}`;
      break;
    }
    case 2:
    case 3:
      out.text = typeof id.value === 'string' ? id.value : Buffer.from(id.value ?? []).toString('latin1');
      break;
    case 9:
      out.text = typeof id.value === 'string' ? id.value : id.value ? dnFromDer(id.value) : '';
      break;
    case 10:
      break; // isakmpd leaves ASN1 GN empty
    case 11: {
      const b = typeof id.value === 'string' ? Buffer.from(id.value, 'latin1') : Buffer.from(id.value ?? []);
      // isakmpd's hex loop repeats the first byte: reproduced so policies written against it agree
      out.text = printable(b) ? b.toString('latin1') : b.length ? b[0]!.toString(16).padStart(2, '0').repeat(b.length) : '';
      break;
    }
  }
  return out;
}

/** DER Name -> one-line DN, as x509_DN_string prints it. */
function dnFromDer(der: Uint8Array): string {
  try {
    return nameOneline(readSingle(Buffer.from(der)));
  } catch {
    throw new AttributeInputError('DER_ASN1_DN identity does not decode as an X.509 Name');
  }
}

function timeOfDay(d: Date, utc: boolean): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return utc
    ? `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`
    : `${p(d.getFullYear(), 4)}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Every attribute name policy_callback answers; anything else is "". */
export const ISAKMPD_ATTRIBUTE_NAMES = [
  'app_domain', 'doi', 'initiator', 'phase_1', 'phase1_group_desc', 'pfs', 'GMTTimeOfDay', 'LocalTimeOfDay',
  'esp_present', 'ah_present', 'comp_present', 'esp_enc_alg', 'esp_auth_alg', 'ah_hash_alg', 'ah_auth_alg', 'comp_alg',
  'esp_encapsulation', 'ah_encapsulation', 'comp_encapsulation', 'esp_ecn', 'ah_ecn', 'comp_ecn',
  'esp_life_seconds', 'esp_life_kbytes', 'ah_life_seconds', 'ah_life_kbytes', 'comp_life_seconds', 'comp_life_kbytes',
  'esp_group_desc', 'ah_group_desc', 'comp_group_desc', 'esp_key_length', 'esp_key_rounds', 'ah_key_length', 'ah_key_rounds',
  'comp_dict_size', 'comp_private_alg',
  'remote_filter_type', 'remote_filter', 'remote_filter_addr_lower', 'remote_filter_addr_upper', 'remote_filter_port', 'remote_filter_proto',
  'local_filter_type', 'local_filter', 'local_filter_addr_lower', 'local_filter_addr_upper', 'local_filter_port', 'local_filter_proto',
  'remote_id_type', 'remote_id', 'remote_id_addr_lower', 'remote_id_addr_upper', 'remote_id_port', 'remote_id_proto',
  'remote_negotiation_address', 'remote_ike_address', 'local_negotiation_address', 'local_ike_address',
] as const;

function protoKey(p: ProtocolInput['protocol']): 'esp' | 'ah' | 'comp' {
  if (p === 'esp' || p === 3) return 'esp';
  if (p === 'ah' || p === 2) return 'ah';
  if (p === 'ipcomp' || p === 4) return 'comp';
  throw new AttributeInputError(`unknown IPsec protocol ${String(p)}`);
}

function attributeList(p: ProtocolInput): Array<{ type: number; value: number; length?: number }> {
  if (p.attributes) return p.attributes;
  const out: Array<{ type: number; value: number; length?: number }> = [];
  if (p.lifeSeconds !== undefined) out.push({ type: A.LIFE_TYPE, value: 1 }, { type: A.LIFE_DURATION, value: p.lifeSeconds });
  if (p.lifeKbytes !== undefined) out.push({ type: A.LIFE_TYPE, value: 2 }, { type: A.LIFE_DURATION, value: p.lifeKbytes });
  if (p.groupDesc !== undefined) out.push({ type: A.GROUP, value: p.groupDesc });
  if (p.encapsulation !== undefined) out.push({ type: A.ENCAP, value: num(EncapsulationMode, p.encapsulation, 'encapsulation mode') });
  if (p.authAlgorithm !== undefined) out.push({ type: A.AUTH, value: num(IpsecAuthAlgorithm, p.authAlgorithm, 'authentication algorithm') });
  if (p.keyLength !== undefined) out.push({ type: A.KEY_LENGTH, value: p.keyLength });
  if (p.keyRounds !== undefined) out.push({ type: A.KEY_ROUNDS, value: p.keyRounds });
  if (p.dictSize !== undefined) out.push({ type: A.DICT, value: p.dictSize });
  if (p.privateAlgorithm !== undefined) out.push({ type: A.PRIVATE, value: p.privateAlgorithm });
  if (p.ecnTunnel !== undefined) out.push({ type: A.ECN, value: p.ecnTunnel });
  return out;
}

/**
 * The action attribute set for one Quick Mode decision. Throws AttributeInputError when the
 * description itself is malformed (a programming error in the caller, not a peer's fault).
 */
export function buildActionAttributes(d: QuickModeDecisionInput): Record<string, string> {
  const r: Record<string, string> = Object.create(null);
  for (const n of ISAKMPD_ATTRIBUTE_NAMES) r[n] = '';
  for (const n of ['esp_present', 'ah_present', 'comp_present', 'pfs', 'esp_ecn', 'ah_ecn', 'comp_ecn']) r[n] = 'no';
  r.app_domain = 'IPsec policy';
  r.doi = 'ipsec';
  if (d.pfs) r.pfs = 'yes';
  r.phase1_group_desc = String(d.phase1.group >>> 0);

  let lifeType = 0;
  for (const p of d.protocols) {
    const k = protoKey(p.protocol);
    r[`${k}_present`] = 'yes';
    if (k === 'ah') {
      const id = num(AhTransformId, p.transformId, 'AH transform');
      if (AH_HASH[id]) r.ah_hash_alg = AH_HASH[id]!;
      if (AH_SHA2[id]) r.ah_auth_alg = AH_SHA2[id]!;
    } else if (k === 'esp') {
      const id = num(EspTransformId, p.transformId, 'ESP transform');
      if (ESP_ENC[id]) r.esp_enc_alg = ESP_ENC[id]!;
    } else {
      const id = num(IpcompTransformId, p.transformId, 'IPCOMP transform');
      if (COMP_ALG[id]) r.comp_alg = COMP_ALG[id]!;
    }
    for (const a of attributeList(p)) {
      const v = a.value >>> 0;
      switch (a.type) {
        case A.LIFE_TYPE:
          lifeType = v & 0xffff;
          break;
        case A.LIFE_DURATION:
          r[`${k}_life_${lifeType === 1 ? 'seconds' : 'kbytes'}`] = String(v);
          break;
        case A.GROUP:
          r[`${k}_group_desc`] = String(v & 0xffff);
          break;
        case A.ECN:
        case A.ENCAP:
          if (a.type === A.ECN && v & 0xffff) r[`${k}_ecn`] = 'yes';
          // isakmpd: the ECN case has no break and lands in the encapsulation case
          r[`${k}_encapsulation`] = (v & 0xffff) === 1 ? 'tunnel' : (v & 0xffff) === 3 || (v & 0xffff) === 61443 ? 'udp-encap-tunnel' : 'transport';
          break;
        case A.AUTH:
          if (k !== 'comp' && AUTH_ALG[v & 0xffff]) r[`${k}_auth_alg`] = AUTH_ALG[v & 0xffff]!;
          break;
        case A.KEY_LENGTH:
          if (k !== 'comp') r[`${k}_key_length`] = String(v & 0xffff);
          break;
        case A.KEY_ROUNDS:
          if (k !== 'comp') r[`${k}_key_rounds`] = String(v & 0xffff);
          break;
        case A.DICT:
          r.comp_dict_size = String(v & 0xffff);
          break;
        case A.PRIVATE:
          r.comp_private_alg = String(v & 0xffff);
          break;
      }
    }
  }

  r.local_ike_address = r.local_negotiation_address = padAddress(d.phase1.localAddress);
  r.remote_ike_address = r.remote_negotiation_address = padAddress(d.phase1.remoteAddress);
  r.phase_1 = d.phase1.exchange;

  const rid = identityText(d.phase1.remoteId);
  r.remote_id_type = rid.type;
  r.remote_id = rid.text;
  r.remote_id_addr_lower = rid.lower;
  r.remote_id_addr_upper = rid.upper;
  r.remote_id_proto = rid.proto;
  r.remote_id_port = rid.port;
  r.initiator = d.initiator ? 'yes' : 'no';

  for (const [side, id, ike] of [['remote', d.remoteFilter, d.phase1.remoteAddress], ['local', d.localFilter, d.phase1.localAddress]] as const) {
    if (id) {
      const t = identityText(id);
      r[`${side}_filter_type`] = t.type;
      r[`${side}_filter`] = t.text;
      r[`${side}_filter_addr_lower`] = t.lower;
      r[`${side}_filter_addr_upper`] = t.upper;
      r[`${side}_filter_proto`] = t.proto;
      r[`${side}_filter_port`] = t.port;
    } else {
      // no client IDs: the IKE endpoint itself, with port and protocol left empty as isakmpd does
      const a = padAddress(ike);
      r[`${side}_filter_type`] = isV6(ike) ? 'IPv6 address' : 'IPv4 address';
      r[`${side}_filter`] = r[`${side}_filter_addr_lower`] = r[`${side}_filter_addr_upper`] = a;
    }
  }
  const now = d.now ?? new Date();
  r.GMTTimeOfDay = timeOfDay(now, true);
  r.LocalTimeOfDay = timeOfDay(now, false);
  return r;
}

/** Phase 1 facts for the optional Phase 1 policy check (isakmpd itself never checks Phase 1). */
export interface Phase1DecisionInput {
  exchange: 'main' | 'aggressive';
  group: number;
  localAddress: string;
  remoteAddress: string;
  remoteId: IdentityInput;
  /** true if this daemon initiated phase 1 */
  initiator: boolean;
  now?: Date;
}

/**
 * Attributes for a Phase 1 check: the phase-1 subset of the Quick Mode set plus phase = "1", so
 * assertions written for it (`phase == "1" && remote_id == ...`) never grant a Quick Mode, where
 * phase is "" exactly as in isakmpd.
 */
export function buildPhase1Attributes(d: Phase1DecisionInput): Record<string, string> {
  const r = buildActionAttributes({
    phase1: { exchange: d.exchange, group: d.group, localAddress: d.localAddress, remoteAddress: d.remoteAddress, remoteId: d.remoteId },
    initiator: d.initiator,
    pfs: false,
    protocols: [],
    ...(d.now ? { now: d.now } : {}),
  });
  r.phase = '1';
  return r;
}
