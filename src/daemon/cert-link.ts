// RSA_SIG for the engine from the certificate stores of [X509-certificates] (src/pki): our certificate and
// signature for a local ID, the peer's certificate checked against our CAs and CRLs, and CERT_REQs.
import {
  authenticatePeer, certPayloadFor, certRequestsFor, dnToOneline, findCertificateForId, identityText, privateKeyFor, signHash,
  type PkiStores,
} from '../pki/index.js';
import type { CertAuth, IdValue } from '../ike/config.js';

const ike = (id: IdValue): { idType: number; data: Uint8Array } => ({ idType: id.idType, data: id.data });

export function pkiCertAuth(stores: PkiStores, now: () => Date = () => new Date()): CertAuth {
  const ours = (id: IdValue) => {
    const key = privateKeyFor(stores, identityText(ike(id)));
    if (!key) return undefined;
    const cert = findCertificateForId(stores, ike(id), key);
    return cert.ok ? { key, cert: cert.value } : undefined;
  };
  return {
    certificates: (id) => {
      const o = ours(id);
      return o ? [certPayloadFor(o.cert)] : [];
    },
    sign: (hash, id) => {
      const o = ours(id);
      return o ? signHash(o.key, hash) : undefined;
    },
    verify: (q) => {
      const r = authenticatePeer(stores, {
        certs: q.certs, id: ike(q.id), hash: q.hash, signature: q.signature, chain: { now: now() },
        ...(q.expectedId ? { expectedId: ike(q.expectedId) } : {}),
      });
      if (!r.ok) return { ok: false, notify: r.error.notify ?? 'AUTHENTICATION_FAILED', reason: r.error.reason };
      return { ok: true, principals: r.value.principals, subject: dnToOneline(r.value.cert.subject), credentials: r.value.credentials };
    },
    certRequests: () => certRequestsFor(stores),
  };
}
