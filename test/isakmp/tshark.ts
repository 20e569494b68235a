// Compare our decoder with tshark's JSON decode of the same capture. tshark -T json repeats keys
// inside one object (JSON.parse would keep only the last), so this reads the JSON with a small
// order-preserving parser and compares multisets of selected field values per frame.
import { encodePayloads, hex } from '../../src/isakmp/index.js';
import type { DataAttribute, IsakmpMessage, Payload } from '../../src/isakmp/index.js';

export type JVal = string | number | boolean | null | JVal[] | JObj;
export interface JObj {
  pairs: Array<[string, JVal]>;
}

export function parseJsonPairs(text: string): JVal {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const val = (): JVal => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const pairs: Array<[string, JVal]> = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { pairs };
      }
      for (;;) {
        ws();
        const k = str();
        ws();
        i++; // colon
        pairs.push([k, val()]);
        ws();
        if (text[i++] === '}') return { pairs };
      }
    }
    if (c === '[') {
      i++;
      const arr: JVal[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(val());
        ws();
        if (text[i++] === ']') return arr;
      }
    }
    if (c === '"') return str();
    const m = /^(-?[0-9.eE+-]+|true|false|null)/.exec(text.slice(i, i + 40))!;
    i += m[0].length;
    return JSON.parse(m[0]) as JVal;
  };
  return val();
}

const isObj = (v: JVal): v is JObj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every scalar leaf under `v`, as [key, value] in document order; arrays repeat their key. */
export function leaves(v: JVal, key = '', out: Array<[string, string]> = []): Array<[string, string]> {
  if (isObj(v)) for (const [k, x] of v.pairs) leaves(x, k, out);
  else if (Array.isArray(v)) for (const x of v) leaves(x, key, out);
  else if (v !== null) out.push([key, String(v)]);
  return out;
}

export function get(v: JVal, ...path: string[]): JVal | undefined {
  let cur: JVal | undefined = v;
  for (const p of path) {
    if (!cur || !isObj(cur)) return undefined;
    cur = cur.pairs.find(([k]) => k === p)?.[1];
  }
  return cur;
}

export interface TsharkFrame {
  frame: number;
  /** the isakmp layer (undefined when the frame has none) */
  isakmp?: JVal;
  /** every isakmp layer of the frame (tshark adds one for a reassembled message) */
  isakmpLayers: JVal[];
  layers: string[];
}

export function tsharkFrames(text: string): TsharkFrame[] {
  const root = parseJsonPairs(text);
  if (!Array.isArray(root)) throw new Error('tshark JSON: expected an array');
  return root.map((pkt) => {
    // Either tshark's own -T json shape ({_source: {layers}}) or a flattened one ({frame, ..., isakmp}).
    const layers = get(pkt, '_source', 'layers') ?? pkt;
    const fr = get(layers, 'frame');
    const frame = Number(fr !== undefined && typeof fr === 'object' ? get(fr, 'frame.number') : fr);
    const names = isObj(layers) ? layers.pairs.map(([k]) => k) : [];
    // With several ISAKMP messages in one frame tshark repeats the layer; tests use the first.
    const isakmpLayers = isObj(layers) ? layers.pairs.filter(([k]) => k === 'isakmp').map(([, v]) => v) : [];
    return { frame, isakmp: get(layers, 'isakmp'), isakmpLayers, layers: names };
  });
}

const colon = (b: Uint8Array): string => hex(b).replace(/(..)(?!$)/g, '$1:');

function attrBytes(a: DataAttribute): Uint8Array {
  if (typeof a.value === 'number') return Uint8Array.of(a.value >> 8, a.value & 0xff);
  return a.value;
}

