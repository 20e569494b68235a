// Robustness: arbitrary and config-shaped text never crashes the parser or the validator, and every
// diagnostic points at a real file:line.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConfigText, dumpConfig, configToJson, runFifoConfigCommand, defaultsOnlyConfig } from '../../src/conf/index.js';

const TOKENS = ['[', ']', '=', '#', ';', '\\', '\n', '\r\n', ' ', '\t', ',', ':', '0x', 'Phase', 'General', 'Phase 1', 'Phase 2',
  'Connections', 'Default', 'Transforms', 'Suites', 'Protocols', 'Life', 'ANY', 'AES-SHA', 'QM-ESP-AES-SHA-PFS-SUITE', 'ID-type',
  'IPV4_ADDR_SUBNET', 'TRANSFORM_ID', 'KEY_LENGTH', '128,96:192', '3600', 'Configuration', 'ISAKMP-peer', 'Address', '198.18.0.1',
  'Authentication', 'foo.bar.org', 'LIFE_TYPE', 'SECONDS', 'EXCHANGE_TYPE', 'AGGRESSIVE', '\0', 'é', '-1'];

const configish = fc.array(fc.constantFrom(...TOKENS), { maxLength: 120 }).map((t) => t.join(''));
const lineLike = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(...TOKENS)).map(([s, x]) => `[${s}${x}]`),
    fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(...TOKENS)).map(([t, v]) => `${t}=${v}`),
    fc.constantFrom('# comment', '; comment', '', '  ', 'junk', '[unterminated'),
  ),
  { maxLength: 40 },
).map((ls) => ls.join('\n') + '\n');

function checkDiagnostics(text: string): void {
  const r = parseConfigText(text, 'fuzz.conf');
  const lines = text.split('\n').length;
  for (const d of r.diagnostics) {
    assert.equal(d.file, 'fuzz.conf');
    assert.ok(Number.isInteger(d.line) && d.line >= 0 && d.line <= lines, `line ${d.line} of ${lines}`);
    assert.ok(d.severity === 'error' || d.severity === 'warning');
    assert.ok(d.message.length > 0 && typeof d.code === 'string');
  }
  assert.equal(r.ok, !r.diagnostics.some((d) => d.severity === 'error'));
  // The model accessors and the dump must also cope with whatever was read.
  r.config.peers();
  r.config.connections();
  for (const p of r.config.peers()) r.config.phase1Proposal(p);
  for (const c of r.config.connections()) r.config.phase2Suites(c);
  dumpConfig(r.config);
}

describe('conf fuzzing', () => {
  it('arbitrary unicode text never throws and yields file:line diagnostics', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), checkDiagnostics), { numRuns: 300 });
  });

  it('config-shaped token soup never throws', () => {
    fc.assert(fc.property(configish, checkDiagnostics), { numRuns: 400 });
  });

  it('line-structured random configurations never throw', () => {
    fc.assert(fc.property(lineLike, checkDiagnostics), { numRuns: 400 });
  });

  it('a dump re-reads to the same effective configuration', () => {
    fc.assert(fc.property(lineLike, (text) => {
      const a = parseConfigText(text, 'a.conf', { noValidate: true }).config;
      const b = parseConfigText(dumpConfig(a), 'b.conf', { noValidate: true }).config;
      const ja = configToJson(a);
      for (const [s, tags] of Object.entries(ja)) {
        for (const [t, v] of Object.entries(tags)) {
          if (v.endsWith('\\') || t === '') continue; // not representable in isakmpd syntax
          assert.equal(b.get(s, t), v, `[${s}]:${t}`);
        }
      }
    }), { numRuns: 200 });
  });

  it('random FIFO C lines never throw', () => {
    const base = defaultsOnlyConfig();
    const cmd = fc.tuple(fc.constantFrom('C ', 'C set ', 'C add ', 'C rmv ', 'C rm ', 'C rms ', 'C get '), fc.string({ maxLength: 60 }));
    fc.assert(fc.property(cmd, ([a, b]) => {
      const r = runFifoConfigCommand(base, a + b);
      assert.ok(r.commit !== undefined || r.result !== undefined || r.diagnostics.length > 0);
    }), { numRuns: 300 });
  });
});
