// Handshakes per second with a real responder over a veth link between two namespaces (root): the
// oakley engine as initiator (in its own process inside the left namespace, on UDP 500) runs Main Mode
// PSK (MODP 2048) + Quick Mode with PFS (MODP 2048), one handshake after another, each torn down with
// DELETEs before the next. Responders: strongSwan's charon, then oakley's own isakmpd, in the same run.
// Printed beside the DH-bound ceiling of the initiator's core (two key generations and two g^xy per
// handshake: measureDhLimit from bench/crypto.bench.ts).
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IkeEngine } from '../src/ike/engine.js';
import type { EngineConfig } from '../src/ike/config.js';
import { IkeAuthMethod as IkeAuth, IkeEncryption as IkeEncr, IkeHash } from '../src/isakmp/numbers.js';
import type { Effects, Endpoint } from '../src/ike/types.js';
import { measureDhLimit } from './crypto.bench.js';

const SECONDS = 4;
const PSK = 'oakley-handshake-bench-psk';

interface ChildResult {
  handshakes: number;
  seconds: number;
  failures: number;
}

function initiatorConfig(local: string, remote: string): EngineConfig {
  return {
    peers: [{
      name: 'p', address: { address: remote, port: 500 }, localAddress: local, psk: Buffer.from(PSK), exchange: 'main',
      transforms: [{ encr: IkeEncr.AES_CBC, keyLength: 128, hash: IkeHash.SHA, auth: IkeAuth.PRE_SHARED, group: 14, lifeSeconds: 3600 }],
    }],
    connections: [{
      name: 'c', peer: 'p',
      suites: [{ name: 's', transforms: [{ encr: 'aes-cbc', keyLength: 128, integ: 'hmac-sha1', mode: 'tunnel', pfsGroup: 14, lifeSeconds: 1200 }] }],
      localId: { type: 'IPV4_ADDR_SUBNET', network: '192.0.2.0', netmask: '255.255.255.0' },
      remoteId: { type: 'IPV4_ADDR_SUBNET', network: '198.51.100.0', netmask: '255.255.255.0' },
    }],
    phase1ByAddress: { [remote]: 'p' }, retransmits: 3, exchangeMaxTimeSec: 30,
  };
}

/** In the child, inside the left namespace: sequential handshakes for `seconds`. */
async function child(local: string, remote: string, seconds: number): Promise<ChildResult> {
  const me: Endpoint = { address: local, port: 500 };
  const engine = new IkeEngine({ config: initiatorConfig(local, remote), local: [me] });
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(500, local, r));
  let timer: NodeJS.Timeout | undefined;
  let onInstall: (() => void) | undefined;
  const apply = (fx: Effects): void => {
    for (const o of fx.send) sock.send(o.data, o.to.port, o.to.address);
    if (fx.install.some((c) => c.kind === 'add')) onInstall?.();
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (fx.nextTimer !== undefined) timer = setTimeout(() => apply(engine.tick(Date.now())), Math.max(0, fx.nextTimer - Date.now()));
  };
  sock.on('message', (msg, r) => apply(engine.receive(msg, { address: r.address, port: r.port }, me, Date.now())));
  let handshakes = 0;
  let failures = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000 && failures < 3) {
    const up = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 10_000);
      onInstall = () => {
        clearTimeout(t);
        resolve(true);
      };
    });
    apply(engine.command({ type: 'connect', name: 'c' }, Date.now()));
    if (await up) handshakes++;
    else failures++;
    apply(engine.command({ type: 'teardown', address: remote }, Date.now()));
  }
  const elapsed = (Date.now() - t0) / 1000;
  if (timer) clearTimeout(timer);
  await new Promise((r) => setTimeout(r, 100)); // let the last DELETEs leave
  sock.close();
  return { handshakes, seconds: elapsed, failures };
}

