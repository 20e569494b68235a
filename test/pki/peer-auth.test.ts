import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  authenticatePeer, certPayloadFor, createPkiStores, identityFromText, parsePrivateKey, signHash, type IdTypeName, type IkeIdentity, type PeerAuthInput,
} from '../../src/pki/index.js';
import { parseCrl } from '../../src/pki/crl.js';
import { cert, derOf, IN_2030, pkiBytes } from './fixtures.js';

const id = (t: IdTypeName, v: string): IkeIdentity => {
  const r = identityFromText(t, v);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};
const key = (name: string): crypto.KeyObject => {
  const r = parsePrivateKey(pkiBytes(`${name}.key`));
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};
const rootCrl = (() => {
  const r = parseCrl(derOf('root.crl.pem'));
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
})();
const stores = createPkiStores({ cas: [cert('root')], crls: [rootCrl] });
const HASH = crypto.createHash('sha256').update('HASH_R').digest();

function input(who: string, claimed: IkeIdentity, over: Partial<PeerAuthInput> = {}): PeerAuthInput {
  return { certs: [certPayloadFor(cert(who))], id: claimed, hash: HASH, signature: signHash(key(who), HASH), chain: { now: IN_2030 }, ...over };
}

describe('pki: authenticating a peer (RSA_SIG)', () => {
  it('accepts east: certificate chains, names the ID, signs the hash; gives principals and credentials', () => {
    const r = authenticatePeer(stores, input('east', id('FQDN', 'east.example.test'), { expectedId: id('FQDN', 'east.example.test') }));
    assert.ok(r.ok, r.ok ? '' : r.error.reason);
    assert.equal(r.value.match.name, 'DNS:east.example.test');
    assert.equal(r.value.chain.length, 2);
    assert.equal(r.value.principals[1], 'DN:/C=XX/O=Oakley Test/OU=Gateways/CN=east.example.test');
    assert.equal(r.value.credentials.length, 2);
  });

  it('a road warrior sends its intermediate CA along', () => {
    const r = authenticatePeer(stores, input('roadwarrior', id('USER_FQDN', 'rw@example.test'), { certs: [certPayloadFor(cert('intermediate')), certPayloadFor(cert('roadwarrior'))] }));
    assert.ok(r.ok, r.ok ? '' : r.error.reason);
    assert.equal(r.value.chain.length, 3);
    assert.equal(r.value.credentials.length, 4);
  });

  it('the imposter claiming east\'s name is refused with INVALID_ID_INFORMATION', () => {
    const r = authenticatePeer(stores, input('imposter', id('FQDN', 'east.example.test')));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, 'id-mismatch');
      assert.equal(r.error.notify, 'INVALID_ID_INFORMATION');
    }
  });

  it('the imposter under its own name is refused when the configuration expects east (Remote-ID)', () => {
    const own = authenticatePeer(stores, input('imposter', id('FQDN', 'imposter.example.test')));
    assert.ok(own.ok); // a valid certificate from our CA, its own name, a good signature
    const r = authenticatePeer(stores, input('imposter', id('FQDN', 'imposter.example.test'), { expectedId: id('FQDN', 'east.example.test') }));
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error.reason, /expects "east\.example\.test"/);
  });

  it('east\'s certificate with a signature from another key is refused with INVALID_SIGNATURE', () => {
    const r = authenticatePeer(stores, input('east', id('FQDN', 'east.example.test'), { signature: signHash(key('imposter'), HASH) }));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.notify, 'INVALID_SIGNATURE');
  });

  it('refuses expired, revoked and foreign certificates before looking at the signature', () => {
    for (const [who, name, code] of [['expired', 'expired.example.test', 'expired'], ['revoked', 'revoked.example.test', 'revoked'], ['stranger', 'east.example.test', 'untrusted-root']]) {
      const r = authenticatePeer(stores, { ...input('east', id('FQDN', name!)), certs: [certPayloadFor(cert(who!))] });
      assert.equal(r.ok, false, who);
      if (!r.ok) assert.equal(r.error.code, code, who);
    }
  });

  it('without a CERT payload, finds the peer\'s certificate in the Cert-directory by its ID', () => {
    const withCerts = createPkiStores({ cas: [cert('root')], certs: [cert('west'), cert('east')] });
    const r = authenticatePeer(withCerts, input('east', id('IPV4_ADDR', '198.18.0.2'), { certs: [] }));
    assert.ok(r.ok, r.ok ? '' : r.error.reason);
    const none = authenticatePeer(stores, input('east', id('IPV4_ADDR', '198.18.0.2'), { certs: [] }));
    assert.equal(none.ok, false);
    if (!none.ok) assert.equal(none.error.notify, 'CERTIFICATE_UNAVAILABLE');
  });

  it('a CERT payload that does not decode is refused as INVALID_CERT_ENCODING', () => {
    const r = authenticatePeer(stores, input('east', id('FQDN', 'east.example.test'), { certs: [{ encoding: 4, data: Buffer.from([0x30, 0x82, 0x01]) }] }));
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.notify, 'INVALID_CERT_ENCODING');
  });
});
