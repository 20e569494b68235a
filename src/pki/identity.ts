// IKE identities and certificates (RFC 2407 4.6.2, RFC 4945 3.1): does the ID a peer sent in Main
// Mode belong to the certificate it proved possession of? The names a certificate vouches for are
// its subjectAltNames (iPAddress, dNSName, rfc822Name) and its subject DN. isakmpd looks only at the
// first subjectAltName and compares bytes exactly; by default we look at all of them and compare
// host and mail domains case-insensitively (opts.isakmpdStrict restores isakmpd's rule).
import net from 'node:net';
import type { AltName, PkiCertificate } from './certificate.js';
import { dnDerEqual, dnToOneline, encodeDn, parseDn, parseDnText } from './dn.js';
import { fail, messageOf, ok, type PkiResult } from './errors.js';
import { sameKey } from './signatures.js';
import type { PkiStores } from './store.js';
import type crypto from 'node:crypto';

/** RFC 2407 identification types. */
export const ID_TYPE = {
  IPV4_ADDR: 1,
  FQDN: 2,
  USER_FQDN: 3,
  IPV4_ADDR_SUBNET: 4,
  IPV6_ADDR: 5,
  IPV6_ADDR_SUBNET: 6,
  IPV4_ADDR_RANGE: 7,
  IPV6_ADDR_RANGE: 8,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
} as const;

export type IdTypeName = keyof typeof ID_TYPE;

/** The identification data of an ID payload, as the codec gives it (IdPayload has these fields). */
export interface IkeIdentity {
  idType: number;
  data: Uint8Array;
}

export interface IdentityMatch {
  /** which part of the certificate vouches for the ID */
  via: 'subjectAltName' | 'subject';
  /** the matching name as text */
  name: string;
}

export interface MatchOptions {
  /** isakmpd's rule: only the first subjectAltName, bytes compared exactly */
  isakmpdStrict?: boolean;
}

const idTypeName = (t: number): string => (Object.entries(ID_TYPE).find(([, v]) => v === t)?.[0] ?? `ID type ${t}`);

