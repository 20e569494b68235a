import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPkiStores, identityFromText, matchIdentity, parsePrivateKey, patchSubjectAltName, toPem, validateChain } from '../../src/pki/index.js';
import { cert, IN_2030, openssl, pkiBytes, pkiFile } from './fixtures.js';

const rootKey = () => {
  const k = parsePrivateKey(pkiBytes('root.key'));
  if (!k.ok) throw new Error(k.error.reason);
  return k.value;
};

describe('pki: certpatch (add a subjectAltName and re-sign with the CA key)', () => {
  it('gives the imposter\'s certificate a new name that validates and matches, and that openssl accepts', () => {
    const r = patchSubjectAltName(cert('imposter'), [{ type: 'IPV4_ADDR', value: '198.18.0.77' }, { type: 'FQDN', value: 'patched.example.test' }], cert('root'), rootKey());
    assert.ok(r.ok, r.ok ? '' : r.error.reason);
    const p = r.value;
    assert.deepEqual(p.altNames.map((a) => ('text' in a ? `${a.kind}:${a.text}` : a.kind)), ['ip:198.18.0.77', 'dns:patched.example.test']);
    assert.equal(p.subjectOneline, cert('imposter').subjectOneline);
    assert.ok(validateChain(p, createPkiStores({ cas: [cert('root')] }), { now: IN_2030 }).ok);
    const id = identityFromText('IPV4_ADDR', '198.18.0.77');
    assert.ok(id.ok && matchIdentity(id.value, p).ok);
    // the old names are gone
    const old = identityFromText('FQDN', 'imposter.example.test');
    assert.ok(old.ok && !matchIdentity(old.value, p).ok);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-certpatch-'));
    try {
      const f = path.join(dir, 'patched.crt');
      fs.writeFileSync(f, toPem(p.der, 'CERTIFICATE'));
      const v = openssl(['verify', '-attime', String(Math.floor(IN_2030.getTime() / 1000)), '-CAfile', pkiFile('root.crt'), f]);
      assert.equal(v.status, 0, v.stderr);
      const text = openssl(['x509', '-in', f, '-noout', '-ext', 'subjectAltName,keyUsage']).stdout.toString();
      assert.match(text, /IP Address:198\.18\.0\.77, DNS:patched\.example\.test/);
      assert.match(text, /Digital Signature/); // other extensions kept
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes user FQDN and IPv6 names', () => {
    const r = patchSubjectAltName(cert('west'), [{ type: 'USER_FQDN', value: 'ops@example.test' }, { type: 'IPV6_ADDR', value: '2001:db8::1' }], cert('root'), rootKey());
    assert.ok(r.ok);
    assert.deepEqual(r.value.altNames.map((a) => ('text' in a ? `${a.kind}:${a.text}` : a.kind)), ['email:ops@example.test', 'ip:2001:db8::1']);
  });

  it('refuses a key that is not the CA\'s, an empty or malformed name', () => {
    const east = parsePrivateKey(pkiBytes('east.key'));
    assert.ok(east.ok);
    const wrong = patchSubjectAltName(cert('west'), [{ type: 'FQDN', value: 'x.example.test' }], cert('root'), east.value);
    assert.equal(wrong.ok, false);
    if (!wrong.ok) assert.match(wrong.error.reason, /does not belong to CA/);
    assert.equal(patchSubjectAltName(cert('west'), [], cert('root'), rootKey()).ok, false);
    assert.equal(patchSubjectAltName(cert('west'), [{ type: 'IPV4_ADDR', value: '300.1.1.1' }], cert('root'), rootKey()).ok, false);
  });
});
