// One parsed X.509 certificate: the DER as received, node:crypto's view (signature checks, public
// key) and the fields this layer decides on (names, validity, basicConstraints, keyUsage,
// subjectAltName), decoded once with pkijs/asn1js.
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { decodeDer, rawOf } from './asn1.js';
import { dnFromNode, dnKey, dnToOneline, dnToRfc4514, type Dn } from './dn.js';
import { fail, messageOf, ok, type PkiResult } from './errors.js';

export type AltName =
  | { kind: 'ip'; bytes: Buffer; text: string }
  | { kind: 'dns'; text: string }
  | { kind: 'email'; text: string }
  | { kind: 'uri'; text: string }
  | { kind: 'dn'; dn: Dn; der: Buffer }
  | { kind: 'other'; tag: number; der: Buffer };

export interface KeyUsage {
  digitalSignature: boolean;
  nonRepudiation: boolean;
  keyEncipherment: boolean;
  dataEncipherment: boolean;
  keyAgreement: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
}

export interface PkiCertificate {
  der: Buffer;
  x509: crypto.X509Certificate;
  publicKey: crypto.KeyObject;
  /** the SubjectPublicKeyInfo as encoded in the certificate */
  spki: Buffer;
  serialHex: string;
  subject: Dn;
  subjectDer: Buffer;
  /** normalised comparison form of the subject (dnKey) */
  subjectKey: string;
  issuer: Dn;
  issuerDer: Buffer;
  issuerKey: string;
  /** X509_NAME_oneline form, "/C=../O=../CN=.." */
  subjectOneline: string;
  issuerOneline: string;
  /** RFC 4514 form, "CN=..,O=..,C=.." */
  subjectRfc4514: string;
  notBefore: Date;
  notAfter: Date;
  /** the raw validity times as isakmpd reads them for KeyNote conditions */
  notBeforeTime: CertTime;
  notAfterTime: CertTime;
  /** basicConstraints: undefined when the extension is absent */
  basicConstraints?: { ca: boolean; pathLen?: number };
  keyUsage?: KeyUsage;
  altNames: AltName[];
  selfIssued: boolean;
  /** where it came from (a file name, or "peer" for a CERT payload) */
  source?: string;
}

export interface CertTime {
  /** YYYYMMDDHHmmSS, UTCTime years widened to 19yy/20yy */
  text: string;
  /** the encoded time ended in "Z" */
  utc: boolean;
}

const KU_BITS: (keyof KeyUsage)[] = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign'];

// DER times always end in "Z" (RFC 5280 4.1.2.5), so the decoded instant gives isakmpd's text exactly.
function certTime(t: pkijs.Time): CertTime {
  const d = t.value;
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const text = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return { text, utc: true };
}

function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length !== 16) return b.toString('hex');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  // RFC 5952: the longest run of two or more zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

function altNames(ext: pkijs.Extension): AltName[] {
  const v = ext.parsedValue as pkijs.AltName | undefined;
  if (!v || !Array.isArray(v.altNames)) throw new Error('subjectAltName does not decode');
  return v.altNames.map((g): AltName => {
    switch (g.type) {
      case 1:
        return { kind: 'email', text: String(g.value) };
      case 2:
        return { kind: 'dns', text: String(g.value) };
      case 6:
        return { kind: 'uri', text: String(g.value) };
      case 7: {
        const bytes = Buffer.from((g.value as asn1js.OctetString).valueBlock.valueHexView);
        return { kind: 'ip', bytes, text: ipText(bytes) };
      }
      case 4: {
        const rdns = g.value as pkijs.RelativeDistinguishedNames;
        const node = asn1js.fromBER(rdns.valueBeforeDecode).result;
        return { kind: 'dn', dn: dnFromNode(node), der: Buffer.from(rdns.valueBeforeDecode) };
      }
      default:
        return { kind: 'other', tag: g.type, der: Buffer.from((g.toSchema() as asn1js.BaseBlock).toBER(false)) };
    }
  });
}

