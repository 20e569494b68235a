// Re-makes the committed IKEv1 capture fixtures (test/fixtures/captures/<scenario>/) with the lab:
//   bash scripts/capture-fixtures.sh [scenario-name ...]
// For each scenario: capture.pcap, capture.tshark.json, charon-<role>.log (level 4), configs,
// keys.ikev1_decryption_table and keys.json (see test/fixtures/README.md).
import fs from 'node:fs';
import path from 'node:path';
import { Lab, type SitePair } from './lab.js';
import type { Charon } from './charon.js';
import type { Pluto } from './pluto.js';
import { waitFor } from './poll.js';
import { readPcap, classify } from './pcap.js';
import { tsharkJson } from './capture.js';
import { extractKeys, decryptionTable, type ScenarioMeta } from './extract.js';
import { PSK, SCENARIOS, type CaptureScenario } from './scenarios.js';
import { libreswanLabUnavailable, strongswanLabUnavailable } from './deps.js';
import type { ConfSection } from './conf.js';

const IKE = 'gw';
const CHILD = 'net';

function swanctlConf(s: CaptureScenario, me: { outer: string; subnet: string; id: string }, peer: { outer: string; subnet: string; id: string }): ConfSection {
  return {
    connections: {
      [IKE]: {
        version: 1,
        aggressive: s.exchange === 'aggressive',
        local_addrs: me.outer,
        remote_addrs: peer.outer,
        proposals: s.ike,
        dpd_delay: s.dpdDelay,
        local: { auth: 'psk', id: me.id },
        remote: { auth: 'psk', id: peer.id },
        children: {
          [CHILD]: { local_ts: me.subnet, remote_ts: peer.subnet, esp_proposals: s.esp },
        },
      },
    },
    secrets: { 'ike-lab': { 'id-a': me.id, 'id-b': peer.id, secret: `"${PSK}"` } },
  };
}

function ids(s: CaptureScenario, pair: SitePair): { initiator: string; responder: string } {
  return s.ids === 'address' ? { initiator: pair.left.outer, responder: pair.right.outer } : s.ids;
}

/** Messages of an exchange type seen so far in the capture file. */
function countIsakmp(file: string, pred: (exchangeType: number) => boolean): number {
  if (!fs.existsSync(file)) return 0;
  let n = 0;
  for (const p of readPcap(fs.readFileSync(file))) {
    const c = classify(p);
    if (c.kind === 'isakmp' && c.isakmp && c.isakmp.length >= 28 && pred(c.isakmp[18]!)) n++;
  }
  return n;
}

function countEsp(file: string): number {
  if (!fs.existsSync(file)) return 0;
  return readPcap(fs.readFileSync(file)).filter((p) => {
    const k = classify(p).kind;
    return k === 'esp' || k === 'esp-in-udp';
  }).length;
}

/** Keeps the parts of tshark's JSON a decoder test compares against: addresses, ports and the ISAKMP/ESP layers. */
function slimTshark(frames: unknown[]): unknown[] {
  return frames.map((f) => {
    const layers = (f as { _source: { layers: Record<string, Record<string, unknown>> } })._source.layers;
    const out: Record<string, unknown> = {
      frame: layers['frame']?.['frame.number'],
      time_relative: layers['frame']?.['frame.time_relative'],
      src: layers['ip']?.['ip.src'],
      dst: layers['ip']?.['ip.dst'],
      srcport: layers['udp']?.['udp.srcport'],
      dstport: layers['udp']?.['udp.dstport'],
    };
    for (const k of ['udpencap', 'isakmp', 'esp']) if (layers[k] !== undefined) out[k] = layers[k];
    return out;
  });
}

