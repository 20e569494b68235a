// Builds keys.json for a captured IKEv1 exchange from charon's level-4 key logs and the capture itself.
// Every IKE message is listed with its exact bytes; encrypted ones are also decrypted here (with the logged
// Ka and the IV chain of RFC 2409 appendix B / section 5.x) and the IVs so derived are checked against the
// IVs charon logged, so the fixture is self-consistent before anyone relies on it.
import crypto from 'node:crypto';
import { blocksNamed, parseCharonLog, type ParsedLog } from './keylog.js';
import { classify, readPcap } from './pcap.js';

export interface PeerMeta {
  implementation: string;
  address: string;
  id: string;
  /** Name of this peer's level-4 charon log in the fixture directory, when it is charon. */
  log?: string;
}

export interface ScenarioMeta {
  name: string;
  description: string;
  exchange: 'main' | 'aggressive';
  psk: string;
  initiator: PeerMeta;
  responder: PeerMeta;
  ikeProposal: string;
  espProposal?: string;
  notes?: string[];
}

const hex = (b: Buffer | undefined): string | undefined => b?.toString('hex');

const EXCHANGES: Record<number, string> = { 2: 'main', 4: 'aggressive', 5: 'informational', 6: 'transaction', 32: 'quick' };
const PAYLOAD_NAMES: Record<number, string> = {
  1: 'SA', 2: 'P', 3: 'T', 4: 'KE', 5: 'ID', 6: 'CERT', 7: 'CR', 8: 'HASH', 9: 'SIG', 10: 'NONCE', 11: 'N', 12: 'D', 13: 'VID',
  14: 'ATTR', 20: 'NAT-D', 21: 'NAT-OA', 130: 'NAT-D(draft)', 131: 'NAT-OA(draft)', 132: 'FRAG',
};

interface Payload {
  type: number;
  name: string;
  body: Buffer;
}

/** Walks a chain of generic payload headers (RFC 2408 3.2); stops at padding or a malformed length. */
function walkPayloads(first: number, data: Buffer): { payloads: Payload[]; rest: Buffer } {
  const payloads: Payload[] = [];
  let next = first;
  let off = 0;
  while (next !== 0 && off + 4 <= data.length) {
    const len = data.readUInt16BE(off + 2);
    if (len < 4 || off + len > data.length) break;
    payloads.push({ type: next, name: PAYLOAD_NAMES[next] ?? `#${next}`, body: data.subarray(off + 4, off + len) });
    next = data[off]!;
    off += len;
  }
  return { payloads, rest: data.subarray(off) };
}

function cipherFor(encr: string): { name: string; block: number; keyLen: number } {
  const aes = /^AES_CBC_(\d+)$/.exec(encr);
  if (aes) return { name: `aes-${aes[1]}-cbc`, block: 16, keyLen: Number(aes[1]) / 8 };
  if (encr === '3DES_CBC') return { name: 'des-ede3-cbc', block: 8, keyLen: 24 };
  throw new Error(`cipher ${encr} not supported by the extractor`);
}

function hashFor(prf: string): string {
  const map: Record<string, string> = {
    PRF_HMAC_MD5: 'md5',
    PRF_HMAC_SHA1: 'sha1',
    PRF_HMAC_SHA2_256: 'sha256',
    PRF_HMAC_SHA2_384: 'sha384',
    PRF_HMAC_SHA2_512: 'sha512',
  };
  const h = map[prf];
  if (!h) throw new Error(`PRF ${prf} not supported by the extractor`);
  return h;
}

