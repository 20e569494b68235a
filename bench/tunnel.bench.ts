// TCP throughput through a tunnel (root): two network namespaces joined by a veth link, iperf3 -t 5
// from 192.0.2.1 to 198.51.100.1 through (a) oakley <-> oakley, isakmpd --tun with the userspace ESP
// data plane (PSK; ESP AES-256-CBC/HMAC-SHA2-256 and AES-128-GCM), and (b) strongSwan <-> strongSwan
// with its userspace ESP (kernel-libipsec, ESP-in-UDP), same algorithms, measured in the same run. Also
// the bare veth link as the ceiling of this machine. Target: oakley at 5x strongSwan's userspace ESP.
// OAKLEY_BENCH_PROF=DIR writes a --cpu-prof profile of every oakley daemon into DIR. The default-MTU
// AES-256-CBC case also runs with TUN offloads and recvmmsg turned off, for their gain in the same run,
// and as ESP-in-UDP (Force-encapsulation, no NAT) with UDP GSO on and off (OAKLEY_UDP_GSO=0).
import fs from 'node:fs';
import path from 'node:path';
import { Lab, run, type Site } from '../test/interop/lab/index.js';
import { oakleyConf, charonConn, charonUp, PSK, ISAKMPD_JS } from '../test/interop/oakley-peer.js';

const SECONDS = 5;
const TARGET = 5;

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (needs network namespaces and /dev/net/tun)';
  for (const f of ['/usr/bin/iperf3', '/usr/lib/ipsec/charon', '/usr/sbin/swanctl', '/dev/net/tun', ISAKMPD_JS])
    if (!fs.existsSync(f)) return `${f} missing (bash scripts/interop-deps.sh; build first)`;
  return undefined;
}

/** iperf3 TCP from left.inner to right.inner; bits per second received, or an error text. */
async function iperf(lab: Lab, left: Site, right: Site, label: string): Promise<number | string> {
  const server = lab.spawn(right.ns, `${label}-iperf3-s`, 'iperf3', ['-s', '-1', '-B', right.inner]);
  try {
    // The server needs a moment to listen; the client retries its connection.
    for (let attempt = 0; attempt < 20; attempt++) {
      const r = await left.ns.exec('iperf3', ['-c', right.inner, '-B', left.inner, '-t', String(SECONDS), '-J', '--connect-timeout', '2000'], {
        check: false,
        timeoutMs: (SECONDS + 20) * 1000,
      });
      let j: { error?: string; end?: { sum_received?: { bits_per_second: number } } } = {};
      try {
        j = JSON.parse(r.stdout) as typeof j;
      } catch {
        j = { error: (r.stdout + r.stderr).slice(-300) };
      }
      const bps = j.end?.sum_received?.bits_per_second;
      if (r.code === 0 && bps !== undefined) return bps;
      if (!/connect|refused/i.test(j.error ?? '')) return `iperf3: ${j.error ?? 'no result'}`;
      await new Promise((res) => setTimeout(res, 250));
    }
    return 'iperf3 could not connect';
  } finally {
    await server.stop('SIGTERM', 1000);
  }
}

async function waitPing(site: Site, dest: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await site.ns.ping(dest, { source: site.inner, count: 1, timeoutS: 1 })) return true;
  }
  return false;
}

let runs = 0;