async function runScenario(s: CaptureScenario, outRoot: string): Promise<void> {
  const started = Date.now();
  const lab = await Lab.create({ prefix: 'ocap' });
  try {
    const pair = await lab.sitePair();
    const id = ids(s, pair);
    const capFile = path.join(lab.dir, 'capture.pcap');
    const initiator = lab.charon(pair.left.ns, 'initiator');
    await initiator.start();
    let responderCharon: Charon | undefined;
    let pluto: Pluto | undefined;
    if (s.responder === 'charon') {
      responderCharon = lab.charon(pair.right.ns, 'responder', { aggressivePsk: true });
      await responderCharon.start();
      await responderCharon.load(swanctlConf(s, { outer: pair.right.outer, subnet: pair.right.subnet, id: id.responder }, { outer: pair.left.outer, subnet: pair.left.subnet, id: id.initiator }));
    } else {
      pluto = lab.pluto(pair.right.ns, 'responder');
      const fq = s.ids !== 'address';
      pluto.configure(
        {
          [IKE]: {
            ikev2: 'no',
            authby: 'secret',
            left: pair.right.outer,
            leftid: fq ? `@${id.responder}` : pair.right.outer,
            leftsubnet: pair.right.subnet,
            right: pair.left.outer,
            rightid: fq ? `@${id.initiator}` : pair.left.outer,
            rightsubnet: pair.left.subnet,
            ike: s.plutoIke!,
            phase2alg: s.plutoEsp!,
            aggressive: s.exchange === 'aggressive' ? 'yes' : 'no',
            auto: 'add',
          },
        },
        `${fq ? '@' + id.responder : pair.right.outer} ${fq ? '@' + id.initiator : pair.left.outer} : PSK "${PSK}"`,
      );
      await pluto.start();
    }
    await initiator.load(swanctlConf(s, { outer: pair.left.outer, subnet: pair.left.subnet, id: id.initiator }, { outer: pair.right.outer, subnet: pair.right.subnet, id: id.responder }));
    const capture = await lab.capture(pair.left, capFile);

    if (s.phase1Only) {
      // Phase 1 alone first, then one Quick Mode attempt; the capture stops as soon as pluto has reacted,
      // before charon's retries start a second IKE SA.
      await initiator.initiateIke(IKE, { timeoutS: 15, check: false });
      await initiator.waitEstablished(IKE, { timeoutMs: 20_000 });
      void initiator.initiate(CHILD, { timeoutS: 5, check: false });
      await waitFor(() => countIsakmp(capFile, (t) => t === 32) >= 1 && /STATE_QUICK_R0|Quick Mode/.test(pluto!.readLog()), {
        what: 'a Quick Mode attempt in the capture and in the pluto log',
        timeoutMs: 10_000,
      });
      // pluto fails the Quick Mode internally and stays silent; end the exchange with a Delete from charon.
      await initiator.terminateIke(IKE, { check: false });
      await waitFor(() => countIsakmp(capFile, (t) => t === 5) >= 1, { what: 'Informational Delete in the capture', timeoutMs: 10_000 });
      await pluto!.waitLog(/received Delete SA payload/, 10_000).catch(() => undefined);
    } else {
      await initiator.initiate(CHILD, { timeoutS: 20 });
      await initiator.waitEstablished(IKE, { child: CHILD });
      await responderCharon!.waitEstablished(IKE, { child: CHILD });
      if (s.ping) {
        const count = s.terminate ? 3 : 10;
        const ok = await pair.left.ns.ping(pair.right.inner, { source: pair.left.inner, count, timeoutS: 2 });
        if (!ok) throw new Error(`${s.name}: ping through the tunnel failed`);
        await waitFor(() => countEsp(capFile) >= 2 * count, { what: 'ESP packets in the capture', timeoutMs: 10_000 });
      }
      if (s.dpdDelay) {
        // R-U-THERE and its ACK: notify types 36136 / 36137 inside encrypted Informational exchanges.
        await initiator.waitLog(/parsed INFORMATIONAL_V1 request \d+ \[ HASH N\(DPD_ACK\) \]/, 15_000);
        await waitFor(() => countIsakmp(capFile, (t) => t === 5) >= 4, { what: 'DPD exchanges in the capture', timeoutMs: 10_000 });
      }
      if (s.terminate) {
        const before = countIsakmp(capFile, (t) => t === 5);
        await initiator.terminateIke(IKE);
        await initiator.waitGone(IKE);
        await responderCharon!.waitGone(IKE);
        await waitFor(() => countIsakmp(capFile, (t) => t === 5) >= before + 2, { what: 'Informational Delete messages in the capture', timeoutMs: 10_000 });
      }
      await initiator.waitKeyLog(/integrity responder key/);
    }
    await capture.stop();
    await initiator.stop();
    await responderCharon?.stop();
    await pluto?.stop();

    // Collect the files.
    const out = path.join(outRoot, s.name);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    fs.copyFileSync(capFile, path.join(out, 'capture.pcap'));
    const logs: { initiator?: string; responder?: string } = {};
    logs.initiator = fs.readFileSync(initiator.keyLogPath, 'utf8');
    fs.writeFileSync(path.join(out, 'charon-initiator.txt'), logs.initiator);
    fs.copyFileSync(initiator.confPath, path.join(out, 'initiator.strongswan.conf'));
    fs.copyFileSync(path.join(initiator.dir, 'swanctl', 'swanctl.conf'), path.join(out, 'initiator.swanctl.conf'));
    if (responderCharon) {
      logs.responder = fs.readFileSync(responderCharon.keyLogPath, 'utf8');
      fs.writeFileSync(path.join(out, 'charon-responder.txt'), logs.responder);
      fs.copyFileSync(responderCharon.confPath, path.join(out, 'responder.strongswan.conf'));
      fs.copyFileSync(path.join(responderCharon.dir, 'swanctl', 'swanctl.conf'), path.join(out, 'responder.swanctl.conf'));
    }
    if (pluto) {
      fs.copyFileSync(pluto.logPath, path.join(out, 'pluto-responder.txt'));
      fs.copyFileSync(pluto.confPath, path.join(out, 'responder.ipsec.conf'));
      fs.copyFileSync(pluto.secretsPath, path.join(out, 'responder.ipsec.secrets'));
    }
    const meta: ScenarioMeta = {
      name: s.name,
      description: s.description,
      exchange: s.exchange,
      psk: PSK,
      initiator: { implementation: 'strongSwan 5.9.8 (charon, kernel-libipsec)', address: pair.left.outer, id: id.initiator, log: 'charon-initiator.txt' },
      responder:
        s.responder === 'charon'
          ? { implementation: 'strongSwan 5.9.8 (charon, kernel-libipsec)', address: pair.right.outer, id: id.responder, log: 'charon-responder.txt' }
          : { implementation: 'Libreswan 4.10 (pluto)', address: pair.right.outer, id: id.responder },
      ikeProposal: s.ike,
      espProposal: s.esp,
      notes: s.notes,
    };
    fs.writeFileSync(path.join(out, 'scenario.json'), JSON.stringify(meta, null, 1) + '\n');
    await extractFixture(out);
    console.log(`  ${s.name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await lab.close();
  }
}

/** (Re)builds keys.json, the decryption table and the tshark JSON from a fixture directory's raw files. */
export async function extractFixture(dir: string): Promise<Record<string, unknown>> {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8')) as ScenarioMeta;
  const read = (f: string): string | undefined => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined);
  const keys = extractKeys({
    meta,
    pcap: fs.readFileSync(path.join(dir, 'capture.pcap')),
    logs: { initiator: read('charon-initiator.txt'), responder: read('charon-responder.txt') },
  });
  fs.writeFileSync(path.join(dir, 'keys.json'), JSON.stringify(keys, null, 1) + '\n');
  const table = decryptionTable(keys);
  fs.writeFileSync(path.join(dir, 'keys.ikev1_decryption_table'), table);
  const decrypt = table
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [icookie, key] = l.split(',') as [string, string];
      return { icookie, key };
    });
  const frames = await tsharkJson(path.join(dir, 'capture.pcap'), { decrypt });
  fs.writeFileSync(path.join(dir, 'capture.tshark.json'), JSON.stringify(slimTshark(frames), null, 1) + '\n');
  const failed = (keys['checks'] as Array<{ what: string; ok: boolean }>).filter((c) => !c.ok);
  for (const f of failed) console.warn(`  ${meta.name}: check failed: ${f.what}`);
  return keys;
}

async function main(argv: string[]): Promise<number> {
  const outRoot = process.env['OAKLEY_CAPTURE_DIR'] ?? path.resolve('test/fixtures/captures');
  if (argv[0] === '--extract-only') {
    const names = argv.slice(1).length ? argv.slice(1) : fs.readdirSync(outRoot).filter((d) => fs.existsSync(path.join(outRoot, d, 'scenario.json')));
    for (const n of names) {
      await extractFixture(fs.existsSync(n) && fs.statSync(n).isDirectory() ? n : path.join(outRoot, n));
      console.log(`  ${n}: re-extracted`);
    }
    return 0;
  }
  const wanted = argv.length ? SCENARIOS.filter((s) => argv.includes(s.name)) : SCENARIOS;
  if (argv.length && wanted.length !== argv.length) {
    console.error(`unknown scenario; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  let failures = 0;
  for (const s of wanted) {
    const why = s.responder === 'pluto' ? libreswanLabUnavailable() : strongswanLabUnavailable();
    if (why) {
      console.error(`  ${s.name}: ${why}`);
      failures++;
      continue;
    }
    try {
      await runScenario(s, outRoot);
    } catch (err) {
      failures++;
      console.error(`  ${s.name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failures ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
