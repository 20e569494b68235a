// oakley <-> strongSwan 5.9.8 (root): behaviour beyond a plain negotiation, in one shared pair of
// namespaces: proposal lists where only the last entry matches, INITIAL-CONTACT, Delete propagation in
// both directions, NAT-T float with UDP-encapsulated tunnel mode, repeated rekeying under short lifetimes
// (driven by either side), Phase 1 expiry, DPD, ping and TCP (iperf3) through the tunnel both ways, KeyNote
// policy accepting and refusing the same peer (two daemons, and one daemon across a reload), and Main Mode
// with RSA signatures and certificates (accepted, and refused for a certificate of another identity).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, SUBNETS, hostIn, labSuiteHooks, run, strongswanLabUnavailable, waitFor, type SitePair } from './lab/index.js';
import { Oakley, PSK, charonConn, oakleyConf, spiHex } from './oakley-peer.js';
import { assertAgreement, establish, type SwanRow } from './strongswan-run.js';
import { fixturePath } from '../helpers/paths.js';

const BASE: Omit<SwanRow, 'name' | 'oakley'> = {
  exchange: 'main',
  ids: 'ipv4',
  ike: 'aes128-sha1-modp2048',
  esp: 'aes128-sha1-modp2048',
  transforms: ['AES-128-SHA-GRP14'],
  suites: ['QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'],
  expect: {
    encr: 'aes-128-cbc',
    hash: 'sha1',
    group: 14,
    swanIke: { encr: 'AES_CBC', keysize: '128', integ: 'HMAC_SHA1_96', dh: 'MODP_2048' },
    swanEsp: { encr: 'AES_CBC', integ: 'HMAC_SHA1_96' },
    pfsGroup: 14,
  },
};

const row = (name: string, oakley: 'initiator' | 'responder', over: Partial<SwanRow> = {}): SwanRow => ({ ...BASE, name, oakley, ...over });