export async function bench(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('handshakes against charon: skipped, not root (needs network namespaces)');
    return;
  }
  const lab = await import('../test/interop/lab/index.js');
  const peer = await import('../test/interop/oakley-peer.js');
  for (const f of ['/usr/lib/ipsec/charon', '/usr/sbin/swanctl', peer.ISAKMPD_JS])
    if (!fs.existsSync(f)) {
      console.log(`handshakes against charon: skipped, ${f} missing`);
      return;
    }
  const self = fileURLToPath(import.meta.url);
  const l = await lab.Lab.create({ prefix: 'ohs' });
  try {
    const runInitiator = async (left: import('../test/interop/lab/index.js').Site, right: import('../test/interop/lab/index.js').Site): Promise<ChildResult | string> => {
      const r = await left.ns.exec(process.execPath, [self, '--child', left.outer, right.outer, String(SECONDS)], { check: false, timeoutMs: (SECONDS + 40) * 1000 });
      const line = r.stdout.split('\n').find((x) => x.startsWith('{'));
      return line ? (JSON.parse(line) as ChildResult) : `initiator failed: ${(r.stdout + r.stderr).slice(-300)}`;
    };
    // strongSwan charon as responder.
    const a = await l.sitePair();
    const charon = l.charon(a.right.ns, 'resp', { keyLog: false });
    await charon.start();
    await charon.load(peer.charonConn(a.right, a.left, { ike: 'aes128-sha1-modp2048', esp: 'aes128-sha1-modp2048', psk: PSK }));
    const vsCharon = await runInitiator(a.left, a.right);
    // oakley's isakmpd as responder.
    const b = await l.sitePair();
    const dir = path.join(l.dir, 'oak-resp');
    fs.mkdirSync(dir, { recursive: true });
    const conf = path.join(dir, 'isakmpd.conf');
    fs.writeFileSync(
      conf,
      peer.oakleyConf({
        local: b.right.outer, remote: b.left.outer, role: 'responder', transforms: ['AES-128-SHA-GRP14'], suites: ['QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'],
        localNet: b.right.subnet, remoteNet: b.left.subnet, psk: PSK,
      }),
      { mode: 0o600 },
    );
    l.spawn(b.right.ns, 'oak-resp', process.execPath, [
      peer.ISAKMPD_JS, '-d', '-K', '-c', conf, '-f', path.join(dir, 'fifo'), '-i', path.join(dir, 'pid'), '-R', path.join(dir, 'report'), '--control', path.join(dir, 'ctl.sock'),
    ]);
    await lab.waitFor(() => fs.existsSync(path.join(dir, 'ctl.sock')), { what: 'oakley responder', timeoutMs: 15_000, intervalMs: 100 });
    const vsOakley = await runInitiator(b.left, b.right);
    const dh = measureDhLimit(14, 1500);
    const rate = (r: ChildResult | string): number | undefined => (typeof r === 'string' ? undefined : r.handshakes / r.seconds);
    const show = (label: string, r: ChildResult | string): void =>
      console.log(`  ${label.padEnd(42)} ${typeof r === 'string' ? `(${r})` : `${(r.handshakes / r.seconds).toFixed(1).padStart(7)} handshakes/s (${r.handshakes} in ${r.seconds.toFixed(1)} s, ${r.failures} failed)`}`);
    console.log('Main Mode PSK + Quick Mode PFS (MODP 2048), oakley initiator, one handshake at a time, over veth:');
    show('responder strongSwan charon', vsCharon);
    show('responder oakley isakmpd', vsOakley);
    console.log(`  ${'DH-bound limit of the initiator core'.padEnd(42)} ${dh.toFixed(1).padStart(7)} handshakes/s (2 key generations + 2 g^xy each)`);
    const rc = rate(vsCharon);
    const ro = rate(vsOakley);
    if (rc && ro)
      console.log(
        `  vs charon / vs oakley: ${(rc / ro).toFixed(2)}; the oakley responder does ${(ro / rc).toFixed(2)}x charon's rate ` +
          `(target: not slower than charon: ${ro >= rc ? 'met' : 'not met'})`,
      );
    if (rc) console.log(`  vs charon / DH limit: ${((rc / dh) * 100).toFixed(0)} %`);
  } finally {
    await l.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  const [local, remote, seconds] = process.argv.slice(3);
  console.log(JSON.stringify(await child(local!, remote!, Number(seconds))));
}
