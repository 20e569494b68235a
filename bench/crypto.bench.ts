// DH cost per group, the bound it puts on IKE handshakes, and the key schedule beside the HMAC it is made of.
// Two paths are compared: the registry's (node:crypto DiffieHellman/ECDH objects, what oakley uses) and
// crypto.diffieHellman() over KeyObjects. measureDhLimit() is the ceiling later handshake benchmarks are
// printed against: one handshake costs each side one key generation and one g^xy, so two of each in total.
import { createHmac, diffieHellman, generateKeyPairSync, getDiffieHellman, type KeyPairKeyObjectResult } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { dhGroupRow, generateKeyPair, groupAvailable } from '../src/crypto/dh-groups.js';
import { derivePhase1 } from '../src/crypto/keymat.js';
import { phase1Cipher } from '../src/crypto/phase1-ciphers.js';
import { unwrap } from '../src/crypto/errors.js';
import { rate } from './rate.js';


export interface DhFigures {
  group: number;
  name: string;
  generatePerSec: number;
  computePerSec: number;
  /** 1 / (2 generate + 2 compute) */
  handshakesPerSec: number;
}

/** Registry path: key generation and g^xy per second for a group, and the handshake bound they imply. */
export function measureDh(group: number, ms: number): DhFigures {
  const row = dhGroupRow(group);
  const peer = generateKeyPair(row).publicValue;
  const mine = generateKeyPair(row);
  const generatePerSec = rate(ms / 2, () => void generateKeyPair(row));
  const computePerSec = rate(ms / 2, () => void unwrap(mine.computeShared(peer)));
  const handshakesPerSec = 1 / (2 / generatePerSec + 2 / computePerSec);
  return { group, name: row.name, generatePerSec, computePerSec, handshakesPerSec };
}

/** Upper bound on IKE handshakes per second on one core set by DH alone for `group`, measured for ~`ms`. */
export function measureDhLimit(group: number, ms: number): number {
  return measureDh(group, ms).handshakesPerSec;
}

/** A fresh getDiffieHellman() object per key pair, OpenSSL choosing the exponent (MODP only). */
function measureGetDh(group: number, ms: number): { generatePerSec: number; computePerSec: number } | undefined {
  const row = dhGroupRow(group);
  if (row.kind !== 'modp') return undefined;
  const peer = getDiffieHellman(row.nodeGroup);
  const peerPub = peer.generateKeys();
  const mine = getDiffieHellman(row.nodeGroup);
  mine.generateKeys();
  const generatePerSec = rate(ms / 2, () => void getDiffieHellman(row.nodeGroup).generateKeys());
  const computePerSec = rate(ms / 2, () => void mine.computeSecret(peerPub));
  return { generatePerSec, computePerSec };
}

/** The same operations through KeyObjects and crypto.diffieHellman(). */
function measureKeyObjects(group: number, ms: number): { generatePerSec: number; computePerSec: number } {
  const row = dhGroupRow(group);
  // Node takes { group } for 'dh' key pairs; @types/node 20 does not list it, hence the loose signature.
  const keygen = generateKeyPairSync as unknown as (type: string, options: object) => KeyPairKeyObjectResult;
  const gen = (): KeyPairKeyObjectResult =>
    row.kind === 'modp' ? keygen('dh', { group: row.nodeGroup }) : keygen('ec', { namedCurve: row.curve });
  const a = gen();
  const b = gen();
  const generatePerSec = rate(ms / 2, () => void gen());
  const computePerSec = rate(ms / 2, () => void diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey }));
  return { generatePerSec, computePerSec };
}

const fmt = (x: number): string => (x >= 100 ? Math.round(x).toString() : x.toFixed(1)).padStart(8);

export async function bench(): Promise<void> {
  const ms = 400;
  console.log('DH per group, one core, ops/s.');
  console.log('  registry = one createDiffieHellman object per group + short exponent (MODP), ECDH objects (ECP): what oakley uses');
  console.log('  getDH    = a getDiffieHellman() object per key pair; keyobj = generateKeyPairSync + crypto.diffieHellman()');
  console.log('group        registry gen  compute |  getDH gen  compute | keyobj gen  compute | handshake bound/s (2 gen + 2 compute)');
  for (const id of [2, 5, 14, 15, 16, 19, 20, 21]) {
    const row = dhGroupRow(id);
    if (!groupAvailable(row)) continue;
    const r = measureDh(id, ms);
    const g = measureGetDh(id, ms);
    const k = measureKeyObjects(id, ms);
    const gs = g ? `${fmt(g.generatePerSec)} ${fmt(g.computePerSec)}` : '       -        -';
    console.log(`${row.name.padEnd(12)}  ${fmt(r.generatePerSec)} ${fmt(r.computePerSec)} |  ${gs} |  ${fmt(k.generatePerSec)} ${fmt(k.computePerSec)} | ${fmt(r.handshakesPerSec)}`);
    await new Promise((res) => setImmediate(res));
  }

  // The key schedule is a handful of HMACs: print it beside the HMAC rate it is built from.
  const rnd = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
  const inp = {
    hash: 2, cipher: unwrap(phase1Cipher(7, 128)), auth: 'psk' as const, psk: rnd(16, 1), gxy: rnd(256, 2), gxi: rnd(256, 3), gxr: rnd(256, 4),
    ckyI: rnd(8, 5), ckyR: rnd(8, 6), niB: rnd(32, 7), nrB: rnd(32, 8),
  };
  const derive = rate(ms, () => void unwrap(derivePhase1(inp)));
  const hmac = rate(ms, () => void createHmac('sha1', inp.psk).update(inp.gxy).update(inp.ckyI).update(inp.ckyR).digest());
  console.log(`derivePhase1 (SHA-1, AES-128, MODP-2048 sizes): ${fmt(derive)}/s   limit: one HMAC-SHA1 over g^xy ${fmt(hmac)}/s (derive = 4 such + 2 short)`);
}
