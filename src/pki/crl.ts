// Certificate revocation lists: who issued it, when it is current, which serials it revokes, and the
// exact bytes its signature covers (verified later against the issuer's key with node:crypto).
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { childrenOf, decodeDer, rawOf } from './asn1.js';
import { dnFromNode, dnKey, dnToOneline, type Dn } from './dn.js';
import { fail, messageOf, ok, type PkiResult } from './errors.js';

export interface PkiCrl {
  der: Buffer;
  issuer: Dn;
  issuerDer: Buffer;
  issuerKey: string;
  issuerOneline: string;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** revoked serial numbers, lower-case hex as in PkiCertificate.serialHex */
  revoked: Set<string>;
  /** TBSCertList as encoded, what the signature covers */
  tbs: Buffer;
  signatureOid: string;
  signature: Buffer;
  source?: string;
}

export function parseCrl(der: Uint8Array, source?: string): PkiResult<PkiCrl> {
  const buf = Buffer.from(der);
  const where = source ? { file: source } : {};
  try {
    const top = decodeDer(buf, 'CRL');
    const [tbsNode] = childrenOf(top, 'CertificateList');
    const crl = new pkijs.CertificateRevocationList({ schema: top });
    const issuerNode = asn1js.fromBER(crl.issuer.valueBeforeDecode).result;
    const issuer = dnFromNode(issuerNode);
    const revoked = new Set<string>();
    for (const r of crl.revokedCertificates ?? []) {
      revoked.add(Buffer.from(r.userCertificate.valueBlock.valueHexView).toString('hex'));
    }
    return ok({
      der: buf,
      issuer,
      issuerDer: rawOf(issuerNode),
      issuerKey: dnKey(issuer),
      issuerOneline: dnToOneline(issuer),
      thisUpdate: crl.thisUpdate.value,
      ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.value } : {}),
      revoked,
      tbs: rawOf(tbsNode!),
      signatureOid: crl.signatureAlgorithm.algorithmId,
      signature: Buffer.from(crl.signatureValue.valueBlock.valueHexView),
      ...(source ? { source } : {}),
    });
  } catch (e) {
    return fail('bad-crl', `not an X.509 CRL (${messageOf(e)})`, where);
  }
}
