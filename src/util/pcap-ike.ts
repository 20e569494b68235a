// ISAKMP messages in a capture: find IKE on UDP 500 and on 4500 (after the non-ESP marker), decode
// every message, and, given Wireshark-style IKEv1 keys (initiator cookie -> encryption key Ka),
// decrypt the encrypted ones the way Wireshark does:
//   Phase 1 IV = HASH(g^xi | g^xr) truncated to the block size, then CBC-chained (the last
//   ciphertext block of each message is the next IV); Phase 2 / Informational IV for message ID M
//   = HASH(last Phase 1 IV | M), chained per message ID.
// The hash and cipher come from the SA payload the responder sent.
import { createDecipheriv, createHash } from 'node:crypto';
import {
  ExchangeType,
  Flags,
  IkeAttr,
  IkeEncryption,
  IkeHash,
  IsakmpError,
  PayloadType,
  FRAGMENT_LAST,
  classifyUdp4500,
  decodeMessage,
  decodePayloads,
  findPayload,
  findPayloads,
  hex,
  type FragmentPayload,
  type IsakmpMessage,
  type Payload,
} from '../isakmp/index.js';
import { extractUdp, readCapture, type CaptureFrame } from './pcap.js';

export const IKE_PORT = 500;
export const NATT_PORT = 4500;

export type CaptureEntry =
  | {
      kind: 'ike';
      frame: number;
      src: string;
      sport: number;
      dst: string;
      dport: number;
      message: IsakmpMessage;
      decrypted?: boolean;
      plaintext?: Uint8Array;
      decryptError?: string;
      /** set on a message put back together from IKE fragments: the frames that carried them */
      reassembledFrom?: number[];
    }
  | { kind: 'error'; frame: number; src: string; sport: number; dst: string; dport: number; error: IsakmpError | Error }
  | { kind: 'esp'; frame: number; src: string; sport: number; dst: string; dport: number; spi: number; seq: number }
  | { kind: 'keepalive'; frame: number; src: string; sport: number; dst: string; dport: number };

/** Parse a key table: lines "icookie,key" in hex, quotes and blank/# lines allowed. */
export function parseKeyTable(text: string): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#')) return;
    const parts = l.split(',').map((s) => s.trim().replace(/^"|"$/g, '').replace(/^0x/i, '').toLowerCase());
    const [ck, key] = parts;
    if (parts.length < 2 || !/^[0-9a-f]{16}$/.test(ck!) || !/^([0-9a-f]{2})+$/.test(key!))
      throw new Error(`key table line ${i + 1}: expected "initiator-cookie-hex,key-hex"`);
    keys.set(ck!, new Uint8Array(Buffer.from(key!, 'hex')));
  });
  return keys;
}

interface Phase1State {
  initiator?: string; // "addr:port" of the sender of message 1
  gxi?: Uint8Array;
  gxr?: Uint8Array;
  encAlg?: number;
  keyLength?: number;
  hashAlg?: number;
  /** current IV per message ID (0 = Phase 1) */
  ivs: Map<number, Uint8Array>;
  /** the IV chain state after the last Phase 1 message */
  phase1Iv?: Uint8Array;
  /** ciphertexts already decrypted (retransmissions do not advance the chain) */
  seen: Map<string, Uint8Array>;
}

const CIPHERS: Record<number, { block: number; name: (keyLen: number) => string }> = {
  [IkeEncryption.DES_CBC]: { block: 8, name: () => 'des-cbc' },
  [IkeEncryption['3DES_CBC']]: { block: 8, name: () => 'des-ede3-cbc' },
  [IkeEncryption.AES_CBC]: { block: 16, name: (k) => `aes-${k * 8}-cbc` },
  [IkeEncryption.BLOWFISH_CBC]: { block: 8, name: () => 'bf-cbc' },
  [IkeEncryption.CAST_CBC]: { block: 8, name: () => 'cast5-cbc' },
};
const HASHES: Record<number, string> = {
  [IkeHash.MD5]: 'md5',
  [IkeHash.SHA]: 'sha1',
  [IkeHash.SHA2_256]: 'sha256',
  [IkeHash.SHA2_384]: 'sha384',
  [IkeHash.SHA2_512]: 'sha512',
};

