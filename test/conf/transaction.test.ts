// Run-time changes: FIFO `C` commands with isakmpd's semantics, applied as atomic transactions, and reload.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dumpConfig, parseConfigText, ConfigTransaction, parseFifoConfigCommand, runFifoConfigCommand, reloadConfig, loadConfigFile } from '../../src/conf/index.js';

const TEXT = '[General]\nListen-on=127.0.0.1\n[Phase 2]\nConnections=a\n[a]\nPhase=2\n[S]\nlist=x,y\n';
const base = () => parseConfigText(TEXT, 'f', { noValidate: true }).config;

describe('conf FIFO C commands', () => {
  it('parses the command forms with isakmpd sscanf rules', () => {
    assert.deepEqual(parseFifoConfigCommand('C set [General]:Retransmits=5'), { op: 'set', section: 'General', tag: 'Retransmits', value: '5', force: false });
    assert.deepEqual(parseFifoConfigCommand('C set [General]:Retransmits=5 force'), { op: 'set', section: 'General', tag: 'Retransmits', value: '5', force: true });
    assert.deepEqual(parseFifoConfigCommand('C set [Phase 1]:10.0.0.1=peer 1'), { op: 'set', section: 'Phase 1', tag: '10.0.0.1', value: 'peer', force: true });
    assert.deepEqual(parseFifoConfigCommand('C add [Phase 2]:Connections=b'), { op: 'add', section: 'Phase 2', tag: 'Connections', value: 'b' });
    assert.deepEqual(parseFifoConfigCommand('C rmv [Phase 2]:Connections=b'), { op: 'rmv', section: 'Phase 2', tag: 'Connections', value: 'b' });
    assert.deepEqual(parseFifoConfigCommand('C rm [General]:Retransmits'), { op: 'rm', section: 'General', tag: 'Retransmits' });
    assert.deepEqual(parseFifoConfigCommand('C rms [foo.bar.org]'), { op: 'rms', section: 'foo.bar.org' });
    assert.deepEqual(parseFifoConfigCommand('C GET [General]:Retransmits\n'), { op: 'get', section: 'General', tag: 'Retransmits' });
    for (const bad of ['C', 'C set', 'C set General:x=1', 'C set [General:x=1', 'C set [General]x=1', 'C set [General]:x', 'C set [General]:x=', 'C frob [General]:x=1', 'X set [a]:b=c']) {
      assert.equal(typeof parseFifoConfigCommand(bad), 'string', bad);
    }
  });

  it('a value longer than 200 characters spills into the 4th word and turns on force (sscanf %200s)', () => {
    const cmd = parseFifoConfigCommand(`C set [S]:k=${'a'.repeat(205)}`);
    assert.ok(typeof cmd !== 'string' && cmd.op === 'set');
    if (typeof cmd !== 'string' && cmd.op === 'set') {
      assert.equal(cmd.value.length, 200);
      assert.equal(cmd.force, true);
    }
  });

  it('set without force keeps an existing value, even a built-in default; with force it replaces it', () => {
    const c = base();
    const r1 = runFifoConfigCommand(c, 'C set [General]:Retransmits=9');
    assert.equal(r1.commit!.config.get('General', 'Retransmits'), '3');
    assert.equal(r1.diagnostics[0]!.code, 'duplicate-tag');
    assert.match(r1.diagnostics[0]!.hint!, /force$/);
    const r2 = runFifoConfigCommand(c, 'C set [General]:Retransmits=9 force');
    assert.equal(r2.commit!.config.get('General', 'Retransmits'), '9');
    assert.equal(c.get('General', 'Retransmits'), '3', 'the old configuration object is unchanged');
    const r3 = runFifoConfigCommand(c, 'C set [New]:Tag=v');
    assert.equal(r3.commit!.config.get('new', 'tag'), 'v');
  });

  it('add appends unless present, creates missing tags, and respects a trailing comma', () => {
    const c = base();
    assert.equal(runFifoConfigCommand(c, 'C add [S]:list=z').commit!.config.get('S', 'list'), 'x,y,z');
    assert.equal(runFifoConfigCommand(c, 'C add [S]:list=y').commit!.config.get('S', 'list'), 'x,y');
    assert.equal(runFifoConfigCommand(c, 'C add [S]:new=q').commit!.config.get('S', 'new'), 'q');
    const tx = new ConfigTransaction(c);
    tx.set('S', 'list', 'x,', true);
    tx.add('S', 'list', 'w');
    assert.equal(tx.commit().config.get('S', 'list'), 'x,w');
  });

  it('rmv removes one value, and the tag when the list becomes empty', () => {
    const c = base();
    const r = runFifoConfigCommand(c, 'C rmv [S]:list=x').commit!.config;
    assert.equal(r.get('S', 'list'), 'y');
    const r2 = runFifoConfigCommand(r, 'C rmv [S]:list=y').commit!.config;
    assert.equal(r2.get('S', 'list'), undefined);
  });

  it('rm removes a tag (a default too, until reload); rms removes a section', () => {
    const c = base();
    const r = runFifoConfigCommand(c, 'C rm [General]:Retransmits').commit!.config;
    assert.equal(r.get('General', 'Retransmits'), undefined);
    const s = runFifoConfigCommand(c, 'C rms [s]').commit!.config;
    assert.equal(s.hasSection('S'), false);
  });

  it('changes to a generated section materialise it first, as isakmpd holds them as defaults', () => {
    const c = base();
    const r = runFifoConfigCommand(c, 'C rm [AES-SHA]:Life').commit!.config;
    assert.equal(r.get('AES-SHA', 'Life'), undefined);
    assert.equal(r.get('AES-SHA', 'ENCRYPTION_ALGORITHM'), 'AES_CBC');
    assert.equal(runFifoConfigCommand(c, 'C set [AES-SHA]:HASH_ALGORITHM=MD5').commit!.config.get('AES-SHA', 'HASH_ALGORITHM'), 'SHA');
    assert.equal(runFifoConfigCommand(c, 'C rms [QM-ESP-AES-SHA-SUITE]').commit!.config.hasSection('QM-ESP-AES-SHA-SUITE'), false);
    assert.equal(c.get('AES-SHA', 'Life'), 'LIFE_MAIN_MODE');
  });

  it('the report dump without defaults shows file and run-time values only', () => {
    const c = runFifoConfigCommand(base(), 'C set [Added]:Tag=v').commit!.config;
    const text = dumpConfig(c, { withoutDefaults: true });
    assert.match(text, /^\[Added\]\nTag=v$/m);
    assert.match(text, /^Listen-on=127\.0\.0\.1$/m);
    assert.doesNotMatch(text, /Retransmits|LIFE_MAIN_MODE|X509/);
  });

  it('get returns the value and a newline, or nothing', () => {
    const c = base();
    assert.deepEqual(runFifoConfigCommand(c, 'C get [General]:Listen-on'), { result: '127.0.0.1\n', diagnostics: [] });
    assert.equal(runFifoConfigCommand(c, 'C get [General]:Nope').result, '');
  });

  it('changes to [Phase 2] Connections / Passive-connections by set, add or rmv ask for a connection re-read', () => {
    const c = base();
    assert.equal(runFifoConfigCommand(c, 'C add [phase 2]:connections=b').commit!.connectionsChanged, true);
    assert.equal(runFifoConfigCommand(c, 'C set [Phase 2]:Passive-connections=b').commit!.connectionsChanged, true);
    assert.equal(runFifoConfigCommand(c, 'C rm [Phase 2]:Connections').commit!.connectionsChanged, false);
    assert.equal(runFifoConfigCommand(c, 'C add [S]:list=q').commit!.connectionsChanged, false);
  });

  it('a malformed command changes nothing and says what was expected', () => {
    const r = runFifoConfigCommand(base(), 'C set General:x=1');
    assert.equal(r.commit, undefined);
    assert.equal(r.diagnostics[0]!.code, 'fifo-malformed');
    assert.match(r.diagnostics[0]!.hint!, /\[section\]/);
  });

  it('a transaction is invisible until commit, atomic, and single-use', () => {
    const c = base();
    const tx = new ConfigTransaction(c);
    tx.set('General', 'Listen-on', '127.0.0.2', true);
    tx.rms('S');
    assert.equal(c.get('General', 'Listen-on'), '127.0.0.1');
    assert.equal(tx.get('General', 'Listen-on'), '127.0.0.2');
    const r = tx.commit();
    assert.equal(r.config.get('General', 'Listen-on'), '127.0.0.2');
    assert.equal(r.config.hasSection('S'), false);
    assert.equal(r.config.generation, c.generation + 1);
    assert.throws(() => tx.set('a', 'b', 'c'));
  });
});

