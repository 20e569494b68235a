// What isakmpd's certpatch does: give a certificate a subjectAltName (IP address, FQDN or user FQDN)
// and re-sign it with the CA's key, so the certificate vouches for the IKE ID its holder will use.
// Everything else in the certificate stays; an existing subjectAltName is replaced.
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseCertificate, type PkiCertificate } from './certificate.js';
import { fail, messageOf, ok, type PkiResult } from './errors.js';
import { ID_TYPE, identityFromText, type IdTypeName } from './identity.js';

export interface PatchName {
  type: Extract<IdTypeName, 'IPV4_ADDR' | 'IPV6_ADDR' | 'FQDN' | 'USER_FQDN'>;
  value: string;
}

// PKCS#1 v1.5 signature algorithms by digest, the ones CAs use today.
const RSA_SIG_OID: Record<string, string> = { sha1: '1.2.840.113549.1.1.5', sha256: '1.2.840.113549.1.1.11', sha384: '1.2.840.113549.1.1.12', sha512: '1.2.840.113549.1.1.13' };

function generalName(n: PatchName): PkiResult<pkijs.GeneralName> {
  const id = identityFromText(n.type, n.value);
  if (!id.ok) return id;
  switch (id.value.idType) {
    case ID_TYPE.IPV4_ADDR:
    case ID_TYPE.IPV6_ADDR:
      return ok(new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: Buffer.from(id.value.data) }) }));
    case ID_TYPE.FQDN:
      return ok(new pkijs.GeneralName({ type: 2, value: n.value }));
    default:
      return ok(new pkijs.GeneralName({ type: 1, value: n.value }));
  }
}

/**
 * Return `cert` with subjectAltName set to `names`, issued and signed by `ca` with `caKey` (RSA,
 * PKCS#1 v1.5 with `digest`). The CA's key must match the CA certificate.
 */
export function patchSubjectAltName(
  cert: PkiCertificate,
  names: PatchName[],
  ca: PkiCertificate,
  caKey: crypto.KeyObject,
  digest: 'sha1' | 'sha256' | 'sha384' | 'sha512' = 'sha256',
): PkiResult<PkiCertificate> {
  if (names.length === 0) return fail('bad-id', 'no subjectAltName given');
  if (caKey.asymmetricKeyType !== 'rsa') return fail('unsupported-key', 'the CA key must be an RSA key');
  if (!crypto.createPublicKey(caKey).export({ format: 'der', type: 'spki' }).equals(ca.publicKey.export({ format: 'der', type: 'spki' }))) {
    return fail('bad-key', `the key does not belong to CA "${ca.subjectOneline}"`);
  }
  const gns: pkijs.GeneralName[] = [];
  for (const n of names) {
    const g = generalName(n);
    if (!g.ok) return g;
    gns.push(g.value);
  }
  try {
    const c = pkijs.Certificate.fromBER(cert.der);
    const san = new pkijs.Extension({
      extnID: '2.5.29.17',
      critical: false,
      extnValue: new pkijs.GeneralNames({ names: gns }).toSchema().toBER(false),
    });
    c.extensions = [...(c.extensions ?? []).filter((e) => e.extnID !== '2.5.29.17'), san];
    c.version = 2;
    c.issuer = pkijs.RelativeDistinguishedNames.fromBER(ca.subjectDer);
    const alg = new pkijs.AlgorithmIdentifier({ algorithmId: RSA_SIG_OID[digest]!, algorithmParams: new asn1js.Null() });
    c.signature = alg;
    c.signatureAlgorithm = alg;
    const tbs = Buffer.from(c.encodeTBS().toBER(false));
    c.tbsView = new Uint8Array(tbs);
    const sig = crypto.sign(digest, tbs, caKey);
    c.signatureValue = new asn1js.BitString({ valueHex: sig });
    return parseCertificate(Buffer.from(c.toSchema().toBER(false)), cert.source);
  } catch (e) {
    return fail('bad-certificate', `cannot rewrite the certificate (${messageOf(e)})`);
  }
}
