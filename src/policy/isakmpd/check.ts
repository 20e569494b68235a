// The Quick Mode policy decision as isakmpd makes it (ike_quick_mode.c check_policy): return values
// "false","true", the action attributes of the negotiated SA, and the requesting principals derived
// from how phase 1 was authenticated. Also the X.509 pseudo-credentials isakmpd derives from
// certificates (x509.c x509_generate_kn), so policies can delegate to a CA key or DN.
import crypto from 'node:crypto';
import { assertionChunks, parseAssertion, parseAssertionAt, type Assertion } from '../assertion.js';
import { formatDiagnostic, LineMap } from '../errors.js';
import { verifyAssertion } from '../signature.js';
import { evaluateQuery, type Attributes } from '../compliance.js';
import { explainGrant, explainRefusal } from '../explain.js';
import { parseCertificate, rsaHexPrincipal } from '../keys.js';
import type { Policy } from './policy-file.js';

export const ISAKMPD_VALUES = ['false', 'true'] as const;

export interface Decision {
  allowed: boolean;
  /** the compliance value: "false" or "true" */
  value: string;
  /** the answer a refusal gives the peer */
  notify?: 'NO_PROPOSAL_CHOSEN';
  /** which assertion granted, or which came closest and why it failed (computed when first read) */
  readonly explanation: string;
}

/** The three principals isakmpd presents for a pre-shared key. */
export function principalsForPsk(psk: Buffer | string): string[] {
  const b = typeof psk === 'string' ? Buffer.from(psk, 'utf8') : psk;
  return [
    `passphrase:${b.toString('utf8')}`,
    `passphrase-md5-hex:${crypto.createHash('md5').update(b).digest('hex')}`,
    `passphrase-sha1-hex:${crypto.createHash('sha1').update(b).digest('hex')}`,
  ];
}

/**
 * Principals for a peer authenticated by an RSA certificate: its key as "rsa-hex:<PKCS#1 hex>" and
 * its subject as "DN:/C=../CN=..". The key may be a KeyObject, PEM text, or DER (SPKI or PKCS#1).
 */
export function principalsForCert(publicKey: crypto.KeyObject | string | Buffer, subjectDn?: string): string[] {
  let key: crypto.KeyObject;
  if (publicKey instanceof crypto.KeyObject) key = publicKey;
  else if (typeof publicKey === 'string') key = crypto.createPublicKey(publicKey);
  else {
    try {
      key = crypto.createPublicKey({ key: publicKey, format: 'der', type: 'spki' });
    } catch {
      key = crypto.createPublicKey({ key: publicKey, format: 'der', type: 'pkcs1' });
    }
  }
  const out = [rsaHexPrincipal(key)];
  if (subjectDn) out.push(`DN:${subjectDn}`);
  return out;
}

/** Principals for a peer certificate given as DER. Throws (DerError) if it does not decode. */
export function principalsForCertificate(certDer: Buffer): string[] {
  const c = parseCertificate(certDer);
  if (c.publicKey.algorithm !== 'rsa') throw new Error('isakmpd accepts only RSA certificates as policy principals');
  return principalsForCert(c.publicKey.key, c.subject);
}

/**
 * The two local assertions isakmpd derives from a certificate and its issuer: issuer key licenses
 * subject key, issuer DN licenses subject DN, each valid inside the certificate's validity window.
 * Self-signed certificates give none.
 */
export function certificateCredentials(certDer: Buffer, issuerDer: Buffer): Assertion[] {
  let c, i;
  try {
    c = parseCertificate(certDer);
    i = parseCertificate(issuerDer);
  } catch {
    return []; // an undecodable certificate delegates nothing
  }
  if (c.selfSigned || c.publicKey.algorithm !== 'rsa' || i.publicKey.algorithm !== 'rsa') return [];
  const tb = c.notBeforeUtc ? 'GMTTimeOfDay' : 'LocalTimeOfDay';
  const ta = c.notAfterUtc ? 'GMTTimeOfDay' : 'LocalTimeOfDay';
  const cond = `Conditions: ${tb} >= "${c.notBefore}" && ${ta} <= "${c.notAfter}";\n`;
  const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const texts = [
    `Authorizer: "${rsaHexPrincipal(i.publicKey.key)}"\nLicensees: "${rsaHexPrincipal(c.publicKey.key)}"\n${cond}`,
    `Authorizer: "DN:${esc(i.subject)}"\nLicensees: "DN:${esc(c.subject)}"\n${cond}`,
  ];
  const out: Assertion[] = [];
  for (const t of texts) {
    const r = parseAssertion(t, '<x509>', true);
    if (r.ok) out.push(r.assertion);
  }
  return out;
}

