// Chain validation: from a peer's certificate up to a CA in the CA store, through intermediates the
// peer sent or we hold. Each link must verify, every certificate must be inside its validity period
// at the given time, every issuer must be a CA (basicConstraints, pathLen, keyUsage keyCertSign
// where present), and no certificate may be revoked by a CRL its issuer signed. The answer is a
// value: the chain, or the first reason it is not acceptable.
import type { PkiCertificate } from './certificate.js';
import type { PkiCrl } from './crl.js';
import { fail, ok, type PkiResult } from './errors.js';
import { certSignedBy, crlSignedBy } from './signatures.js';
import type { PkiStores } from './store.js';

export interface ChainOptions {
  /** the time to validate at (default: now) */
  now?: Date;
  /** certificates the peer sent besides its own (intermediate CAs) */
  intermediates?: PkiCertificate[];
  /** fail when an issuer has no CRL loaded, or its CRL is past nextUpdate (OpenSSL's CRL_CHECK_ALL) */
  requireCrl?: boolean;
  /** check the end certificate's keyUsage, where present, for digitalSignature or nonRepudiation (default true) */
  checkLeafKeyUsage?: boolean;
  /** accept a self-signed end certificate that is not a CA we trust (default: stores.acceptSelfSigned) */
  acceptSelfSigned?: boolean;
  /** longest chain, anchor included (default 8) */
  maxDepth?: number;
}

export interface ValidChain {
  /** end certificate first, trust anchor last */
  chain: PkiCertificate[];
  anchor: PkiCertificate;
  /** things that did not fail validation but an operator should hear about (stale CRL, ignored CRL) */
  warnings: string[];
}

const label = (c: PkiCertificate): string => `"${c.subjectOneline}"`;
const time = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

const isTrusted = (c: PkiCertificate, stores: PkiStores): boolean => stores.cas.some((a) => a.der.equals(c.der));

/** Candidate issuers by name, trusted CAs first, then what the peer sent, then the cert store. */
function issuersOf(cert: PkiCertificate, stores: PkiStores, extra: PkiCertificate[]): PkiCertificate[] {
  const pool = [...stores.cas, ...extra, ...stores.certs];
  return pool.filter((c) => c.subjectKey === cert.issuerKey && !c.der.equals(cert.der));
}

