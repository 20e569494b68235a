import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseCertificate, splitPemOrDer, parseDn, parseDnText, encodeDn, dnToOneline, dnToRfc4514, dnDerEqual, parsePrivateKey, parsePublicKey,
} from '../../src/pki/index.js';
import { parseCrl } from '../../src/pki/crl.js';
import { cert, crl, derOf, pkiBytes } from './fixtures.js';

describe('pki: PEM and DER input', () => {
  it('finds one DER block in a PEM certificate and takes a DER file as is', () => {
    const pem = splitPemOrDer(pkiBytes('east.crt'));
    const der = splitPemOrDer(pkiBytes('east.der'));
    assert.ok(pem.ok && der.ok);
    assert.equal(pem.blocks.length, 1);
    assert.equal(pem.blocks[0]!.label, 'CERTIFICATE');
    assert.equal(der.blocks[0]!.label, 'DER');
    assert.deepEqual(pem.blocks[0]!.der, der.blocks[0]!.der);
  });

  it('reads every block of a concatenated PEM file', () => {
    const both = Buffer.concat([pkiBytes('east.crt'), pkiBytes('root.crt')]);
    const r = splitPemOrDer(both);
    assert.ok(r.ok);
    assert.equal(r.blocks.length, 2);
  });

  it('refuses garbage, empty input, a PEM block cut short and bad base64 with a reason', () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('hello world\n'), /neither PEM nor DER/],
      [Buffer.alloc(0), /empty/],
      [pkiBytes('east.crt').subarray(0, 300), /without a matching END/],
      [Buffer.from('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n'), /not valid base64/],
    ];
    for (const [input, why] of cases) {
      const r = splitPemOrDer(input);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, why);
    }
  });

  it('a truncated or padded DER certificate is a bad-certificate value, never an exception', () => {
    const der = derOf('east.der');
    for (const bad of [der.subarray(0, der.length - 1), der.subarray(0, 40), Buffer.concat([der, Buffer.from([0])]), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])]) {
      const r = parseCertificate(bad, 'x.der');
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.error.code, 'bad-certificate');
        assert.equal(r.error.file, 'x.der');
        assert.equal(r.error.notify, 'INVALID_CERTIFICATE');
      }
    }
  });

  it('random bytes never make the parsers throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        parseCertificate(b);
        parseCrl(b);
        parsePrivateKey(b);
        parsePublicKey(b);
        try {
          parseDn(b);
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('mutated certificates never make the parser throw', () => {
    const der = derOf('east.der');
    fc.assert(
      fc.property(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const b = Buffer.from(der);
        b[at] = v;
        parseCertificate(b);
      }),
      { numRuns: 300 },
    );
  });
});

describe('pki: certificate fields', () => {
  it('reads subjectAltName entries of every kind in order', () => {
    const east = cert('east');
    assert.deepEqual(
      east.altNames.map((a) => ('text' in a ? `${a.kind}:${a.text}` : a.kind)),
      ['dns:east.example.test', 'dns:east.example.org', 'ip:198.18.0.2', 'ip:2001:db8::2'],
    );
    assert.deepEqual(cert('roadwarrior').altNames.map((a) => a.kind), ['email']);
  });

  it('reads basicConstraints and keyUsage', () => {
    assert.deepEqual(cert('root').basicConstraints, { ca: true });
    assert.deepEqual(cert('intermediate').basicConstraints, { ca: true, pathLen: 0 });
    assert.deepEqual(cert('east').basicConstraints, { ca: false });
    assert.equal(cert('root').keyUsage?.keyCertSign, true);
    assert.equal(cert('nocertsign').keyUsage?.keyCertSign, false);
    assert.equal(cert('east').keyUsage?.digitalSignature, true);
    assert.equal(cert('east').keyUsage?.keyCertSign, false);
  });

  it('reads validity and serial as openssl prints them', () => {
    const e = cert('expired');
    assert.equal(e.notBefore.toISOString(), '2020-01-01T00:00:00.000Z');
    assert.equal(e.notAfter.toISOString(), '2021-01-01T00:00:00.000Z');
    assert.deepEqual(e.notAfterTime, { text: '20210101000000', utc: true });
    assert.equal(cert('root').selfIssued, true);
    assert.equal(cert('east').selfIssued, false);
    assert.equal(cert('east').serialHex, cert('east').x509.serialNumber.toLowerCase());
  });

  it('reads revoked serials from a CRL, PEM or DER', () => {
    const pem = crl('root.crl.pem');
    const der = crl('root.crl.der');
    assert.deepEqual([...pem.revoked], [cert('revoked').serialHex]);
    assert.deepEqual([...der.revoked], [...pem.revoked]);
    assert.equal(pem.nextUpdate?.toISOString(), '2045-01-01T00:00:00.000Z');
    assert.equal(parseCrl(derOf('east.der')).ok, false);
  });
});

