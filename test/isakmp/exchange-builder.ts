// Builds a plausible, fully deterministic IKEv1 conversation (Main Mode with AES-CBC-128/SHA1,
// Quick Mode, an Informational Delete, DPD, NAT-T traffic on 4500) as a pcap file, with the
// encrypted messages encrypted exactly as RFC 2409 appendix B chains IVs. Used by the tests and to
// (re)generate test/fixtures/isakmp/synthetic-mm-qm.pcap, which tshark independently decodes.
import { createCipheriv, createHash } from 'node:crypto';
import {
  ExchangeType,
  Flags,
  PayloadType,
  VENDOR_IDS,
  attr,
  encodeMessage,
  encodePayloads,
  makeHeader,
  type Payload,
} from '../../src/isakmp/index.js';
import { PcapWriter, type UdpEndpoints } from '../../src/util/pcap.js';

export const I_ADDR = '198.18.0.1';
export const R_ADDR = '198.18.0.2';
export const ICOOKIE = Uint8Array.from(Buffer.from('0011223344556677', 'hex'));
export const RCOOKIE = Uint8Array.from(Buffer.from('8899aabbccddeeff', 'hex'));
export const KA = Uint8Array.from(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'));
export const QM_MID = 0x11223344;
export const INFO_MID = 0x55667788;
export const DPD_MID = 0x0badcafe;

const bytes = (n: number, seed: number): Uint8Array => {
  const out = new Uint8Array(n);
  let h = createHash('sha256').update(`seed${seed}`).digest();
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0 && i > 0) h = createHash('sha256').update(h).digest();
    out[i] = h[i % 32]!;
  }
  return out;
};

export const GXI = bytes(256, 1);
export const GXR = bytes(256, 2);

export interface BuiltMessage {
  ep: UdpEndpoints;
  /** the plaintext payloads (also for encrypted messages) */
  payloads: Payload[];
  exchange: number;
  messageId: number;
  encrypted: boolean;
  /** bytes on the wire (without non-ESP marker) */
  wire: Uint8Array;
  /** datagram content (with non-ESP marker on 4500) */
  udp: Uint8Array;
}

const i2r = (port = 500): UdpEndpoints => ({ src: I_ADDR, sport: port, dst: R_ADDR, dport: port });
const r2i = (port = 500): UdpEndpoints => ({ src: R_ADDR, sport: port, dst: I_ADDR, dport: port });

function ikeSa(transforms: number): Payload {
  const t = (n: number, keyLen: number) => ({
    number: n,
    id: 1,
    attributes: [attr(1, 7), attr(14, keyLen), attr(2, 2), attr(3, 1), attr(4, 14), attr(11, 1), attr(12, 28800)],
  });
  const all = [t(1, 128), t(2, 256)].slice(0, transforms);
  return { type: PayloadType.SA, doi: 1, situation: 1, proposals: [{ number: 1, protocol: 1, spi: new Uint8Array(0), transforms: all }] };
}

function espSa(spi: Uint8Array): Payload {
  return {
    type: PayloadType.SA,
    doi: 1,
    situation: 1,
    proposals: [
      {
        number: 1,
        protocol: 3,
        spi,
        transforms: [{ number: 1, id: 12, attributes: [attr(1, 1), attr(2, 3600), attr(1, 2), attr(2, 4608000), attr(4, 3), attr(5, 2), attr(6, 128)] }],
      },
    ],
  };
}

