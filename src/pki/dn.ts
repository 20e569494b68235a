// Distinguished names: DER <-> text in the two forms operators meet. isakmpd prints names with
// OpenSSL's X509_NAME_oneline ("/C=XX/O=Org/CN=host", into a 256-byte buffer) for KeyNote "DN:"
// principals and logs; RFC 4514 ("CN=host,O=Org,C=XX") is what most other tools print. DER_ASN1_DN
// identities are compared as DER first and then by RFC 5280 7.1 normalised attribute values.
import * as asn1js from 'asn1js';
import { childrenOf, contentOf, decodeDer, oidOf, tagNumberOf } from './asn1.js';

export interface DnAttribute {
  oid: string;
  /** universal tag of the value's string type (12 UTF8String, 19 PrintableString, 22 IA5String, 30 BMPString...) */
  tag: number;
  /** the value's content octets as encoded */
  bytes: Buffer;
  /** the value as text (UTF-8, Latin-1, BMP or Universal decoded) */
  text: string;
}

/** A name is a sequence of RDNs; each RDN is a set of one or more attributes. */
export type Dn = DnAttribute[][];

// OpenSSL's short names (OBJ_nid2sn) for the attribute types certificates use.
const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST',
  '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title', '2.5.4.13': 'description',
  '2.5.4.17': 'postalCode', '2.5.4.41': 'name', '2.5.4.42': 'GN', '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier', '2.5.4.46': 'dnQualifier', '2.5.4.65': 'pseudonym',
  '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID', '1.2.840.113549.1.9.1': 'emailAddress',
};
const BY_NAME: Record<string, string> = Object.fromEntries(
  [...Object.entries(SHORT).map(([o, n]) => [n.toLowerCase(), o]), ['e', '1.2.840.113549.1.9.1'], ['email', '1.2.840.113549.1.9.1'],
    ['street', '2.5.4.9'], ['surname', '2.5.4.4'], ['givenname', '2.5.4.42'], ['userid', '0.9.2342.19200300.100.1.1'],
    ['s', '2.5.4.8'], ['t', '2.5.4.12']],
);
// RFC 4514 3 names these; everything else is printed with OpenSSL's short name as `openssl -nameopt RFC2253` does.
const RFC4514: Record<string, string> = { '2.5.4.9': 'STREET', '0.9.2342.19200300.100.1.1': 'UID' };

function decodeText(tag: number, b: Buffer): string {
  if (tag === 30) return Buffer.from(b).swap16().toString('utf16le'); // BMPString: UCS-2 big endian
  if (tag === 28) {
    let s = '';
    for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(b.readUInt32BE(i));
    return s;
  }
  return b.toString(tag === 12 ? 'utf8' : 'latin1');
}

/** Parse a DER Name. Throws with a reason if it is not one. */
export function parseDn(der: Uint8Array): Dn {
  return dnFromNode(decodeDer(der, 'distinguished name'));
}

export function dnFromNode(name: asn1js.AsnType): Dn {
  if (!(name instanceof asn1js.Sequence)) throw new Error('distinguished name: expected a SEQUENCE');
  return childrenOf(name, 'Name').map((rdn) => {
    if (!(rdn instanceof asn1js.Set)) throw new Error('distinguished name: RDN is not a SET');
    const atvs = childrenOf(rdn, 'RDN');
    if (atvs.length === 0) throw new Error('distinguished name: empty RDN');
    return atvs.map((atv) => {
      const [t, v, extra] = childrenOf(atv, 'AttributeTypeAndValue');
      if (!t || !v || extra) throw new Error('distinguished name: attribute needs a type and one value');
      const bytes = contentOf(v);
      const tag = tagNumberOf(v);
      return { oid: oidOf(t, 'attribute type'), tag, bytes, text: decodeText(tag, bytes) };
    });
  });
}

// X509_NAME_oneline copies value bytes and writes any byte outside ' '..'~' as \xHH; BMP and Universal
// strings whose high bytes are all zero are first narrowed to their low bytes.
function onelineValue(a: DnAttribute): string {
  let b = a.bytes;
  const width = a.tag === 30 ? 2 : a.tag === 28 ? 4 : 0;
  if (width && b.length % width === 0) {
    const narrow = Buffer.alloc(b.length / width);
    let zeroes = true;
    for (let i = 0; i < b.length; i += width) {
      for (let j = 0; j < width - 1; j++) if (b[i + j] !== 0) zeroes = false;
      narrow[i / width] = b[i + width - 1]!;
    }
    if (zeroes) b = narrow;
  }
  let s = '';
  for (const c of b) s += c < 0x20 || c > 0x7e ? `\\x${c.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(c);
  return s;
}

/**
 * The one-line form of X509_NAME_oneline: "/C=XX/O=Org/CN=host". With maxLength (isakmpd passes a
 * 256-byte buffer, so 255 characters), entries that would not fit are left off, as OpenSSL does.
 */
export function dnToOneline(dn: Dn, maxLength?: number): string {
  let out = '';
  for (const rdn of dn) {
    for (const a of rdn) {
      const piece = `/${SHORT[a.oid] ?? a.oid}=${onelineValue(a)}`;
      if (maxLength !== undefined && out.length + piece.length > maxLength) return out;
      out += piece;
    }
  }
  return out;
}

function escape4514(s: string): string {
  let out = s.replace(/[\\,+"<>;]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** RFC 4514 text: RDNs last to first, "+" inside a multi-valued RDN; unknown types as OID=#hex. */
export function dnToRfc4514(dn: Dn): string {
  return [...dn]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          const name = RFC4514[a.oid] ?? SHORT[a.oid];
          if (!name) return `${a.oid}=#${encodeAttrValue(a).toString('hex')}`;
          return `${name}=${escape4514(a.text)}`;
        })
        .join('+'),
    )
    .join(',');
}

