// Warnings about configurations that load but would not do what they say: legacy ciphers this process
// cannot run, and generated PFS suites that carry no group. Each points at the line to change.
// Legacy ciphers are offered only when this process can run them; otherwise the operator is told
// where they are configured and how to enable them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText, legacyCipherDiagnostics } from '../../src/conf/index.js';

const CLI = fileURLToPath(new URL('../../src/cli/isakmpctl.js', import.meta.url));

const conf = (p1: string, suite: string): string => `[Phase 1]
198.18.0.2=peer

[Phase 2]
Connections=conn

[peer]
Phase=1
Address=198.18.0.2
Authentication=secret
Configuration=mm

[mm]
EXCHANGE_TYPE=ID_PROT
Transforms=${p1}

[conn]
Phase=2
ISAKMP-peer=peer
Configuration=qm
Local-ID=net-a
Remote-ID=net-b

[qm]
EXCHANGE_TYPE=QUICK_MODE
Suites=${suite}

[net-a]
ID-type=IPV4_ADDR_SUBNET
Network=192.0.2.0
Netmask=255.255.255.0

[net-b]
ID-type=IPV4_ADDR_SUBNET
Network=198.51.100.0
Netmask=255.255.255.0
`;

describe('conf: legacy ciphers (DES, Blowfish, CAST)', () => {
  it('names each referenced legacy cipher and the fix, according to what a process can run', () => {
    const cfg = parseConfigText(conf('BLF-SHA', 'QM-ESP-CAST-SHA-SUITE'), 'legacy.conf').config;
    // The answer depends on the process: ask a child with and without the legacy provider.
    const probe = (flags: string[]) =>
      spawnSync(process.execPath, [...flags, '-e', "try{require('crypto').createCipheriv('bf-cbc',Buffer.alloc(16),Buffer.alloc(8));console.log('yes')}catch{console.log('no')}"], { encoding: 'utf8' }).stdout.trim();
    assert.equal(probe(['--openssl-legacy-provider']), 'yes', 'OpenSSL here ships the legacy provider');
    const ds = legacyCipherDiagnostics(cfg);
    const legacyLoaded = process.execArgv.includes('--openssl-legacy-provider') || /openssl-legacy-provider/.test(process.env.NODE_OPTIONS ?? '');
    if (legacyLoaded) {
      assert.deepEqual(ds, []);
      return;
    }
    assert.deepEqual(
      ds.map((d) => [d.section, d.tag?.toUpperCase(), d.code]),
      [
        ['BLF-SHA', 'ENCRYPTION_ALGORITHM', 'legacy-cipher-unavailable'],
        ['QM-ESP-CAST-SHA-XF', 'TRANSFORM_ID', 'legacy-cipher-unavailable'],
      ],
    );
    for (const d of ds) assert.match(d.hint ?? '', /--openssl-legacy-provider/);
    // Generated sections have no line of their own: the warning points at the line that names them.
    const lineOf = (prefix: string) => conf('BLF-SHA', 'QM-ESP-CAST-SHA-SUITE').split('\n').findIndex((l) => l.startsWith(prefix)) + 1;
    assert.deepEqual(ds.map((d) => `${d.file}:${d.line}`), [`legacy.conf:${lineOf('Transforms=')}`, `legacy.conf:${lineOf('Suites=')}`]);
  });

  it('says nothing about configurations without legacy ciphers', () => {
    const cfg = parseConfigText(conf('AES-128-SHA-GRP14', 'QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'), 'modern.conf').config;
    assert.deepEqual(legacyCipherDiagnostics(cfg), []);
  });

  it('check-config warns without the legacy provider and is silent with it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-legacy-'));
    try {
      const file = path.join(dir, 'legacy.conf');
      fs.writeFileSync(file, conf('CAST-SHA', 'QM-ESP-AES-SHA-SUITE'), { mode: 0o600 });
      const run = (nodeOptions: string) =>
        spawnSync(process.execPath, [CLI, 'check-config', '-c', file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: nodeOptions } });
      const without = run('');
      assert.equal(without.status, 0);
      assert.match(without.stderr, /legacy\.conf:\d+: warning: \[CAST-SHA\]:ENCRYPTION_ALGORITHM: CAST_CBC is not available/);
      assert.match(without.stderr, /--openssl-legacy-provider/);
      const withLegacy = run('--openssl-legacy-provider');
      assert.equal(withLegacy.status, 0);
      assert.doesNotMatch(withLegacy.stderr, /not available/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('conf: generated PFS suites without a hash piece (isakmpd quirk)', () => {
  const withSuite = (suite: string, extra = ''): string =>
    conf('AES-128-SHA-GRP14', suite) + extra;
  const pfsWarnings = (text: string) =>
    parseConfigText(text, 'gcm.conf').diagnostics.filter((d) => d.code === 'pfs-without-group');

  it('warns where a hash-less -PFS suite is used, since it carries no group', () => {
    const text = withSuite('QM-ESP-AESGCM-128-PFS-GRP14-SUITE');
    const ds = pfsWarnings(text);
    assert.equal(ds.length, 1);
    const line = text.split('\n').findIndex((l) => l.startsWith('Suites=')) + 1;
    assert.equal(`${ds[0]!.file}:${ds[0]!.line}`, `gcm.conf:${line}`);
    assert.match(ds[0]!.hint ?? '', /GROUP_DESCRIPTION=MODP_2048/);
  });

  it('is silent for suites with a hash piece and for hand-written transforms that set the group', () => {
    assert.deepEqual(pfsWarnings(withSuite('QM-ESP-AES-128-SHA-PFS-GRP14-SUITE')), []);
    const own = `
[QM-ESP-AESGCM-128-PFS-GRP14-XF]
TRANSFORM_ID=AES_GCM_16
KEY_LENGTH=128,128:128
ENCAPSULATION_MODE=TUNNEL
GROUP_DESCRIPTION=MODP_2048
Life=LIFE_QUICK_MODE
`;
    assert.deepEqual(pfsWarnings(withSuite('QM-ESP-AESGCM-128-PFS-GRP14-SUITE', own)), []);
  });
});

describe('conf: oakley extensions in [General]', () => {
  const general = (tags: string) => `[General]\n${tags}\n`;
  const codes = (text: string) => parseConfigText(text, 'ext.conf').diagnostics.map((d) => `${d.tag ?? ''}:${d.code}`);

  it('knows Phase1-policy, Tun-MTU and Link-MTU', () => {
    assert.deepEqual(codes(general('Phase1-policy=yes\nTun-MTU=16000\nLink-MTU=1500')), []);
  });

  it('checks the MTU values and still flags misspelt tags', () => {
    const ds = codes(general('Tun-MTU=100\nTun-MTUU=1400'));
    assert.equal(ds.length, 2, ds.join(', '));
    assert.ok(ds.some((d) => d.startsWith('Tun-MTU:')), ds.join(', '));
    assert.ok(ds.some((d) => d.startsWith('Tun-MTUU:')), ds.join(', '));
  });
});