describe('interop: oakley <-> strongSwan, features (root)', function () {
  const skip = labSuiteHooks(strongswanLabUnavailable);
  let lab: Lab;
  let pair: SitePair;
  before(async function () {
    if (skip) return;
    lab = await Lab.create({ prefix: 'oiF' });
    pair = await lab.sitePair();
  });

  it('only the last of several proposals matches: oakley responder picks charon\'s last IKE and ESP proposal', async function () {
    const r0 = row('last-proposal-oakley-responder', 'responder', {
      ike: 'aes256-sha512-modp4096, aes192-sha384-modp3072, 3des-md5-modp1536, aes128-sha1-modp2048',
      esp: 'aes256-sha512-modp4096, 3des-md5-modp1536, aes128-sha1-modp2048',
    });
    const r = await establish(lab, pair, r0);
    try {
      await assertAgreement(r, pair, r0);
      await r.c.waitLog(/received proposals: IKE:AES_CBC_128\/HMAC_SHA1_96\/PRF_HMAC_SHA1\/MODP_2048/);
    } finally {
      await r.stop();
    }
  });

  it('only the last of several proposals matches: charon responder picks oakley\'s last transform and suite', async function () {
    const r0 = row('last-proposal-oakley-initiator', 'initiator', {
      transforms: ['AES-256-SHA2-512-GRP16', 'AES-192-SHA2-384-GRP15', '3DES-MD5-GRP5', 'AES-128-SHA-GRP14'],
      // one KE payload per Quick Mode: every suite offered must share the PFS group
      suites: ['QM-ESP-AES-256-SHA2-512-PFS-GRP14-SUITE', 'QM-ESP-3DES-MD5-PFS-GRP14-SUITE', 'QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'],
    });
    const r = await establish(lab, pair, r0);
    try {
      await assertAgreement(r, pair, r0);
      // charon saw the whole list and chose the last one
      const log = r.c.readLog();
      assert.match(log, /received proposals: .*AES_CBC_256.*MODP_4096.*AES_CBC_128\/HMAC_SHA1_96\/PRF_HMAC_SHA1\/MODP_2048/);
      assert.match(log, /selected proposal: IKE:AES_CBC_128\/HMAC_SHA1_96\/PRF_HMAC_SHA1\/MODP_2048/);
      assert.match(log, /selected proposal: ESP:AES_CBC_128\/HMAC_SHA1_96\/MODP_2048/);
    } finally {
      await r.stop();
    }
  });

  for (const role of ['initiator', 'responder'] as const) {
    it(`two subnet pairs: two Quick Mode SAs under one ISAKMP SA, oakley ${role}, traffic on both`, async function () {
      const third = SUBNETS.third;
      const thirdHost = hostIn(third, 1);
      // the charon side also protects 203.0.113.0/24 (put on its lo like the other inner subnets)
      if (!(await pair.left.ns.ip(['addr', 'show', 'dev', 'lo'])).stdout.includes(thirdHost)) await pair.left.ns.addLoopbackAddress(`${thirdHost}/24`);
      const r0 = row(`two-children-${role}`, role);
      const r = await establish(lab, pair, r0, {
        oakley: { tun: role === 'initiator' ? 'oakt5' : 'oakt6' },
        swanConn: {
          ike: BASE.ike,
          esp: BASE.esp,
          gw: {
            children: {
              net: { local_ts: pair.left.subnet, remote_ts: pair.right.subnet, esp_proposals: BASE.esp },
              net2: { local_ts: third, remote_ts: pair.right.subnet, esp_proposals: BASE.esp },
            },
          },
        },
        oakleySpec: {
          sections: {
            'Phase 2': { [role === 'initiator' ? 'Connections' : 'Passive-connections']: 'net,net2' },
            net2: { Phase: '2', 'ISAKMP-peer': 'peer', Configuration: 'p2', 'Local-ID': 'local-net', 'Remote-ID': 'remote-net2' },
            'remote-net2': { 'ID-type': 'IPV4_ADDR_SUBNET', Network: third.split('/')[0]!, Netmask: '255.255.255.0' },
          },
        },
      });
      try {
        if (role === 'responder') {
          const r2 = await r.c.initiate('net2', { check: false });
          assert.equal(r2.code, 0, r2.stdout.slice(-800));
        }
        const swan = await r.c.waitEstablished('gw', { child: 'net2' });
        const st = await r.o.waitState('two IPsec SAs', (s) => (s.ipsec.length === 2 ? s : undefined));
        assert.equal(st.isakmp.filter((s) => s.state === 'ESTABLISHED').length, 1, 'one ISAKMP SA');
        assert.equal((await r.c.listSas()).length, 1, 'charon: one IKE SA');
        for (const [name, remote] of [['net', pair.left.subnet], ['net2', third]] as const) {
          const ours = st.ipsec.find((s) => s.connection === name);
          assert.ok(ours, `oakley IPsec SA for ${name}: ${JSON.stringify(st.ipsec)}`);
          assert.equal(ours.remoteSelector, remote);
          const child = swan.children.find((c) => c.name === name && c.state === 'INSTALLED');
          assert.ok(child, `charon child ${name}`);
          assert.equal(spiHex(ours.spiIn), spiHex(child.spiOut));
        }
        assert.ok(await pair.right.ns.ping(pair.left.inner, { source: pair.right.inner, count: 1, timeoutS: 3 }), 'ping via net');
        assert.ok(await pair.right.ns.ping(thirdHost, { source: pair.right.inner, count: 1, timeoutS: 3 }), 'ping via net2');
        assert.ok(await pair.left.ns.ping(pair.right.inner, { source: thirdHost, count: 1, timeoutS: 3 }), 'ping from 203.0.113.1 via net2');
      } finally {
        await r.stop();
      }
    });
  }

  it('INITIAL-CONTACT: oakley sends it on first contact; a restarted charon\'s INITIAL-CONTACT replaces the stale SAs on oakley', async function () {
    // oakley initiator: its Main Mode message 5 carries INITIAL-CONTACT, as charon parses it
    const first = row('ic-oakley-sends', 'initiator');
    const a = await establish(lab, pair, first);
    try {
      await assertAgreement(a, pair, first);
      assert.match(a.c.readLog(), /parsed ID_PROT request 0 \[ .*N\(INITIAL_CONTACT\).* \]/);
    } finally {
      await a.stop();
    }
    // oakley responder: charon establishes, dies without a Delete, a fresh charon connects again
    const second = row('ic-charon-restarts', 'responder');
    const b = await establish(lab, pair, second);
    let c2: ReturnType<Lab['charon']> | undefined;
    try {
      const oldCookie = b.p1.icookie;
      process.kill(b.c.pid!, 'SIGKILL');
      await waitFor(() => { try { process.kill(b.c.pid!, 0); return false; } catch { return true; } }, { what: 'charon to die', timeoutMs: 5_000 });
      c2 = lab.charon(pair.left.ns, 'c-ic-restarted', { keyLog: false });
      await c2.start();
      await c2.load(charonConn(pair.left, pair.right, { ike: BASE.ike, esp: BASE.esp }));
      const init = await c2.initiate('net', { check: false });
      assert.equal(init.code, 0, init.stdout.slice(-1000));
      const swan = await c2.waitEstablished('gw', { child: 'net' });
      assert.match(c2.readLog(), /generating ID_PROT request 0 \[ .*N\(INITIAL_CONTACT\).* \]/);
      // oakley dropped the old ISAKMP SA and the old IPsec SA: exactly the new ones are left
      const st = await b.o.waitState('only the new SAs', (s) =>
        s.isakmp.length === 1 && s.ipsec.length === 1 && s.isakmp[0]!.icookie.toLowerCase() === swan.initiatorSpi.toLowerCase() ? s : undefined,
      );
      assert.notEqual(st.isakmp[0]!.icookie, oldCookie);
      const child = swan.children[0]!;
      assert.equal(spiHex(st.ipsec[0]!.spiIn), spiHex(child.spiOut));
      assert.match(b.o.readLog(), /INITIAL-CONTACT/);
    } finally {
      await c2?.stop();
      await b.stop();
    }
  });

  it('Delete propagation: swanctl --terminate removes the SAs on oakley', async function () {
    const r0 = row('delete-from-charon', 'responder');
    const r = await establish(lab, pair, r0);
    try {
      await r.c.terminateIke('gw');
      await r.c.waitGone('gw');
      await r.o.waitNoSas();
      assert.match(r.o.readLog(), /deleted by peer/);
      const st = await r.o.showSaCli();
      assert.deepEqual([st.isakmp.length, st.ipsec.length], [0, 0]);
    } finally {
      await r.stop();
    }
  });

  it('Delete propagation: isakmpctl teardown removes the SAs on charon', async function () {
    const r0 = row('delete-from-oakley', 'initiator');
    const r = await establish(lab, pair, r0);
    try {
      const t = await r.o.ctl(['teardown', pair.left.outer]);
      assert.equal(t.code, 0, t.stderr + t.stdout);
      await r.c.waitGone('gw', 15_000);
      await r.c.waitLog(/received DELETE for (ESP CHILD_SA|IKE_SA)/);
      await r.o.waitNoSas();
    } finally {
      await r.stop();
    }
  });

  it('NAT-T: both float to UDP 4500 and agree on UDP-encapsulated tunnel mode; ESP-in-UDP carries a ping', async function () {
    const r0 = row('natt-float', 'responder');
    const r = await establish(lab, pair, r0, { oakley: { tun: 'oakt0' } });
    try {
      await assertAgreement(r, pair, r0);
      assert.equal(r.swan.localPort, '4500');
      assert.equal(r.swan.remotePort, '4500');
      assert.equal(r.swan.children[0]!.encap, true, 'charon: UDP encapsulation');
      const st = await r.o.showSaCli();
      assert.equal(st.isakmp[0]!.local, `${pair.right.outer}:4500`);
      assert.equal(st.isakmp[0]!.remote, `${pair.left.outer}:4500`);
      assert.ok(st.isakmp[0]!.nat && st.isakmp[0]!.nat !== 'none', `oakley NAT state ${String(st.isakmp[0]!.nat)}`);
      assert.equal(st.ipsec[0]!.encap, 'udp 4500/4500');
      assert.equal(st.ipsec[0]!.mode, 'tunnel');
      const cap = await lab.capture(pair.right, path.join(lab.dir, 'natt.pcap'), 'udp port 4500');
      assert.ok(await pair.left.ns.ping(pair.right.inner, { source: pair.left.inner, count: 2, timeoutS: 2 }));
      await cap.stop();
      const text = await run('tcpdump', ['-nn', '-r', path.join(lab.dir, 'natt.pcap')], { check: false });
      assert.match(text.stdout, /UDP-encap: ESP\(spi=0x/);
      assert.doesNotMatch(text.stdout, /ICMP echo/);
    } finally {
      await r.stop();
    }
  });

  it('a short CHILD_SA lifetime rekeys at least twice; traffic flows on the newest SA', async function () {
    const r0 = row('rekey', 'responder');
    const r = await establish(lab, pair, r0, {
      oakley: { tun: 'oakt1' },
      swanConn: { ike: BASE.ike, esp: BASE.esp, child: { rekey_time: '4s', life_time: '30s', rand_time: '0s' } },
    });
    try {
      const seen = new Set<string>([spiHex(r.p2.spiIn)]);
      const swanSpis = new Set<string>();
      await waitFor(
        async () => {
          for (const s of (await r.o.showSa()).ipsec) seen.add(spiHex(s.spiIn));
          for (const sa of await r.c.listSas()) for (const ch of sa.children) swanSpis.add(spiHex(ch.spiOut));
          return seen.size >= 3;
        },
        { what: 'three generations of IPsec SAs on oakley', timeoutMs: 25_000, intervalMs: 200 },
      );
      // every generation oakley saw is one charon negotiated
      for (const spi of seen) assert.ok(swanSpis.has(spi), `oakley SPI ${spi} unknown to charon (${[...swanSpis].join(',')})`);
      assert.ok((r.c.readLog().match(/CHILD_SA net\{\d+\} established/g) ?? []).length >= 3, 'charon: three CHILD_SAs established');
      // the ISAKMP SA stayed the same; the tunnel still works
      const st = await r.o.showSa();
      assert.equal(st.isakmp.filter((s) => s.state === 'ESTABLISHED').length, 1);
      assert.ok(await pair.left.ns.ping(pair.right.inner, { source: pair.left.inner, count: 2, timeoutS: 2 }));
      assert.ok(await pair.right.ns.ping(pair.left.inner, { source: pair.right.inner, count: 2, timeoutS: 2 }));
    } finally {
      await r.stop();
    }
  });

  it('a short lifetime proposed by oakley (LIFE_QUICK_MODE 8 s) makes oakley rekey at least twice', async function () {
    const r0 = row('rekey-oakley', 'initiator');
    const r = await establish(lab, pair, r0, {
      oakley: { tun: 'oakt3' },
      oakleySpec: { sections: { LIFE_QUICK_MODE: { LIFE_TYPE: 'SECONDS', LIFE_DURATION: '8' } } },
    });
    try {
      await r.c.waitLog(/received 8s lifetime/);
      const seen = new Set<string>([spiHex(r.p2.spiIn)]);
      await waitFor(
        async () => {
          for (const s of (await r.o.showSa()).ipsec) seen.add(spiHex(s.spiIn));
          return seen.size >= 3 && (r.o.readLog().match(/phase 2 done \(initiator\): connection net /g) ?? []).length >= 3;
        },
        { what: 'oakley to rekey twice', timeoutMs: 30_000, intervalMs: 200 },
      );
      // charon took each new Quick Mode as a rekey of the CHILD_SA, and the old SAs expire on oakley
      await r.c.waitLog(/detected rekeying of CHILD_SA net\{\d+\}[^]*detected rekeying of CHILD_SA net\{\d+\}/);
      await r.o.waitLog(/removed: lifetime expired/);
      // charon holds an installed CHILD_SA whose SPIs are the ones oakley uses now
      const now = await r.o.showSa();
      const newest = now.ipsec[now.ipsec.length - 1]!;
      const swan = await r.c.waitEstablished('gw', { child: 'net' });
      assert.ok(
        swan.children.some((ch) => ch.state === 'INSTALLED' && spiHex(ch.spiOut) === spiHex(newest.spiIn)),
        `charon children ${JSON.stringify(swan.children.map((ch) => [ch.state, ch.spiIn, ch.spiOut]))} vs oakley ${newest.spiIn}`,
      );
      assert.ok(await pair.right.ns.ping(pair.left.inner, { source: pair.right.inner, count: 2, timeoutS: 2 }));
    } finally {
      await r.stop();
    }
  });

  it('Phase 1 expiry (LIFE_MAIN_MODE 6 s): oakley builds a fresh ISAKMP SA for its next Quick Mode, traffic keeps flowing', async function () {
    const r0 = row('p1-expiry', 'initiator');
    const r = await establish(lab, pair, r0, {
      oakley: { tun: 'oakt4' },
      oakleySpec: { sections: { LIFE_MAIN_MODE: { LIFE_TYPE: 'SECONDS', LIFE_DURATION: '6' }, LIFE_QUICK_MODE: { LIFE_TYPE: 'SECONDS', LIFE_DURATION: '10' } } },
    });
    try {
      const cookies = new Set<string>([r.p1.icookie]);
      const spis = new Set<string>([spiHex(r.p2.spiIn)]);
      await waitFor(
        async () => {
          const st = await r.o.showSa();
          for (const s of st.isakmp) if (s.state === 'ESTABLISHED') cookies.add(s.icookie);
          for (const s of st.ipsec) spis.add(spiHex(s.spiIn));
          return cookies.size >= 2 && spis.size >= 2;
        },
        { what: 'a second ISAKMP SA and a second IPsec SA on oakley', timeoutMs: 30_000, intervalMs: 200 },
      );
      // charon agrees: its established IKE SA is one of oakley's, with an installed CHILD_SA
      const st = await r.o.showSa();
      const swan = await r.c.waitEstablished('gw', { child: 'net' });
      assert.ok(cookies.has(swan.initiatorSpi.toLowerCase()) || cookies.has(swan.initiatorSpi), `charon IKE SA ${swan.initiatorSpi} unknown to oakley`);
      const newest = st.ipsec[st.ipsec.length - 1]!;
      assert.ok(swan.children.some((ch) => spiHex(ch.spiOut) === spiHex(newest.spiIn)), 'charon holds the newest IPsec SA');
      assert.ok(await pair.right.ns.ping(pair.left.inner, { source: pair.right.inner, count: 2, timeoutS: 2 }));
      assert.ok(await pair.left.ns.ping(pair.right.inner, { source: pair.left.inner, count: 2, timeoutS: 2 }));
    } finally {
      await r.stop();
    }
  });

  it('Phase 1 reauthentication by charon (make-before-break, every 5 s): both hold the same ISAKMP SAs and the IPsec SA lives on', async function () {
    // Break-before-make would delete the old IKE SA first and send INITIAL-CONTACT in the new Main Mode,
    // which (RFC 2407 4.6.3.3, as isakmpd) makes oakley drop the IPsec SA that charon keeps: an IKEv1
    // ambiguity, not tested here. Make-before-break sends no INITIAL-CONTACT; charon keeps the older IKE SAs
    // (REKEYING) until they expire, so both sides list the same set of cookies.
    const r0 = row('p1-reauth', 'responder');
    const r = await establish(lab, pair, r0, {
      oakley: { tun: 'oakt7' },
      charon: { keyLog: false, charon: { make_before_break: true } },
      swanConn: { ike: BASE.ike, esp: BASE.esp, gw: { reauth_time: '5s', over_time: '60s', rand_time: '0s' } },
    });
    try {
      const first = r.p1.icookie.toLowerCase();
      const newer = await waitFor(
        async () => {
          const sas = await r.c.listSas();
          const swan = sas.find((sa) => sa.state === 'ESTABLISHED' && sa.initiatorSpi.toLowerCase() !== first);
          if (!swan) return undefined;
          const st = await r.o.showSa();
          const theirs = sas.map((sa) => sa.initiatorSpi.toLowerCase()).sort().join(',');
          const ours = st.isakmp.filter((x) => x.state === 'ESTABLISHED').map((x) => x.icookie.toLowerCase()).sort().join(',');
          return theirs === ours ? { swan, st } : undefined;
        },
        { what: 'a reauthenticated IKE SA, and the same ISAKMP SA cookies on charon and oakley', timeoutMs: 20_000, intervalMs: 200 },
      );
      // the IPsec SA negotiated under the first ISAKMP SA is still there on both sides and carries traffic
      assert.ok(newer.st.ipsec.some((q) => spiHex(q.spiIn) === spiHex(r.p2.spiIn)), `oakley kept IPsec SA ${r.p2.spiIn}: ${JSON.stringify(newer.st.ipsec)}`);
      const children = (await r.c.listSas()).flatMap((sa) => sa.children);
      assert.ok(children.some((c) => c.state === 'INSTALLED' && spiHex(c.spiOut) === spiHex(r.p2.spiIn)), 'charon still has the CHILD_SA');
      assert.doesNotMatch(r.o.readLog(), /INITIAL-CONTACT/);
      assert.ok(await pair.left.ns.ping(pair.right.inner, { source: pair.left.inner, count: 1, timeoutS: 3 }));
      assert.ok(await pair.right.ns.ping(pair.left.inner, { source: pair.right.inner, count: 1, timeoutS: 3 }));
    } finally {
      await r.stop();
    }
  });

  it('DPD (RFC 3706): oakley answers charon\'s R-U-THERE, and declares a killed charon dead', async function () {
    const r0 = row('dpd', 'responder');
    const r = await establish(lab, pair, r0, {
      swanConn: { ike: BASE.ike, esp: BASE.esp, gw: { dpd_delay: '1s' } },
      oakleySpec: { general: { 'DPD-check-interval': '2' } },
    });
    try {
      // charon sends R-U-THERE when idle and gets R-U-THERE-ACK back from oakley, twice
      await r.c.waitLog(/parsed INFORMATIONAL_V1 request \d+ \[ HASH N\(DPD_ACK\) \][^]*parsed INFORMATIONAL_V1 request \d+ \[ HASH N\(DPD_ACK\) \]/, 15_000);
      const st = await r.o.showSa();
      assert.equal(st.isakmp.length, 1);
      assert.equal(st.ipsec.length, 1);
      // charon dies without a word: oakley's own R-U-THEREs go unanswered and it removes the SAs
      process.kill(r.c.pid!, 'SIGKILL');
      await r.o.waitLog(/is dead \(no answer to DPD\)/, 60_000);
      await r.o.waitNoSas();
    } finally {
      await r.stop();
    }
  });

  it('traffic: ping both ways and TCP (iperf3, 3 s) both ways through the oakley <-> strongSwan tunnel', async function () {
    const r0 = row('traffic', 'initiator');
    const r = await establish(lab, pair, r0, { oakley: { tun: 'oakt2' } });
    try {
      await assertAgreement(r, pair, r0);
      assert.ok(await pair.left.ns.ping(pair.right.inner, { source: pair.left.inner, count: 3, timeoutS: 2 }), 'ping charon side -> oakley side');
      assert.ok(await pair.right.ns.ping(pair.left.inner, { source: pair.right.inner, count: 3, timeoutS: 2 }), 'ping oakley side -> charon side');
      // iperf3 server on the oakley side, client on the charon side: normal (charon -> oakley) then -R
      for (const reverse of [false, true]) {
        const server = lab.spawn(pair.right.ns, `iperf3-server-${reverse ? 'r' : 'f'}`, 'iperf3', ['-s', '-1', '-B', pair.right.inner, '-p', '5201']);
        await waitFor(async () => (await pair.right.ns.exec('ss', ['-ltn', 'sport = :5201'])).stdout.includes('5201'), { what: 'iperf3 server listening', timeoutMs: 5_000 });
        const args = ['-c', pair.right.inner, '-B', pair.left.inner, '-p', '5201', '-t', '3', '-J'];
        if (reverse) args.push('-R');
        const res = await pair.left.ns.exec('iperf3', args, { timeoutMs: 30_000, check: false });
        await server.stop();
        assert.equal(res.code, 0, res.stdout.slice(-800) + res.stderr);
        const j = JSON.parse(res.stdout) as { end: { sum_received: { bytes: number } } };
        assert.ok(j.end.sum_received.bytes > 100_000, `iperf3 ${reverse ? 'oakley -> charon' : 'charon -> oakley'} moved ${j.end.sum_received.bytes} bytes`);
      }
      // the bytes went through the negotiated SAs on both sides
      const st = await r.o.showSa();
      const counters = st.dataplane ?? [];
      const inbound = counters.find((d) => spiHex(d.spi) === spiHex(r.p2.spiIn));
      const outbound = counters.find((d) => spiHex(d.spi) === spiHex(r.p2.spiOut));
      assert.ok(inbound && inbound.packets > 100 && outbound && outbound.packets > 100, JSON.stringify(counters));
      const child = (await r.c.listSas())[0]!.children[0]!;
      assert.ok(child.packetsIn > 100 && child.packetsOut > 100, `charon counters ${child.packetsIn}/${child.packetsOut}`);
    } finally {
      await r.stop();
    }
  });

  for (const accept of [true, false]) {
    it(`KeyNote: the same strongSwan peer is ${accept ? 'accepted' : 'refused (NO-PROPOSAL-CHOSEN)'} by oakley's policy file alone`, async function () {
      const cond = accept ? 'esp_enc_alg == "aes"' : 'esp_enc_alg == "3des"';
      const policy =
        'KeyNote-Version: 2\n' +
        'Authorizer: "POLICY"\n' +
        `Licensees: "passphrase:${PSK}"\n` +
        `Conditions: app_domain == "IPsec policy" && esp_present == "yes" && ${cond} -> "true";\n`;
      const r0 = row(`keynote-${accept ? 'accept' : 'refuse'}`, 'responder');
      if (accept) {
        const r = await establish(lab, pair, r0, { oakley: { policy } });
        try {
          await assertAgreement(r, pair, r0);
        } finally {
          await r.stop();
        }
        return;
      }
      const c = lab.charon(pair.left.ns, 'c-keynote-refuse', { keyLog: false });
      const o = new Oakley(lab, pair.right, 'o-keynote-refuse', oakleyConf({
        local: pair.right.outer, remote: pair.left.outer, role: 'responder', transforms: BASE.transforms, suites: BASE.suites,
        localNet: pair.right.subnet, remoteNet: pair.left.subnet, psk: PSK,
      }), { policy });
      try {
        await c.start();
        await c.load(charonConn(pair.left, pair.right, { ike: BASE.ike, esp: BASE.esp }));
        await o.start();
        const init = await c.initiate('net', { check: false, timeoutS: 15 });
        assert.notEqual(init.code, 0, 'swanctl --initiate must fail');
        await c.waitLog(/received NO_PROPOSAL_CHOSEN error notify/);
        await o.waitLog(/policy refused/);
        // Phase 1 came up (the policy only decides Quick Mode); no IPsec SA on either side
        const st = await o.showSaCli();
        assert.equal(st.ipsec.length, 0);
        assert.equal(st.isakmp.filter((s) => s.state === 'ESTABLISHED').length, 1);
        const sas = await c.listSas();
        assert.ok(sas.every((sa) => sa.children.length === 0), JSON.stringify(sas.map((s) => s.children)));
      } finally {
        await o.stop();
        await c.stop();
      }
    });
  }

  it('KeyNote: one running oakley accepts charon, then refuses it after its policy file is changed and reloaded', async function () {
    const policy = (alg: string): string =>
      'KeyNote-Version: 2\n' +
      'Authorizer: "POLICY"\n' +
      `Licensees: "passphrase:${PSK}"\n` +
      `Conditions: app_domain == "IPsec policy" && esp_present == "yes" && esp_enc_alg == "${alg}" -> "true";\n`;
    const r0 = row('keynote-reload', 'responder');
    const r = await establish(lab, pair, r0, { oakley: { policy: policy('aes') } });
    try {
      await assertAgreement(r, pair, r0);
      // same daemon, same charon: only the policy file changes
      fs.writeFileSync(r.o.policyPath, policy('3des'));
      const rl = await r.o.ctl(['reload']);
      assert.equal(rl.code, 0, rl.stderr + rl.stdout);
      await r.c.terminateChild('net');
      await r.o.waitState('IPsec SA gone', (s) => s.ipsec.length === 0);
      const again = await r.c.initiate('net', { check: false, timeoutS: 10 });
      assert.notEqual(again.code, 0, 'the second Quick Mode must be refused');
      await r.c.waitLog(/received NO_PROPOSAL_CHOSEN error notify/);
      await r.o.waitLog(/policy refused/);
      const st = await r.o.showSaCli();
      assert.equal(st.ipsec.length, 0);
      assert.equal(st.isakmp.filter((s) => s.state === 'ESTABLISHED').length, 1, 'the ISAKMP SA is untouched');
    } finally {
      await r.stop();
    }
  });

  it('Main Mode RSA_SIG with certificates (test/fixtures/pki), both directions', async function () {
    for (const role of ['responder', 'initiator'] as const) {
      const tag = `rsa-${role}`;
      const dir = path.join(lab.dir, `${tag}-pki`);
      for (const d of ['ca', 'certs', 'crls']) fs.mkdirSync(path.join(dir, d), { recursive: true });
      fs.copyFileSync(fixturePath('pki', 'root.crt'), path.join(dir, 'ca', 'root.crt'));
      fs.copyFileSync(fixturePath('pki', 'east.crt'), path.join(dir, 'certs', 'east.crt'));
      fs.copyFileSync(fixturePath('pki', 'east.key'), path.join(dir, 'east.key'));
      fs.chmodSync(path.join(dir, 'east.key'), 0o600);
      const r0 = row(tag, role, {
        ike: 'aes128-sha256-modp2048',
        transforms: ['AES-128-SHA2-256-GRP14-RSA_SIG'],
        expect: { ...BASE.expect, hash: 'sha256', swanIke: { ...BASE.expect.swanIke, integ: 'HMAC_SHA2_256_128' } },
      });
      const c = lab.charon(pair.left.ns, `c-${tag}`, { keyLog: false });
      const sw = path.join(c.dir, 'swanctl');
      for (const d of ['x509', 'x509ca', 'private']) fs.mkdirSync(path.join(sw, d), { recursive: true });
      fs.copyFileSync(fixturePath('pki', 'root.crt'), path.join(sw, 'x509ca', 'root.crt'));
      fs.copyFileSync(fixturePath('pki', 'west.crt'), path.join(sw, 'x509', 'west.crt'));
      fs.copyFileSync(fixturePath('pki', 'west.key'), path.join(sw, 'private', 'west.key'));
      const r = await establish(lab, pair, { ...r0, ids: 'ipv4' }, {
        charon: { label: `charon-${tag}` },
        swanConn: { ike: r0.ike, esp: r0.esp, auth: 'pubkey', certs: 'west.crt', localId: 'west.example.test', remoteId: 'east.example.test' },
        oakleySpec: {
          psk: undefined,
          localId: { type: 'FQDN', name: 'east.example.test' },
          remoteId: { type: 'FQDN', name: 'west.example.test' },
          sections: {
            'X509-certificates': {
              'CA-directory': `${dir}/ca/`,
              'Cert-directory': `${dir}/certs/`,
              'CRL-directory': `${dir}/crls/`,
              'Private-key': `${dir}/east.key`,
            },
          },
        },
        reuseCharon: c,
      });
      try {
        const st = await r.o.showSaCli();
        const sa = st.isakmp.find((s) => s.state === 'ESTABLISHED')!;
        assert.equal(sa.role, role);
        assert.equal(sa.hash, 'sha256');
        const [ours, theirs] = role === 'initiator' ? [sa.idI, sa.idR] : [sa.idR, sa.idI];
        assert.match(String(ours), /east\.example\.test/);
        assert.match(String(theirs), /west\.example\.test/);
        assert.equal(r.swan.state, 'ESTABLISHED');
        await r.c.waitLog(/authentication of 'east\.example\.test' with RSA\w* successful/);
        const child = r.swan.children[0]!;
        assert.equal(spiHex(st.ipsec[0]!.spiIn), spiHex(child.spiOut));
      } finally {
        await r.stop();
      }
    }
  });

  it('RSA_SIG: a certificate from the trusted CA but for another identity (imposter.example.test) is refused', async function () {
    const tag = 'rsa-imposter';
    const dir = path.join(lab.dir, `${tag}-pki`);
    for (const d of ['ca', 'certs', 'crls']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.copyFileSync(fixturePath('pki', 'root.crt'), path.join(dir, 'ca', 'root.crt'));
    fs.copyFileSync(fixturePath('pki', 'east.crt'), path.join(dir, 'certs', 'east.crt'));
    fs.copyFileSync(fixturePath('pki', 'east.key'), path.join(dir, 'east.key'));
    fs.chmodSync(path.join(dir, 'east.key'), 0o600);
    const c = lab.charon(pair.left.ns, `c-${tag}`, { keyLog: false });
    const sw = path.join(c.dir, 'swanctl');
    for (const d of ['x509', 'x509ca', 'private']) fs.mkdirSync(path.join(sw, d), { recursive: true });
    fs.copyFileSync(fixturePath('pki', 'root.crt'), path.join(sw, 'x509ca', 'root.crt'));
    fs.copyFileSync(fixturePath('pki', 'imposter.crt'), path.join(sw, 'x509', 'imposter.crt'));
    fs.copyFileSync(fixturePath('pki', 'imposter.key'), path.join(sw, 'private', 'imposter.key'));
    const o = new Oakley(lab, pair.right, `o-${tag}`, oakleyConf({
      local: pair.right.outer, remote: pair.left.outer, role: 'responder',
      transforms: ['AES-128-SHA2-256-GRP14-RSA_SIG'], suites: BASE.suites, localNet: pair.right.subnet, remoteNet: pair.left.subnet,
      localId: { type: 'FQDN', name: 'east.example.test' }, remoteId: { type: 'FQDN', name: 'west.example.test' },
      sections: {
        'X509-certificates': { 'CA-directory': `${dir}/ca/`, 'Cert-directory': `${dir}/certs/`, 'CRL-directory': `${dir}/crls/`, 'Private-key': `${dir}/east.key` },
      },
    }));
    try {
      await c.start();
      await c.load(charonConn(pair.left, pair.right, {
        ike: 'aes128-sha256-modp2048', esp: BASE.esp, auth: 'pubkey', certs: 'imposter.crt', localId: 'imposter.example.test', remoteId: 'east.example.test',
        gw: { keyingtries: 1 },
      }));
      await o.start();
      const init = await c.initiate('net', { check: false, timeoutS: 5 });
      assert.notEqual(init.code, 0, 'swanctl --initiate must fail');
      await o.waitLog(/phase 1 .*failed|imposter\.example\.test|INVALID_ID|AUTHENTICATION_FAILED/);
      const st = await o.showSaCli();
      assert.equal(st.isakmp.filter((s) => s.state === 'ESTABLISHED').length, 0, JSON.stringify(st.isakmp));
      assert.equal(st.ipsec.length, 0);
      assert.doesNotMatch(c.readLog(), /IKE_SA gw\[\d+\] established/);
    } finally {
      await o.stop();
      await c.stop();
    }
  });
});
