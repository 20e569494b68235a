import assert from 'node:assert/strict';
import { createPkiStores, credentialsForChain, keynotePrincipalsForCert } from '../../src/pki/index.js';
import { AssertionSet, evaluateQuery, parseAssertion, parsePolicyText, principalsForCertificate } from '../../src/policy/index.js';
import { cert, derOf, pkiBytes } from './fixtures.js';

const principals = (name: string): string[] => {
  const r = keynotePrincipalsForCert(cert(name));
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};
const creds = (...names: string[]): string[] => {
  const r = credentialsForChain(names.map(cert));
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};

describe('pki: certificates as KeyNote principals and credentials (isakmpd x509_generate_kn)', () => {
  it('rsa-hex: principal is the PKCS#1 RSAPublicKey openssl writes, in lower-case hex', () => {
    const [key, dn] = principals('east');
    assert.equal(key, `rsa-hex:${pkiBytes('east.pkcs1pub.der').toString('hex')}`);
    assert.match(key!, /^rsa-hex:[0-9a-f]+$/);
    assert.equal(dn, `DN:${pkiBytes('east.subject-oneline.txt').toString().trim()}`);
  });

  it('gives the same principals as the policy module derives from the certificate', () => {
    assert.deepEqual(principals('east'), principalsForCertificate(derOf('east.der')));
    assert.deepEqual(principals('roadwarrior'), principalsForCertificate(derOf('roadwarrior.crt')));
  });

  it('takes a certificate as DER too, and refuses garbage with a reason', () => {
    const r = keynotePrincipalsForCert(derOf('east.der'));
    assert.ok(r.ok);
    assert.deepEqual(r.value, principals('east'));
    const bad = keynotePrincipalsForCert(Buffer.from('not a certificate'));
    assert.equal(bad.ok, false);
  });

  it('a chain gives issuer -> subject assertions for each certificate with an issuer, with the validity window', () => {
    const texts = creds('roadwarrior', 'intermediate', 'root');
    assert.equal(texts.length, 4); // two per non-self-signed certificate; the root gives none
    const [rootKey] = principals('root');
    const [intKey] = principals('intermediate');
    const [rwKey] = principals('roadwarrior');
    assert.equal(texts[0], `Authorizer: "${intKey}"\nLicensees: "${rwKey}"\nConditions: GMTTimeOfDay >= "20250101000000" && GMTTimeOfDay <= "20450101000000";\n`);
    assert.equal(
      texts[1],
      'Authorizer: "DN:/C=XX/O=Oakley Test/OU=Users/CN=Oakley Test Intermediate CA"\n' +
        'Licensees: "DN:/C=XX/O=Oakley Test/OU=Road Warriors/CN=Road Warrior/emailAddress=rw@example.test"\n' +
        'Conditions: GMTTimeOfDay >= "20250101000000" && GMTTimeOfDay <= "20450101000000";\n',
    );
    assert.match(texts[2]!, new RegExp(`^Authorizer: "${rootKey}"\nLicensees: "${intKey}"\n`));
    for (const t of texts) assert.ok(parseAssertion(t, '<x509>', true).ok, t);
  });

  it('finds a missing issuer in the CA store, and adds nothing for an unknown issuer', () => {
    assert.equal(creds('east').length, 0);
    const r = credentialsForChain([cert('east')], createPkiStores({ cas: [cert('root')] }));
    assert.ok(r.ok);
    assert.equal(r.value.length, 2);
    // a certificate whose issuer is named but whose signature is not the issuer's gets nothing
    assert.equal(creds('stranger', 'root').length, 0);
  });

  it('the credentials let a policy that trusts the CA key authorise the peer\'s key, and the imposter too', () => {
    const [rootKey] = principals('root');
    const policy = parsePolicyText(`Authorizer: "POLICY"\nLicensees: "${rootKey}"\nConditions: app_domain == "IPsec policy" -> "true";\n`);
    assert.deepEqual(policy.diagnostics, []);
    const query = (peer: string, chain: string[], when: string): string => {
      const extra = credentialsForChain(chain.map(cert));
      assert.ok(extra.ok);
      const set = new AssertionSet([...policy.policy.assertions, ...extra.value.map((t) => {
        const a = parseAssertion(t, '<x509>', true);
        if (!a.ok) throw new Error(t);
        return a.assertion;
      })]);
      return evaluateQuery(set, { values: ['false', 'true'], authorizers: principals(peer), attributes: { app_domain: 'IPsec policy', GMTTimeOfDay: when } }).value;
    };
    assert.equal(query('east', ['east', 'root'], '20300101000000'), 'true');
    assert.equal(query('roadwarrior', ['roadwarrior', 'intermediate', 'root'], '20300101000000'), 'true');
    // delegating to the CA admits every certificate it signed: the imposter too (hence Remote-ID checks)
    assert.equal(query('imposter', ['imposter', 'root'], '20300101000000'), 'true');
    // outside the certificate's validity window the delegation does not hold
    assert.equal(query('east', ['east', 'root'], '20460101000000'), 'false');
    // a certificate from another CA is not delegated to
    assert.equal(query('stranger', ['stranger', 'other-root'], '20300101000000'), 'false');
  });

  it('a policy on the DN principal admits east and not the imposter from the same CA', () => {
    const policy = parsePolicyText('Authorizer: "POLICY"\nLicensees: "DN:/C=XX/O=Oakley Test/OU=Gateways/CN=east.example.test"\nConditions: app_domain == "IPsec policy" -> "true";\n');
    const q = (peer: string): string => evaluateQuery(policy.policy.set, { values: ['false', 'true'], authorizers: principals(peer), attributes: { app_domain: 'IPsec policy' } }).value;
    assert.equal(q('east'), 'true');
    assert.equal(q('imposter'), 'false');
  });
});
