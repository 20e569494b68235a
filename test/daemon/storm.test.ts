// A malformed-packet storm against a live daemon on loopback (bounded in count and time): junk, truncated
// and forged headers, Quick Mode and Informational messages for SAs that do not exist, and a flood of valid
// first messages from one address. The daemon must drop and count all of it by reason, keep half-open
// state within its per-peer bound, not flood its log, and go on serving the good peer.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { request } from '../../src/cli/isakmpctl/control.js';
import { SimNet, EAST, pairConfigs } from '../ike/sim.js';
import { MAX_HALF_OPEN_PER_PEER } from '../../src/ike/engine.js';
import { confFor, fifo, kill, randomPorts, showSa, startDaemon, tempDir, waitFor, type Daemon } from './harness.js';

interface Stats {
  stats: { ike: { received: number; dropped: Record<string, number>; halfOpen: { total: number; peers: number; largest: number } } };
}

/** A small deterministic generator, so a failing storm can be replayed. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

describe('daemon: malformed-packet storm on loopback', function () {
  this.timeout(60_000);
  let east: Daemon | undefined;
  let west: Daemon | undefined;
  const dir = tempDir();

  before(async () => {
    const [pe, pw] = randomPorts();
    // west answers any address (Default), so a flood of first messages from a stranger creates state
    const westConf = confFor({ self: 'west', peerPort: pe, active: false }).replace('[Phase 1]\n', '[Phase 1]\nDefault=\t\tpeer\n');
    west = await startDaemon('west', dir, pw, westConf);
    east = await startDaemon('east', dir, pe, confFor({ self: 'east', peerPort: pw, active: true }));
    await waitFor(async () => (await showSa(west!)).ipsec.length === 1, 20_000, 'the tunnel');
  });

  after(() => {
    kill(east);
    kill(west);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('drops and counts every kind of bad input, bounds half-open state per peer, keeps serving the good peer', async () => {
    const before = (await request(west!.sock, { cmd: 'show', what: 'stats' })) as unknown as Stats;
    const outputBefore = west!.output().split('\n').length;
    // a valid Main Mode first message (west's proposal), re-cookied for each copy
    const probe = new SimNet().add('x', EAST, pairConfigs().east, 'storm-probe');
    const mm1 = Buffer.from(probe.engine.command({ type: 'connect', name: 'east-west' }, 0).send[0]!.data);
    const rnd = lcg(0x5eed);
    const datagram = (i: number): Buffer => {
      const cookie = Buffer.alloc(8);
      cookie.writeUInt32BE(rnd(), 0);
      cookie.writeUInt32BE(i + 1, 4);
      switch (i % 6) {
        case 0: { // valid first message, fresh cookie: half-open flood
          const d = Buffer.from(mm1);
          cookie.copy(d, 0);
          return d;
        }
        case 1: // random bytes of random length
          return Buffer.from(Array.from({ length: 1 + (rnd() % 300) }, () => rnd() & 0xff));
        case 2: { // a header whose length disagrees with the datagram
          const d = Buffer.from(mm1);
          cookie.copy(d, 0);
          d.writeUInt32BE(d.length + 1 + (rnd() % 50), 24);
          return d;
        }
        case 3: { // encrypted Quick Mode for an SA that does not exist
          const d = Buffer.concat([cookie, Buffer.alloc(8, 7), Buffer.from([8, 0x10, 32, 1]), Buffer.alloc(4, 9), Buffer.alloc(4), Buffer.alloc(48, 3)]);
          d.writeUInt32BE(d.length, 24);
          return d;
        }
        case 4: { // a first message with a mangled payload chain
          const d = Buffer.from(mm1);
          cookie.copy(d, 0);
          d.writeUInt16BE(0xffff, 30);
          return d;
        }
        default: { // IKEv2 version, zero cookies and flag junk
          const d = Buffer.from(mm1);
          if (i % 4 === 0) d[17] = 0x20;
          else if (i % 4 === 1) d.fill(0, 0, 8);
          else d[19] = 0xf8;
          return d;
        }
      }
    };
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.66', () => r()));
    const COUNT = 3000;
    const deadline = Date.now() + 15_000;
    let sent = 0;
    for (; sent < COUNT && Date.now() < deadline; sent += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => new Promise<void>((r) => s.send(datagram(sent + k), west!.port, '127.0.0.1', () => r()))));
      await new Promise((r) => setTimeout(r, 5));
    }
    s.close();
    // UDP may lose some of a burst in the socket buffer; wait until the count stops moving
    let last = -1;
    const after = await waitFor(async () => {
      const a = (await request(west!.sock, { cmd: 'show', what: 'stats' })) as unknown as Stats;
      const settled = a.stats.ike.received === last;
      last = a.stats.ike.received;
      return settled ? a : false;
    }, 15_000, 'the storm received');
    const got = after.stats.ike.received - before.stats.ike.received;
    assert.ok(got >= sent / 2, `${got} of ${sent} datagrams reached the daemon`);
    assert.equal(west!.proc.exitCode, null, 'the daemon is alive');
    const d = after.stats.ike.dropped;
    const grew = (k: string): number => (d[k] ?? 0) - (before.stats.ike.dropped[k] ?? 0);
    assert.ok(grew('too-many-half-open-peer') > 0, JSON.stringify(d));
    assert.ok(grew('unequal_payload_lengths') > 0, JSON.stringify(d));
    assert.ok(grew('unknown-sa') > 0, JSON.stringify(d));
    assert.ok(grew('invalid_major_version') > 0, JSON.stringify(d));
    assert.equal(d['internal-error'], undefined);
    assert.ok(after.stats.ike.halfOpen.largest <= MAX_HALF_OPEN_PER_PEER);
    assert.equal(after.stats.ike.halfOpen.largest, MAX_HALF_OPEN_PER_PEER);
    // logged without flooding: a few lines at most, not one per datagram
    const lines = west!.output().split('\n').length - outputBefore;
    assert.ok(lines < 100, `${lines} log lines for ${sent} bad datagrams`);
    // the good peer is still served: tear the tunnel down and bring it back
    assert.equal((await showSa(west!)).ipsec.length, 1);
    fifo(east!, 't tunnel');
    await waitFor(async () => (await showSa(west!)).ipsec.length === 0, 10_000, 'teardown on west');
    fifo(east!, 'c tunnel');
    await waitFor(async () => (await showSa(west!)).ipsec.length === 1, 20_000, 'the tunnel again after the storm');
  });
});