type Where = { frame: number; src: string; sport: number; dst: string; dport: number };

/**
 * IKE fragments (payload 132) carry pieces of a whole ISAKMP message, numbered from 1, the last
 * one flagged. Bounded: at most 32 pieces per message and 64 messages in progress.
 */
class Reassembly {
  private sets = new Map<string, { parts: Map<number, Uint8Array>; last?: number; frames: number[] }>();

  add(key: string, f: FragmentPayload, frame: number): { bytes: Uint8Array; frames: number[] } | undefined {
    let set = this.sets.get(key);
    if (!set) {
      if (this.sets.size >= 64) this.sets.delete(this.sets.keys().next().value!);
      this.sets.set(key, (set = { parts: new Map(), frames: [] }));
    }
    if (f.number > 32) return undefined;
    set.parts.set(f.number, f.data);
    set.frames.push(frame);
    if (f.flags & FRAGMENT_LAST) set.last = f.number;
    if (set.last === undefined) return undefined;
    const pieces: Uint8Array[] = [];
    for (let i = 1; i <= set.last; i++) {
      const p = set.parts.get(i);
      if (!p) return undefined;
      pieces.push(p);
    }
    this.sets.delete(key);
    return { bytes: new Uint8Array(Buffer.concat(pieces)), frames: set.frames };
  }
}

/** Walk a capture file and return every IKE-related entry in frame order. */
export function decodeCapture(file: Uint8Array, keys: Map<string, Uint8Array> = new Map()): CaptureEntry[] {
  return decodeFrames(readCapture(file), keys);
}

export function decodeFrames(frames: CaptureFrame[], keys: Map<string, Uint8Array> = new Map()): CaptureEntry[] {
  const out: CaptureEntry[] = [];
  const sas = new Map<string, Phase1State>();
  const fragments = new Reassembly();
  for (const f of frames) {
    const x = extractUdp(f);
    if ('skip' in x) continue;
    const u = x.udp;
    const where: Where = { frame: f.frame, src: u.src, sport: u.sport, dst: u.dst, dport: u.dport };
    let ike: Uint8Array;
    if (u.sport === NATT_PORT || u.dport === NATT_PORT) {
      const c = classifyUdp4500(u.payload);
      if (c.kind === 'keepalive') {
        out.push({ kind: 'keepalive', ...where });
        continue;
      }
      if (c.kind === 'esp') {
        out.push({ kind: 'esp', ...where, spi: c.spi, seq: c.seq });
        continue;
      }
      if (c.kind === 'invalid') {
        out.push({ kind: 'error', ...where, error: new Error(c.reason) });
        continue;
      }
      ike = c.ike;
    } else if (u.sport === IKE_PORT || u.dport === IKE_PORT) {
      ike = u.payload;
    } else continue;
    handle(ike, where);
  }
  return out;

  function handle(ike: Uint8Array, where: Where, reassembledFrom?: number[]): void {
    let message: IsakmpMessage;
    try {
      message = decodeMessage(ike);
    } catch (e) {
      out.push({ kind: 'error', ...where, error: e as IsakmpError });
      return;
    }
    const entry: CaptureEntry & { kind: 'ike' } = { kind: 'ike', ...where, message, ...(reassembledFrom ? { reassembledFrom } : {}) };
    const ck = hex(message.header.ispi);
    let st = sas.get(ck);
    if (!st) sas.set(ck, (st = { ivs: new Map(), seen: new Map() }));
    const from = `${where.src}:${where.sport}`;
    if (!st.initiator && message.header.rspi.every((b) => b === 0)) st.initiator = from;
    if (message.encrypted) {
      const key = keys.get(ck);
      if (key) {
        try {
          const plain = decrypt(st, message, key);
          entry.plaintext = plain;
          message.payloads = decodePayloads(message.header.nextPayload, plain, { decrypted: true, base: 28 });
          entry.decrypted = true;
        } catch (e) {
          entry.decryptError = e instanceof Error ? e.message : String(e);
        }
      }
    }
    learn(st, message.payloads, from, message.header.exchange);
    out.push(entry);
    if (reassembledFrom) return; // fragments inside a reassembled message are not reassembled again
    for (const f of findPayloads(message.payloads, PayloadType.FRAGMENT)) {
      const whole = fragments.add(`${ck}/${f.fragmentId}/${from}`, f, where.frame);
      if (whole) handle(whole.bytes, where, whole.frames);
    }
  }
}