/** Node flags for the daemons: OAKLEY_BENCH_PROF=DIR profiles both with --cpu-prof into DIR. */
function nodeFlags(): string[] {
  const dir = process.env['OAKLEY_BENCH_PROF'];
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

async function oakleyPair(
  lab: Lab, suite: string, tunMtu?: number, extraArgs: string[] = [], env?: NodeJS.ProcessEnv, forceEncapsulation = false,
): Promise<number | string> {
  const { left, right } = await lab.sitePair();
  runs++;
  const start = (me: Site, them: Site, role: 'initiator' | 'responder'): void => {
    const name = `oak${runs}-${role}`;
    const dir = path.join(lab.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    const conf = path.join(dir, 'isakmpd.conf');
    fs.writeFileSync(
      conf,
      oakleyConf({ local: me.outer, remote: them.outer, role, transforms: ['AES-128-SHA-GRP14'], suites: [suite], localNet: me.subnet, remoteNet: them.subnet, psk: PSK, forceEncapsulation }),
      { mode: 0o600 },
    );
    const args = [
      ...nodeFlags(), ISAKMPD_JS, '-d', '-K', '-c', conf, '-f', path.join(dir, 'fifo'), '-i', path.join(dir, 'pid'),
      '-R', path.join(dir, 'report'), '--control', path.join(dir, 'ctl.sock'), '--tun', 'oak0', ...extraArgs,
    ];
    lab.spawn(me.ns, name, process.execPath, args, env ? { env: { ...process.env, ...env } } : {});
  };
  start(right, left, 'responder');
  start(left, right, 'initiator');
  if (!(await waitPing(left, right.inner, 30_000))) return 'no ping through the oakley tunnel';
  if (tunMtu) for (const s of [left, right]) await s.ns.ip(['link', 'set', 'oak0', 'mtu', String(tunMtu)]);
  return iperf(lab, left, right, 'oak');
}

async function strongswanPair(lab: Lab, esp: string): Promise<number | string> {
  const { left, right } = await lab.sitePair();
  runs++;
  const a = lab.charon(left.ns, `ss${runs}-l`, { keyLog: false });
  const b = lab.charon(right.ns, `ss${runs}-r`, { keyLog: false });
  await Promise.all([a.start(), b.start()]);
  const o = { ike: 'aes128-sha1-modp2048', esp };
  await a.load(charonConn(left, right, o));
  await b.load(charonConn(right, left, o));
  await a.swanctl(['--initiate', '--child', 'net'], { timeoutMs: 20_000 });
  await charonUp(a);
  if (!(await waitPing(left, right.inner, 10_000))) return 'no ping through the strongSwan tunnel';
  return iperf(lab, left, right, 'ss');
}

async function bareLink(lab: Lab): Promise<number | string> {
  const { left, right } = await lab.sitePair();
  await left.ns.addRoute(right.subnet, right.outer);
  await right.ns.addRoute(left.subnet, left.outer);
  return iperf(lab, left, right, 'bare');
}

const JUMBO_MTU = 16000;

const mbit = (v: number | string): string => (typeof v === 'number' ? `${(v / 1e6).toFixed(0).padStart(6)} Mbit/s` : `(${v})`);

export async function bench(): Promise<void> {
  const why = unavailable();
  if (why) {
    console.log(`tunnel throughput: skipped, ${why}`);
    return;
  }
  const lab = await Lab.create({ prefix: 'otp' });
  try {
    const results: [string, number | string][] = [];
    // OAKLEY_BENCH_ONLY=text runs only the cases whose label contains it (profiling one case).
    const only = process.env['OAKLEY_BENCH_ONLY'];
    const attempt = async (label: string, f: () => Promise<number | string>): Promise<number | string> => {
      if (only && !label.includes(only)) return 'not run (OAKLEY_BENCH_ONLY)';
      let v: number | string;
      try {
        v = await f();
      } catch (e) {
        v = (e as Error).message.split('\n')[0]!;
      }
      results.push([label, v]);
      return v;
    };
    const bare = await attempt('veth link, no IPsec (ceiling of this machine)', () => bareLink(lab));
    const ratio = (o: number | string, ss: number | string): string =>
      typeof o === 'number' && typeof ss === 'number' ? `${(o / ss).toFixed(2)}x (target ${TARGET}x: ${o / ss >= TARGET ? 'met' : 'not met'})` : 'n/a';
    const cbc = 'QM-ESP-AES-256-SHA2-256-PFS-GRP14-SUITE';
    const ssCbc = await attempt('strongSwan <-> strongSwan, kernel-libipsec, AES-256-CBC/HMAC-SHA2-256', () => strongswanPair(lab, 'aes256-sha256-modp2048'));
    // The daemon's default TUN MTU (1400): every TCP segment becomes one wire-sized ESP packet.
    const oakCbc = await attempt('oakley <-> oakley, --tun, default TUN MTU 1400, AES-256-CBC/HMAC-SHA2-256', () => oakleyPair(lab, cbc));
    // The same without TUN offloads (segmentation/coalescing) and recvmmsg: one kernel call per packet.
    const plainIo = { OAKLEY_TUN_OFFLOAD: '0', OAKLEY_RECVMMSG: '0' };
    const oakCbcPlain = await attempt('oakley <-> oakley, --tun, TUN MTU 1400, offloads off, AES-256-CBC/HMAC-SHA2-256', () => oakleyPair(lab, cbc, undefined, [], plainIo));
    // ESP in UDP on port 4500 without a NAT (Force-encapsulation on the initiator): sent with UDP GSO,
    // a burst of equal-size datagrams to the peer as one sendmsg; and the same with GSO off.
    const oakUdp = await attempt('oakley <-> oakley, --tun, default TUN MTU 1400, ESP-in-UDP (Force-encapsulation), AES-256-CBC/HMAC-SHA2-256', () =>
      oakleyPair(lab, cbc, undefined, [], undefined, true));
    const oakUdpPlain = await attempt('oakley <-> oakley, --tun, TUN MTU 1400, ESP-in-UDP, GSO off (OAKLEY_UDP_GSO=0), AES-256-CBC/HMAC-SHA2-256', () =>
      oakleyPair(lab, cbc, undefined, [], { OAKLEY_UDP_GSO: '0' }, true));
    // The opt-in jumbo TUN MTU ([General] Tun-MTU): one seal per large segment, outer IPv4 fragmented.
    const oakCbcJumbo = await attempt(`oakley <-> oakley, --tun, TUN MTU ${JUMBO_MTU} (opt-in), AES-256-CBC/HMAC-SHA2-256`, () => oakleyPair(lab, cbc, JUMBO_MTU));
    const ssGcm = await attempt('strongSwan <-> strongSwan, kernel-libipsec, AES-128-GCM-16', () => strongswanPair(lab, 'aes128gcm16-modp2048'));
    const oakGcm = await attempt('oakley <-> oakley, --tun, default TUN MTU 1400, AES-128-GCM-16', () => oakleyPair(lab, 'QM-ESP-AESGCM-128-PFS-GRP14-SUITE'));
    const oakGcmJumbo = await attempt(`oakley <-> oakley, --tun, TUN MTU ${JUMBO_MTU} (opt-in), AES-128-GCM-16`, () => oakleyPair(lab, 'QM-ESP-AESGCM-128-PFS-GRP14-SUITE', JUMBO_MTU));
    console.log(`iperf3 TCP -t ${SECONDS}, 192.0.2.1 -> 198.51.100.1 through a tunnel between two namespaces:`);
    for (const [label, v] of results) console.log(`  ${label.padEnd(80)} ${mbit(v)}`);
    console.log(`  AES-256-CBC/HMAC-SHA2-256, oakley / strongSwan userspace ESP: ${ratio(oakCbc, ssCbc)}; with TUN MTU ${JUMBO_MTU}: ${ratio(oakCbcJumbo, ssCbc)}`);
    console.log(`  AES-128-GCM-16,            oakley / strongSwan userspace ESP: ${ratio(oakGcm, ssGcm)}; with TUN MTU ${JUMBO_MTU}: ${ratio(oakGcmJumbo, ssGcm)}`);
    console.log(`  AES-256-CBC/HMAC-SHA2-256, ESP-in-UDP with UDP GSO (Force-encapsulation), oakley / strongSwan userspace ESP: ${ratio(oakUdp, ssCbc)}`);
    console.log(`  AES-256-CBC/HMAC-SHA2-256, ESP-in-UDP with GSO off (OAKLEY_UDP_GSO=0): ${ratio(oakUdpPlain, ssCbc)}`);
    if (typeof oakUdp === 'number' && typeof oakUdpPlain === 'number') console.log(`  UDP GSO gain for ESP-in-UDP at TUN MTU 1400: ${(oakUdp / oakUdpPlain).toFixed(2)}x`);
    console.log(`  AES-256-CBC/HMAC-SHA2-256, TUN MTU 1400 with offloads off (OAKLEY_TUN_OFFLOAD=0 OAKLEY_RECVMMSG=0): ${ratio(oakCbcPlain, ssCbc)}`);
    if (typeof oakCbc === 'number' && typeof oakCbcPlain === 'number') console.log(`  TUN offloads + recvmmsg gain at TUN MTU 1400: ${(oakCbc / oakCbcPlain).toFixed(2)}x`);
    if (typeof oakCbc === 'number' && typeof bare === 'number') console.log(`  oakley AES-256-CBC / bare veth link: ${((oakCbc / bare) * 100).toFixed(1)} %`);
  } finally {
    await lab.close();
  }
}

// Allows `node dist-*/bench/tunnel.bench.js` alone, e.g. under --cpu-prof for the daemon's profile.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await bench();
