// Public face of the X.509 layer: stores loaded from isakmpd's [X509-certificates] directories,
// chain and CRL validation, IKE ID <-> certificate matching, IKEv1 RSA signatures, CERT/CERT_REQ
// payload bodies and the KeyNote principals and credentials isakmpd derives from certificates.
export { type PkiProblem, type PkiResult, type PkiErrorCode, type PkiNotify, formatProblem } from './errors.js';
export { splitPemOrDer, toPem, type DerBlock } from './pem.js';
export { parseDn, parseDnText, encodeDn, dnToOneline, dnToRfc4514, dnEqual, dnDerEqual, dnKey, type Dn, type DnAttribute } from './dn.js';
export { parseCertificate, type PkiCertificate, type AltName, type KeyUsage, type CertTime } from './certificate.js';
export { parseCrl, type PkiCrl } from './crl.js';
export { parsePrivateKey, parsePublicKey } from './keys.js';
export {
  loadPkiStores, createPkiStores, emptyStores, privateKeyFor, certificatesFromBytes, crlsFromBytes,
  type PkiStores, type PkiStoreOptions,
} from './store.js';
export { validateChain, type ChainOptions, type ValidChain } from './chain.js';
export { certSignedBy, crlSignedBy, sameKey } from './signatures.js';
export {
  ID_TYPE, matchIdentity, identityFromText, identityText, certificateIdentities, findCertificateForId,
  type IkeIdentity, type IdTypeName, type IdentityMatch, type MatchOptions,
} from './identity.js';
export { signHash, verifyHash, checkHashSignature, rsaKeyBytes, PkiError, type PublicKeyLike, type PrivateKeyLike } from './rsa-sig.js';
export {
  CERT_ENCODING_X509_SIG, certPayloadFor, certFromPayload, certRequestFor, certRequestsFor, describeCertRequest, answersCertRequest,
  type CertBody,
} from './cert-payload.js';
export { keynotePrincipalsForCert, credentialsForChain, credentialsForCertificate, rsaHexPrincipal, dnPrincipal } from './keynote.js';
export { patchSubjectAltName, type PatchName } from './certpatch.js';
export { authenticatePeer, type PeerAuthInput, type PeerAuth } from './peer-auth.js';
