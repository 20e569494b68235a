// sendmmsg(2) and recvmmsg(2) batching in native memory (SendBatch, RecvBatch) and receive buffer
// sizing, checked on UDP sockets on 127.0.0.1 so that no root is needed: every queued datagram arrives
// intact, in order, from one system call, and the batches refuse what does not fit.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { AF_INET, F_GETFL, F_SETFL, O_NONBLOCK, RecvBatch, SOCK_CLOEXEC, SOCK_DGRAM, SendBatch, setRcvbuf, sockaddrIn, sys } from '../../src/dataplane/sys.js';

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

describe('RecvBatch (recvmmsg)', () => {
  it('receives several waiting datagrams with one call, each whole and in order, then none', async () => {
    const s = sys();
    const fd = s.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert.ok(fd >= 0);
    const batch = new RecvBatch(4, 2048);
    const tx = dgram.createSocket('udp4');
    try {
      const sa = sockaddrIn(LOOPBACK);
      assert.equal(s.bind(fd, sa, 16), 0);
      const got = new Uint8Array(16);
      const len = [16];
      assert.equal(s.getsockname(fd, got, len), 0);
      const port = (got[2]! << 8) | got[3]!;
      assert.ok(port > 0);
      s.fcntl(fd, F_SETFL, s.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
      assert.equal(batch.recv(fd), 0, 'nothing waiting yet');
      const sent = ['alpha', 'b', 'x'.repeat(2048), 'delta', 'epsilon', 'z'.repeat(2049)];
      for (const d of sent) await new Promise<void>((r) => tx.send(Buffer.from(d), port, '127.0.0.1', () => r()));
      const out: (string | undefined)[] = [];
      for (let tries = 0; out.length < sent.length && tries < 1000; tries++) {
        const n = batch.recv(fd);
        for (let i = 0; i < n; i++) {
          const p = batch.packet(i);
          out.push(p && Buffer.from(p).toString('latin1'));
        }
        if (n === 0) await new Promise((r) => setTimeout(r, 5));
      }
      // the last one does not fit a 2048-byte slot: reported as truncated, not handed over cut short
      assert.deepEqual(out, [...sent.slice(0, 5), undefined]);
      assert.ok(batch.calls <= 4, `one call brought several datagrams (${batch.calls} calls)`);
      assert.equal(batch.recv(fd), 0);
    } finally {
      batch.free();
      s.close(fd);
      tx.close();
    }
  });
});

describe('setRcvbuf', () => {
  it('raises the receive buffer limit (past rmem_max when privileged) and reports what the kernel set', () => {
    const s = sys();
    const fd = s.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert.ok(fd >= 0);
    try {
      const want = 6 << 20;
      const got = setRcvbuf(fd, want);
      const rmemMax = Number(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
      // the kernel doubles the request (bookkeeping overhead); unprivileged, rmem_max caps it
      const limit = process.getuid?.() === 0 ? want : Math.min(want, rmemMax);
      assert.equal(got, 2 * limit);
    } finally {
      s.close(fd);
    }
  });
});
