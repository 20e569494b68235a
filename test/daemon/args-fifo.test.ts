import assert from 'node:assert/strict';
import { DEFAULT_OPTIONS, parseArgs } from '../../src/daemon/args.js';
import { parseFifoLine } from '../../src/daemon/fifo.js';

describe('isakmpd flags (isakmpd(8) getopt "46ac:dD:f:i:KnN:p:Ll:R:STv")', () => {
  it('keeps isakmpd defaults and paths', () => {
    const o = parseArgs([]);
    assert.ok(typeof o !== 'string');
    assert.equal(o.configFile, '/etc/isakmpd/isakmpd.conf');
    assert.equal(o.fifo, '/var/run/isakmpd.fifo');
    assert.equal(o.pidFile, '/var/run/isakmpd.pid');
    assert.equal(o.control, '/var/run/isakmpd.sock');
    assert.equal(o.port, 500);
    assert.equal(o.natTPort, 4500);
    assert.deepEqual(o, { ...DEFAULT_OPTIONS, debug: [] });
  });

  it('parses clustered flags, attached and separate arguments', () => {
    const o = parseArgs(['-dd', '-4vK', '-c', 'x.conf', '-D7=90', '-D', 'A=10', '-p1500', '-N', '4501', '-f', '-', '-l', 'c.pcap', '-S', '-T', '-n', '-a', '--control', '/tmp/s', '--tun=oak0']);
    assert.ok(typeof o !== 'string');
    assert.equal(o.foreground, 2);
    assert.equal(o.family, 4);
    assert.equal(o.verbose, true);
    assert.equal(o.ignorePolicy, true);
    assert.equal(o.configFile, 'x.conf');
    assert.deepEqual(o.debug, ['7=90', 'A=10']);
    assert.equal(o.port, 1500);
    assert.equal(o.natTPort, 4501);
    assert.equal(o.fifo, '-');
    assert.equal(o.pcap, true);
    assert.equal(o.pcapFile, 'c.pcap');
    assert.equal(o.sync && o.noNatT && o.noKernel && o.acquireOnly, true);
    assert.equal(o.control, '/tmp/s');
    assert.equal(o.tun, 'oak0');
  });

  it('rejects what isakmpd rejects', () => {
    for (const bad of [['-x'], ['operand'], ['-c'], ['-p', '0'], ['-p', '70000'], ['-N', 'x'], ['--control'], ['--tun', 'a/b']]) {
      assert.equal(typeof parseArgs(bad), 'string', bad.join(' '));
    }
  });
});

describe('FIFO commands (isakmpd ui.c)', () => {
  const cases: [string, unknown][] = [
    ['c tunnel', { cmd: 'connect', name: 'tunnel' }],
    ['C set [General]:Retransmits=5 force', { cmd: 'config', line: 'C set [General]:Retransmits=5 force' }],
    ['d 0011223344556677aabbccddeeff0011 -', { cmd: 'delete', icookie: '0011223344556677', rcookie: 'aabbccddeeff0011' }],
    ['d 0011223344556677AABBCCDDEEFF0011 1a2b', { cmd: 'delete', icookie: '0011223344556677', rcookie: 'aabbccddeeff0011', messageId: 0x1a2b }],
    ['D 7 90', { cmd: 'debug', spec: '7=90' }],
    ['D A 5', { cmd: 'debug', spec: 'A=5' }],
    ['D T', { cmd: 'debug-toggle' }],
    ['M passive', { cmd: 'mode', passive: true }],
    ['p on=/tmp/x.pcap', { cmd: 'pcap', on: true, path: '/tmp/x.pcap' }],
    ['p off', { cmd: 'pcap', on: false }],
    ['Q', { cmd: 'quit' }],
    ['R', { cmd: 'reload' }],
    ['r', { cmd: 'report' }],
    ['S', { cmd: 'sa-dump' }],
    ['t 192.0.2.1', { cmd: 'teardown', phase: 2, target: '192.0.2.1' }],
    ['t main peer-west', { cmd: 'teardown', phase: 1, target: 'peer-west' }],
    ['T', { cmd: 'teardown-all' }],
    ['', undefined],
  ];
  for (const [line, want] of cases) {
    it(JSON.stringify(line), () => assert.deepEqual(parseFifoLine(line), want));
  }
  it('malformed lines get the message isakmpd would log, never a throw', () => {
    for (const l of ['x', 'Q now', 'd 12', 'd 0011223344556677aabbccddeeff0011 zz', 'D 7', 'M maybe', 'p sideways', 'c', 't']) {
      assert.equal(typeof parseFifoLine(l), 'string', l);
    }
    assert.equal((parseFifoLine('c ' + 'x'.repeat(500)) as { name: string }).name.length, 200);
  });
});
