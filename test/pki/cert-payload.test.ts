import assert from 'node:assert/strict';
import {
  CERT_ENCODING_X509_SIG, answersCertRequest, certFromPayload, certPayloadFor, certRequestFor, certRequestsFor, createPkiStores, describeCertRequest,
  encodeDn, parseDnText,
} from '../../src/pki/index.js';
import { cert, derOf, IN_2030 } from './fixtures.js';

describe('pki: CERT and CERT_REQ payload bodies', () => {
  it('a CERT body is encoding 4 and the certificate DER, and decodes back to it', () => {
    const body = certPayloadFor(cert('east'));
    assert.equal(body.encoding, 4);
    assert.deepEqual(Buffer.from(body.data), derOf('east.der'));
    const back = certFromPayload(body);
    assert.ok(back.ok);
    assert.equal(back.value.subjectOneline, cert('east').subjectOneline);
    assert.equal(back.value.source, 'peer');
  });

  it('refuses other encodings and undecodable certificates with the notify to send', () => {
    const pgp = certFromPayload({ encoding: 2, data: derOf('east.der') });
    assert.equal(pgp.ok, false);
    if (!pgp.ok) assert.equal(pgp.error.notify, 'CERT_TYPE_UNSUPPORTED');
    const junk = certFromPayload({ encoding: CERT_ENCODING_X509_SIG, data: derOf('east.der').subarray(0, 100) });
    assert.equal(junk.ok, false);
    if (!junk.ok) assert.equal(junk.error.notify, 'INVALID_CERT_ENCODING');
  });

  it('a CERT_REQ body names a CA by its subject DER', () => {
    const r = certRequestFor(cert('root'));
    assert.equal(r.encoding, 4);
    assert.deepEqual(Buffer.from(r.data), encodeDn(parseDnText('/C=XX/O=Oakley Test/CN=Oakley Test Root CA')));
    assert.equal(describeCertRequest(r), '/C=XX/O=Oakley Test/CN=Oakley Test Root CA');
    assert.equal(describeCertRequest({ encoding: 4, data: Buffer.alloc(0) }), 'any CA');
    assert.equal(certRequestsFor(createPkiStores({ cas: [cert('root'), cert('intermediate')] })).length, 2);
  });

  it('our certificate answers a request for its CA, for a CA above it, and an empty request, not another CA\'s', () => {
    const stores = createPkiStores({ cas: [cert('root'), cert('intermediate')] });
    const rw = cert('roadwarrior');
    const opts = { now: IN_2030 };
    assert.equal(answersCertRequest(certRequestFor(cert('intermediate')), rw, stores, opts).ok, true);
    assert.equal(answersCertRequest(certRequestFor(cert('root')), rw, stores, opts).ok, true);
    assert.equal(answersCertRequest({ encoding: 4, data: Buffer.alloc(0) }, rw, stores, opts).ok, true);
    const other = answersCertRequest(certRequestFor(cert('other-root')), rw, stores, opts);
    assert.equal(other.ok, false);
    if (!other.ok) assert.equal(other.error.notify, 'INVALID_CERT_AUTHORITY');
    assert.equal(answersCertRequest({ encoding: 4, data: Buffer.from([0x30, 0x05, 1]) }, rw, stores, opts).ok, false);
    assert.equal(answersCertRequest({ encoding: 2, data: Buffer.alloc(0) }, rw, stores, opts).ok, false);
  });
});
