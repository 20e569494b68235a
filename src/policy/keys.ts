// KeyNote principal encodings (keynote(4), signature.h): "<alg>-<enc>:<bits>" for keys, anything else
// is an opaque name. Cryptographic principals are reduced to a canonical form of the public key so
// that the same key written as rsa-hex, rsa-base64 or inside an X.509 certificate compares equal.
import crypto from 'node:crypto';
import { bitString, children, DerError, expectTag, int, integerBytes, nullValue, oid, oidToString, readSingle, seq, type DerNode } from './der.js';

export type KeyAlgorithm = 'rsa' | 'dsa' | 'x509';
export type KeyEncoding = 'hex' | 'base64';

export const KEY_PREFIXES = [
  'dsa-hex:', 'dsa-base64:', 'rsa-hex:', 'rsa-base64:', 'x509-hex:', 'x509-base64:',
  'elgamal-hex:', 'elgamal-base64:', 'pgp:', 'binary-hex:', 'binary-base64:',
] as const;
export const PRIVATE_PREFIX = 'private-';

const OID_RSA = '1.2.840.113549.1.1.1';
const OID_DSA = '1.2.840.10040.4.1';

export interface PublicKeyInfo {
  algorithm: 'rsa' | 'dsa';
  /** canonical comparison form */
  canonical: string;
  key: crypto.KeyObject;
}

/** Parsed "<alg>-<enc>:" prefix, or null for an opaque principal. */
export function splitKeyPrefix(s: string): { alg: KeyAlgorithm; enc: KeyEncoding; body: string } | null {
  const m = /^(rsa|dsa|x509)-(hex|base64):/i.exec(s);
  if (!m) return null;
  return { alg: m[1]!.toLowerCase() as KeyAlgorithm, enc: m[2]!.toLowerCase() as KeyEncoding, body: s.slice(m[0].length) };
}

export function decodeBits(body: string, enc: KeyEncoding): Buffer {
  const clean = body.replace(/\s+/g, '');
  if (enc === 'hex') {
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new DerError('invalid hex encoding');
    return Buffer.from(clean, 'hex');
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new DerError('invalid base64 encoding');
  return Buffer.from(clean, 'base64');
}

export const encodeBits = (b: Buffer, enc: KeyEncoding): string => (enc === 'hex' ? b.toString('hex') : b.toString('base64'));

function spkiFromRsa(n: Buffer, e: Buffer): Buffer {
  return seq(seq(oid(OID_RSA), nullValue()), bitString(seq(int(n), int(e))));
}
function spkiFromDsa(p: Buffer, q: Buffer, g: Buffer, y: Buffer): Buffer {
  return seq(seq(oid(OID_DSA), seq(int(p), int(q), int(g))), bitString(int(y)));
}

function rsaInfo(n: Buffer, e: Buffer): PublicKeyInfo {
  return {
    algorithm: 'rsa',
    canonical: `rsa:${n.toString('hex')}:${e.toString('hex')}`,
    key: crypto.createPublicKey({ key: spkiFromRsa(n, e), format: 'der', type: 'spki' }),
  };
}
function dsaInfo(p: Buffer, q: Buffer, g: Buffer, y: Buffer): PublicKeyInfo {
  return {
    algorithm: 'dsa',
    canonical: `dsa:${p.toString('hex')}:${q.toString('hex')}:${g.toString('hex')}:${y.toString('hex')}`,
    key: crypto.createPublicKey({ key: spkiFromDsa(p, q, g, y), format: 'der', type: 'spki' }),
  };
}

/** SubjectPublicKeyInfo node -> key info. */
export function infoFromSpki(spki: DerNode): PublicKeyInfo {
  const [algId, bits] = children(expectTag(spki, 0x30, 'SubjectPublicKeyInfo'));
  if (!algId || !bits) throw new DerError('short SubjectPublicKeyInfo');
  const [algOid, params] = children(algId);
  const o = oidToString(algOid!);
  expectTag(bits, 0x03, 'subjectPublicKey');
  const inner = readSingle(bits.content.subarray(1));
  if (o === OID_RSA) {
    const [n, e] = children(inner);
    return rsaInfo(integerBytes(n!), integerBytes(e!));
  }
  if (o === OID_DSA) {
    if (!params) throw new DerError('DSA key without domain parameters');
    const [p, q, g] = children(params);
    return dsaInfo(integerBytes(p!), integerBytes(q!), integerBytes(g!), integerBytes(inner));
  }
  throw new DerError(`unsupported public key algorithm ${o}`);
}

export interface CertificateFields {
  subject: string; // X509_NAME_oneline form
  issuer: string;
  notBefore: string; // YYYYMMDDHHmmSS
  notAfter: string;
  notBeforeUtc: boolean; // time ended in Z
  notAfterUtc: boolean;
  publicKey: PublicKeyInfo;
  selfSigned: boolean;
}

const NAME_SHORT: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber', '2.5.4.4': 'SN', '2.5.4.42': 'GN', '2.5.4.12': 'title', '2.5.4.9': 'street',
  '2.5.4.17': 'postalCode', '2.5.4.46': 'dnQualifier', '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID', '1.2.840.113549.1.9.1': 'emailAddress',
};