function learn(st: Phase1State, payloads: Payload[], from: string, exchange: number): void {
  if (exchange !== ExchangeType.ID_PROT && exchange !== ExchangeType.AGGRESSIVE) return;
  const byInitiator = st.initiator === undefined || st.initiator === from;
  const ke = findPayload(payloads, PayloadType.KEY_EXCH);
  if (ke) {
    if (byInitiator) st.gxi ??= ke.data;
    else st.gxr ??= ke.data;
  }
  const sa = findPayload(payloads, PayloadType.SA);
  if (sa && !byInitiator) {
    const t = sa.proposals[0]?.transforms[0];
    if (t) {
      for (const a of t.attributes) {
        if (typeof a.value !== 'number') continue;
        if (a.type === IkeAttr.ENCRYPTION_ALGORITHM) st.encAlg = a.value;
        else if (a.type === IkeAttr.HASH_ALGORITHM) st.hashAlg = a.value;
        else if (a.type === IkeAttr.KEY_LENGTH) st.keyLength = a.value;
      }
    }
  }
}

function decrypt(st: Phase1State, msg: IsakmpMessage, key: Uint8Array): Uint8Array {
  const body = msg.encrypted!;
  const seenKey = hex(body);
  const cached = st.seen.get(seenKey);
  if (cached) return cached;
  if (st.encAlg === undefined || st.hashAlg === undefined) throw new Error('no responder SA seen for this exchange');
  const cipher = CIPHERS[st.encAlg];
  const hashName = HASHES[st.hashAlg];
  if (!cipher) throw new Error(`encryption algorithm ${st.encAlg} not supported for decryption`);
  if (!hashName) throw new Error(`hash algorithm ${st.hashAlg} not supported for decryption`);
  if (body.length === 0 || body.length % cipher.block !== 0) throw new Error(`encrypted body of ${body.length} bytes is not a multiple of the block size`);
  const mid = msg.header.messageId;
  let iv = st.ivs.get(mid);
  if (!iv) {
    if (mid === 0) {
      if (!st.gxi || !st.gxr) throw new Error('both KE payloads are needed for the Phase 1 IV');
      iv = createHash(hashName).update(st.gxi).update(st.gxr).digest().subarray(0, cipher.block);
    } else {
      const p1 = st.phase1Iv ?? st.ivs.get(0);
      if (!p1) throw new Error('no Phase 1 IV for this Phase 2 message');
      const m = Buffer.alloc(4);
      m.writeUInt32BE(mid);
      iv = createHash(hashName).update(p1).update(m).digest().subarray(0, cipher.block);
    }
  }
  const keyLen = st.encAlg === IkeEncryption.AES_CBC && st.keyLength ? st.keyLength / 8 : key.length;
  const d = createDecipheriv(cipher.name(keyLen), key.subarray(0, keyLen), iv);
  d.setAutoPadding(false);
  const plain = new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  const next = body.slice(body.length - cipher.block);
  st.ivs.set(mid, next);
  if (mid === 0) st.phase1Iv = next;
  st.seen.set(seenKey, plain);
  return plain;
}

export function isEncrypted(msg: IsakmpMessage): boolean {
  return (msg.header.flags & Flags.ENC) !== 0;
}
