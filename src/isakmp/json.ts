// A JSON view of decoded payloads: numbers stay numbers, bytes become lower-case hex. This is the
// shape `isakmpctl decode -j` prints and what tests compare against tshark.
import { isRawPayload, type DataAttribute, type Payload } from './types.js';

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** TV values, and TLV values that fit 32 bits, as numbers; longer values as hex. */
export function attributeJson(a: DataAttribute): { type: number; value: number | string } {
  if (typeof a.value === 'number') return { type: a.type, value: a.value };
  if (a.value.length > 0 && a.value.length <= 4) {
    let v = 0;
    for (const b of a.value) v = v * 256 + b;
    return { type: a.type, value: v };
  }
  return { type: a.type, value: hex(a.value) };
}

export type JsonPayload = Record<string, unknown> & { type: number };

export function toJson(p: Payload): JsonPayload {
  if (isRawPayload(p)) return { type: p.type, data: hex(p.data) };
  switch (p.type) {
    case 1:
      return {
        type: 1,
        doi: p.doi,
        situation: p.situation,
        proposals: p.proposals.map((pr) => ({
          number: pr.number,
          protocol: pr.protocol,
          spi: hex(pr.spi),
          transforms: pr.transforms.map((t) => ({ number: t.number, id: t.id, attributes: t.attributes.map(attributeJson) })),
        })),
      };
    case 5:
      return { type: 5, idType: p.idType, protocol: p.protocol, port: p.port, data: hex(p.data) };
    case 6:
    case 7:
      return { type: p.type, encoding: p.encoding, data: hex(p.data) };
    case 11:
      return { type: 11, doi: p.doi, protocol: p.protocol, spi: hex(p.spi), notifyType: p.notifyType, data: hex(p.data) };
    case 12:
      return { type: 12, doi: p.doi, protocol: p.protocol, spis: p.spis.map(hex) };
    case 14:
      return { type: 14, cfgType: p.cfgType, identifier: p.identifier, attributes: p.attributes.map(attributeJson) };
    case 21:
    case 131:
      return { type: p.type, idType: p.idType, data: hex(p.data) };
    case 132:
      return { type: 132, fragmentId: p.fragmentId, number: p.number, flags: p.flags, data: hex(p.data) };
    default:
      return { type: p.type, data: hex((p as { data: Uint8Array }).data) };
  }
}
