// oakley <-> oakley (root): two daemons in two namespaces with NAT-T off (-T), or on but without a NAT,
// so Quick Mode agrees on plain tunnel (or transport) mode and the data plane sends raw ESP (IP protocol
// 50), and AH (protocol 51) around ESP for an AH+ESP bundle. A ping through the TUN devices both ways
// must arrive, and a capture of the link must show only protected packets with the negotiated SPIs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { Lab, labSuiteHooks, run, strongswanLabUnavailable, waitFor, type SitePair } from './lab/index.js';
import { Oakley, PSK, oakleyConf, spiHex } from './oakley-peer.js';

interface Row {
  name: string;
  suites: string[];
  sections?: Record<string, Record<string, string>>;
  /** tcpdump text every captured packet of the tunnel must show. */
  wire: RegExp;
  ah: boolean;
  /** Host-to-host transport mode between the outer addresses (IPV4_ADDR identities) instead of a tunnel. */
  transport?: boolean;
  /** Leave NAT-T on (no -T): without a NAT, NAT-D must find none and both stay on port 500 with raw ESP. */
  natT?: boolean;
  exchange?: 'ID_PROT' | 'AGGRESSIVE';
}

const ROWS: Row[] = [
  {
    name: 'raw-esp',
    suites: ['QM-ESP-AES-128-SHA2-256-PFS-GRP14-SUITE'],
    wire: /ESP\(spi=0x[0-9a-f]+,seq=0x[0-9a-f]+\)/,
    ah: false,
  },
  {
    name: 'ah-esp-bundle',
    suites: ['AH-ESP-SUITE'],
    sections: { 'AH-ESP-SUITE': { Protocols: 'QM-AH-SHA-PFS-GRP14,QM-ESP-AES-128-SHA-PFS-GRP14' } },
    // transport adjacency (RFC 2401 4.5): one outer header, AH over it, then ESP carrying the inner packet
    wire: /IP \S+ > \S+: AH\(spi=0x[0-9a-f]+,seq=0x[0-9a-f]+,icv=0x[0-9a-f]+\): ESP\(spi=0x[0-9a-f]+,seq=0x[0-9a-f]+\)/,
    ah: true,
  },
  {
    name: 'natt-capable-no-nat-aggressive',
    suites: ['QM-ESP-AES-256-SHA2-256-PFS-GRP19-SUITE'],
    wire: /ESP\(spi=0x[0-9a-f]+,seq=0x[0-9a-f]+\)/,
    ah: false,
    natT: true,
    exchange: 'AGGRESSIVE',
  },
  {
    name: 'transport-esp',
    suites: ['QM-ESP-TRP-AES-128-SHA2-256-PFS-GRP14-SUITE'],
    wire: /ESP\(spi=0x[0-9a-f]+,seq=0x[0-9a-f]+\)/,
    ah: false,
    transport: true,
  },
];

