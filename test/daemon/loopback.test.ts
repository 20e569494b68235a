import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from '../../src/cli/isakmpctl/control.js';
import { extractUdp, readCapture } from '../../src/util/pcap.js';
import { decodeHeader, decodePayloads } from '../../src/isakmp/index.js';
import {
  confFor, fifo, ISAKMPCTL, kill, randomPorts, showSa, startDaemon, tempDir, waitFor, type Daemon,
} from './harness.js';
import { PayloadType, ExchangeType } from '../../src/isakmp/numbers.js';

const run = promisify(execFile);

describe('isakmpd on 127.0.0.1: two daemons, FIFO and control socket', function () {
  this.timeout(60_000);
  let east: Daemon | undefined;
  let west: Daemon | undefined;
  const dir = tempDir();

  before(async () => {
    const [pe, pw] = randomPorts();
    // west only accepts; east brings the tunnel up at start (Connections=)
    west = await startDaemon('west', dir, pw, confFor({ self: 'west', peerPort: pe, active: false, pfs: true }));
    east = await startDaemon('east', dir, pe, confFor({ self: 'east', peerPort: pw, active: true, pfs: true }), ['-l', `${dir}/east.pcap`, '-D', '3=99']);
  });

  after(() => {
    kill(east);
    kill(west);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('brings the tunnel up at start and both sides agree on SPIs', async () => {
    const [e, w] = await waitFor(async () => {
      const a = await showSa(east!);
      const b = await showSa(west!);
      return a.ipsec.length > 0 && b.ipsec.length > 0 ? ([a, b] as const) : false;
    }, 20_000, 'IPsec SAs on both daemons');
    assert.equal(e.ipsec.length, 1);
    assert.equal(w.ipsec.length, 1);
    assert.equal(e.ipsec[0]!.spiOut, w.ipsec[0]!.spiIn);
    assert.equal(e.ipsec[0]!.spiIn, w.ipsec[0]!.spiOut);
    assert.equal(e.ipsec[0]!.localSelector, '198.51.100.0/24');
    assert.equal(w.ipsec[0]!.localSelector, '192.0.2.0/24');
    assert.equal(e.ipsec[0]!.pfsGroup, 14);
    assert.match(east!.output(), /phase 1 done \(initiator\)/);
    // keys only at the highest crypto level: east runs with -D 3=99, west with the defaults
    assert.match(east!.output(), /"skeyidE":"[0-9a-f]{40}"/);
    assert.match(east!.output(), /KEYMAT in 0x[0-9a-f]{8} enc [0-9a-f]{32}/);
    assert.doesNotMatch(west!.output(), /skeyid|KEYMAT/i);
    assert.match(west!.output(), /phase 2 done \(responder\)/);
  });

  it('-l records every IKE message in plaintext; FIFO S writes the SA dump', async () => {
    const frames = readCapture(fs.readFileSync(`${dir}/east.pcap`));
    const msgs = frames.map((f) => extractUdp(f)).flatMap((x) => ('udp' in x ? [x.udp.payload] : []));
    const headers = msgs.map((m) => decodeHeader(m)).filter((h): h is Exclude<ReturnType<typeof decodeHeader>, { notify: unknown }> => !('notify' in h));
    assert.equal(headers.filter((h) => h.exchange === ExchangeType.ID_PROT).length, 6);
    assert.equal(headers.filter((h) => h.exchange === ExchangeType.QUICK_MODE).length, 3);
    // the fifth Main Mode message is flagged encrypted but recorded in the clear: ID, HASH and, as this is
    // the first contact with the peer, INITIAL-CONTACT
    const mm5 = msgs.filter((m) => m[18] === ExchangeType.ID_PROT)[4]!;
    assert.equal(mm5[19]! & 1, 1);
    const ps = decodePayloads(mm5[16]!, Buffer.from(mm5.subarray(28)));
    assert.ok(Array.isArray(ps));
    assert.deepEqual(ps.map((p) => p.type), [PayloadType.ID, PayloadType.HASH, PayloadType.NOTIFY]);
    fifo(east!, 'S');
    const dump = await waitFor(() => {
      try {
        return fs.readFileSync(`${dir}/isakmpd.result`, 'utf8');
      } catch {
        return false;
      }
    }, 5000, 'the result file');
    assert.match(dump, /SA name: peer \(Phase 1\/Initiator\)/);
    assert.match(dump, /SA name: tunnel \(Phase 2\)/);
  });

  it('SIGUSR1 writes the report file given with -R', async () => {
    process.kill(east!.proc.pid!, 'SIGUSR1');
    const report = await waitFor(() => {
      try {
        return JSON.parse(fs.readFileSync(`${dir}/east.report`, 'utf8')) as { sas: { ipsec: unknown[] }; connections: string[] };
      } catch {
        return false;
      }
    }, 5000, 'the report file');
    assert.equal(report.sas.ipsec.length, 1);
    assert.deepEqual(report.connections, ['tunnel']);
  });

  it('isakmpctl show sa -j prints the same state as the control socket', async () => {
    const { stdout } = await run(process.execPath, [ISAKMPCTL, '-s', east!.sock, '-j', 'show', 'sa']);
    const j = JSON.parse(stdout) as { ipsec: { spiIn: string }[] };
    const direct = await showSa(east!);
    assert.equal(j.ipsec[0]!.spiIn, direct.ipsec[0]!.spiIn);
    const text = await run(process.execPath, [ISAKMPCTL, '-s', east!.sock, 'show', 'sa']);
    assert.match(text.stdout, /IPsec SAs \(phase 2\):/);
    assert.match(text.stdout, new RegExp(direct.ipsec[0]!.spiIn));
    // the data plane's own counters: replay drops and lifetimes per SA, from showDataplane
    const dp = (direct as unknown as { dataplane: { spi: string; replayDrops: number; hard: { seconds?: number } }[] }).dataplane;
    const inbound = dp.find((d) => d.spi === direct.ipsec[0]!.spiIn);
    assert.ok(inbound, 'the inbound SA is in the data plane');
    assert.equal(inbound.replayDrops, 0);
    assert.equal(inbound.hard.seconds, (direct.ipsec[0] as unknown as { lifeSeconds: number }).lifeSeconds);
    assert.match(text.stdout, /replay drops/);
    assert.match(text.stdout, /Data plane SAs:\n(.|\n)*replay-drops 0/);
  });

  it('FIFO t removes the tunnel on both sides, FIFO c brings it back', async () => {
    fifo(east!, 't tunnel');
    await waitFor(async () => (await showSa(west!)).ipsec.length === 0 && (await showSa(east!)).ipsec.length === 0, 10_000, 'teardown on both sides');
    fifo(east!, 'c tunnel');
    const w = await waitFor(async () => {
      const s = await showSa(west!);
      return s.ipsec.length === 1 ? s : false;
    }, 10_000, 'tunnel back up');
    const e = await showSa(east!);
    assert.equal(e.ipsec[0]!.spiOut, w.ipsec[0]!.spiIn);
  });

  it('teardown through the control socket by address removes phase 1 too', async () => {
    const r = await request(west!.sock, { cmd: 'teardown', target: '127.0.0.1' });
    assert.equal(r.ok, true);
    await waitFor(async () => (await showSa(east!)).isakmp.length === 0 && (await showSa(east!)).ipsec.length === 0, 10_000, 'phase 1 gone on east');
    // several names at once: one unknown name refuses the request and starts none of them
    const mixed = await request(east!.sock, { cmd: 'connect', names: ['tunnel', 'no-such-connection'] });
    assert.equal(mixed.ok, false);
    assert.match(String(mixed.error), /no connection named no-such-connection; nothing started/);
    await assert.rejects(run(process.execPath, [ISAKMPCTL, '-s', east!.sock, 'connect', 'tunnel', 'no-such-connection']), /no connection named no-such-connection/);
    assert.equal((await showSa(east!)).isakmp.length, 0, 'the known name was not started');
    assert.equal((await request(east!.sock, { cmd: 'connect', names: [] })).ok, false);
    const c = await request(east!.sock, { cmd: 'connect', names: ['tunnel'] });
    assert.equal(c.ok, true);
    await waitFor(async () => (await showSa(west!)).ipsec.length === 1, 10_000, 'tunnel back up');
    const bad = await request(east!.sock, { cmd: 'connect', name: 'no-such-connection' });
    assert.equal(bad.ok, false);
  });

  it('malformed datagrams are dropped and counted; the daemon keeps working', async () => {
    const before = (await request(west!.sock, { cmd: 'show', what: 'stats' })) as unknown as { stats: { ike: { dropped: Record<string, number>; received: number } } };
    const s = dgram.createSocket('udp4');
    const junk: Buffer[] = [
      Buffer.alloc(3),
      Buffer.alloc(28),
      Buffer.concat([Buffer.alloc(8, 1), Buffer.alloc(8), Buffer.from([1, 0x10, 2, 0]), Buffer.alloc(4), Buffer.from([0, 0, 0, 200])]),
      Buffer.concat([Buffer.alloc(8, 2), Buffer.alloc(8), Buffer.from([1, 0x10, 2, 0]), Buffer.alloc(4), Buffer.from([0, 0, 0, 36]), Buffer.from([0, 0, 0, 99, 0, 0, 0, 1])]),
    ];
    for (let i = 0; i < 20; i++) junk.push(Buffer.from(Array.from({ length: 28 + (i * 7) % 60 }, (_, k) => (k * 31 + i * 17) & 0xff)));
    for (const j of junk) await new Promise<void>((r) => s.send(j, west!.port, '127.0.0.1', () => r()));
    s.close();
    const after = await waitFor(async () => {
      const a = (await request(west!.sock, { cmd: 'show', what: 'stats' })) as unknown as { stats: { ike: { dropped: Record<string, number>; received: number } } };
      return a.stats.ike.received >= before.stats.ike.received + junk.length ? a : false;
    }, 5000, 'junk received');
    const droppedBefore = Object.values(before.stats.ike.dropped).reduce((a, b) => a + b, 0);
    const droppedAfter = Object.values(after.stats.ike.dropped).reduce((a, b) => a + b, 0);
    assert.ok(droppedAfter - droppedBefore >= junk.length - 1, `dropped ${droppedAfter - droppedBefore} of ${junk.length}`);
    assert.ok(after.stats.ike.dropped['payload_malformed'] || after.stats.ike.dropped['unequal_payload_lengths']);
    assert.equal(west!.proc.exitCode, null);
    assert.equal((await showSa(west!)).ipsec.length, 1);
  });

  it('debug, show peers/config and reload answer on the control socket; a broken reload keeps the old configuration', async () => {
    assert.equal((await request(east!.sock, { cmd: 'debug', class: 'exchange', level: 50 })).ok, true);
    assert.equal((await request(east!.sock, { cmd: 'debug', class: 'nonsense', level: 5 })).ok, false);
    const peers = (await request(east!.sock, { cmd: 'show', what: 'peers' })) as unknown as { peers: { name: string; phase1: string[] }[] };
    assert.deepEqual(peers.peers.map((p) => p.name), ['peer']);
    assert.deepEqual(peers.peers[0]!.phase1, ['ESTABLISHED']);
    const conf = (await request(east!.sock, { cmd: 'show', what: 'config' })) as unknown as { config: Record<string, Record<string, string>> };
    assert.equal(conf.config['peer']!['Port'], String(west!.port));
    const file = `${dir}/east.conf`;
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, good.replace('Retransmits=\t\t3', 'Retransmits=\t\t5'));
    const ok = await request(east!.sock, { cmd: 'reload' });
    assert.equal(ok.ok, true);
    const after = (await request(east!.sock, { cmd: 'show', what: 'config' })) as unknown as { config: Record<string, Record<string, string>> };
    assert.equal(after.config['General']!['Retransmits'], '5');
    fs.writeFileSync(file, good + '\n[broken\n');
    const bad = await request(east!.sock, { cmd: 'reload' });
    assert.equal(bad.ok, false);
    assert.match(String(bad.error), /reload refused/);
    const still = (await request(east!.sock, { cmd: 'show', what: 'config' })) as unknown as { config: Record<string, Record<string, string>> };
    assert.equal(still.config['General']!['Retransmits'], '5');
    fs.writeFileSync(file, good);
    assert.equal((await showSa(east!)).ipsec.length, 1, 'a reload leaves running SAs alone');
  });

  it('FIFO C set/get edits the running configuration; p on=FILE starts a capture; bad lines are reported', async () => {
    fifo(east!, 'C set [General]:Check-interval=30 force');
    fifo(east!, 'C get [General]:Check-interval');
    const v = await waitFor(() => {
      try {
        const t = fs.readFileSync(`${dir}/isakmpd.result`, 'utf8');
        return t === '30\n' ? t : false;
      } catch {
        return false;
      }
    }, 5000, 'C get result');
    assert.equal(v, '30\n');
    fifo(east!, `p on=${dir}/second.pcap`);
    await waitFor(() => fs.existsSync(`${dir}/second.pcap`), 5000, 'the new capture file');
    fifo(east!, 'p off');
    fifo(east!, 'D nosuchclass 5');
    fifo(east!, 'x');
    await waitFor(() => /unknown debug class 'nosuchclass'/.test(east!.output()) && /fifo: unrecognized command/.test(east!.output()), 5000, 'the complaints in the log');
    assert.equal(east!.proc.exitCode, null);
  });

  it('SIGTERM sends Deletes, removes the pid file and exits 0', async () => {
    assert.ok(fs.existsSync(east!.pidFile));
    assert.equal(Number(fs.readFileSync(east!.pidFile, 'utf8')), east!.proc.pid);
    kill(east, 'SIGTERM');
    assert.equal(await east!.exited, 0);
    assert.equal(fs.existsSync(east!.pidFile), false);
    assert.equal(fs.existsSync(east!.sock), false);
    await waitFor(async () => (await showSa(west!)).ipsec.length === 0, 5000, 'west saw the Delete');
    assert.equal((await showSa(west!)).isakmp.length, 0);
  });

  it('FIFO Q stops the daemon cleanly', async () => {
    fifo(west!, 'Q');
    assert.equal(await west!.exited, 0);
    assert.equal(fs.existsSync(west!.fifo), false);
  });
});

describe('isakmpd command line', () => {
  it('rejects unknown flags and extra operands with the usage', async () => {
    for (const args of [['-X'], ['extra'], ['-p', 'notaport']]) {
      const r = await run(process.execPath, [ISAKMPCTL.replace('isakmpctl.js', 'isakmpd.js'), ...args]).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      assert.equal(r.code, 2);
      assert.match(r.stderr, /usage: isakmpd/);
    }
  });

  it('refuses a configuration with errors and says which file', async () => {
    const dir = tempDir();
    const conf = `${dir}/bad.conf`;
    fs.writeFileSync(conf, '[General]\nthis line is not a tag\n[Phase 1\n', { mode: 0o600 });
    const r = await run(process.execPath, [ISAKMPCTL.replace('isakmpctl.js', 'isakmpd.js'), '-d', '-c', conf, '-p', String(randomPorts()[0]), '-f', `${dir}/f`, '-i', `${dir}/p`, '--control', `${dir}/s`]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.conf/);
  });
});
