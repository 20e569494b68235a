import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatProblem, loadPkiStores, privateKeyFor, sameKey } from '../../src/pki/index.js';
import { pkiBytes } from './fixtures.js';
import { samplePath } from '../helpers/paths.js';

describe('pki: stores from isakmpd directories', () => {
  let dir: string;
  const put = (rel: string, data: string | Buffer, mode?: number): void => {
    const f = path.join(dir, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, data);
    if (mode !== undefined) fs.chmodSync(f, mode);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-pki-store-'));
    put('ca/root.crt', pkiBytes('root.crt'));
    put('ca/intermediate.der', pkiBytes('intermediate.der'));
    put('certs/east.der', pkiBytes('east.der'));
    put('certs/both.pem', Buffer.concat([pkiBytes('west.crt'), pkiBytes('imposter.crt')]));
    put('crls/root.crl', pkiBytes('root.crl.der'));
    put('crls/intermediate.crl', pkiBytes('intermediate.crl.pem'));
    put('private/local.key', pkiBytes('east.pkcs1.key'));
    put('keys/198.18.0.1', pkiBytes('west.key'));
    put('keys/rw@example.test', pkiBytes('roadwarrior.key'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const load = (): ReturnType<typeof loadPkiStores> =>
    loadPkiStores({
      caDir: path.join(dir, 'ca'), certDir: path.join(dir, 'certs'), crlDir: path.join(dir, 'crls'),
      privateKey: path.join(dir, 'private/local.key'), privateKeyDir: path.join(dir, 'keys'),
    });

  it('loads PEM and DER certificates, CRLs and keys, several certificates per file', () => {
    const s = load();
    assert.deepEqual(s.problems.map(formatProblem), []);
    assert.deepEqual(s.cas.map((c) => c.subjectOneline).sort(), ['/C=XX/O=Oakley Test/CN=Oakley Test Root CA', '/C=XX/O=Oakley Test/OU=Users/CN=Oakley Test Intermediate CA']);
    assert.equal(s.certs.length, 3);
    assert.equal(s.crls.length, 2);
    assert.ok(s.privateKey && sameKey(s.privateKey, s.certs.find((c) => c.subjectOneline.endsWith('east.example.test'))!.publicKey));
    assert.equal(s.privateKeysById.size, 2);
    const west = s.certs.find((c) => c.subjectOneline.endsWith('west.example.test'))!;
    assert.ok(sameKey(privateKeyFor(s, '198.18.0.1')!, west.publicKey));
    assert.equal(privateKeyFor(s, 'nobody'), s.privateKey);
  });

  it('names each bad file and why, and still loads the good ones', () => {
    put('ca/garbage.pem', 'hello\n');
    put('ca/truncated.crt', pkiBytes('root.crt').subarray(0, 500));
    put('ca/notacert.pem', pkiBytes('east.key'));
    put('certs/short.der', pkiBytes('east.der').subarray(0, 600));
    put('crls/wrong.crl', pkiBytes('east.crt'));
    put('keys/bad', 'not a key');
    put('ca/.hidden', 'ignored');
    fs.mkdirSync(path.join(dir, 'ca/subdir'));
    const s = load();
    const byFile = new Map(s.problems.map((p) => [path.basename(p.file ?? ''), `${p.code}: ${p.reason}`]));
    assert.match(byFile.get('garbage.pem')!, /^bad-encoding: neither PEM nor DER/);
    assert.match(byFile.get('truncated.crt')!, /PEM block without a matching END line/);
    assert.match(byFile.get('notacert.pem')!, /no certificate in the file \(found PRIVATE KEY\)/);
    assert.match(byFile.get('short.der')!, /^bad-certificate: not an X.509 certificate/);
    assert.match(byFile.get('wrong.crl')!, /no CRL in the file \(found CERTIFICATE\)/);
    assert.match(byFile.get('bad')!, /^bad-key/);
    assert.equal(s.problems.length, 6);
    assert.equal(s.cas.length, 2);
    assert.equal(s.certs.length, 3);
    for (const p of s.problems) assert.ok(formatProblem(p).startsWith(dir), formatProblem(p));
  });

  it('reports a missing directory or key file, and an unreadable file, without throwing', () => {
    put('certs/locked.pem', pkiBytes('east.crt'), 0o000);
    const s = loadPkiStores({ caDir: path.join(dir, 'nope'), certDir: path.join(dir, 'certs'), privateKey: path.join(dir, 'nokey') });
    const codes = s.problems.map((p) => `${p.code} ${path.basename(p.file!)} ${p.reason}`);
    assert.ok(codes.some((c) => /^unreadable-file nope cannot read directory \(ENOENT\)/.test(c)), codes.join('\n'));
    assert.ok(codes.some((c) => /^unreadable-file nokey cannot read \(ENOENT\)/.test(c)), codes.join('\n'));
    // root can read a mode-000 file; anyone else gets EACCES
    if (process.getuid?.() !== 0) assert.ok(codes.some((c) => /locked\.pem cannot read \(EACCES\)/.test(c)), codes.join('\n'));
  });

  it('refuses a passphrase-protected key with a clear reason', () => {
    put('private/local.key', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED PRIVATE KEY-----\n');
    const s = load();
    assert.equal(s.privateKey, undefined);
    assert.match(s.problems.map(formatProblem).join('\n'), /local\.key: the private key is encrypted/);
  });

  it('the sample gateway directories load cleanly and pair each key with its certificate', () => {
    for (const gw of ['east', 'west']) {
      const s = loadPkiStores({
        caDir: samplePath('certs', 'ca'), certDir: samplePath('certs', gw, 'certs'), crlDir: samplePath('certs', 'crls'),
        privateKey: samplePath('certs', gw, 'private', 'local.key'),
      });
      assert.deepEqual(s.problems.map(formatProblem), []);
      assert.equal(s.certs.length, 1);
      assert.ok(s.privateKey && sameKey(s.privateKey, s.certs[0]!.publicKey), gw);
    }
  });
});