describe('interop: oakley <-> oakley over raw ESP and AH+ESP, no UDP encapsulation (root)', function () {
  const skip = labSuiteHooks(strongswanLabUnavailable);
  let lab: Lab;
  let pair: SitePair;
  before(async function () {
    if (skip) return;
    lab = await Lab.create({ prefix: 'oiO' });
    pair = await lab.sitePair();
  });

  for (const row of ROWS) {
    it(`${row.name}: ${row.exchange === 'AGGRESSIVE' ? 'Aggressive' : 'Main'} Mode PSK, Quick Mode ${row.suites.join(',')}, ping both ways through TUN`, async function () {
      const { left, right } = pair;
      const mk = (me: typeof left, them: typeof left, role: 'initiator' | 'responder', tun: string): Oakley =>
        new Oakley(
          lab,
          me,
          `oo-${row.name}-${role}`,
          oakleyConf({
            local: me.outer,
            remote: them.outer,
            role,
            exchange: row.exchange,
            transforms: ['AES-128-SHA2-256-GRP14'],
            suites: row.suites,
            localNet: me.subnet,
            remoteNet: them.subnet,
            psk: PSK,
            sections: {
              ...(row.sections ?? {}),
              ...(row.transport
                ? { 'local-net': { 'ID-type': 'IPV4_ADDR', Address: me.outer }, 'remote-net': { 'ID-type': 'IPV4_ADDR', Address: them.outer } }
                : {}),
            },
          }),
          { noNatT: !row.natT, tun },
        );
      const resp = mk(right, left, 'responder', 'oor0');
      const init = mk(left, right, 'initiator', 'ooi0');
      try {
        await resp.start();
        await init.start();
        const a = await init.waitEstablished();
        const b = await resp.waitEstablished();
        // one SA pair, seen the same from both ends, in plain tunnel mode on port 500
        assert.equal(a.p1.icookie, b.p1.icookie);
        assert.equal(a.p1.rcookie, b.p1.rcookie);
        assert.deepEqual([a.p1.role, b.p1.role], ['initiator', 'responder']);
        assert.equal(a.p1.exchange, row.exchange === 'AGGRESSIVE' ? 'aggressive' : 'main');
        assert.equal(a.p1.local, `${left.outer}:500`);
        assert.equal(b.p1.local, `${right.outer}:500`);
        assert.equal(spiHex(a.p2.spiIn), spiHex(b.p2.spiOut));
        assert.equal(spiHex(a.p2.spiOut), spiHex(b.p2.spiIn));
        assert.equal(a.p2.encap, 'none');
        assert.equal(a.p2.mode, row.transport ? 'transport' : 'tunnel');
        assert.match(a.p2.localSelector, new RegExp(`^${(row.transport ? left.outer : left.subnet).replace(/\./g, '\\.')}(/32)?$`));
        assert.match(b.p2.localSelector, new RegExp(`^${(row.transport ? right.outer : right.subnet).replace(/\./g, '\\.')}(/32)?$`));
        if (row.ah && /IPSEC_AH not implemented/.test(init.readLog())) {
          console.log('      skipped: the engine does not negotiate AH yet (config: "protocol IPSEC_AH not implemented")');
          this.skip();
        }
        const cli = await init.showSaCli();
        assert.equal(cli.ipsec.length, 1, JSON.stringify(cli.ipsec));
        if (row.ah) assert.match(init.readLog(), /AH .*\+ ESP/);
        const pcap = path.join(lab.dir, `${row.name}.pcap`);
        const cap = await lab.capture(left, pcap, 'udp port 4500 or esp or ah or icmp');
        const [lh, rh] = row.transport ? [left.outer, right.outer] : [left.inner, right.inner];
        assert.ok(await left.ns.ping(rh, { source: lh, count: 3, timeoutS: 2 }), 'ping initiator side -> responder side');
        assert.ok(await right.ns.ping(lh, { source: rh, count: 3, timeoutS: 2 }), 'ping responder side -> initiator side');
        // 2 x 3 echo requests and replies: wait until the capture holds them (tcpdump delivers in batches)
        const read = async (): Promise<string> => (await run('tcpdump', ['-nn', '-r', pcap], { check: false })).stdout;
        const packets = (t: string): string[] => t.split('\n').filter((l) => / IP /.test(l));
        await waitFor(async () => packets(await read()).length >= 12, { what: `12 packets in ${pcap}`, timeoutMs: 10_000, intervalMs: 200 });
        await cap.stop();
        const text = await read();
        const lines = packets(text);
        for (const l of lines) assert.match(l, row.wire, `unprotected or wrong packet on the link: ${l}`);
        assert.doesNotMatch(text, /UDP-encap|ICMP echo/);
        assert.doesNotMatch(text, /AH\([^)]*\): IP /, 'AH must not carry a second IP header (nested tunnels)');
        // the outer ESP SPIs on the wire are the negotiated ones
        const espSpis = new Set([...text.matchAll(/ESP\(spi=0x([0-9a-f]+)/g)].map((m) => spiHex(m[1]!)));
        if (!row.ah) assert.deepEqual([...espSpis].sort(), [spiHex(a.p2.spiIn), spiHex(a.p2.spiOut)].sort());
        else assert.equal(espSpis.size, 2);
      } finally {
        await init.stop();
        await resp.stop();
      }
    });
  }
});
