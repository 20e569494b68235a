// The lexer reproduces isakmpd's conf_parse/conf_parse_line behaviour; one test per quirk.
import assert from 'node:assert/strict';
import { lex } from '../../src/conf/lexer.js';
import { parseConfigText } from '../../src/conf/index.js';

const codes = (text: string): string[] => lex(text, 't.conf').diagnostics.map((d) => d.code);
const entries = (text: string) => lex(text, 't.conf').entries.map((e) => [e.section, e.tag, e.value, e.line]);

describe('conf lexer (isakmpd quirks)', () => {
  it('reads [Section] headers and Tag=Value lines with their line numbers', () => {
    assert.deepEqual(entries('[General]\nRetransmits=5\n\n[Phase 1]\n10.1.0.1=peer\n'), [
      ['General', 'Retransmits', '5', 2],
      ['Phase 1', '10.1.0.1', 'peer', 5],
    ]);
  });

  it('treats # and ; as comments only in the first column', () => {
    assert.deepEqual(entries('[S]\n# a=b\n; c=d\nx=1\n'), [['S', 'x', '1', 4]]);
  });

  it('keeps a mid-line # in the value and warns', () => {
    const r = lex('[S]\nAuthentication=secret # old key\n', 'f');
    assert.equal(r.entries[0]!.value, 'secret # old key');
    assert.equal(r.diagnostics[0]!.code, 'midline-comment');
    assert.equal(r.diagnostics[0]!.line, 2);
  });

  it('an indented comment line with = becomes an empty tag (error), not a comment', () => {
    const r = lex('[S]\n  # x=y\n', 'f');
    assert.equal(r.entries.length, 0);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity, d.line]), [['empty-tag', 'error', 2]]);
  });

  it('joins backslash-newline continuations; both characters become spaces', () => {
    const r = lex('[S]\nSuites=A,\\\nB\nnext=1\n', 'f');
    assert.deepEqual(r.entries.map((e) => [e.tag, e.value, e.line]), [['Suites', 'A,  B', 2], ['next', '1', 4]]);
  });

  it('does not treat backslash-CR-LF as a continuation', () => {
    const r = lex('[S]\nx=a\\\r\ny=b\n', 'f');
    assert.deepEqual(r.entries.map((e) => [e.tag, e.value]), [['x', 'a\\'], ['y', 'b']]);
  });

  it('ignores an unterminated last line: error when it held an assignment, warning when a comment', () => {
    const r = lex('[S]\nx=1\ny=2', 'f');
    assert.deepEqual(r.entries.map((e) => e.tag), ['x']);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity, d.line]), [['unterminated', 'error', 3]]);
    assert.deepEqual(lex('[S]\n# end', 'f').diagnostics.map((d) => d.severity), ['warning']);
  });

  it('reports a line without = as a syntax error with its line', () => {
    const r = lex('[S]\nx=1\nfoo bar\n', 'f');
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity, d.line]), [['syntax', 'error', 3]]);
  });

  it('blank lines with only spaces or tabs are fine; a CR-only line is the CRLF warning', () => {
    assert.deepEqual(codes('[S]\n \t \nx=1\n'), []);
    const r = lex('[S]\r\nx=1\r\n\r\n', 'f');
    assert.deepEqual(r.entries.map((e) => [e.section, e.value]), [['S', '1']]);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['stray-whitespace']);
  });

  it('ignores assignments before any section', () => {
    const r = lex('x=1\n[S]\ny=2\n', 'f');
    assert.deepEqual(r.entries.map((e) => e.tag), ['y']);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line]), [['no-section', 1]]);
  });

  it("drops lines after an unmatched ']' until the next good header", () => {
    const r = lex('[A]\na=1\n[B\nb=2\nc=3\n[C]\nd=4\n', 'f');
    assert.deepEqual(r.entries.map((e) => [e.section, e.tag]), [['A', 'a'], ['C', 'd']]);
    assert.deepEqual(r.diagnostics.map((d) => [d.code, d.line]), [['unmatched-bracket', 3], ['no-section', 4], ['no-section', 5]]);
    assert.match(r.diagnostics[1]!.message, /line 3/);
  });

  it('takes the header up to the first ] and ignores (with a warning) what follows', () => {
    const r = lex('[Phase 1] trailing\nDefault=x\n', 'f');
    assert.equal(r.entries[0]!.section, 'Phase 1');
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['header-trailing-text']);
  });

  it('cuts the tag at the first blank or =, and skips blanks after =', () => {
    assert.deepEqual(entries('[S]\nLocal-ID =\t Net-east  \n'), [['S', 'Local-ID', 'Net-east', 2]]);
    const r = lex('[S]\nLocal ID=x\n', 'f');
    assert.equal(r.entries[0]!.tag, 'Local');
    assert.equal(r.diagnostics[0]!.code, 'tag-with-space');
  });

  it('keeps dotted section and tag names intact', () => {
    assert.deepEqual(entries('[foo.bar.org]\nAuthentication=k\n[Phase 1]\n10.1.0.11=p\n[LIFE_4.5_GB]\nLIFE_TYPE=KILOBYTES\n'), [
      ['foo.bar.org', 'Authentication', 'k', 2],
      ['Phase 1', '10.1.0.11', 'p', 4],
      ['LIFE_4.5_GB', 'LIFE_TYPE', 'KILOBYTES', 6],
    ]);
  });

  it('keeps = signs inside the value', () => {
    assert.deepEqual(entries('[S]\nLoglevel=A=90\n'), [['S', 'Loglevel', 'A=90', 2]]);
  });

  it('matches section and tag names case-insensitively, keeping the first spelling', () => {
    const { config } = parseConfigText('[general]\nretransmits=7\n[GENERAL]\nLISTEN-ON=127.0.0.1\n', 'f');
    assert.equal(config.get('General', 'Retransmits'), '7');
    assert.equal(config.get('GeNeRaL', 'listen-on'), '127.0.0.1');
    assert.equal(config.sections()[0], 'general');
  });

  it('a duplicate tag keeps the first value and warns at the second line', () => {
    const r = parseConfigText('[S]\nx=first\nX=second\n', 'f', { noValidate: true });
    assert.equal(r.config.get('S', 'x'), 'first');
    const d = r.diagnostics.find((x) => x.code === 'duplicate-tag')!;
    assert.equal(d.severity, 'warning');
    assert.equal(d.line, 3);
    assert.match(d.message, /first value 'first' \(line 2\)/);
  });

  it('reopening a section adds to it (the man page example has two [General] headers)', () => {
    const { config } = parseConfigText('[General]\nListen-on=127.0.0.1\n[X]\na=1\n[General]\nRetransmits=5\n', 'f', { noValidate: true });
    assert.equal(config.get('General', 'Listen-on'), '127.0.0.1');
    assert.equal(config.get('General', 'Retransmits'), '5');
  });

  it('reports a NUL byte and reads the line only up to it', () => {
    const r = lex('[S]\nx=ab\0cd\n', 'f');
    assert.equal(r.entries[0]!.value, 'ab');
    assert.equal(r.diagnostics[0]!.code, 'nul-byte');
  });
});