describe('pki: distinguished names', () => {
  for (const n of ['east', 'roadwarrior']) {
    it(`one-line form of ${n} equals OpenSSL's X509_NAME_oneline (nameopt compat)`, () => {
      assert.equal(cert(n).subjectOneline, pkiBytes(`${n}.subject-oneline.txt`).toString().trim());
    });
    it(`RFC 4514 form of ${n} equals openssl -nameopt RFC2253`, () => {
      assert.equal(cert(n).subjectRfc4514, pkiBytes(`${n}.subject-rfc2253.txt`).toString().trim());
    });
    it(`text of ${n}'s subject in either form encodes back to the certificate's DER`, () => {
      const c = cert(n);
      assert.deepEqual(encodeDn(parseDnText(c.subjectOneline)), c.subjectDer);
      assert.deepEqual(encodeDn(parseDnText(c.subjectRfc4514)), c.subjectDer);
    });
  }

  it('compares names by normalised value when the DER differs (case, blanks, string type)', () => {
    const a = encodeDn(parseDnText('/C=XX/O=Oakley Test/OU=Gateways/CN=east.example.test'));
    const b = encodeDn(parseDnText('cn=EAST.example.test,  ou=Gateways , o=oakley   test, c=xx'));
    assert.notDeepEqual(a, b);
    assert.equal(dnDerEqual(a, b), true);
    assert.equal(dnDerEqual(a, cert('east').subjectDer), true);
    assert.equal(dnDerEqual(a, cert('imposter').subjectDer), false);
    // same attributes in another order are another name
    assert.equal(dnDerEqual(a, encodeDn(parseDnText('C=XX,O=Oakley Test,OU=Gateways,CN=east.example.test'))), false);
  });

  it('escapes RFC 4514 specials and writes non-ASCII bytes as \\xHH in the one-line form', () => {
    const dn = parseDnText('CN=a\\,b+O=x\\+y,C=XX');
    assert.equal(dn.length, 2);
    assert.equal(dnToRfc4514(dn), 'CN=a\\,b+O=x\\+y,C=XX');
    const u = parseDn(encodeDn(parseDnText('/CN=Zoë')));
    assert.equal(dnToOneline(u), '/CN=Zo\\xC3\\xAB');
  });

  it('cuts the one-line form at whole entries, as isakmpd\'s 256-byte buffer does', () => {
    const dn = parseDnText(`/C=XX/O=${'o'.repeat(240)}/CN=${'c'.repeat(20)}`);
    assert.equal(dnToOneline(dn, 255), `/C=XX/O=${'o'.repeat(240)}`);
  });

  it('refuses DN text that is not TYPE=value', () => {
    assert.throws(() => parseDnText(''), /empty/);
    assert.throws(() => parseDnText('CN'), /not TYPE=value/);
    assert.throws(() => parseDnText('XYZZY=1'), /unknown attribute type/);
  });
});
