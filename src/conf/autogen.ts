// Auto-generated transform and suite names (isakmpd.conf(5) "AUTO-GENERATED PARTS"). isakmpd loads every
// combination as defaults on each reload; we parse a referenced name into its pieces and build the same
// sections on demand. The piece tables below are the whole grammar: adding a cipher is one row.

export interface Piece {
  /** Text in the name, including its leading dash where it has one. */
  piece: string;
}

// ---- Main Mode: <cipher>-<hash>[-GRPn][-DSS|-RSA_SIG] ----

export interface MmCipher extends Piece { alg: string; keyLength?: string }
export const MM_CIPHERS: readonly MmCipher[] = [
  { piece: 'BLF', alg: 'BLOWFISH_CBC', keyLength: '128,96:192' },
  { piece: '3DES', alg: '3DES_CBC' },
  { piece: 'CAST', alg: 'CAST_CBC' },
  { piece: 'AES', alg: 'AES_CBC', keyLength: '128,128:256' },
  { piece: 'AES-128', alg: 'AES_CBC', keyLength: '128,128:128' },
  { piece: 'AES-192', alg: 'AES_CBC', keyLength: '192,192:192' },
  { piece: 'AES-256', alg: 'AES_CBC', keyLength: '256,256:256' },
];

export interface MmHash extends Piece { alg: string }
export const MM_HASHES: readonly MmHash[] = [
  { piece: '-MD5', alg: 'MD5' },
  { piece: '-SHA', alg: 'SHA' },
  { piece: '-SHA2-256', alg: 'SHA2_256' },
  { piece: '-SHA2-384', alg: 'SHA2_384' },
  { piece: '-SHA2-512', alg: 'SHA2_512' },
];

export interface GroupPiece extends Piece { group: string }
/** Shared by both modes; the empty piece means MODP_1024 (group 2). */
export const GROUPS: readonly GroupPiece[] = [
  { piece: '', group: 'MODP_1024' },
  { piece: '-GRP1', group: 'MODP_768' },
  { piece: '-GRP2', group: 'MODP_1024' },
  { piece: '-GRP5', group: 'MODP_1536' },
  { piece: '-GRP14', group: 'MODP_2048' },
  { piece: '-GRP15', group: 'MODP_3072' },
  { piece: '-GRP16', group: 'MODP_4096' },
  { piece: '-GRP17', group: 'MODP_6144' },
  { piece: '-GRP18', group: 'MODP_8192' },
  { piece: '-GRP19', group: 'ECP_256' },
  { piece: '-GRP20', group: 'ECP_384' },
  { piece: '-GRP21', group: 'ECP_521' },
  { piece: '-GRP25', group: 'ECP_192' },
  { piece: '-GRP26', group: 'ECP_224' },
  { piece: '-GRP27', group: 'BP_224' },
  { piece: '-GRP28', group: 'BP_256' },
  { piece: '-GRP29', group: 'BP_384' },
  { piece: '-GRP30', group: 'BP_512' },
];

export interface AuthPiece extends Piece { method: string }
export const MM_AUTH: readonly AuthPiece[] = [
  { piece: '', method: 'PRE_SHARED' },
  { piece: '-DSS', method: 'DSS' },
  { piece: '-RSA_SIG', method: 'RSA_SIG' },
];

// ---- Quick Mode: QM-<ESP|AH>[-TRP]<-cipher><-hash>[-PFS[-GRPn]]-SUITE ----

