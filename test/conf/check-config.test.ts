// isakmpctl check-config, run as a real process from the compiled tree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/conf/index.js';
import { samplePath } from '../helpers/paths.js';

const CLI = fileURLToPath(new URL('../../src/cli/isakmpctl.js', import.meta.url));

function run(args: string[], env: Record<string, string> = { OAKLEY_INSECURE_CONFIG: '1' }) {
  const r = spawnSync(process.execPath, [CLI, 'check-config', ...args], { encoding: 'utf8', env: { ...process.env, OAKLEY_INSECURE_CONFIG: '', ...env }, timeout: 20000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('isakmpctl check-config', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-cc-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string, mode = 0o600): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    fs.chmodSync(p, mode);
    return p;
  };

  it('exits 0 for a valid file', () => {
    const r = run(['-c', samplePath('site-to-site', 'west.conf')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /west\.conf: OK/);
  });

  it('exits 1 and lists every error with file:line', () => {
    const f = write('bad.conf', '[General]\nRetransmits=x\n[Phase 2]\nConnections=nope\n[S\nfoo\n');
    const r = run(['-c', f]);
    assert.equal(r.code, 1);
    for (const line of [2, 4, 5, 6]) assert.match(r.err, new RegExp(`bad\\.conf:${line}: error: `));
    assert.match(r.out, /4 errors/);
  });

  it('refuses a group/other-readable file unless relaxed, and still lists content errors', () => {
    const f = write('open.conf', '[General]\nRetransmits=x\n', 0o644);
    const r = run(['-c', f], {});
    assert.equal(r.code, 1);
    assert.match(r.err, /isakmpd would not load .*permissions 0644/);
    assert.match(r.err, /open\.conf:2: error/);
    const ok = write('open2.conf', '[General]\nRetransmits=4\n', 0o644);
    assert.equal(run(['-c', ok], {}).code, 1);
    assert.equal(run(['-c', ok, '--insecure'], {}).code, 0);
    assert.equal(run(['-c', ok], { OAKLEY_INSECURE_CONFIG: '1' }).code, 0);
  });

  it('a missing file is exit 1; bad usage is exit 2', () => {
    assert.equal(run(['-c', path.join(dir, 'none.conf')]).code, 1);
    assert.equal(run(['--frob']).code, 2);
    assert.equal(run(['-c']).code, 2);
  });

  it('--dump prints file sections, defaults and referenced generated sections, stable and re-readable', () => {
    const a = run(['-c', samplePath('demo', 'west.conf'), '--dump']);
    const b = run(['-c', samplePath('demo', 'west.conf'), '--dump']);
    assert.equal(a.code, 0);
    assert.equal(a.out, b.out);
    const headers = [...a.out.matchAll(/^\[(.+)\]$/gm)].map((m) => m[1]);
    for (const s of ['General', 'Phase 1', 'peer-east', 'demo-quick-mode', 'X509-certificates', 'KeyNote', 'LIFE_MAIN_MODE',
      'LIFE_QUICK_MODE', 'Default-phase-1-configuration', 'Default-phase-1', 'AES-128-SHA-GRP14', 'QM-ESP-AES-128-SHA-PFS-GRP14-SUITE',
      'QM-ESP-AES-128-SHA-PFS-GRP14', 'QM-ESP-AES-128-SHA-PFS-GRP14-XF', '3DES-SHA-RSA_SIG']) {
      assert.ok(headers.includes(s), s);
    }
    assert.equal(new Set(headers).size, headers.length, 'one block per section');
    assert.ok(headers.indexOf('General') < headers.indexOf('X509-certificates'));
    assert.ok(headers.indexOf('X509-certificates') < headers.indexOf('AES-128-SHA-GRP14'), 'file, then defaults, then generated');
    const re = parseConfigText(a.out, 'dump.conf');
    assert.equal(re.ok, true);
    assert.equal(re.config.get('QM-ESP-AES-128-SHA-PFS-GRP14-XF', 'GROUP_DESCRIPTION'), 'MODP_2048');
    assert.equal(re.config.get('peer-east', 'Port'), '15001');
  });

  it('-j prints the same configuration as JSON {section: {tag: value}}', () => {
    const j = run(['-c', samplePath('demo', 'west.conf'), '-j']);
    assert.equal(j.code, 0);
    const obj = JSON.parse(j.out) as Record<string, Record<string, string>>;
    assert.equal(obj['General']!['Listen-on'], '127.0.0.1');
    assert.equal(obj['General']!['Retransmits'], '3');
    assert.equal(obj['QM-ESP-AES-128-SHA-PFS-GRP14-XF']!['TRANSFORM_ID'], 'AES');
    const d = run(['-c', samplePath('demo', 'west.conf'), '--dump']);
    const dumpHeaders = [...d.out.matchAll(/^\[(.+)\]$/gm)].map((m) => m[1]);
    assert.deepEqual(Object.keys(obj), dumpHeaders);
  });
});