// Peers send the same certificate on every handshake and decoding one costs about a millisecond, so
// recently parsed certificates are kept, keyed by their DER. Parsed certificates are never mutated.
const CACHE_MAX = 256;
const cache = new Map<string, PkiCertificate>();

/** Parse one DER certificate. Never throws: a bad certificate is a value with a reason. */
export function parseCertificate(der: Uint8Array, source?: string): PkiResult<PkiCertificate> {
  const buf = Buffer.from(der);
  const cacheKey = buf.toString('latin1');
  const hit = cache.get(cacheKey);
  if (hit) {
    if (hit.source === source) return ok(hit);
    const copy: PkiCertificate = { ...hit };
    if (source === undefined) delete copy.source;
    else copy.source = source;
    return ok(copy);
  }
  const r = parseUncached(buf, source);
  if (r.ok) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(cacheKey, r.value);
  }
  return r;
}

export function parseUncached(buf: Buffer, source?: string): PkiResult<PkiCertificate> {
  const where = source ? { file: source } : {};
  let c: pkijs.Certificate;
  let x509: crypto.X509Certificate;
  try {
    const asn = decodeDer(buf, 'certificate'); // whole buffer, no trailing bytes
    c = new pkijs.Certificate({ schema: asn });
    x509 = new crypto.X509Certificate(buf);
  } catch (e) {
    return fail('bad-certificate', `not an X.509 certificate (${messageOf(e)})`, { ...where, notify: 'INVALID_CERTIFICATE' });
  }
  try {
    const subjectNode = asn1js.fromBER(c.subject.valueBeforeDecode).result;
    const issuerNode = asn1js.fromBER(c.issuer.valueBeforeDecode).result;
    const subject = dnFromNode(subjectNode);
    const issuer = dnFromNode(issuerNode);
    const subjectDer = rawOf(subjectNode);
    const issuerDer = rawOf(issuerNode);
    const cert: PkiCertificate = {
      der: buf,
      x509,
      publicKey: x509.publicKey,
      spki: Buffer.from(c.subjectPublicKeyInfo.toSchema().toBER(false)),
      serialHex: Buffer.from(c.serialNumber.valueBlock.valueHexView).toString('hex'),
      subject,
      subjectDer,
      subjectKey: dnKey(subject),
      issuer,
      issuerDer,
      issuerKey: dnKey(issuer),
      subjectOneline: dnToOneline(subject),
      issuerOneline: dnToOneline(issuer),
      subjectRfc4514: dnToRfc4514(subject),
      notBefore: c.notBefore.value,
      notAfter: c.notAfter.value,
      notBeforeTime: certTime(c.notBefore),
      notAfterTime: certTime(c.notAfter),
      altNames: [],
      selfIssued: Buffer.compare(subjectDer, issuerDer) === 0,
      ...(source ? { source } : {}),
    };
    for (const ext of c.extensions ?? []) {
      switch (ext.extnID) {
        case '2.5.29.19': {
          const bc = ext.parsedValue as pkijs.BasicConstraints;
          const ca = bc.cA === true;
          const pl = bc.pathLenConstraint;
          const pathLen = pl === undefined ? undefined : typeof pl === 'number' ? pl : pl.valueBlock.valueDec;
          cert.basicConstraints = pathLen === undefined ? { ca } : { ca, pathLen };
          break;
        }
        case '2.5.29.15': {
          const bits = Buffer.from((ext.parsedValue as asn1js.BitString).valueBlock.valueHexView);
          const ku = {} as KeyUsage;
          KU_BITS.forEach((name, i) => {
            ku[name] = ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;
          });
          cert.keyUsage = ku;
          break;
        }
        case '2.5.29.17':
          cert.altNames = altNames(ext);
          break;
        default:
          break;
      }
    }
    return ok(cert);
  } catch (e) {
    return fail('bad-certificate', `certificate fields do not decode (${messageOf(e)})`, { ...where, notify: 'INVALID_CERTIFICATE' });
  }
}