export interface QmCipher extends Piece { transformId: string; keyLength?: string; aead?: boolean }
export const QM_CIPHERS: readonly QmCipher[] = [
  { piece: '-3DES', transformId: '3DES' },
  { piece: '-CAST', transformId: 'CAST' },
  { piece: '-BLF', transformId: 'BLOWFISH', keyLength: '128,96:192' },
  { piece: '-AES', transformId: 'AES', keyLength: '128,128:256' },
  { piece: '-AES-128', transformId: 'AES', keyLength: '128,128:128' },
  { piece: '-AES-192', transformId: 'AES', keyLength: '192,192:192' },
  { piece: '-AES-256', transformId: 'AES', keyLength: '256,256:256' },
  { piece: '-AESCTR', transformId: 'AES_CTR' },
  { piece: '-AESCTR-128', transformId: 'AES_CTR', keyLength: '128,128:128' },
  { piece: '-AESCTR-192', transformId: 'AES_CTR', keyLength: '192,192:192' },
  { piece: '-AESCTR-256', transformId: 'AES_CTR', keyLength: '256,256:256' },
  { piece: '-AESGCM-128', transformId: 'AES_GCM_16', keyLength: '128,128:128', aead: true },
  { piece: '-AESGCM-192', transformId: 'AES_GCM_16', keyLength: '192,192:192', aead: true },
  { piece: '-AESGCM-256', transformId: 'AES_GCM_16', keyLength: '256,256:256', aead: true },
  { piece: '-AESGMAC-128', transformId: 'AES_GMAC', keyLength: '128,128:128', aead: true },
  { piece: '-AESGMAC-192', transformId: 'AES_GMAC', keyLength: '192,192:192', aead: true },
  { piece: '-AESGMAC-256', transformId: 'AES_GMAC', keyLength: '256,256:256', aead: true },
  { piece: '-NULL', transformId: 'NULL' },
];

export interface QmHash extends Piece { auth: string; ahId: string }
export const QM_HASHES: readonly QmHash[] = [
  { piece: '-MD5', auth: 'HMAC_MD5', ahId: 'MD5' },
  { piece: '-SHA', auth: 'HMAC_SHA', ahId: 'SHA' },
  { piece: '-RIPEMD', auth: 'HMAC_RIPEMD', ahId: 'RIPEMD' },
  { piece: '-SHA2-256', auth: 'HMAC_SHA2_256', ahId: 'SHA2_256' },
  { piece: '-SHA2-384', auth: 'HMAC_SHA2_384', ahId: 'SHA2_384' },
  { piece: '-SHA2-512', auth: 'HMAC_SHA2_512', ahId: 'SHA2_512' },
];

export const LIFE_MAIN_MODE = 'LIFE_MAIN_MODE';
export const LIFE_QUICK_MODE = 'LIFE_QUICK_MODE';

/**
 * Match `s` against a sequence of slots, each a list of alternatives (an optional slot contains a piece
 * with empty text). Backtracks, because '-SHA' is a prefix of '-SHA2-256' and '-AES' of '-AES-128'.
 */
function matchSlots<T extends Piece>(s: string, slots: readonly (readonly T[])[], at = 0): T[] | null {
  if (at === slots.length) return s === '' ? [] : null;
  for (const alt of slots[at]!) {
    const p = alt.piece.toUpperCase();
    if (!s.startsWith(p)) continue;
    const rest = matchSlots(s.slice(p.length), slots, at + 1);
    if (rest) return [alt, ...rest];
  }
  return null;
}

export interface MmName {
  name: string;
  cipher: MmCipher;
  hash: MmHash;
  group: GroupPiece;
  auth: AuthPiece;
}

export function parseMainModeName(name: string): MmName | null {
  const m = matchSlots<Piece>(name.toUpperCase(), [MM_CIPHERS, MM_HASHES, GROUPS, MM_AUTH]);
  if (!m) return null;
  const [cipher, hash, group, auth] = m as [MmCipher, MmHash, GroupPiece, AuthPiece];
  return { name: cipher.piece + hash.piece + group.piece + auth.piece, cipher, hash, group, auth };
}

export interface QmName {
  /** Canonical protocol section name `<P>` (the suite is `<P>-SUITE`, the transform `<P>-XF`). */
  base: string;
  proto: 'ESP' | 'AH';
  transport: boolean;
  cipher?: QmCipher;
  hash?: QmHash;
  pfs: boolean;
  group: GroupPiece;
}