export function validateChain(leaf: PkiCertificate, stores: PkiStores, opts: ChainOptions = {}): PkiResult<ValidChain> {
  const now = opts.now ?? new Date();
  const maxDepth = opts.maxDepth ?? 8;
  const extra = opts.intermediates ?? [];
  const warnings: string[] = [];
  const chain: PkiCertificate[] = [leaf];
  const bad = { notify: 'INVALID_CERTIFICATE' as const };

  // 1. Build the path.
  if (leaf.selfIssued && certSignedBy(leaf, leaf)) {
    const accept = opts.acceptSelfSigned ?? stores.acceptSelfSigned;
    if (!isTrusted(leaf, stores) && !accept) {
      return fail('self-signed', `certificate ${label(leaf)} is self-signed and not a trusted CA (set Accept-self-signed to allow it)`, { notify: 'INVALID_CERT_AUTHORITY' });
    }
  } else {
    for (let cur = leaf; ; ) {
      if (chain.length >= maxDepth) return fail('chain-too-long', `no trusted CA within ${maxDepth} certificates of ${label(leaf)}`, { notify: 'INVALID_CERT_AUTHORITY' });
      const named = issuersOf(cur, stores, extra);
      if (named.length === 0) {
        return fail(chain.length === 1 ? 'untrusted-root' : 'no-issuer', `issuer "${cur.issuerOneline}" of ${label(cur)} is not a known CA`, { notify: 'INVALID_CERT_AUTHORITY' });
      }
      const issuer = named.find((c) => certSignedBy(cur, c) && !chain.includes(c));
      if (!issuer) return fail('bad-signature', `signature on ${label(cur)} does not verify with the key of its issuer "${cur.issuerOneline}"`, bad);
      chain.push(issuer);
      if (isTrusted(issuer, stores)) break;
      if (issuer.selfIssued) return fail('untrusted-root', `chain of ${label(leaf)} ends in ${label(issuer)}, which is not in the CA directory`, { notify: 'INVALID_CERT_AUTHORITY' });
      cur = issuer;
    }
  }

  // 2. Validity periods.
  for (const c of chain) {
    if (now < c.notBefore) return fail('not-yet-valid', `certificate ${label(c)} is not valid before ${time(c.notBefore)}`, bad);
    if (now > c.notAfter) return fail('expired', `certificate ${label(c)} expired at ${time(c.notAfter)}`, bad);
  }

  // 3. Issuers must be CAs allowed to sign certificates, within their path length.
  for (let i = 1; i < chain.length; i++) {
    const ca = chain[i]!;
    const anchor = i === chain.length - 1;
    const bc = ca.basicConstraints;
    // A trust anchor without basicConstraints is an old v1 root the operator chose to trust.
    if (bc ? !bc.ca : !anchor) return fail('issuer-not-ca', `${label(ca)} issued ${label(chain[i - 1]!)} but is not a CA (basicConstraints)`, bad);
    if (ca.keyUsage && !ca.keyUsage.keyCertSign) return fail('issuer-key-usage', `${label(ca)} issued ${label(chain[i - 1]!)} but its keyUsage lacks keyCertSign`, bad);
    // RFC 5280 6.1.4 (l, m): pathLen counts the non-self-issued intermediates below this CA.
    const below = chain.slice(1, i).filter((c) => !c.selfIssued).length;
    if (bc?.pathLen !== undefined && below > bc.pathLen) return fail('path-length', `${label(ca)} allows ${bc.pathLen} intermediate CA(s) below it, the chain has ${below}`, bad);
  }

  // 4. The end certificate must be allowed to sign (RSA_SIG authentication).
  const ku = leaf.keyUsage;
  if ((opts.checkLeafKeyUsage ?? true) && chain.length > 1 && ku && !ku.digitalSignature && !ku.nonRepudiation) {
    return fail('leaf-key-usage', `keyUsage of ${label(leaf)} allows neither digitalSignature nor nonRepudiation`, bad);
  }

  // 5. Revocation, when we hold CRLs.
  for (let i = 0; i + 1 < chain.length; i++) {
    const c = chain[i]!;
    const issuer = chain[i + 1]!;
    const r = revocationOf(c, issuer, stores.crls, now, warnings);
    if (r === 'revoked') return fail('revoked', `certificate ${label(c)} (serial ${c.serialHex}) is revoked by its issuer's CRL`, { notify: 'INVALID_CERTIFICATE' });
    if (opts.requireCrl && r === 'none') return fail('crl-missing', `no current CRL from "${issuer.subjectOneline}" to check ${label(c)} against`, bad);
    if (opts.requireCrl && r === 'stale') return fail('crl-expired', `the CRL from "${issuer.subjectOneline}" is past its nextUpdate`, bad);
  }
  return ok({ chain, anchor: chain[chain.length - 1]!, warnings });
}

type Revocation = 'good' | 'revoked' | 'stale' | 'none';

function revocationOf(cert: PkiCertificate, issuer: PkiCertificate, crls: PkiCrl[], now: Date, warnings: string[]): Revocation {
  let best: Revocation = 'none';
  for (const crl of crls) {
    if (crl.issuerKey !== issuer.subjectKey) continue;
    const sig = crlSignedBy(crl, issuer);
    if (sig !== 'valid') {
      warnings.push(`ignoring CRL ${crl.source ?? ''} from "${crl.issuerOneline}": signature ${sig === 'invalid' ? 'does not verify' : 'algorithm unsupported'}`.replace('  ', ' '));
      continue;
    }
    if (issuer.keyUsage && !issuer.keyUsage.cRLSign) {
      warnings.push(`ignoring CRL from "${crl.issuerOneline}": the CA's keyUsage lacks cRLSign`);
      continue;
    }
    // A revocation listed in any CRL from the issuer stands, current or not.
    if (crl.revoked.has(cert.serialHex)) return 'revoked';
    if (crl.nextUpdate && now > crl.nextUpdate) {
      warnings.push(`CRL from "${crl.issuerOneline}" is past its nextUpdate (${time(crl.nextUpdate)})`);
      if (best === 'none') best = 'stale';
    } else best = 'good';
  }
  return best;
}
