import assert from 'node:assert/strict';
import {
  ID_TYPE, certificateIdentities, createPkiStores, findCertificateForId, identityFromText, identityText, matchIdentity, parsePrivateKey,
  type IdTypeName, type IkeIdentity,
} from '../../src/pki/index.js';
import { cert, pkiBytes } from './fixtures.js';

function id(type: IdTypeName, text: string): IkeIdentity {
  const r = identityFromText(type, text);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}
const matches = (i: IkeIdentity, name: string, strict = false): boolean => matchIdentity(i, cert(name), { isakmpdStrict: strict }).ok;

describe('pki: IKE identities against certificates', () => {
  it('IPV4_ADDR matches an iPAddress subjectAltName, and no other address', () => {
    assert.equal(matches(id('IPV4_ADDR', '198.18.0.2'), 'east'), true);
    assert.equal(matches(id('IPV4_ADDR', '198.18.0.1'), 'west'), true);
    assert.equal(matches(id('IPV4_ADDR', '198.18.0.1'), 'east'), false);
    assert.equal(matches(id('IPV4_ADDR', '198.18.0.2'), 'imposter'), false);
  });

  it('IPV6_ADDR matches a 16-byte iPAddress, whatever way the address is written', () => {
    assert.equal(matches(id('IPV6_ADDR', '2001:db8::2'), 'east'), true);
    assert.equal(matches(id('IPV6_ADDR', '2001:0DB8:0:0:0:0:0:2'), 'east'), true);
    assert.equal(matches(id('IPV6_ADDR', '2001:db8::3'), 'east'), false);
    // an IPv4 SAN is not an IPv6 ID (v4-mapped or not)
    assert.equal(matches(id('IPV6_ADDR', '::ffff:198.18.0.2'), 'east'), false);
  });

  it('FQDN matches a dNSName, case-insensitively, and not the CN alone', () => {
    assert.equal(matches(id('FQDN', 'east.example.test'), 'east'), true);
    assert.equal(matches(id('FQDN', 'EAST.Example.TEST.'), 'east'), true);
    assert.equal(matches(id('FQDN', 'east.example.org'), 'east'), true);
    assert.equal(matches(id('FQDN', 'west.example.test'), 'east'), false);
    assert.equal(matches(id('FQDN', 'example.test'), 'east'), false);
  });

  it('USER_FQDN matches an rfc822Name; the local part is exact, the domain is not case-sensitive', () => {
    assert.equal(matches(id('USER_FQDN', 'rw@example.test'), 'roadwarrior'), true);
    assert.equal(matches(id('USER_FQDN', 'rw@EXAMPLE.test'), 'roadwarrior'), true);
    assert.equal(matches(id('USER_FQDN', 'RW@example.test'), 'roadwarrior'), false);
    assert.equal(matches(id('USER_FQDN', 'rw@example.test'), 'east'), false);
    // an FQDN ID is not an email address even when the text is equal
    assert.equal(matches({ idType: ID_TYPE.FQDN, data: Buffer.from('rw@example.test') }, 'roadwarrior'), false);
  });

  it('DER_ASN1_DN matches the subject, as DER or as a normalised name in either text form', () => {
    const east = cert('east');
    assert.equal(matchIdentity({ idType: ID_TYPE.DER_ASN1_DN, data: east.subjectDer }, east).ok, true);
    assert.equal(matches(id('DER_ASN1_DN', '/C=XX/O=Oakley Test/OU=Gateways/CN=east.example.test'), 'east'), true);
    assert.equal(matches(id('DER_ASN1_DN', 'CN=East.Example.Test, OU=Gateways, O=Oakley Test, C=XX'), 'east'), true);
    assert.equal(matches(id('DER_ASN1_DN', 'CN=east.example.test, O=Oakley Test, C=XX'), 'east'), false);
    const r = matchIdentity({ idType: ID_TYPE.DER_ASN1_DN, data: east.subjectDer }, east);
    assert.ok(r.ok);
    assert.deepEqual(r.value, { via: 'subject', name: '/C=XX/O=Oakley Test/OU=Gateways/CN=east.example.test' });
  });

  it('the imposter: a valid certificate from the same CA does not vouch for east\'s identity', () => {
    const claims = [id('FQDN', 'east.example.test'), id('IPV4_ADDR', '198.18.0.2'), { idType: ID_TYPE.DER_ASN1_DN, data: cert('east').subjectDer }];
    for (const c of claims) {
      const r = matchIdentity(c, cert('imposter'));
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.error.code, 'id-mismatch');
        assert.equal(r.error.notify, 'INVALID_ID_INFORMATION');
        assert.match(r.error.reason, /imposter\.example\.test/);
      }
    }
    // its own names are fine
    assert.equal(matches(id('FQDN', 'imposter.example.test'), 'imposter'), true);
    assert.equal(matches(id('USER_FQDN', 'mallory@example.test'), 'imposter'), true);
  });

  it('isakmpd-strict matching looks only at the first subjectAltName and compares bytes', () => {
    assert.equal(matches(id('FQDN', 'east.example.test'), 'east', true), true);
    assert.equal(matches(id('FQDN', 'EAST.example.test'), 'east', true), false);
    assert.equal(matches(id('FQDN', 'east.example.org'), 'east', true), false);
    assert.equal(matches(id('IPV4_ADDR', '198.18.0.2'), 'east', true), false);
    assert.equal(matches({ idType: ID_TYPE.DER_ASN1_DN, data: cert('east').subjectDer }, 'east', true), true);
  });

  it('ID types that cannot name a certificate holder are refused as such', () => {
    for (const t of [ID_TYPE.IPV4_ADDR_SUBNET, ID_TYPE.KEY_ID, ID_TYPE.DER_ASN1_GN, 200]) {
      const r = matchIdentity({ idType: t, data: Buffer.from([198, 18, 0, 2, 255, 255, 255, 255]) }, cert('east'));
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.error.code, 'bad-id');
    }
  });

  it('turns ID text into payload data and back', () => {
    assert.deepEqual(id('IPV4_ADDR', '198.18.0.1').data, Buffer.from([198, 18, 0, 1]));
    assert.equal(identityText(id('IPV6_ADDR', '2001:db8::2')), '2001:db8:0:0:0:0:0:2');
    assert.equal(identityText(id('DER_ASN1_DN', 'CN=x,O=y,C=XX')), '/C=XX/O=y/CN=x');
    assert.equal(identityText(id('USER_FQDN', 'rw@example.test')), 'rw@example.test');
    for (const [t, v] of [['IPV4_ADDR', '198.18.0'], ['IPV6_ADDR', '198.18.0.1'], ['DER_ASN1_DN', 'nonsense']] as [IdTypeName, string][]) {
      const r = identityFromText(t, v);
      assert.equal(r.ok, false);
    }
  });

  it('lists the identities a certificate vouches for, subject first', () => {
    const ids = certificateIdentities(cert('east')).map((i) => `${i.idType}:${identityText(i)}`);
    assert.deepEqual(ids, [
      '9:/C=XX/O=Oakley Test/OU=Gateways/CN=east.example.test', '2:east.example.test', '2:east.example.org', '1:198.18.0.2', '5:2001:db8:0:0:0:0:0:2',
    ]);
  });

  it('finds our own certificate by local ID, and only one that matches our private key', () => {
    const key = parsePrivateKey(pkiBytes('east.key'));
    assert.ok(key.ok);
    const stores = createPkiStores({ certs: [cert('west'), cert('imposter'), cert('east')] });
    const r = findCertificateForId(stores, id('FQDN', 'east.example.test'), key.value);
    assert.ok(r.ok);
    assert.equal(r.value.subjectOneline, '/C=XX/O=Oakley Test/OU=Gateways/CN=east.example.test');
    const byIp = findCertificateForId(stores, id('IPV4_ADDR', '198.18.0.1'));
    assert.ok(byIp.ok && byIp.value.subjectOneline.endsWith('CN=west.example.test'));
    const wrongKey = findCertificateForId(stores, id('IPV4_ADDR', '198.18.0.1'), key.value);
    assert.equal(wrongKey.ok, false);
    if (!wrongKey.ok) assert.equal(wrongKey.error.code, 'no-private-key');
    const none = findCertificateForId(stores, id('FQDN', 'north.example.test'));
    assert.equal(none.ok, false);
    if (!none.ok) assert.equal(none.error.notify, 'CERTIFICATE_UNAVAILABLE');
  });
});