const NONE_PIECE = { piece: '' };
const PROTO = [{ piece: 'QM-ESP' }, { piece: 'QM-AH' }];
const MODE = [{ piece: '' }, { piece: '-TRP' }];
const PFS = [{ piece: '' }, { piece: '-PFS' }];

/** Why a QM-shaped name is not generated; null when it is. */
export function qmNameProblem(base: string): string | null {
  const r = parseQmBaseLoose(base);
  if (!r) return 'the name does not follow QM-<ESP|AH>[-TRP]<-cipher><-hash>[-PFS[-GRPn]]-SUITE';
  if (r.proto === 'AH' && !r.hash) return 'AH suites need a hash piece such as -SHA';
  if (r.proto === 'AH' && r.cipher) return 'AH suites take no cipher piece';
  if (r.proto === 'ESP' && !r.cipher) return 'ESP suites need a cipher piece such as -AES';
  if (!r.pfs && r.group.piece !== '') return `a group (${r.group.piece.slice(1)}) is only allowed after -PFS`;
  if (r.proto === 'ESP' && r.cipher?.aead && r.hash) return 'GCM and GMAC suites take no hash piece';
  return null;
}

function parseQmBaseLoose(base: string): QmName | null {
  const slots: (readonly Piece[])[] = [PROTO, MODE, [...QM_CIPHERS, NONE_PIECE], [...QM_HASHES, NONE_PIECE], PFS, GROUPS];
  const m = matchSlots<Piece>(base.toUpperCase(), slots);
  if (!m) return null;
  const [proto, mode, cipher, hash, pfs, group] = m;
  const c = cipher!.piece ? (cipher as QmCipher) : undefined;
  const h = hash!.piece ? (hash as QmHash) : undefined;
  const canonical = proto!.piece + mode!.piece + (c?.piece ?? '') + (h?.piece ?? '') + pfs!.piece + group!.piece;
  return {
    base: canonical,
    proto: proto!.piece === 'QM-AH' ? 'AH' : 'ESP',
    transport: mode!.piece !== '',
    ...(c ? { cipher: c } : {}),
    ...(h ? { hash: h } : {}),
    pfs: pfs!.piece !== '',
    group: group as GroupPiece,
  };
}

/** Parse `<P>` (without -SUITE or -XF); null unless isakmpd generates it. */
export function parseQmBase(base: string): QmName | null {
  const r = parseQmBaseLoose(base);
  return r && qmNameProblem(base) === null ? r : null;
}

function mainModeSection(n: MmName): Map<string, string> {
  const m = new Map<string, string>([['ENCRYPTION_ALGORITHM', n.cipher.alg]]);
  if (n.cipher.keyLength) m.set('KEY_LENGTH', n.cipher.keyLength);
  m.set('HASH_ALGORITHM', n.hash.alg);
  m.set('AUTHENTICATION_METHOD', n.auth.method);
  m.set('GROUP_DESCRIPTION', n.group.group);
  m.set('Life', LIFE_MAIN_MODE);
  return m;
}

function qmTransform(n: QmName): Map<string, string> {
  const m = new Map<string, string>();
  m.set('TRANSFORM_ID', n.proto === 'ESP' ? n.cipher!.transformId : n.hash!.ahId);
  if (n.proto === 'ESP' && n.cipher!.keyLength) m.set('KEY_LENGTH', n.cipher!.keyLength);
  m.set('ENCAPSULATION_MODE', n.transport ? 'TRANSPORT' : 'TUNNEL');
  if (n.hash) {
    m.set('AUTHENTICATION_ALGORITHM', n.hash.auth);
    // isakmpd sets the group only inside its "has a hash" branch: hash-less PFS names carry no group.
    if (n.pfs) m.set('GROUP_DESCRIPTION', n.group.group);
  }
  m.set('Life', LIFE_QUICK_MODE);
  return m;
}

export type GeneratedKind = 'isakmp-transform' | 'ipsec-suite' | 'ipsec-protocol' | 'ipsec-transform';

export interface Generated {
  kind: GeneratedKind;
  /** Canonical spelling of the section name. */
  name: string;
  tags: Map<string, string>;
}

