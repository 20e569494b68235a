import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keynoteCommand } from '../../src/policy/tools/keynote-tool.js';
import { policyTestCommand } from '../../src/policy/tools/policy-test.js';
import { parseEnvironment } from '../../src/policy/tools/io.js';
import { fixturePath, repoRoot } from '../helpers/paths.js';

function capture(): { out: string[]; err: string[]; io: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

describe('policy/cli: keynote', () => {
  let dir: string;
  const f = (name: string, text?: string): string => {
    const p = path.join(dir, name);
    if (text !== undefined) fs.writeFileSync(p, text);
    return p;
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-keynote-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('verify with -e -l -k -r prints the query result', async () => {
    f('policy', 'Authorizer: "POLICY"\nLicensees: "alice"\nConditions: op == "read" -> "approve"; op == "write" -> "log";\n');
    f('keys', '"alice"\n');
    f('env', '# the action\nop = "write"\n');
    const c = capture();
    assert.equal(await keynoteCommand(['verify', '-r', 'reject,log,approve', '-e', f('env'), '-l', f('policy'), '-k', f('keys')], c.io), 0);
    assert.deepEqual(c.out, ['Query result = log']);
    f('env', 'op = "delete"\n');
    const c2 = capture();
    await keynoteCommand(['verify', '-r', 'reject,log,approve', '-e', f('env'), '-l', f('policy'), '-k', f('keys')], c2.io);
    assert.deepEqual(c2.out, ['Query result = reject']);
  });

  it('keygen, sign, sigver and verify with a signed credential; a tampered one is ignored', async function () {
    this.timeout(20000);
    const g = capture();
    assert.equal(await keynoteCommand(['keygen', 'rsa-base64:', '1024', f('pub'), f('priv')], g.io), 0);
    const pub = fs.readFileSync(f('pub'), 'utf8').trim();
    f('cred', `KeyNote-Version: 2\nAuthorizer: ${pub}\nLicensees: "bob"\nConditions: op == "read";\nSignature:\n`);
    const s = capture();
    assert.equal(await keynoteCommand(['sign', '-v', 'sig-rsa-sha1-base64:', f('cred'), f('priv')], s.io), 0);
    assert.match(s.out[0]!, /^"sig-rsa-sha1-base64:[A-Za-z0-9+/=]+"$/);
    const signed = fs.readFileSync(f('cred'), 'utf8').replace(/Signature:\n$/, `Signature: ${s.out[0]}\n`);
    f('cred', signed);
    const v = capture();
    assert.equal(await keynoteCommand(['sigver', f('cred')], v.io), 0);
    assert.deepEqual(v.out, ['Signature on assertion 0 verified.']);
    f('policy', `Authorizer: "POLICY"\nLicensees: ${pub}\n`);
    f('keys', '"bob"\n');
    f('env', 'op = "read"\n');
    const q = capture();
    await keynoteCommand(['verify', '-e', f('env'), '-l', f('policy'), '-k', f('keys'), f('cred')], q.io);
    assert.deepEqual(q.out, ['Query result = true']);
    f('bad', signed.replace('"read"', '"write"'));
    f('env2', 'op = "write"\n');
    const t = capture();
    await keynoteCommand(['verify', '-e', f('env2'), '-l', f('policy'), '-k', f('keys'), f('bad')], t.io);
    assert.deepEqual(t.out, ['Query result = false']);
    assert.match(t.err.join('\n'), /credential ignored: signature does not verify/);
    const tv = capture();
    assert.equal(await keynoteCommand(['sigver', f('bad')], tv.io), 1);
  });

  it('usage errors exit 2 with a message; syntax errors name file:line:column', async () => {
    const c = capture();
    assert.equal(await keynoteCommand(['verify', '-l'], c.io), 2);
    assert.match(c.err[0]!, /-l needs an argument/);
    f('broken', 'Authorizer: "POLICY"\nConditions: a == ;\n');
    f('keys', '"x"\n');
    const d = capture();
    await keynoteCommand(['verify', '-l', f('broken'), '-k', f('keys')], d.io);
    assert.match(d.err[0]!, /broken:2:18: error: unexpected ';'/);
    assert.deepEqual(d.out, ['Query result = false']);
  });

  it('environment files decode KeyNote strings', () => {
    assert.deepEqual(parseEnvironment('a = "x\\ty"\n  b="q" \n# c\n', 'e'), { a: 'x\ty', b: 'q' });
    assert.throws(() => parseEnvironment('= "x"\n', 'e'), /e:1: expected name = "value"/);
  });
});

describe('policy/cli: isakmpctl policy-test', () => {
  const example = (n: string): string => path.join(repoRoot, 'policy', n);

  it('flags: accepted and refused with the explanation', async () => {
    const a = capture();
    assert.equal(await policyTestCommand(['-p', example('passphrase-esp.policy'), '--passphrase', 'mekmitasdigoat', 'esp_present=yes', 'esp_enc_alg=aes'], a.io), 0);
    assert.equal(a.out[0], 'Query result = true');
    const r = capture();
    assert.equal(await policyTestCommand(['-p', example('passphrase-esp.policy'), '--passphrase', 'mekmitasdigoat', 'esp_present=yes', 'esp_enc_alg=null'], r.io), 1);
    assert.equal(r.out[0], 'Query result = false');
    assert.match(r.out[1]!, /esp_enc_alg != "null" is false/);
  });

  it('-J with a Quick Mode description and JSON output', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-pt-'));
    const j = path.join(dir, 'sa.json');
    fs.writeFileSync(j, JSON.stringify({
      phase1: { exchange: 'main', group: 14, localAddress: '127.0.0.1', remoteAddress: '127.0.0.2', remoteId: { type: 'FQDN', value: 'gw-east.example.org' } },
      initiator: false, pfs: true,
      protocols: [{ protocol: 'esp', transformId: 'AES', keyLength: 256 }],
      remoteFilter: { type: 'IPV4_ADDR_SUBNET', address: '192.0.2.0', mask: 24 },
      now: '2030-06-01T10:00:00Z',
    }));
    const c = capture();
    const code = await policyTestCommand(['-p', example('remote-id.policy'), '-J', j, '--principal', 'DN:/C=SE/O=Example Org/CN=Example CA', '-j', '-v'], c.io);
    const doc = JSON.parse(c.out.join('\n'));
    assert.equal(code, 0);
    assert.equal(doc.result, 'true');
    assert.equal(doc.attributes.remote_filter, '192.000.002.000-192.000.002.255');
    fs.writeFileSync(j, JSON.stringify({ attributes: { esp_present: 'yes', esp_enc_alg: 'aes', remote_id_type: 'FQDN', remote_id: 'imposter.example.org' } }));
    const d = capture();
    assert.equal(await policyTestCommand(['-p', example('remote-id.policy'), '-J', j, '--principal', 'DN:/C=SE/O=Example Org/CN=Example CA'], d.io), 1);
    assert.match(d.out[1]!, /remote_id = "imposter.example.org"/);
    fs.rmSync(dir, { recursive: true });
  });

  it('a policy file with errors is reported, not evaluated', async () => {
    const c = capture();
    assert.equal(await policyTestCommand(['-p', fixturePath('policy', 'broken.policy'), '--principal', 'x'], c.io), 2);
    assert.match(c.err.join('\n'), /broken\.policy:4:1: error: unknown field 'Condition'/);
  });
});