describe('conf reload', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-conf-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    fs.chmodSync(p, 0o600);
    return p;
  };

  it('a good file replaces the configuration; a file with errors keeps the old one and says why', () => {
    const file = write('r.conf', '[General]\nRetransmits=4\n');
    const first = loadConfigFile(file);
    assert.equal(first.ok, true);
    write('r.conf', '[General]\nRetransmits=5\n');
    const second = reloadConfig(first.config, file);
    assert.equal(second.replaced, true);
    assert.equal(second.config.get('General', 'Retransmits'), '5');
    write('r.conf', '[General]\nRetransmits=six\n[Phase 2]\nConnections=missing\n');
    const third = reloadConfig(second.config, file);
    assert.equal(third.replaced, false);
    assert.equal(third.config, second.config);
    assert.equal(third.config.get('General', 'Retransmits'), '5');
    const last = third.diagnostics.at(-1)!;
    assert.equal(last.code, 'reload-refused');
    assert.match(last.message, /2 errors/);
    assert.ok(third.diagnostics.some((d) => d.code === 'not-a-number' && d.line === 2));
  });

  it('defaults are re-added on every reload', () => {
    const file = write('d.conf', '[General]\nRetransmits=4\n');
    const a = loadConfigFile(file).config;
    const tx = new ConfigTransaction(a);
    tx.rm('General', 'Exchange-max-time');
    const b = tx.commit().config;
    assert.equal(b.get('General', 'Exchange-max-time'), undefined);
    assert.equal(reloadConfig(b, file).config.get('General', 'Exchange-max-time'), '120');
  });
});
