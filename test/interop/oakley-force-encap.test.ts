// oakley <-> oakley with Force-encapsulation (root): no NAT between the namespaces, yet the initiator's
// option makes both float to port 4500 and agree UDP-encapsulated tunnel mode; ping and TCP go through
// as ESP-in-UDP, and the sender's ESP leaves with UDP GSO: its UDP stack counts one send per GSO batch
// while the receiver counts every datagram, so the sender's count is a fraction of the receiver's.
import assert from 'node:assert/strict';
import path from 'node:path';
import { Lab, labSuiteHooks, run, strongswanLabUnavailable, waitFor, type SitePair, type Site } from './lab/index.js';
import { Oakley, PSK, oakleyConf, spiHex } from './oakley-peer.js';

/** The namespace's UDP counters from /proc/net/snmp (InDatagrams, OutDatagrams, RcvbufErrors, ...). */
async function udpCounters(site: Site): Promise<Record<string, number>> {
  const text = (await site.ns.exec('cat', ['/proc/net/snmp'])).stdout;
  const [names, values] = text.split('\n').filter((l) => l.startsWith('Udp:'));
  const k = names!.split(/\s+/).slice(1);
  const v = values!.split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(k.map((n, i) => [n, v[i]!]));
}

describe('interop: oakley <-> oakley, ESP-in-UDP by Force-encapsulation, sent with UDP GSO (root)', function () {
  const skip = labSuiteHooks(strongswanLabUnavailable);
  let lab: Lab;
  let pair: SitePair;
  before(async function () {
    if (skip) return;
    lab = await Lab.create({ prefix: 'ofe' });
    pair = await lab.sitePair();
  });

  it('no NAT, Force-encapsulation on the initiator: UDP 4500 both ways, ping and TCP through ESP-in-UDP, GSO batches on the sender', async function () {
    const { left, right } = pair;
    const mk = (me: Site, them: Site, role: 'initiator' | 'responder', tun: string): Oakley =>
      new Oakley(
        lab,
        me,
        `ofe-${role}`,
        oakleyConf({
          local: me.outer, remote: them.outer, role, transforms: ['AES-128-SHA2-256-GRP14'], suites: ['QM-ESP-AES-256-SHA2-256-PFS-GRP14-SUITE'],
          localNet: me.subnet, remoteNet: them.subnet, psk: PSK, forceEncapsulation: role === 'initiator',
        }),
        { tun },
      );
    const resp = mk(right, left, 'responder', 'ofer0');
    const init = mk(left, right, 'initiator', 'ofei0');
    try {
      await resp.start();
      await init.start();
      const a = await init.waitEstablished();
      const b = await resp.waitEstablished();
      assert.equal(a.p1.local, `${left.outer}:4500`);
      assert.equal(b.p1.local, `${right.outer}:4500`);
      assert.equal(spiHex(a.p2.spiOut), spiHex(b.p2.spiIn));
      assert.equal(a.p2.mode, 'tunnel');
      assert.equal(a.p2.encap, 'udp 4500/4500');
      assert.equal(b.p2.encap, 'udp 4500/4500');
      const pcap = path.join(lab.dir, 'force-encap.pcap');
      const cap = await lab.capture(right, pcap, 'udp port 4500 or esp or icmp');
      assert.ok(await left.ns.ping(right.inner, { source: left.inner, count: 2, timeoutS: 2 }), 'ping initiator side -> responder side');
      assert.ok(await right.ns.ping(left.inner, { source: right.inner, count: 2, timeoutS: 2 }), 'ping responder side -> initiator side');
      const read = async (): Promise<string> => (await run('tcpdump', ['-nn', '-r', pcap], { check: false })).stdout;
      await waitFor(async () => ((await read()).match(/UDP-encap: ESP/g) ?? []).length >= 8, { what: `8 ESP-in-UDP packets in ${pcap}`, timeoutMs: 10_000, intervalMs: 200 });
      await cap.stop();
      const text = await read();
      assert.doesNotMatch(text, /ICMP echo/, 'no clear ping on the link');
      for (const l of text.split('\n').filter((x) => /ESP\(/.test(x))) assert.match(l, /\.4500 > [0-9.]+\.4500: UDP-encap: ESP/, `not ESP-in-UDP on port 4500: ${l}`);
      const spis = new Set([...text.matchAll(/UDP-encap: ESP\(spi=0x([0-9a-f]+)/g)].map((m) => spiHex(m[1]!)));
      assert.deepEqual([...spis].sort(), [spiHex(a.p2.spiIn), spiHex(a.p2.spiOut)].sort());
      // TCP from the initiator's side: TSO super-packets become runs of equal-size ESP-in-UDP datagrams
      const before = { tx: await udpCounters(left), rx: await udpCounters(right) };
      const server = lab.spawn(right.ns, 'ofe-iperf3-s', 'iperf3', ['-s', '-1', '-B', right.inner, '-p', '5201']);
      await waitFor(async () => (await right.ns.exec('ss', ['-ltn', 'sport = :5201'])).stdout.includes('5201'), { what: 'iperf3 server listening', timeoutMs: 5_000 });
      const res = await left.ns.exec('iperf3', ['-c', right.inner, '-B', left.inner, '-p', '5201', '-t', '2', '-J'], { timeoutMs: 30_000, check: false });
      await server.stop();
      assert.equal(res.code, 0, res.stdout.slice(-800) + res.stderr);
      const moved = (JSON.parse(res.stdout) as { end: { sum_received: { bytes: number } } }).end.sum_received.bytes;
      assert.ok(moved > 1_000_000, `iperf3 moved ${moved} bytes`);
      const after = { tx: await udpCounters(left), rx: await udpCounters(right) };
      const sends = after.tx['OutDatagrams']! - before.tx['OutDatagrams']!;
      const arrived = after.rx['InDatagrams']! - before.rx['InDatagrams']!;
      // at least ~700 full ESP-in-UDP datagrams per MB; with GSO each send carries many of them. The
      // receiver's kernel counts a UDP_GRO train (the receiving daemon asks for UDP_GRO) as one datagram,
      // so the datagrams are counted from the bytes moved.
      const datagrams = moved / 1500;
      assert.ok(arrived > 0, `receiver saw ${arrived} datagrams for ${moved} bytes`);
      assert.ok(sends * 4 < datagrams, `sender made ${sends} UDP sends for ${moved} bytes (${Math.round(datagrams)} datagrams at least): no GSO batching`);
    } finally {
      await init.stop();
      await resp.stop();
    }
  });
});