function decryptCbc(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const d = crypto.createDecipheriv(cipher, key, iv);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

interface IvEntry {
  mid: number;
  midHex: string;
  iv: string;
  line: number;
}

function loggedIvs(log: ParsedLog): IvEntry[] {
  return blocksNamed(log, /^next IV for MID \d+$/).map((b) => {
    const mid = Number(/(\d+)$/.exec(b.label)![1]);
    return { mid, midHex: mid.toString(16).padStart(8, '0'), iv: b.bytes.toString('hex'), line: b.lineNo };
  });
}

const one = (log: ParsedLog, label: string): Buffer | undefined => blocksNamed(log, label)[0]?.bytes;

function selectedProposal(log: ParsedLog, kind: 'IKE' | 'ESP' | 'AH'): string | undefined {
  const hits = log.lines.filter((l) => l.text.startsWith(`selected proposal: ${kind}:`));
  return hits[0]?.text.slice(`selected proposal: ${kind}:`.length);
}

export interface ExtractInput {
  meta: ScenarioMeta;
  pcap: Buffer;
  /** Level-4 logs by peer role; at least one. */
  logs: { initiator?: string; responder?: string };
}

export interface MessageRecord {
  frame: number;
  timeUs: number;
  from: 'initiator' | 'responder';
  src: string;
  dst: string;
  sport: number;
  dport: number;
  nonEspMarker: boolean;
  exchange: string;
  exchangeType: number;
  messageId: number;
  messageIdHex: string;
  flags: number;
  encrypted: boolean;
  payloads: string[];
  message: string;
  /** For encrypted messages: the IV used, the decrypted body (payloads and padding), its payload list. */
  iv?: string;
  plaintext?: string;
  padding?: string;
  retransmission?: boolean;
}

export function extractKeys(input: ExtractInput): Record<string, unknown> {
  const { meta } = input;
  const logs: { initiator?: ParsedLog; responder?: ParsedLog } = {};
  if (input.logs.initiator) logs.initiator = parseCharonLog(input.logs.initiator);
  if (input.logs.responder) logs.responder = parseCharonLog(input.logs.responder);
  const main = logs.initiator ?? logs.responder;
  if (!main) throw new Error('no charon log given');
  const checks: Array<{ what: string; ok: boolean; detail?: string }> = [];
  const check = (what: string, ok: boolean, detail?: string): void => {
    checks.push(detail === undefined ? { what, ok } : { what, ok, detail });
  };

  const ikeProp = selectedProposal(main, 'IKE');
  if (!ikeProp) throw new Error('no selected IKE proposal in the log');
  const [encr, integ, prf, dh] = ikeProp.split('/') as [string, string, string, string];
  const cipher = cipherFor(encr);
  const hashAlg = hashFor(prf);
  const ka = one(main, 'encryption key Ka');
  const initialIv = one(main, 'initial IV');
  if (!ka || !initialIv) throw new Error('no Ka / initial IV in the log');

  // Phase 1 key schedule as each side logged it; both sides must agree.
  const p1Labels: Array<[string, string]> = [
    ['gxy', 'shared Diffie Hellman secret'],
    ['skeyid', 'SKEYID'],
    ['skeyid_d', 'SKEYID_d'],
    ['skeyid_a', 'SKEYID_a'],
    ['skeyid_e', 'SKEYID_e'],
    ['ka', 'encryption key Ka'],
    ['initialIv', 'initial IV'],
    ['hashI', 'HASH_I'],
    ['hashR', 'HASH_R'],
    ['hashIData', 'HASH_I data'],
    ['hashRData', 'HASH_R data'],
  ];
  const phase1: Record<string, unknown> = {};
  for (const [key, label] of p1Labels) {
    const v = one(main, label);
    phase1[key] = hex(v);
    if (logs.initiator && logs.responder) {
      const a = hex(one(logs.initiator, label));
      const b = hex(one(logs.responder, label));
      if (a !== undefined || b !== undefined) check(`${label}: initiator and responder logs agree`, a === b);
    }
  }

  // Messages from the capture.
  const packets = readPcap(input.pcap);
  const messages: MessageRecord[] = [];
  const esp: Array<Record<string, unknown>> = [];
  let icookie: Buffer | undefined;
  let rcookie: Buffer | undefined;
  for (const p of packets) {
    const c = classify(p);
    const from = p.src === meta.initiator.address ? 'initiator' : 'responder';
    if (c.kind === 'esp-in-udp' || c.kind === 'esp') {
      // Both kinds carry the ESP header first: raw ESP as the IP payload, ESP-in-UDP as the UDP payload.
      const b = p.payload;
      esp.push({ frame: p.frame, from, encapsulated: c.kind === 'esp-in-udp', spi: b.subarray(0, 4).toString('hex'), seq: b.readUInt32BE(4), length: b.length });
      continue;
    }
    if (c.kind !== 'isakmp' || !c.isakmp || c.isakmp.length < 28) continue;
    const m = c.isakmp;
    icookie ??= m.subarray(0, 8);
    if (!rcookie && !m.subarray(8, 16).equals(Buffer.alloc(8))) rcookie = m.subarray(8, 16);
    const exchangeType = m[18]!;
    const flags = m[19]!;
    const mid = m.readUInt32BE(20);
    const encrypted = (flags & 1) === 1;
    const rec: MessageRecord = {
      frame: p.frame,
      timeUs: p.timeUs,
      from,
      src: p.src,
      dst: p.dst,
      sport: p.sport!,
      dport: p.dport!,
      nonEspMarker: p.sport === 4500 || p.dport === 4500,
      exchange: EXCHANGES[exchangeType] ?? `#${exchangeType}`,
      exchangeType,
      messageId: mid,
      messageIdHex: mid.toString(16).padStart(8, '0'),
      flags,
      encrypted,
      payloads: encrypted ? [] : walkPayloads(m[16]!, m.subarray(28)).payloads.map((x) => x.name),
      message: m.toString('hex'),
    };
    const dup = messages.find((x) => x.message === rec.message);
    if (dup) rec.retransmission = true;
    messages.push(rec);
  }
  if (!icookie) throw new Error('no ISAKMP message in the capture');

  // IV chains: Phase 1 starts from the logged initial IV; every other message ID starts from
  // hash(last Phase 1 CBC block | M-ID) (RFC 2409 appendix B); each message's last ciphertext block
  // is the IV of the next message in the same exchange.
  const chain = new Map<number, Buffer>();
  chain.set(0, initialIv);
  let phase1LastBlock: Buffer | undefined;
  const derivedIvs: IvEntry[] = [];
  const decoded = new Map<number, Payload[]>(); // frame -> payloads
  for (const rec of messages) {
    if (!rec.encrypted || rec.retransmission) continue;
    const m = Buffer.from(rec.message, 'hex');
    const body = m.subarray(28);
    let iv = chain.get(rec.messageId);
    if (!iv) {
      if (!phase1LastBlock) continue;
      const mid = Buffer.alloc(4);
      mid.writeUInt32BE(rec.messageId);
      iv = crypto.createHash(hashAlg).update(phase1LastBlock).update(mid).digest().subarray(0, cipher.block);
    }
    derivedIvs.push({ mid: rec.messageId, midHex: rec.messageIdHex, iv: iv.toString('hex'), line: rec.frame });
    if (body.length % cipher.block !== 0 || body.length === 0) continue;
    const plain = decryptCbc(cipher.name, ka, iv, body);
    const walked = walkPayloads(m[16]!, plain);
    rec.iv = iv.toString('hex');
    rec.plaintext = plain.toString('hex');
    rec.padding = walked.rest.toString('hex');
    rec.payloads = walked.payloads.map((x) => x.name);
    decoded.set(rec.frame, walked.payloads);
    const last = body.subarray(body.length - cipher.block);
    chain.set(rec.messageId, Buffer.from(last));
    if (rec.messageId === 0) phase1LastBlock = Buffer.from(last);
  }

  // The IV of every encrypted message, derived from the capture, must be one charon logged (either side):
  // Phase 1's first encrypted message uses the "initial IV", every other one a "next IV for MID".
  const logged = new Set<string>([`0:${initialIv.toString('hex')}`]);
  const ivLogs: Record<string, IvEntry[]> = {};
  for (const role of ['initiator', 'responder'] as const) {
    const l = logs[role];
    if (!l) continue;
    ivLogs[role] = loggedIvs(l);
    for (const e of ivLogs[role]!) logged.add(`${e.mid}:${e.iv}`);
  }
  const loggedMids = new Set([...logged].map((k) => Number(k.split(':')[0])));
  for (const d of derivedIvs) {
    if (loggedMids.has(d.mid)) {
      check(`IV ${d.iv} of frame ${d.line} (MID ${d.midHex}, derived from the capture) was logged by charon`, logged.has(`${d.mid}:${d.iv}`));
    } else {
      // No charon processed this message (e.g. a Delete that arrived after charon dropped the SA): the
      // derived IV is confirmed by the plaintext being a complete payload chain plus short padding.
      const rec = messages.find((r) => r.frame === d.line)!;
      const ok = rec.payloads.length > 0 && rec.padding !== undefined && rec.padding.length / 2 <= cipher.block;
      check(`frame ${d.line} (MID ${d.midHex}, in no charon log) decrypts to a complete payload chain`, ok);
    }
  }

  const payloadOf = (frame: number, name: string): Buffer | undefined => {
    const rec = messages.find((r) => r.frame === frame)!;
    if (rec.encrypted) return decoded.get(frame)?.find((p) => p.name === name)?.body;
    return walkPayloads(Buffer.from(rec.message, 'hex')[16]!, Buffer.from(rec.message, 'hex').subarray(28)).payloads.find((p) => p.name === name)?.body;
  };
  const firstFrom = (pred: (r: MessageRecord) => boolean, name: string): Buffer | undefined => {
    for (const r of messages) {
      if (r.retransmission || !pred(r)) continue;
      const b = payloadOf(r.frame, name);
      if (b) return b;
    }
    return undefined;
  };
  const p1 = (r: MessageRecord): boolean => r.messageId === 0 && (r.exchangeType === 2 || r.exchangeType === 4);
  const init = (r: MessageRecord): boolean => r.from === 'initiator';
  const resp = (r: MessageRecord): boolean => r.from === 'responder';
  const ni = firstFrom((r) => p1(r) && init(r), 'NONCE');
  const nr = firstFrom((r) => p1(r) && resp(r), 'NONCE');
  const gxi = firstFrom((r) => p1(r) && init(r), 'KE');
  const gxr = firstFrom((r) => p1(r) && resp(r), 'KE');
  const sai = firstFrom((r) => p1(r) && init(r), 'SA');
  const idi = firstFrom((r) => p1(r) && init(r), 'ID');
  const idr = firstFrom((r) => p1(r) && resp(r), 'ID');
  const hashIData = phase1['hashIData'] as string | undefined;
  if (hashIData && gxi && gxr && sai && idi) {
    const expect = Buffer.concat([gxi, gxr, icookie, rcookie ?? Buffer.alloc(8), sai, idi]).toString('hex');
    check('HASH_I data = g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b (from the capture)', expect === hashIData);
  }
  const hashRData = phase1['hashRData'] as string | undefined;
  if (hashRData && gxi && gxr && sai && idr) {
    const expect = Buffer.concat([gxr, gxi, rcookie ?? Buffer.alloc(8), icookie, sai, idr]).toString('hex');
    check('HASH_R data = g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b (from the capture)', expect === hashRData);
  }

  // Quick Modes: one per message ID of exchange type 32.
  const qmMids = [...new Set(messages.filter((r) => r.exchangeType === 32).map((r) => r.messageId))];
  const espProp = selectedProposal(main, 'ESP') ?? selectedProposal(main, 'AH');
  const seeds = {
    initiator: blocksNamed(main, 'initiator SA seed'),
    responder: blocksNamed(main, 'responder SA seed'),
  };
  const chdKeys = (label: string): Buffer[] => blocksNamed(main, label).map((b) => b.bytes);
  const encI = chdKeys('encryption initiator key');
  const encR = chdKeys('encryption responder key');
  const intI = chdKeys('integrity initiator key');
  const intR = chdKeys('integrity responder key');
  const pfsSecrets = blocksNamed(main, 'DH secret').map((b) => b.bytes);
  const hashes = (n: number): string[] => blocksNamed(main, `Hash(${n})`).map((b) => b.bytes.toString('hex'));
  const established = main.lines
    .map((l) => /CHILD_SA \S+ established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o/.exec(l.text))
    .filter((x): x is RegExpExecArray => x !== null);
  const logIsInitiator = main === logs.initiator;
  const quickModes = qmMids.map((mid, idx) => {
    const inMid = (r: MessageRecord): boolean => r.exchangeType === 32 && r.messageId === mid;
    const qni = firstFrom((r) => inMid(r) && init(r), 'NONCE');
    const qnr = firstFrom((r) => inMid(r) && resp(r), 'NONCE');
    const qgxi = firstFrom((r) => inMid(r) && init(r), 'KE');
    const qgxr = firstFrom((r) => inMid(r) && resp(r), 'KE');
    const pfs = qgxi !== undefined;
    const firstInit = messages.find((r) => inMid(r) && init(r) && !r.retransmission);
    const qmIds = firstInit ? (decoded.get(firstInit.frame) ?? []).filter((x) => x.name === 'ID').map((x) => x.body) : [];
    const gxy = pfs ? pfsSecrets[idx] : undefined;
    const children: Array<Record<string, unknown>> = [];
    const addChild = (seed: Buffer | undefined, enc: Buffer | undefined, integ: Buffer | undefined, side: string): void => {
      if (!seed) return;
      const off = gxy ? gxy.length : 0;
      const protocol = seed[off]!;
      const spi = seed.subarray(off + 1, off + 5).toString('hex');
      const rest = seed.subarray(off + 5);
      if (qni && qnr) check(`KEYMAT seed (${side}) = [g^qm_xy] | protocol | SPI | Ni_b | Nr_b`, rest.equals(Buffer.concat([qni, qnr])));
      const est = established[idx];
      let inboundAt: string | undefined;
      if (est) {
        const [, spiIn, spiOut] = est;
        const mine = logIsInitiator ? 'initiator' : 'responder';
        const other = logIsInitiator ? 'responder' : 'initiator';
        inboundAt = spi === spiIn ? mine : spi === spiOut ? other : undefined;
      }
      children.push({
        spi,
        protocol: protocol === 3 ? 'esp' : protocol === 2 ? 'ah' : `#${protocol}`,
        protocolNumber: protocol,
        inboundAt,
        direction: inboundAt ? `${inboundAt === 'initiator' ? 'responder' : 'initiator'} -> ${inboundAt}` : undefined,
        keymatSeed: seed.toString('hex'),
        encryptionKey: hex(enc),
        integrityKey: hex(integ),
        charonLabel: side,
      });
    };
    addChild(seeds.initiator[idx]?.bytes, encI[idx], intI[idx], 'initiator');
    addChild(seeds.responder[idx]?.bytes, encR[idx], intR[idx], 'responder');
    if (gxy && logs.initiator && logs.responder) {
      const other = blocksNamed(main === logs.initiator ? logs.responder : logs.initiator, 'DH secret')[idx]?.bytes;
      check(`Quick Mode ${mid.toString(16)}: PFS DH secret agrees on both sides`, other !== undefined && other.equals(gxy));
    }
    return {
      messageId: mid,
      messageIdHex: mid.toString(16).padStart(8, '0'),
      pfs,
      algorithms: espProp,
      ni: hex(qni),
      nr: hex(qnr),
      gxi: hex(qgxi),
      gxr: hex(qgxr),
      gxy: hex(gxy),
      hash1: hashes(1)[idx],
      hash2: hashes(2)[idx],
      hash3: hashes(3)[idx],
      idciB: hex(qmIds[0]),
      idcrB: hex(qmIds[1]),
      childSas: children,
    };
  });

  const informational = messages
    .filter((r) => r.exchangeType === 5 && !r.retransmission)
    .map((r) => {
      const d = payloadOf(r.frame, 'D');
      const n = payloadOf(r.frame, 'N');
      let del: Record<string, unknown> | undefined;
      if (d && d.length >= 8) {
        const spiSize = d[5]!;
        const count = d.readUInt16BE(6);
        const spis: string[] = [];
        for (let i = 0; i < count && 8 + (i + 1) * spiSize <= d.length; i++) spis.push(d.subarray(8 + i * spiSize, 8 + (i + 1) * spiSize).toString('hex'));
        del = { doi: d.readUInt32BE(0), protocol: d[4], spiSize, spis };
      }
      let notify: Record<string, unknown> | undefined;
      if (n && n.length >= 8) {
        const spiSize = n[5]!;
        notify = {
          doi: n.readUInt32BE(0),
          protocol: n[4],
          spiSize,
          type: n.readUInt16BE(6),
          spi: n.subarray(8, 8 + spiSize).toString('hex'),
          data: n.subarray(8 + spiSize).toString('hex'),
        };
      }
      return { frame: r.frame, from: r.from, messageId: r.messageId, messageIdHex: r.messageIdHex, iv: r.iv, payloads: r.payloads, delete: del, notify };
    });

  return {
    schema: 'oakley-ikev1-capture/1',
    scenario: meta.name,
    description: meta.description,
    notes: meta.notes ?? [],
    initiator: meta.initiator,
    responder: meta.responder,
    psk: { text: meta.psk, hex: Buffer.from(meta.psk, 'utf8').toString('hex') },
    configured: { ike: meta.ikeProposal, esp: meta.espProposal },
    phase1: {
      exchange: meta.exchange,
      algorithms: { encryption: encr, integrity: integ, prf, dhGroup: dh, cipher: cipher.name, keyLength: cipher.keyLen, blockSize: cipher.block, hash: hashAlg },
      icookie: hex(icookie),
      rcookie: hex(rcookie),
      ni: hex(ni),
      nr: hex(nr),
      gxi: hex(gxi),
      gxr: hex(gxr),
      saiB: hex(sai),
      idiiB: hex(idi),
      idirB: hex(idr),
      ...phase1,
    },
    quickModes,
    informational,
    ivs: { perMessage: derivedIvs.map(({ mid, midHex, iv, line }) => ({ frame: line, mid, midHex, iv })), logged: ivLogs },
    messages,
    esp,
    checks,
  };
}

/** Wireshark's ikev1_decryption_table: one `icookie,key` line per IKE SA (bare hex). */
export function decryptionTable(keys: Record<string, unknown>): string {
  const p1 = keys['phase1'] as { icookie?: string; ka?: string };
  return p1.icookie && p1.ka ? `${p1.icookie},${p1.ka}\n` : '';
}
