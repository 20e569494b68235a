// One call for the RSA_SIG step of Main/Aggressive Mode on the receiving side: which certificate is
// the peer's, does it chain to a CA we trust, does it vouch for the ID the peer sent (and is that the
// ID we expected), and does the SIG payload sign HASH_I/HASH_R with its key. The answer carries what
// policy needs next (principals and X.509-derived credentials) or the refusal with its notify.
import type { PkiCertificate } from './certificate.js';
import { certFromPayload, CERT_ENCODING_X509_SIG, type CertBody } from './cert-payload.js';
import { validateChain, type ChainOptions } from './chain.js';
import { dnDerEqual } from './dn.js';
import { fail, ok, type PkiResult } from './errors.js';
import { ID_TYPE, identityText, matchIdentity, type IdentityMatch, type IkeIdentity, type MatchOptions } from './identity.js';
import { credentialsForChain, keynotePrincipalsForCert } from './keynote.js';
import { checkHashSignature } from './rsa-sig.js';
import type { PkiStores } from './store.js';

export interface PeerAuthInput {
  /** CERT payload bodies the peer sent (may be empty: then the Cert-directory is searched by ID) */
  certs: CertBody[];
  /** the peer's phase 1 ID payload */
  id: IkeIdentity;
  /** the HASH_I or HASH_R the peer must have signed */
  hash: Uint8Array;
  /** SIG payload data */
  signature: Uint8Array;
  /** the configured Remote-ID, when there is one: the received ID must be this ID */
  expectedId?: IkeIdentity;
  chain?: ChainOptions;
  match?: MatchOptions;
}

export interface PeerAuth {
  cert: PkiCertificate;
  chain: PkiCertificate[];
  match: IdentityMatch;
  /** requesting principals for KeyNote: rsa-hex: and DN: */
  principals: string[];
  /** local KeyNote assertions derived from the chain (x509_generate_kn) */
  credentials: string[];
  warnings: string[];
}

function sameId(a: IkeIdentity, b: IkeIdentity): boolean {
  if (a.idType !== b.idType) return false;
  if (a.idType === ID_TYPE.DER_ASN1_DN) return dnDerEqual(a.data, b.data);
  return Buffer.from(a.data).equals(Buffer.from(b.data));
}

export function authenticatePeer(stores: PkiStores, input: PeerAuthInput): PkiResult<PeerAuth> {
  if (input.expectedId && !sameId(input.id, input.expectedId)) {
    return fail('id-mismatch', `peer identified as "${identityText(input.id)}", the configuration expects "${identityText(input.expectedId)}"`, { notify: 'INVALID_ID_INFORMATION' });
  }
  const received: PkiCertificate[] = [];
  for (const body of input.certs) {
    if (body.encoding !== CERT_ENCODING_X509_SIG) continue; // other encodings (CRLs, KeyNote) are not certificates of the peer
    const r = certFromPayload(body);
    if (!r.ok) return r;
    received.push(r.value);
  }
  const pool = received.length > 0 ? received : stores.certs;
  const cert = pool.find((c) => matchIdentity(input.id, c, input.match).ok);
  if (!cert) {
    if (received.length === 0) return fail('no-certificate', `the peer sent no certificate and none in the Cert-directory names "${identityText(input.id)}"`, { notify: 'CERTIFICATE_UNAVAILABLE' });
    const m = matchIdentity(input.id, received[0]!, input.match);
    return m.ok ? fail('id-mismatch', 'unreachable') : m;
  }
  const chain = validateChain(cert, stores, { ...input.chain, intermediates: [...(input.chain?.intermediates ?? []), ...received.filter((c) => c !== cert)] });
  if (!chain.ok) return chain;
  const match = matchIdentity(input.id, cert, input.match);
  if (!match.ok) return match;
  const sig = checkHashSignature(cert, input.hash, input.signature);
  if (!sig.ok) return sig;
  const principals = keynotePrincipalsForCert(cert);
  const credentials = credentialsForChain(chain.value.chain, stores);
  return ok({
    cert,
    chain: chain.value.chain,
    match: match.value,
    principals: principals.ok ? principals.value : [],
    credentials: credentials.ok ? credentials.value : [],
    warnings: chain.value.warnings,
  });
}