/** Credentials for a validated chain, leaf first: each certificate licensed by the next one. */
export function chainCredentials(chain: Buffer[]): Assertion[] {
  const out: Assertion[] = [];
  for (let i = 0; i + 1 < chain.length; i++) out.push(...certificateCredentials(chain[i]!, chain[i + 1]!));
  return out;
}

export interface CheckOptions {
  /** extra local assertions for this query (for example certificateCredentials) */
  credentials?: Assertion[];
}

/** One Quick Mode responder decision. Never throws for any attribute or principal content. */
export function checkQuickMode(policy: Policy, attrs: Attributes, requesters: string[], opts: CheckOptions = {}): Decision {
  const set = opts.credentials?.length ? policy.set.with(opts.credentials) : policy.set;
  if (requesters.length === 0) {
    return { allowed: false, value: 'false', notify: 'NO_PROPOSAL_CHOSEN', explanation: 'no requesting principal (phase 1 authentication gave none)' };
  }
  const r = evaluateQuery(set, { values: [...ISAKMPD_VALUES], authorizers: requesters, attributes: attrs });
  const allowed = r.index === 1;
  const d = { allowed, value: r.value, ...(allowed ? {} : { notify: 'NO_PROPOSAL_CHOSEN' as const }) } as Decision;
  // Explaining walks every assertion again: only pay for it when someone reads it.
  let text: string | undefined;
  Object.defineProperty(d, 'explanation', {
    enumerable: true,
    get: () => (text ??= allowed ? explainGrant(r.context, r.index) : explainRefusal(r.context)),
  });
  return d;
}

/**
 * Optional Phase 1 decision (an oakley addition): same query, attributes from buildPhase1Attributes.
 */
export function checkPhase1(policy: Policy, attrs: Attributes, requesters: string[], opts: CheckOptions = {}): Decision {
  return checkQuickMode(policy, attrs, requesters, opts);
}

export type CredentialAdmission = { ok: true; assertions: Assertion[]; principal?: string } | { ok: false; reason: string };

/**
 * KeyNote credentials received in a CERT payload (encoding 11): every assertion must parse and its
 * signature verify, or the whole payload is refused, as isakmpd does. `principal` is the key the
 * last credential licenses (isakmpd's keynote_cert_get_key), the requester for the query.
 */
export function admitCredentials(text: string, source = '<credentials>'): CredentialAdmission {
  const out: Assertion[] = [];
  for (const [start, end] of assertionChunks(text)) {
    const r = parseAssertionAt(text, start, end, source, new LineMap(text), false);
    if (!r.ok) return { ok: false, reason: formatDiagnostic(r.diagnostic) };
    const v = verifyAssertion(r.assertion);
    if (!v.ok) return { ok: false, reason: `${source}:${r.assertion.lines.at(r.assertion.start).line}: ${v.reason}` };
    out.push(r.assertion);
  }
  if (out.length === 0) return { ok: false, reason: `${source}: no assertions` };
  const last = out[out.length - 1]!;
  const lic = last.licensees;
  const principal = lic && lic.k === 'key' && lic.e.k === 'str' ? lic.e.v : undefined;
  return { ok: true, assertions: out, ...(principal ? { principal } : {}) };
}

/** isakmpd's switch: policy checks run unless -K was given, and only if Use-Keynote starts with "yes". */
export function keynoteEnabled(useKeynote: string | undefined, ignorePolicyFlag: boolean): boolean {
  if (ignorePolicyFlag) return false;
  return (useKeynote ?? 'yes').startsWith('yes');
}