export function buildConversation(): BuiltMessage[] {
  const out: BuiltMessage[] = [];
  const ivs = new Map<number, Uint8Array>();
  let phase1Iv: Uint8Array = createHash('sha1').update(GXI).update(GXR).digest().subarray(0, 16);
  const encrypt = (mid: number, plain: Uint8Array): Uint8Array => {
    let iv = ivs.get(mid);
    if (!iv) {
      if (mid === 0) iv = phase1Iv;
      else {
        const m = Buffer.alloc(4);
        m.writeUInt32BE(mid);
        iv = createHash('sha1').update(phase1Iv).update(m).digest().subarray(0, 16);
      }
    }
    const padded = new Uint8Array(Math.ceil((plain.length + 1) / 16) * 16);
    padded.set(plain);
    padded[padded.length - 1] = padded.length - plain.length - 1; // RFC 2409 style pad length byte
    const c = createCipheriv('aes-128-cbc', KA, iv);
    c.setAutoPadding(false);
    const ct = new Uint8Array(Buffer.concat([c.update(padded), c.final()]));
    const last = ct.slice(ct.length - 16);
    ivs.set(mid, last);
    if (mid === 0) phase1Iv = last;
    return ct;
  };
  const push = (ep: UdpEndpoints, exchange: number, messageId: number, payloads: Payload[], enc: boolean, rspi: Uint8Array, port = 500) => {
    const header = makeHeader({ ispi: ICOOKIE, rspi, exchange, messageId, flags: enc ? Flags.ENC : 0 });
    let wire: Uint8Array;
    if (enc) {
      header.nextPayload = payloads[0]!.type;
      wire = encodeMessage({ header, payloads: [], encrypted: encrypt(messageId, encodePayloads(payloads)) });
    } else wire = encodeMessage({ header, payloads });
    let udp = wire;
    if (port === 4500) {
      udp = new Uint8Array(wire.length + 4);
      udp.set(wire, 4);
    }
    out.push({ ep, payloads, exchange, messageId, encrypted: enc, wire, udp });
  };
  const zero = new Uint8Array(8);
  const MM = ExchangeType.ID_PROT;
  // Main Mode 1-2
  push(i2r(), MM, 0, [ikeSa(2), { type: 13, data: VENDOR_IDS.NAT_T_RFC3947 }, { type: 13, data: VENDOR_IDS.NAT_T_DRAFT_02N }, { type: 13, data: VENDOR_IDS.DPD }], false, zero);
  push(r2i(), MM, 0, [ikeSa(1), { type: 13, data: VENDOR_IDS.NAT_T_RFC3947 }, { type: 13, data: VENDOR_IDS.DPD }, { type: 13, data: VENDOR_IDS.STRONGSWAN }], false, RCOOKIE);
  // 3-4: KE, NONCE, NAT-D
  push(i2r(), MM, 0, [{ type: 4, data: GXI }, { type: 10, data: bytes(32, 3) }, { type: 20, data: bytes(20, 4) }, { type: 20, data: bytes(20, 5) }], false, RCOOKIE);
  push(r2i(), MM, 0, [{ type: 4, data: GXR }, { type: 10, data: bytes(32, 6) }, { type: 20, data: bytes(20, 7) }, { type: 20, data: bytes(20, 8) }], false, RCOOKIE);
  // 5-6 encrypted, over 4500 after NAT detection
  const idI: Payload = { type: 5, idType: 1, protocol: 17, port: 500, data: Uint8Array.of(198, 18, 0, 1) };
  const idR: Payload = { type: 5, idType: 2, protocol: 17, port: 500, data: new TextEncoder().encode('responder.example') };
  push(i2r(4500), MM, 0, [idI, { type: 8, data: bytes(20, 9) }, { type: 11, doi: 1, protocol: 1, spi: new Uint8Array([...ICOOKIE, ...RCOOKIE]), notifyType: 24578, data: new Uint8Array(0) }], true, RCOOKIE, 4500);
  push(r2i(4500), MM, 0, [idR, { type: 8, data: bytes(20, 10) }], true, RCOOKIE, 4500);
  // Quick Mode
  const QM = ExchangeType.QUICK_MODE;
  const tsI: Payload = { type: 5, idType: 4, protocol: 0, port: 0, data: Uint8Array.of(192, 0, 2, 0, 255, 255, 255, 0) };
  const tsR: Payload = { type: 5, idType: 4, protocol: 0, port: 0, data: Uint8Array.of(198, 51, 100, 0, 255, 255, 255, 0) };
  push(i2r(4500), QM, QM_MID, [{ type: 8, data: bytes(20, 11) }, espSa(Uint8Array.of(0xc1, 0, 0, 1)), { type: 10, data: bytes(32, 12) }, tsI, tsR], true, RCOOKIE, 4500);
  push(r2i(4500), QM, QM_MID, [{ type: 8, data: bytes(20, 13) }, espSa(Uint8Array.of(0xc2, 0, 0, 2)), { type: 10, data: bytes(32, 14) }, tsI, tsR], true, RCOOKIE, 4500);
  push(i2r(4500), QM, QM_MID, [{ type: 8, data: bytes(20, 15) }], true, RCOOKIE, 4500);
  // DPD and Delete (Informational)
  const INFO = ExchangeType.INFO;
  const spiCk = new Uint8Array([...ICOOKIE, ...RCOOKIE]);
  push(i2r(4500), INFO, DPD_MID, [{ type: 8, data: bytes(20, 16) }, { type: 11, doi: 1, protocol: 1, spi: spiCk, notifyType: 36136, data: Uint8Array.of(0, 0, 0, 7) }], true, RCOOKIE, 4500);
  push(i2r(4500), INFO, INFO_MID, [{ type: 8, data: bytes(20, 17) }, { type: 12, doi: 1, protocol: 3, spiSize: 4, spis: [Uint8Array.of(0xc2, 0, 0, 2)] }], true, RCOOKIE, 4500);
  return out;
}

/** The conversation as a pcap (RAW link type), with an ESP packet and a keepalive on 4500 and a truncated message. */
export function buildPcap(): Uint8Array {
  const w = new PcapWriter();
  const parts: Uint8Array[] = [w.header()];
  let t = 1_700_000_000_000;
  for (const m of buildConversation()) parts.push(w.record(m.ep, m.udp, (t += 10)));
  const esp = new Uint8Array(40);
  esp.set([0xc2, 0, 0, 2, 0, 0, 0, 1]);
  parts.push(w.record(i2r(4500), esp, (t += 10)));
  parts.push(w.record(r2i(4500), Uint8Array.of(0xff), (t += 10)));
  const first = buildConversation()[0]!.wire;
  parts.push(w.record(i2r(), first.subarray(0, 60), (t += 10)));
  return Uint8Array.from(Buffer.concat(parts));
}

/** Main Mode where message 5 travels as three IKE fragments (payload 132) before message 6. */
export function buildFragmentedPcap(): Uint8Array {
  const conv = buildConversation();
  const w = new PcapWriter();
  const parts: Uint8Array[] = [w.header()];
  let t = 1_700_000_000_000;
  for (const m of conv.slice(0, 4)) parts.push(w.record(m.ep, m.udp, (t += 10)));
  const mm5 = conv[4]!;
  const size = Math.ceil(mm5.wire.length / 3);
  for (let i = 0; i < 3; i++) {
    const piece = mm5.wire.subarray(i * size, (i + 1) * size);
    const frag = encodeMessage({
      header: makeHeader({ ispi: ICOOKIE, rspi: RCOOKIE, exchange: ExchangeType.ID_PROT }),
      payloads: [{ type: 132, fragmentId: 1, number: i + 1, flags: i === 2 ? 1 : 0, data: piece }],
    });
    parts.push(w.record(mm5.ep, Uint8Array.from([0, 0, 0, 0, ...frag]), (t += 10)));
  }
  parts.push(w.record(conv[5]!.ep, conv[5]!.udp, (t += 10)));
  return Uint8Array.from(Buffer.concat(parts));
}
