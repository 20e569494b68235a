// `isakmpctl decode` end to end: the compiled binary on the fixture captures, JSON and text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturePath } from '../helpers/paths.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../src/cli/isakmpctl.js');
const pcap = fixturePath('isakmp', 'synthetic-mm-qm.pcap');
const keys = fixturePath('isakmp', 'synthetic-mm-qm.keys');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, 'decode', ...args], { encoding: 'utf8', timeout: 15000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('isakmpctl decode', () => {
  it('-j prints one JSON object per entry with the contract fields', () => {
    const r = run('-j', pcap);
    assert.equal(r.code, 0, r.err);
    const objs = lines(r.out);
    assert.equal(objs.length, 14);
    const first = objs[0]!;
    assert.deepEqual(Object.keys(first), ['frame', 'src', 'sport', 'dst', 'dport', 'ispi', 'rspi', 'version', 'exchange', 'flags', 'messageId', 'length', 'encrypted', 'payloads']);
    assert.deepEqual([first.frame, first.src, first.sport, first.ispi, first.rspi, first.version, first.exchange, first.encrypted], [1, '198.18.0.1', 500, '0011223344556677', '0000000000000000', '1.0', 2, false]);
    const sa = (first.payloads as Array<Record<string, unknown>>)[0]!;
    assert.equal(sa.type, 1);
    const t = (sa.proposals as Array<{ transforms: Array<{ attributes: unknown[] }> }>)[0]!.transforms[0]!;
    assert.deepEqual(t.attributes[0], { type: 1, value: 7 });
    const enc = objs.filter((o) => o.encrypted === true);
    assert.equal(enc.length, 7);
    assert.ok(enc.every((o) => (o.payloads as unknown[]).length === 0));
    assert.deepEqual(objs[11]!.esp, { spi: 0xc2000002, seq: 1 });
    assert.equal(objs[12]!.keepalive, true);
    assert.equal((objs[13]!.error as { notify: string }).notify, 'UNEQUAL_PAYLOAD_LENGTHS');
  });

  it('--keys decrypts: Quick Mode SA, IDs, Delete and DPD notify appear with numbers and hex', () => {
    const objs = lines(run('-j', '--keys', keys, pcap).out);
    const qm = objs.find((o) => o.exchange === 32)!;
    const types = (qm.payloads as Array<{ type: number }>).map((p) => p.type);
    assert.deepEqual(types, [8, 1, 10, 5, 5]);
    const sa = (qm.payloads as Array<Record<string, unknown>>)[1]!;
    const prop = (sa.proposals as Array<Record<string, unknown>>)[0]!;
    assert.deepEqual([prop.protocol, prop.spi], [3, 'c1000001']);
    const attrs = (prop.transforms as Array<{ attributes: Array<{ type: number; value: unknown }> }>)[0]!.attributes;
    assert.deepEqual(attrs[3], { type: 2, value: 4608000 }); // TLV lifetime as a JSON number
    const del = objs.find((o) => (o.payloads as Array<{ type: number }> | undefined)?.some((p) => p.type === 12))!;
    assert.deepEqual((del.payloads as Array<Record<string, unknown>>)[1], { type: 12, doi: 1, protocol: 3, spis: ['c2000002'] });
    const dpd = objs.find((o) => o.messageId === 0x0badcafe)!;
    assert.deepEqual((dpd.payloads as Array<Record<string, unknown>>)[1], { type: 11, doi: 1, protocol: 1, spi: '00112233445566778899aabbccddeeff', notifyType: 36136, data: '00000007' });
  });

  it('reassembles IKE fragments and says which frames carried them', () => {
    const objs = lines(run('-j', '--keys', keys, fixturePath('isakmp', 'synthetic-fragments.pcap')).out);
    const whole = objs.find((o) => o.reassembledFrom)!;
    assert.deepEqual(whole.reassembledFrom, [5, 6, 7]);
    assert.deepEqual((whole.payloads as Array<{ type: number }>).map((p) => p.type), [5, 8, 11]);
    const frag = objs.find((o) => o.frame === 5)!;
    assert.deepEqual(Object.keys((frag.payloads as object[])[0]!), ['type', 'fragmentId', 'number', 'flags', 'data']);
  });

  it('text output is a readable tree with names', () => {
    const r = run('--keys', keys, pcap);
    assert.equal(r.code, 0);
    for (const s of ['Exchange type: ID_PROT (2)', 'ENCRYPTION_ALGORITHM (1): AES_CBC (7)', 'RFC 3947 NAT-T', 'Notify Message Type: R_U_THERE (36136)', 'ESP SPI 0xc2000002 sequence 1', 'NAT-keepalive', 'Malformed ISAKMP message: UNEQUAL_PAYLOAD_LENGTHS'])
      assert.ok(r.out.includes(s), `missing "${s}"`);
  });

  it('accepts quoted key tables and rejects broken ones', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oakley-decode-'));
    try {
      const quoted = path.join(dir, 'quoted');
      fs.writeFileSync(quoted, '# comment\n"0011223344556677","000102030405060708090a0b0c0d0e0f"\n');
      assert.ok(lines(run('-j', '--keys', quoted, pcap).out).some((o) => o.decrypted === true));
      const broken = path.join(dir, 'broken');
      fs.writeFileSync(broken, 'nonsense\n');
      const r = run('--keys', broken, pcap);
      assert.equal(r.code, 1);
      assert.match(r.err, /line 1/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exit codes: 2 for usage, 1 for an unreadable capture', () => {
    assert.equal(run().code, 2);
    assert.equal(run('--bogus', pcap).code, 2);
    const r = run(path.join(os.tmpdir(), 'no-such-capture.pcap'));
    assert.equal(r.code, 1);
    assert.match(r.err, /ENOENT|no such file/i);
  });
});