const cache = new Map<string, Generated | null>();

/** The generated section for a name, or null when isakmpd generates no section of that name. */
export function describeGenerated(section: string): Generated | null {
  const k = section.toUpperCase();
  const hit = cache.get(k);
  if (hit !== undefined) return hit;
  let out: Generated | null = null;
  const mm = parseMainModeName(section);
  if (mm) out = { kind: 'isakmp-transform', name: mm.name, tags: mainModeSection(mm) };
  else if (k.startsWith('QM-')) {
    if (k.endsWith('-SUITE')) {
      const q = parseQmBase(section.slice(0, -6));
      if (q) out = { kind: 'ipsec-suite', name: `${q.base}-SUITE`, tags: new Map([['Protocols', q.base]]) };
    } else if (k.endsWith('-XF')) {
      const q = parseQmBase(section.slice(0, -3));
      if (q) out = { kind: 'ipsec-transform', name: `${q.base}-XF`, tags: qmTransform(q) };
    } else {
      const q = parseQmBase(section);
      if (q) out = { kind: 'ipsec-protocol', name: q.base, tags: new Map([['PROTOCOL_ID', `IPSEC_${q.proto}`], ['Transforms', `${q.base}-XF`]]) };
    }
  }
  if (cache.size > 10000) cache.clear();
  cache.set(k, out);
  return out;
}

export function generateSection(section: string): Map<string, string> | null {
  return describeGenerated(section)?.tags ?? null;
}

/** A hint for a name that looks like a generated one but is not; null when nothing useful can be said. */
export function explainNotGenerated(section: string): string | null {
  const k = section.toUpperCase();
  if (k.startsWith('QM-')) {
    if (!k.endsWith('-SUITE')) return 'generated Quick Mode suite names end in -SUITE, e.g. QM-ESP-AES-SHA-PFS-SUITE';
    return `${qmNameProblem(section.slice(0, -6))}; e.g. QM-ESP-AES-128-SHA2-256-PFS-GRP14-SUITE`;
  }
  const c = [...MM_CIPHERS].sort((a, b) => b.piece.length - a.piece.length).find((x) => k.startsWith(x.piece));
  if (c) {
    return `generated Main Mode transforms are <cipher>-<hash>[-GRPn][-DSS|-RSA_SIG] with cipher ${MM_CIPHERS.map((x) => x.piece).join('|')}, ` +
      `hash ${MM_HASHES.map((x) => x.piece.slice(1)).join('|')}, group ${GROUPS.filter((g) => g.piece).map((g) => g.piece.slice(1)).join('|')}; e.g. AES-128-SHA2-256-GRP14`;
  }
  return null;
}

let allNames: { mm: string[]; qm: string[] } | undefined;

/** Every generated transform and suite name (built once, only on the error path). */
function generatedNames(): { mm: string[]; qm: string[] } {
  if (allNames) return allNames;
  const mm: string[] = [];
  for (const c of MM_CIPHERS) for (const h of MM_HASHES) for (const g of GROUPS) for (const a of MM_AUTH) mm.push(c.piece + h.piece + g.piece + a.piece);
  const qm: string[] = [];
  for (const p of PROTO) for (const m of MODE) for (const c of [...QM_CIPHERS, NONE_PIECE]) for (const h of [...QM_HASHES, NONE_PIECE]) for (const f of PFS) for (const g of GROUPS) {
    const base = p.piece + m.piece + c.piece + h.piece + f.piece + g.piece;
    if (parseQmBase(base)) qm.push(`${base}-SUITE`);
  }
  allNames = { mm, qm };
  return allNames;
}

/** The generated name closest to a misspelt one, e.g. AES-256-SHA256-GRP14 -> AES-256-SHA2-256-GRP14. */
export function suggestGeneratedName(name: string, closest: (w: string, c: Iterable<string>) => string | undefined): string | undefined {
  const n = generatedNames();
  return closest(name, name.toUpperCase().startsWith('QM-') ? n.qm : n.mm);
}
