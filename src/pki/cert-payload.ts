// CERT and CERT_REQ payload bodies (RFC 2408 3.9, 3.10) for X.509 signature certificates
// (encoding 4): the certificate travels as DER, a request names an acceptable CA by its subject DN
// (DER), or is empty for "any CA".
import type { PkiCertificate } from './certificate.js';
import { parseCertificate } from './certificate.js';
import { validateChain, type ChainOptions } from './chain.js';
import { dnDerEqual, dnToOneline, parseDn } from './dn.js';
import { fail, ok, type PkiResult } from './errors.js';
import type { PkiStores } from './store.js';

export const CERT_ENCODING_X509_SIG = 4;

export interface CertBody {
  encoding: number;
  data: Uint8Array;
}

/** The CERT payload body that carries a certificate. */
export const certPayloadFor = (cert: PkiCertificate): CertBody => ({ encoding: CERT_ENCODING_X509_SIG, data: cert.der });

/** Decode a received CERT payload body. */
export function certFromPayload(p: CertBody): PkiResult<PkiCertificate> {
  if (p.encoding !== CERT_ENCODING_X509_SIG) {
    return fail('bad-encoding', `certificate encoding ${p.encoding} is not supported (only 4, X.509 signature)`, { notify: 'CERT_TYPE_UNSUPPORTED' });
  }
  const r = parseCertificate(p.data, 'peer');
  if (!r.ok) return fail('bad-certificate', r.error.reason, { notify: 'INVALID_CERT_ENCODING' });
  return r;
}

/** A CERT_REQ body naming one CA. */
export const certRequestFor = (ca: PkiCertificate): CertBody => ({ encoding: CERT_ENCODING_X509_SIG, data: ca.subjectDer });

/** One request per trusted CA, as sent in Main Mode message 3/4 when certificates authenticate. */
export const certRequestsFor = (stores: PkiStores): CertBody[] => stores.cas.map(certRequestFor);

/** The CA a request names, as text, or "any CA" for an empty request. */
export function describeCertRequest(p: CertBody): string {
  if (p.data.length === 0) return 'any CA';
  try {
    return dnToOneline(parseDn(p.data));
  } catch {
    return `undecodable CA name (${Buffer.from(p.data).toString('hex').slice(0, 32)}...)`;
  }
}

/**
 * Does our certificate answer a peer's CERT_REQ? It does when the request is empty, or when the CA it
 * names appears in our certificate's chain (built from our stores). Malformed requests are refused.
 */
export function answersCertRequest(p: CertBody, own: PkiCertificate, stores: PkiStores, opts: ChainOptions = {}): PkiResult<true> {
  if (p.encoding !== CERT_ENCODING_X509_SIG) {
    return fail('bad-encoding', `certificate request for encoding ${p.encoding}, we have only X.509 signature certificates`, { notify: 'CERT_TYPE_UNSUPPORTED' });
  }
  if (p.data.length === 0) return ok(true);
  try {
    parseDn(p.data);
  } catch {
    return fail('bad-encoding', 'certificate request names no decodable CA', { notify: 'INVALID_CERT_AUTHORITY' });
  }
  const chain = validateChain(own, stores, opts);
  const path = chain.ok ? chain.value.chain : [own];
  if (path.some((c) => dnDerEqual(c.subjectDer, p.data) || dnDerEqual(c.issuerDer, p.data))) return ok(true);
  return fail('untrusted-root', `our certificate does not chain to the requested CA "${describeCertRequest(p)}"`, { notify: 'INVALID_CERT_AUTHORITY' });
}
