// ESP packets/s per core: our per-packet path (reused libcrypto EVP contexts through koffi) beside
// two ceilings measured in the same run: node:crypto with a fresh cipher object per packet, and
// OpenSSL's own `openssl speed -evp` loop with a reused context (cipher only, no ESP framing).
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { EspCrypto } from '../src/dataplane/esp.js';
import { evpProvider } from '../src/dataplane/evp.js';
import { nodeProvider, type CryptoProvider } from '../src/dataplane/provider.js';
import type { AuthAlg, EncAlg } from '../src/dataplane/api.js';
import { Spd } from '../src/dataplane/spd.js';

const SIZES = [64, 512, 1400];
const BUDGET_MS = 400;

function rate(fn: () => void): number {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(BUDGET_MS) * 1_000_000n;
  let t = t0;
  while (t < end && n < 5_000_000) {
    for (let i = 0; i < 64; i++) fn();
    n += 64;
    t = process.hrtime.bigint();
  }
  return (n * 1e9) / Number(t - t0);
}

function espRates(provider: CryptoProvider, enc: EncAlg, auth: AuthAlg, size: number): { enc: number; dec: number } {
  const ek = crypto.randomBytes(enc === 'aes-gcm-16' ? 20 : 16);
  const ak = auth === 'none' ? new Uint8Array(0) : crypto.randomBytes(20);
  const tx = new EspCrypto(provider, enc, ek, auth, ak, true, false);
  const rx = new EspCrypto(provider, enc, ek, auth, ak, false, false);
  const payload = crypto.randomBytes(size);
  const out = new Uint8Array(tx.size(size));
  let seq = 0;
  const n = tx.seal(0x1000, 0, 1, payload, 0, size, 4, out, 0);
  const sealed = out.slice(0, n);
  const work = new Uint8Array(n);
  const e = rate(() => void tx.seal(0x1000, 0, ++seq, payload, 0, size, 4, out, 0));
  const d = rate(() => {
    work.set(sealed);
    const r = rx.open(work, 0, n, 0);
    if (!r.ok) throw new Error(`bench: decrypt failed (${r.reason})`);
  });
  tx.free();
  rx.free();
  return { enc: e, dec: d };
}

function opensslSpeed(cipher: string, bytes: number): number | undefined {
  try {
    const out = execFileSync('openssl', ['speed', '-evp', cipher, '-bytes', String(bytes), '-seconds', '1'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    const line = out.split('\n').find((l) => l.trim().toLowerCase().startsWith(cipher));
    const kb = line ? Number.parseFloat(line.trim().split(/\s+/).pop()!.replace(/k$/, '')) : NaN;
    return Number.isFinite(kb) ? (kb * 1000) / bytes : undefined;
  } catch {
    return undefined;
  }
}

const k = (v: number | undefined): string => (v === undefined ? 'n/a' : `${(v / 1000).toFixed(0)}k`);

/** SPD lookups/s at 100,000 flows, beside a linear scan over the same flows (what the tables avoid). */
function spdBench(): void {
  const spd = new Spd();
  const n = 100_000;
  const nets: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    spd.add({ selector: { src: `198.18.${(i >> 8) & 0xff}.${i & 0xff}/32`, dst: `198.19.${(i >> 8) & 0xff}.0/24` }, direction: 'out', type: 'require' });
    nets.push([(198 << 24) | (18 << 16) | (i & 0xffff), (198 << 24) | (19 << 16) | ((i >> 8) & 0xff) << 8]);
  }
  const pkt = new Uint8Array(8);
  let x = 0;
  const lookup = rate(() => {
    x = (x + 7919) & 0xffff;
    pkt[0] = 198;
    pkt[1] = 18;
    pkt[2] = x >> 8;
    pkt[3] = x & 0xff;
    pkt[4] = 198;
    pkt[5] = 19;
    pkt[6] = x >> 8;
    pkt[7] = 1;
    if (!spd.lookup('out', pkt, 0, 4, 4, 1, 0, 0)) throw new Error('bench: SPD miss');
  });
  const linear = rate(() => {
    x = (x + 7919) & 0xffff;
    const s = ((198 << 24) | (18 << 16) | x) >>> 0;
    const d = ((198 << 24) | (19 << 16) | (x & 0xff00) | 1) >>> 0;
    let hit = -1;
    for (let i = 0; i < nets.length; i++) if (nets[i]![0] >>> 0 === s && (d & 0xffffff00) >>> 0 === nets[i]![1] >>> 0) hit = i;
    if (hit < 0) throw new Error('bench: linear miss');
  });
  console.log(`SPD with ${n} flows: ${k(lookup)} lookups/s  | linear scan of the same flows: ${(linear).toFixed(0)} lookups/s (x${(lookup / linear).toFixed(0)})`);
}

export async function bench(): Promise<void> {
  spdBench();
  const evp = evpProvider();
  console.log(`ESP per-packet crypto, packets/s on one core (payload size; ESP framing, padding and ICV included)`);
  console.log(`backend under test: ${evp ? 'libcrypto EVP via koffi, reused contexts' : 'node:crypto (libcrypto unavailable)'}`);
  for (const [label, enc, auth, sslName] of [
    ['AES-GCM-128', 'aes-gcm-16', 'none', 'aes-128-gcm'],
    ['AES-CBC-128/HMAC-SHA1-96', 'aes-cbc', 'hmac-sha1-96', 'aes-128-cbc'],
  ] as [string, EncAlg, AuthAlg, string][]) {
    for (const size of SIZES) {
      const ours = espRates(evp ?? nodeProvider, enc, auth, size);
      const fresh = espRates(nodeProvider, enc, auth, size);
      const cipherBytes = Math.ceil((size + 2) / 16) * 16;
      const ssl = opensslSpeed(sslName, cipherBytes);
      console.log(
        `${label.padEnd(25)} ${String(size).padStart(4)} B  encrypt ${k(ours.enc).padStart(6)}  decrypt ${k(ours.dec).padStart(6)}` +
          `  | fresh node:crypto enc ${k(fresh.enc).padStart(5)} dec ${k(fresh.dec).padStart(5)} (x${(ours.enc / fresh.enc).toFixed(2)} enc)` +
          `  | openssl speed -evp ${sslName} ${cipherBytes} B: ${k(ssl)} (ours = ${ssl ? ((100 * ours.enc) / ssl).toFixed(0) : '?'}%)`,
      );
    }
  }
  console.log('targets: encrypt >= 2.5x the fresh node:crypto path; stretch: 50% of openssl speed (its loop reuses one IV and skips the tag, so it is a ceiling, not a like-for-like ESP figure)');
}
