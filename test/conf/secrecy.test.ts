// File secrecy as isakmpd checks it: owner root or the process user, no group/other permission bits.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile, checkFileSecrecy, INSECURE_ENV } from '../../src/conf/index.js';

describe('conf file secrecy', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-sec-'));
    file = path.join(dir, 'isakmpd.conf');
    fs.writeFileSync(file, '[General]\nRetransmits=4\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    delete process.env[INSECURE_ENV];
  });

  it('mode 0600 loads', () => {
    fs.chmodSync(file, 0o600);
    const r = loadConfigFile(file);
    assert.equal(r.ok, true);
    assert.equal(r.config.get('General', 'Retransmits'), '4');
  });

  for (const mode of [0o640, 0o604, 0o610, 0o601, 0o644]) {
    it(`mode ${mode.toString(8)} is refused with a clear message; defaults only`, () => {
      fs.chmodSync(file, mode);
      const r = loadConfigFile(file);
      assert.equal(r.ok, false);
      const d = r.diagnostics[0]!;
      assert.equal(d.code, 'file-permissions');
      assert.match(d.message, new RegExp(`not loading .*permissions 0${mode.toString(8)}`));
      assert.match(d.hint!, /chmod 600/);
      assert.equal(r.config.get('General', 'Retransmits'), '3', 'the file content is not used');
    });
  }

  it(`${INSECURE_ENV}=1 or the insecure option relaxes the check to a warning`, () => {
    fs.chmodSync(file, 0o644);
    process.env[INSECURE_ENV] = '1';
    const a = loadConfigFile(file);
    assert.equal(a.ok, true);
    assert.equal(a.diagnostics[0]!.severity, 'warning');
    delete process.env[INSECURE_ENV];
    const b = loadConfigFile(file, { insecure: true });
    assert.equal(b.ok, true);
    assert.equal(b.config.get('General', 'Retransmits'), '4');
  });

  it('a file owned by another user is refused', () => {
    const st = { ...fs.statSync(file), uid: 4242, mode: 0o100600 } as fs.Stats;
    const d = checkFileSecrecy(st, file, 1000)!;
    assert.equal(d.code, 'file-owner');
    assert.match(d.message, /uid 4242/);
    assert.equal(checkFileSecrecy({ ...st, uid: 0 } as fs.Stats, file, 1000), null, 'root-owned is fine');
    assert.equal(checkFileSecrecy({ ...st, uid: 1000 } as fs.Stats, file, 1000), null, 'own file is fine');
  });

  it('really chowned: refused when running as root and the file belongs to someone else', function () {
    if (process.getuid?.() !== 0) this.skip();
    fs.chmodSync(file, 0o600);
    fs.chownSync(file, 4242, 4242);
    try {
      assert.equal(loadConfigFile(file).diagnostics[0]!.code, 'file-owner');
    } finally {
      fs.chownSync(file, 0, 0);
    }
  });

  it('a missing file is an error, or with allowMissing a defaults-only configuration', () => {
    const missing = path.join(dir, 'nope.conf');
    assert.equal(loadConfigFile(missing).ok, false);
    const r = loadConfigFile(missing, { allowMissing: true });
    assert.equal(r.ok, true);
    assert.equal(r.diagnostics[0]!.code, 'file-missing');
    assert.equal(r.config.get('General', 'Retransmits'), '3');
  });
});
