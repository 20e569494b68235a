// sendmmsg(2) batching in native memory (SendBatch), checked on a UDP socket to 127.0.0.1 so that no
// root is needed: every queued datagram arrives intact, in order, from one system call, and the batch
// refuses what does not fit.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { AF_INET, SOCK_CLOEXEC, SOCK_DGRAM, SendBatch, sys } from '../../src/dataplane/sys.js';

const LOOPBACK = Uint8Array.of(127, 0, 0, 1);

describe('SendBatch (sendmmsg)', () => {
  it('delivers every queued datagram, in order, with one call', async () => {
    const rx = dgram.createSocket('udp4');
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    const fd = sys().socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert.ok(fd >= 0);
    const batch = new SendBatch(8, 1500);
    try {
      const got: string[] = [];
      const all = new Promise<void>((resolve) =>
        rx.on('message', (m) => {
          got.push(m.toString('latin1'));
          if (got.length === 5) resolve();
        }),
      );
      const sent = ['one', 'two', 'x'.repeat(1500), 'four', ''.padEnd(7, '\u00ff')];
      for (const d of sent) assert.equal(batch.add(Buffer.from(d, 'latin1'), LOOPBACK, 0, rx.address().port), true);
      assert.equal(batch.count, 5);
      assert.equal(batch.flush(fd), 0);
      assert.equal(batch.calls, 1);
      assert.equal(batch.count, 0);
      await all;
      assert.deepEqual(got, sent);
    } finally {
      batch.free();
      sys().close(fd);
      rx.close();
    }
  });

  it('refuses a datagram larger than a slot, and one more than the slots', () => {
    const batch = new SendBatch(2, 100);
    try {
      assert.equal(batch.add(new Uint8Array(101), LOOPBACK, 0, 9), false);
      assert.equal(batch.add(new Uint8Array(100), LOOPBACK, 0, 9), true);
      assert.equal(batch.add(new Uint8Array(1), LOOPBACK, 0, 9), true);
      assert.equal(batch.add(new Uint8Array(1), LOOPBACK, 0, 9), false);
      assert.equal(batch.count, 2);
    } finally {
      batch.free();
    }
  });
});
