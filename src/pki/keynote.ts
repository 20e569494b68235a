// Certificates as KeyNote principals and credentials, the way isakmpd turns them into policy input
// (x509.c x509_generate_kn, policy.c check_policy): a peer authenticated by an RSA certificate
// presents "rsa-hex:<PKCS#1 RSAPublicKey, lower-case hex>" and "DN:<X509_NAME_oneline subject>";
// every certificate whose issuer we know adds two local assertions, issuer key -> subject key and
// issuer DN -> subject DN, each limited to the certificate's validity window.
import type { PkiCertificate } from './certificate.js';
import { parseCertificate } from './certificate.js';
import { dnToOneline } from './dn.js';
import { fail, ok, type PkiResult } from './errors.js';
import { certSignedBy } from './signatures.js';
import type { PkiStores } from './store.js';

// isakmpd formats names into a 256-byte buffer.
const ONELINE_MAX = 255;

function asCert(c: PkiCertificate | Uint8Array): PkiResult<PkiCertificate> {
  return c instanceof Uint8Array ? parseCertificate(c) : ok(c);
}

/** "rsa-hex:" principal of an RSA certificate's key (kn_encode_key INTERNAL_ENC_PKCS1, ENCODING_HEX). */
export function rsaHexPrincipal(cert: PkiCertificate): PkiResult<string> {
  if (cert.publicKey.asymmetricKeyType !== 'rsa') {
    return fail('unsupported-key', `KeyNote principals are made only from RSA keys, "${cert.subjectOneline}" has ${cert.publicKey.asymmetricKeyType ?? 'another kind of'} key`);
  }
  return ok(`rsa-hex:${cert.publicKey.export({ format: 'der', type: 'pkcs1' }).toString('hex')}`);
}

export const dnPrincipal = (cert: PkiCertificate): string => `DN:${dnToOneline(cert.subject, ONELINE_MAX)}`;

/** The requesting principals of a peer authenticated with this certificate: [rsa-hex:..., DN:...]. */
export function keynotePrincipalsForCert(cert: PkiCertificate | Uint8Array): PkiResult<string[]> {
  const c = asCert(cert);
  if (!c.ok) return c;
  const key = rsaHexPrincipal(c.value);
  if (!key.ok) return key;
  return ok([key.value, dnPrincipal(c.value)]);
}

const quote = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

/** The two assertions x509_generate_kn derives from a certificate and its issuer, as text. */
export function credentialsForCertificate(cert: PkiCertificate, issuer: PkiCertificate): PkiResult<string[]> {
  const sk = rsaHexPrincipal(cert);
  if (!sk.ok) return sk;
  const ik = rsaHexPrincipal(issuer);
  if (!ik.ok) return ik;
  const tb = cert.notBeforeTime;
  const ta = cert.notAfterTime;
  const cond = `Conditions: ${tb.utc ? 'GMTTimeOfDay' : 'LocalTimeOfDay'} >= "${tb.text}" && ${ta.utc ? 'GMTTimeOfDay' : 'LocalTimeOfDay'} <= "${ta.text}";\n`;
  return ok([
    `Authorizer: "${ik.value}"\nLicensees: "${sk.value}"\n${cond}`,
    `Authorizer: "DN:${quote(dnToOneline(issuer.subject, ONELINE_MAX))}"\nLicensees: "DN:${quote(dnToOneline(cert.subject, ONELINE_MAX))}"\n${cond}`,
  ]);
}

/**
 * Credentials for a chain (end certificate first). Each certificate that is not self-signed gets its
 * two assertions when its issuer is found: the next certificate in the chain, else (as isakmpd looks)
 * the CA store, then the certificate store. A certificate whose issuer is unknown adds nothing.
 */
export function credentialsForChain(chain: (PkiCertificate | Uint8Array)[], stores?: PkiStores): PkiResult<string[]> {
  const certs: PkiCertificate[] = [];
  for (const c of chain) {
    const r = asCert(c);
    if (!r.ok) return r;
    certs.push(r.value);
  }
  const out: string[] = [];
  certs.forEach((cert, i) => {
    if (cert.selfIssued) return;
    const pool = [...certs.slice(i + 1), ...(stores?.cas ?? []), ...(stores?.certs ?? [])];
    const issuer = pool.find((p) => p.subjectKey === cert.issuerKey && certSignedBy(cert, p));
    if (!issuer) return;
    const r = credentialsForCertificate(cert, issuer);
    if (r.ok) out.push(...r.value);
  });
  return ok(out);
}