/** The same fields, in tshark's spelling, from one of our decoded messages. */
export function ourFields(msg: IsakmpMessage): Map<string, string[]> {
  const f = new Map<string, string[]>();
  const add = (k: string, v: string | number) => {
    if (!f.has(k)) f.set(k, []);
    f.get(k)!.push(String(v));
  };
  const h = msg.header;
  add('isakmp.ispi', colon(h.ispi));
  add('isakmp.rspi', colon(h.rspi));
  add('isakmp.exchangetype', h.exchange);
  add('isakmp.messageid', `0x${h.messageId.toString(16).padStart(8, '0')}`);
  add('isakmp.length', h.length);
  add('isakmp.flags', `0x${h.flags.toString(16).padStart(2, '0')}`);
  const payload = (p: Payload) => {
    add('isakmp.typepayload', p.type);
    add('isakmp.payloadlength', encodePayloads([p]).length);
    if ('raw' in p) return;
    switch (p.type) {
      case 1:
        add('isakmp.sa.doi', p.doi);
        for (const pr of p.proposals) {
          add('isakmp.typepayload', 2);
          const tlen = pr.transforms.map((t) => 8 + t.attributes.reduce((n, a) => n + 4 + (typeof a.value === 'number' ? 0 : a.value.length), 0));
          add('isakmp.payloadlength', 8 + pr.spi.length + tlen.reduce((a, b) => a + b, 0));
          tlen.forEach((l) => add('isakmp.payloadlength', l));
          add('isakmp.prop.number', pr.number);
          add('isakmp.prop.protoid', pr.protocol);
          add('isakmp.prop.transforms', pr.transforms.length);
          if (pr.spi.length) add('isakmp.spi', colon(pr.spi));
          for (const t of pr.transforms) {
            add('isakmp.typepayload', 3);
            add('isakmp.trans.number', t.number);
            add('isakmp.trans.id', t.id);
            const which = pr.protocol === 1 ? 'ike' : 'ipsec';
            for (const a of t.attributes) {
              add(`isakmp.${which}.attr.type`, a.type);
              add(`isakmp.${which}.attr.value`, colon(attrBytes(a)));
            }
          }
        }
        break;
      case 4:
        add('isakmp.key_exchange.data', colon(p.data));
        break;
      case 5:
        add('isakmp.id.type', p.idType);
        add('isakmp.id.protoid', p.protocol);
        add('isakmp.id.port', p.port);
        break;
      case 6:
        add('isakmp.cert.encoding', p.encoding);
        break;
      case 7:
        add('isakmp.certreq.type', p.encoding);
        break;
      case 8:
        add('isakmp.hash', colon(p.data));
        break;
      case 9:
        add('isakmp.sig', colon(p.data));
        break;
      case 10:
        add('isakmp.nonce', colon(p.data));
        break;
      case 11:
        add('isakmp.notify.doi', p.doi);
        add('isakmp.notify.protoid', p.protocol);
        add('isakmp.notify.msgtype', p.notifyType);
        if (p.spi.length) add('isakmp.spi', colon(p.spi));
        break;
      case 12:
        add('isakmp.delete.doi', p.doi);
        add('isakmp.delete.protoid', p.protocol);
        for (const s of p.spis) add('isakmp.delete.spi', colon(s));
        break;
      case 13:
        add('isakmp.vid_bytes', colon(p.data));
        break;
      case 20:
      case 130:
        add('isakmp.ike.nat_hash', colon(p.data));
        break;
    }
  };
  msg.payloads.forEach(payload);
  return f;
}

export const COMPARED_FIELDS = [
  'isakmp.ispi', 'isakmp.rspi', 'isakmp.exchangetype', 'isakmp.messageid', 'isakmp.length', 'isakmp.flags',
  'isakmp.typepayload', 'isakmp.payloadlength', 'isakmp.sa.doi', 'isakmp.prop.number', 'isakmp.prop.protoid', 'isakmp.prop.transforms',
  'isakmp.spi', 'isakmp.trans.number', 'isakmp.trans.id', 'isakmp.ike.attr.type', 'isakmp.ike.attr.value',
  'isakmp.ipsec.attr.type', 'isakmp.ipsec.attr.value', 'isakmp.key_exchange.data', 'isakmp.id.type',
  'isakmp.id.protoid', 'isakmp.id.port', 'isakmp.cert.encoding', 'isakmp.certreq.type', 'isakmp.hash', 'isakmp.sig', 'isakmp.nonce',
  'isakmp.notify.doi', 'isakmp.notify.protoid', 'isakmp.notify.msgtype', 'isakmp.delete.doi', 'isakmp.delete.protoid',
  'isakmp.delete.spi', 'isakmp.vid_bytes', 'isakmp.ike.nat_hash',
];

/** tshark's values for the compared fields (multisets as sorted lists). */
export function theirFields(isakmp: JVal, opts: { payloadsVisible: boolean }): Map<string, string[]> {
  const f = new Map<string, string[]>();
  for (const [k, v] of leaves(isakmp)) {
    if (!COMPARED_FIELDS.includes(k)) continue;
    if (!f.has(k)) f.set(k, []);
    f.get(k)!.push(v);
  }
  if (!opts.payloadsVisible) for (const k of [...f.keys()]) if (!HEADER_FIELDS.has(k)) f.delete(k);
  return f;
}

const HEADER_FIELDS = new Set(['isakmp.ispi', 'isakmp.rspi', 'isakmp.exchangetype', 'isakmp.messageid', 'isakmp.length', 'isakmp.flags']);

export function sortedFields(m: Map<string, string[]>, keys: Iterable<string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of keys) out[k] = [...(m.get(k) ?? [])].sort();
  return out;
}