function ipBytes(text: string): Buffer | undefined {
  if (net.isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  if (!net.isIPv6(text)) return undefined;
  // Expand "::" and an embedded dotted quad.
  let t = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    t = t.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = t.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const tl = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail !== undefined ? [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Build an ID from its type name and text, as a Phase1-ID section gives them. DN text may use either form. */
export function identityFromText(type: IdTypeName, text: string): PkiResult<IkeIdentity> {
  const idType = ID_TYPE[type];
  switch (type) {
    case 'IPV4_ADDR':
    case 'IPV6_ADDR': {
      const b = ipBytes(text.trim());
      if (!b || b.length !== (type === 'IPV4_ADDR' ? 4 : 16)) return fail('bad-id', `"${text}" is not an ${type === 'IPV4_ADDR' ? 'IPv4' : 'IPv6'} address`);
      return ok({ idType, data: b });
    }
    case 'DER_ASN1_DN':
      try {
        return ok({ idType, data: encodeDn(parseDnText(text)) });
      } catch (e) {
        return fail('bad-id', `"${text}" is not a distinguished name (${messageOf(e)})`);
      }
    case 'FQDN':
    case 'USER_FQDN':
    case 'KEY_ID':
      return ok({ idType, data: Buffer.from(text, 'utf8') });
    default:
      return fail('bad-id', `${type} identities cannot be written as text here`);
  }
}

/** An ID as text for logs and for Private-key-directory file names: address, name, or one-line DN. */
export function identityText(id: IkeIdentity): string {
  const d = Buffer.from(id.data);
  switch (id.idType) {
    case ID_TYPE.IPV4_ADDR:
      return d.length === 4 ? [...d].join('.') : d.toString('hex');
    case ID_TYPE.IPV6_ADDR:
      return d.length === 16 ? ([...Array(8).keys()].map((i) => d.readUInt16BE(i * 2).toString(16)).join(':')) : d.toString('hex');
    case ID_TYPE.DER_ASN1_DN:
      try {
        return dnToOneline(parseDn(d));
      } catch {
        return d.toString('hex');
      }
    default:
      return d.toString('utf8');
  }
}

const lowerHost = (s: string): string => s.toLowerCase().replace(/\.$/, '');
function sameMailbox(a: string, b: string): boolean {
  const ia = a.lastIndexOf('@');
  const ib = b.lastIndexOf('@');
  if (ia < 0 || ib < 0) return a === b;
  return a.slice(0, ia) === b.slice(0, ib) && lowerHost(a.slice(ia + 1)) === lowerHost(b.slice(ib + 1));
}

function altMatches(id: IkeIdentity, alt: AltName, strict: boolean): boolean {
  const d = Buffer.from(id.data);
  switch (id.idType) {
    case ID_TYPE.IPV4_ADDR:
      return alt.kind === 'ip' && alt.bytes.length === 4 && alt.bytes.equals(d);
    case ID_TYPE.IPV6_ADDR:
      return alt.kind === 'ip' && alt.bytes.length === 16 && alt.bytes.equals(d);
    case ID_TYPE.FQDN:
      if (alt.kind !== 'dns') return false;
      return strict ? alt.text === d.toString('latin1') : lowerHost(alt.text) === lowerHost(d.toString('utf8'));
    case ID_TYPE.USER_FQDN:
      if (alt.kind !== 'email') return false;
      return strict ? alt.text === d.toString('latin1') : sameMailbox(alt.text, d.toString('utf8'));
    case ID_TYPE.DER_ASN1_DN:
      return !strict && alt.kind === 'dn' && dnDerEqual(alt.der, d);
    default:
      return false;
  }
}

function altText(a: AltName): string {
  switch (a.kind) {
    case 'ip':
      return `IP:${a.text}`;
    case 'dns':
      return `DNS:${a.text}`;
    case 'email':
      return `email:${a.text}`;
    case 'uri':
      return `URI:${a.text}`;
    case 'dn':
      return `DirName:${dnToOneline(a.dn)}`;
    default:
      return `othername(${a.tag})`;
  }
}

const SUPPORTED = new Set<number>([ID_TYPE.IPV4_ADDR, ID_TYPE.IPV6_ADDR, ID_TYPE.FQDN, ID_TYPE.USER_FQDN, ID_TYPE.DER_ASN1_DN]);

/** Does the certificate vouch for this ID? A mismatch names what the certificate does hold. */
export function matchIdentity(id: IkeIdentity, cert: PkiCertificate, opts: MatchOptions = {}): PkiResult<IdentityMatch> {
  const strict = opts.isakmpdStrict === true;
  if (!SUPPORTED.has(id.idType)) {
    return fail('bad-id', `${idTypeName(id.idType)} identities cannot be bound to a certificate`, { notify: 'INVALID_ID_INFORMATION' });
  }
  const alts = strict ? cert.altNames.slice(0, 1) : cert.altNames;
  const hit = alts.find((a) => altMatches(id, a, strict));
  if (hit) return ok({ via: 'subjectAltName', name: altText(hit) });
  if (id.idType === ID_TYPE.DER_ASN1_DN) {
    const same = strict ? cert.subjectDer.equals(Buffer.from(id.data)) : dnDerEqual(cert.subjectDer, id.data);
    if (same) return ok({ via: 'subject', name: cert.subjectOneline });
  }
  const holds = [cert.subjectOneline, ...cert.altNames.map(altText)].join(', ');
  return fail('id-mismatch', `${idTypeName(id.idType)} "${identityText(id)}" is not a name of certificate "${cert.subjectOneline}" (it holds ${holds})`, { notify: 'INVALID_ID_INFORMATION' });
}

/** Every ID a certificate vouches for, in the order isakmpd lists them: subject DN first. */
export function certificateIdentities(cert: PkiCertificate): IkeIdentity[] {
  const out: IkeIdentity[] = [{ idType: ID_TYPE.DER_ASN1_DN, data: cert.subjectDer }];
  for (const a of cert.altNames) {
    if (a.kind === 'ip') out.push({ idType: a.bytes.length === 4 ? ID_TYPE.IPV4_ADDR : ID_TYPE.IPV6_ADDR, data: a.bytes });
    else if (a.kind === 'dns') out.push({ idType: ID_TYPE.FQDN, data: Buffer.from(a.text, 'utf8') });
    else if (a.kind === 'email') out.push({ idType: ID_TYPE.USER_FQDN, data: Buffer.from(a.text, 'utf8') });
  }
  return out;
}

/**
 * Our own certificate for a local ID (isakmpd's x509_cert_obtain: the Cert-directory certificate
 * whose names include the ID). With a private key given, only a certificate for that key qualifies.
 */
export function findCertificateForId(stores: PkiStores, id: IkeIdentity, privateKey?: crypto.KeyObject, opts: MatchOptions = {}): PkiResult<PkiCertificate> {
  const candidates = stores.certs.filter((c) => matchIdentity(id, c, opts).ok);
  if (candidates.length === 0) {
    return fail('no-certificate', `no certificate in the Cert-directory names ${idTypeName(id.idType)} "${identityText(id)}"`, { notify: 'CERTIFICATE_UNAVAILABLE' });
  }
  if (!privateKey) return ok(candidates[0]!);
  const mine = candidates.find((c) => sameKey(c.publicKey, privateKey));
  if (!mine) return fail('no-private-key', `certificate "${candidates[0]!.subjectOneline}" names "${identityText(id)}" but does not match our private key`, { notify: 'CERTIFICATE_UNAVAILABLE' });
  return ok(mine);
}