function encodeAttrValue(a: DnAttribute): Buffer {
  return tlv(a.tag, a.bytes);
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

function oidBytes(dotted: string): Buffer {
  return Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER(false));
}

/** DER encoding of a name (attribute values keep their string type). */
export function encodeDn(dn: Dn): Buffer {
  const rdns = dn.map((rdn) => {
    const atvs = rdn.map((a) => tlv(0x30, Buffer.concat([oidBytes(a.oid), tlv(a.tag, a.bytes)])));
    // DER orders a SET by the encodings of its members.
    atvs.sort(Buffer.compare);
    return tlv(0x31, Buffer.concat(atvs));
  });
  return tlv(0x30, Buffer.concat(rdns));
}

function attr(typeName: string, value: string): DnAttribute {
  const key = typeName.trim();
  const oid = /^\d+(\.\d+)+$/.test(key) ? key : BY_NAME[key.toLowerCase()];
  if (!oid) throw new Error(`unknown attribute type "${key}" in distinguished name`);
  // The string types OpenSSL's `req -subj` picks: PrintableString for C and serialNumber-like values,
  // IA5String for email and DC, UTF8String for the rest. Comparison normalises, so the choice matters
  // only for byte-exact DER_ASN1_DN identities.
  const tag = oid === '2.5.4.6' || oid === '2.5.4.5' || oid === '2.5.4.46' ? 19 : oid === '1.2.840.113549.1.9.1' || oid === '0.9.2342.19200300.100.1.25' ? 22 : 12;
  const bytes = Buffer.from(value, tag === 12 ? 'utf8' : 'latin1');
  return { oid, tag, bytes, text: value };
}

function unescape4514(s: string): string {
  return s.replace(/\\([0-9a-fA-F]{2}|.)/g, (_m, c: string) => (c.length === 2 ? String.fromCharCode(parseInt(c, 16)) : c));
}

/** Split on an unescaped separator. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (sep.includes(c)) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/**
 * Parse a DN written as text, in either form: "/C=XX/O=Org/CN=host" (OpenSSL one-line, first RDN
 * first) or "CN=host, O=Org, C=XX" (RFC 4514, last RDN first). Throws with a reason on bad text.
 */
export function parseDnText(text: string): Dn {
  const t = text.trim();
  if (t === '') throw new Error('empty distinguished name');
  if (t.startsWith('/')) {
    return t
      .slice(1)
      .split(/\/(?=[A-Za-z][A-Za-z0-9.-]*=)/)
      .map((piece) => {
        const eq = piece.indexOf('=');
        if (eq <= 0) throw new Error(`"${piece}" is not TYPE=value`);
        return [attr(piece.slice(0, eq), piece.slice(eq + 1))];
      });
  }
  const rdns = splitUnescaped(t, ',;').map((rdnText) =>
    splitUnescaped(rdnText, '+').map((p) => {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new Error(`"${p.trim()}" is not TYPE=value`);
      return attr(p.slice(0, eq), unescape4514(p.slice(eq + 1).trim()));
    }),
  );
  return rdns.reverse();
}

// RFC 5280 7.1 (after RFC 4518, simplified): compatible Unicode form, blanks trimmed and folded,
// case ignored. Enough for the names certificates carry; exotic strings still compare exactly.
const normaliseValue = (s: string): string => s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

function rdnKey(rdn: DnAttribute[]): string {
  return rdn
    .map((a) => `${a.oid}=${normaliseValue(a.text)}`)
    .sort()
    .join('+');
}

/** The comparison form of a name: equal keys mean equal names under RFC 5280 7.1 as done here. */
export const dnKey = (dn: Dn): string => dn.map(rdnKey).join(',');

/** Two names are equal when their normalised RDN sequences are. */
export function dnEqual(a: Dn, b: Dn): boolean {
  if (a.length !== b.length) return false;
  return a.every((rdn, i) => rdnKey(rdn) === rdnKey(b[i]!));
}

export function dnDerEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0) return true;
  try {
    return dnEqual(parseDn(a), parseDn(b));
  } catch {
    return false;
  }
}