/**
 * A name component as X509_NAME_oneline writes it: bytes outside printable ASCII become \\xHH
 * (upper-case hex); BMP and Universal strings whose high bytes are all zero are narrowed first.
 */
function onelineValue(v: DerNode): string {
  let b = v.content;
  const width = v.tag === 0x1e ? 2 : v.tag === 0x1c ? 4 : 1;
  if (width > 1 && b.length % width === 0) {
    const narrow: number[] = [];
    let allZero = true;
    for (let i = 0; i < b.length; i += width) {
      for (let j = 0; j < width - 1; j++) if (b[i + j] !== 0) allZero = false;
      narrow.push(b[i + width - 1]!);
    }
    if (allZero) b = Buffer.from(narrow);
  }
  let out = '';
  for (const c of b) out += c < 0x20 || c > 0x7e ? `\\x${c.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(c);
  return out;
}

/** One-line DN in the style of OpenSSL's X509_NAME_oneline: /C=../O=../CN=.. */
export function nameOneline(name: DerNode): string {
  let out = '';
  for (const rdn of children(expectTag(name, 0x30, 'Name'))) {
    for (const atv of children(rdn)) {
      const [t, v] = children(atv);
      const o = oidToString(t!);
      const label = NAME_SHORT[o] ?? o;
      out += `/${label}=${onelineValue(v!)}`;
    }
  }
  return out;
}

function timeText(node: DerNode): { text: string; utc: boolean } {
  const s = node.content.toString('latin1');
  let full: string;
  if (node.tag === 0x17) {
    const yy = Number(s.slice(0, 2));
    full = (yy < 50 ? '20' : '19') + s;
  } else if (node.tag === 0x18) full = s;
  else throw new DerError('bad certificate time');
  return { text: full.slice(0, 14).padEnd(14, '0'), utc: s.endsWith('Z') };
}

export function parseCertificate(der: Buffer): CertificateFields {
  const cert = readSingle(der);
  const [tbs] = children(expectTag(cert, 0x30, 'Certificate'));
  const f = children(expectTag(tbs!, 0x30, 'TBSCertificate'));
  let i = 0;
  if (f[0]?.tag === 0xa0) i++; // explicit version
  const issuer = f[i + 2];
  const validity = f[i + 3];
  const subject = f[i + 4];
  const spki = f[i + 5];
  if (!issuer || !validity || !subject || !spki) throw new DerError('short TBSCertificate');
  const [nb, na] = children(validity);
  const b = timeText(nb!);
  const a = timeText(na!);
  const subj = nameOneline(subject);
  const iss = nameOneline(issuer);
  return {
    subject: subj,
    issuer: iss,
    notBefore: b.text,
    notAfter: a.text,
    notBeforeUtc: b.utc,
    notAfterUtc: a.utc,
    publicKey: infoFromSpki(spki),
    selfSigned: Buffer.compare(issuer.bytes, subject.bytes) === 0,
  };
}

/** Decode the public key carried by a key principal. Throws DerError on malformed input. */
export function decodePublicKey(principal: string): PublicKeyInfo {
  const p = splitKeyPrefix(principal);
  if (!p) throw new DerError('not a key principal');
  const der = decodeBits(p.body, p.enc);
  if (p.alg === 'x509') return parseCertificate(der).publicKey;
  const top = readSingle(der);
  const items = children(expectTag(top, 0x30, 'public key'));
  // SubjectPublicKeyInfo is accepted too: its first element is a SEQUENCE.
  if (items[0]?.tag === 0x30) return infoFromSpki(top);
  if (p.alg === 'rsa') {
    if (items.length !== 2) throw new DerError('RSA public key must hold modulus and exponent');
    return rsaInfo(integerBytes(items[0]!), integerBytes(items[1]!));
  }
  // OpenSSL's DSAPublicKey with parameters: pub_key, p, q, g
  if (items.length !== 4) throw new DerError('DSA public key must hold y, p, q, g');
  const [y, pp, q, g] = items.map(integerBytes);
  return dsaInfo(pp!, q!, g!, y!);
}

const canonicalCache = new Map<string, string>();

/**
 * Comparison form of a principal. Keys become their canonical public-key form; a key that does not
 * decode stays as its literal text (it can then only match the same literal); opaque names are
 * compared exactly, case-sensitively.
 */
export function canonicalPrincipal(s: string): string {
  const hit = canonicalCache.get(s);
  if (hit !== undefined) return hit;
  if (!splitKeyPrefix(s)) return s;
  let c: string;
  try {
    c = decodePublicKey(s).canonical;
  } catch {
    c = s;
  }
  if (canonicalCache.size > 4096) canonicalCache.clear();
  canonicalCache.set(s, c);
  return c;
}

export const isKeyPrincipal = (s: string): boolean => splitKeyPrefix(s) !== null;

// ---- private keys and key generation ----

export function decodePrivateKey(s: string): { algorithm: 'rsa' | 'dsa'; key: crypto.KeyObject } {
  const t = s.trim().replace(/^"|"$/g, '');
  if (!t.toLowerCase().startsWith(PRIVATE_PREFIX)) throw new DerError('private key must start with "private-"');
  const p = splitKeyPrefix(t.slice(PRIVATE_PREFIX.length));
  if (!p || p.alg === 'x509') throw new DerError('private key must be private-rsa-* or private-dsa-*');
  const der = decodeBits(p.body, p.enc);
  if (p.alg === 'rsa') return { algorithm: 'rsa', key: crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs1' }) };
  const pem = `-----BEGIN DSA PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END DSA PRIVATE KEY-----\n`;
  return { algorithm: 'dsa', key: crypto.createPrivateKey(pem) };
}

export interface GeneratedKey {
  publicKey: string;
  privateKey: string;
}

export function generateKey(algorithm: 'rsa' | 'dsa', bits: number, enc: KeyEncoding): GeneratedKey {
  if (algorithm === 'rsa') {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits });
    const pub = publicKey.export({ format: 'der', type: 'pkcs1' });
    const priv = privateKey.export({ format: 'der', type: 'pkcs1' });
    return { publicKey: `rsa-${enc}:${encodeBits(pub, enc)}`, privateKey: `private-rsa-${enc}:${encodeBits(priv, enc)}` };
  }
  const { publicKey, privateKey } = crypto.generateKeyPairSync('dsa', { modulusLength: bits, divisorLength: bits >= 2048 ? 256 : 160 });
  const spki = children(readSingle(publicKey.export({ format: 'der', type: 'spki' })));
  const [, params] = children(spki[0]!);
  const [p, q, g] = children(params!).map(integerBytes);
  const y = integerBytes(readSingle(spki[1]!.content.subarray(1)));
  const pk8 = children(readSingle(privateKey.export({ format: 'der', type: 'pkcs8' })));
  const x = integerBytes(readSingle(pk8[2]!.content));
  const pub = seq(int(y), int(p!), int(q!), int(g!));
  const priv = seq(int(0), int(p!), int(q!), int(g!), int(y), int(x));
  return { publicKey: `dsa-${enc}:${encodeBits(pub, enc)}`, privateKey: `private-dsa-${enc}:${encodeBits(priv, enc)}` };
}

/** PKCS#1 RSAPublicKey hex of a key object, as isakmpd's rsa-hex: requester principal. */
export function rsaHexPrincipal(key: crypto.KeyObject): string {
  return `rsa-hex:${key.export({ format: 'der', type: 'pkcs1' }).toString('hex')}`;
}
