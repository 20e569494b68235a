// ISAKMP codec speed: decode + encode per second of a Main Mode message 1 (SA with two transforms
// and three vendor IDs) and of a decrypted Quick Mode message 1 body (HASH, SA, NONCE, two IDs).
// Printed beside what bounds an IKE handshake in the same run: a MODP-2048 Diffie-Hellman
// g^xy per second (node:crypto) and an AES-128-CBC decryption of the same Quick Mode body.
import { createDecipheriv, createDiffieHellmanGroup } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decodeMessage, decodePayloads, encodeMessage, encodePayloads } from '../src/isakmp/index.js';
import { buildConversation } from '../test/isakmp/exchange-builder.js';
import { rate } from './rate.js';


const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

export async function bench(): Promise<void> {
  const conv = buildConversation();
  const mm1 = conv[0]!.wire;
  const qm = conv.find((m) => m.exchange === 32)!;
  const qmBody = encodePayloads(qm.payloads);
  const qmFirst = qm.payloads[0]!.type;

  const mmRate = rate(1000, () => void encodeMessage(decodeMessage(mm1)));
  const qmRate = rate(1000, () => void encodePayloads(decodePayloads(qmFirst, qmBody, { decrypted: true })));

  // The limits, measured now on this machine.
  const dh = createDiffieHellmanGroup('modp14');
  dh.generateKeys();
  const peer = createDiffieHellmanGroup('modp14');
  peer.generateKeys();
  const peerPub = peer.getPublicKey();
  const dhRate = rate(1000, () => void dh.computeSecret(peerPub));
  const padded = new Uint8Array(Math.ceil(qmBody.length / 16) * 16);
  padded.set(qmBody);
  const key = new Uint8Array(16);
  const iv = new Uint8Array(16);
  const aesRate = rate(500, () => {
    const d = createDecipheriv('aes-128-cbc', key, iv);
    d.setAutoPadding(false);
    d.update(padded);
    d.final();
  });

  console.log(`Main Mode message 1 (${mm1.length} B) decode+encode: ${fmt(mmRate)}/s`);
  console.log(`Quick Mode message 1 body (${qmBody.length} B) decode+encode: ${fmt(qmRate)}/s`);
  console.log(`  limit: MODP-2048 g^xy (node:crypto): ${fmt(dhRate)}/s -> codec is ${fmt(mmRate / dhRate)}x faster than one DH`);
  console.log(`  limit: AES-128-CBC decrypt of the same body (fresh node:crypto decipher): ${fmt(aesRate)}/s -> codec/cipher ${(qmRate / aesRate).toFixed(2)}`);
}
