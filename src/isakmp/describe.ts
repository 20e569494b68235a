// A readable tree of a decoded message, in the spirit of tshark -V, with names from numbers.ts.
// Used by `isakmpctl decode` and by the daemon's packet debug log.
import { hex } from './json.js';
import {
  CertEncoding,
  CfgAttr,
  CfgType,
  Doi,
  ExchangeType,
  Flags,
  IdType,
  NotifyType,
  PayloadType,
  ProtocolId,
  Situation,
  attributeDictionaryFor,
  attributeValueName,
  entriesOf,
  nameOf,
  nameOrNumber,
  transformTableFor,
  type NumberTable,
} from './numbers.js';
import { attrNumber } from './payloads.js';
import { isRawPayload, type DataAttribute, type IsakmpMessage, type Payload } from './types.js';
import { describeVendorId } from './vendor.js';

const named = (t: NumberTable, n: number): string => `${nameOrNumber(t, n)} (${n})`;

function flagNames(flags: number): string {
  const names = entriesOf(Flags).filter(([, bit]) => flags & bit).map(([n]) => n);
  return `0x${flags.toString(16).padStart(2, '0')}${names.length ? ` (${names.join(', ')})` : ''}`;
}

export function describeHeader(msg: IsakmpMessage): string[] {
  const h = msg.header;
  return [
    `Initiator SPI: ${hex(h.ispi)}`,
    `Responder SPI: ${hex(h.rspi)}`,
    `Next payload: ${named(PayloadType, h.nextPayload)}`,
    `Version: ${h.major}.${h.minor}`,
    `Exchange type: ${named(ExchangeType, h.exchange)}`,
    `Flags: ${flagNames(h.flags)}`,
    `Message ID: 0x${h.messageId.toString(16).padStart(8, '0')}`,
    `Length: ${h.length}`,
  ];
}

/** Lines describing the message, indented by four spaces per level. */
export function describeMessage(msg: IsakmpMessage, opts: { decrypted?: boolean } = {}): string[] {
  const lines = describeHeader(msg);
  if (msg.encrypted && !opts.decrypted) {
    lines.push(`Encrypted data (${msg.encrypted.length} bytes)`);
    return lines;
  }
  if (msg.encrypted) lines.push(`Decrypted data (${msg.encrypted.length} bytes):`);
  for (const p of msg.payloads) lines.push(...describePayload(p).map((l, i) => (i === 0 ? l : `    ${l}`)));
  return lines;
}

function attrLines(protocol: number, attrs: DataAttribute[]): string[] {
  const dict = attributeDictionaryFor(protocol);
  return attrs.map((a) => {
    const n = attrNumber(a);
    const tname = nameOrNumber(dict.types, a.type);
    const vname = typeof n === 'number' ? attributeValueName(dict, a.type, n) : undefined;
    const v = n === undefined ? hex(a.value as Uint8Array) : vname ? `${vname} (${n})` : String(n);
    return `${tname} (${a.type}): ${v}`;
  });
}

export function describePayload(p: Payload): string[] {
  const head = `Payload: ${named(PayloadType, p.type)}`;
  if (isRawPayload(p)) return [head, `Data: ${hex(p.data)}`];
  switch (p.type) {
    case 1: {
      const out = [head, `DOI: ${named(Doi, p.doi)}`, `Situation: 0x${p.situation.toString(16).padStart(8, '0')} (${entriesOf(Situation).filter(([, b]) => p.situation & b).map(([n]) => n).join(', ')})`];
      for (const pr of p.proposals) {
        out.push(`Payload: Proposal (2) # ${pr.number}`, `    Protocol ID: ${named(ProtocolId, pr.protocol)}`, `    SPI: ${hex(pr.spi)}`, `    Number of transforms: ${pr.transforms.length}`);
        const tt = transformTableFor(pr.protocol);
        for (const t of pr.transforms) {
          out.push(`    Payload: Transform (3) # ${t.number}`, `        Transform ID: ${tt ? named(tt, t.id) : t.id}`);
          out.push(...attrLines(pr.protocol, t.attributes).map((l) => `        ${l}`));
        }
      }
      return out;
    }
    case 4:
      return [head, `Key Exchange Data: ${hex(p.data)}`];
    case 5:
      return [head, `ID type: ${named(IdType, p.idType)}`, `Protocol ID: ${p.protocol}`, `Port: ${p.port}`, `Identification Data: ${idText(p.idType, p.data)}`];
    case 6:
    case 7:
      return [head, `${p.type === 6 ? 'Certificate Encoding' : 'Certificate Type'}: ${named(CertEncoding, p.encoding)}`, `${p.type === 6 ? 'Certificate Data' : 'Certificate Authority'}: ${hex(p.data)}`];
    case 8:
      return [head, `Hash Data: ${hex(p.data)}`];
    case 9:
      return [head, `Signature Data: ${hex(p.data)}`];
    case 10:
      return [head, `Nonce Data: ${hex(p.data)}`];
    case 11:
      return [head, `DOI: ${named(Doi, p.doi)}`, `Protocol ID: ${named(ProtocolId, p.protocol)}`, `SPI: ${hex(p.spi)}`, `Notify Message Type: ${named(NotifyType, p.notifyType)}`, `Notification Data: ${hex(p.data)}`];
    case 12:
      return [head, `DOI: ${named(Doi, p.doi)}`, `Protocol ID: ${named(ProtocolId, p.protocol)}`, `SPI size: ${p.spiSize}`, ...p.spis.map((s) => `SPI: ${hex(s)}`)];
    case 13:
      return [head, `Vendor ID: ${hex(p.data)} (${describeVendorId(p.data)})`];
    case 14:
      return [
        head,
        `Type: ${named(CfgType, p.cfgType)}`,
        `Identifier: ${p.identifier}`,
        ...p.attributes.map((a) => `${nameOrNumber(CfgAttr, a.type)} (${a.type}): ${typeof a.value === 'number' ? a.value : hex(a.value)}`),
      ];
    case 20:
    case 130:
      return [head, `HASH of the address and port: ${hex(p.data)}`];
    case 21:
    case 131:
      return [head, `ID type: ${named(IdType, p.idType)}`, `Original address: ${idText(p.idType, p.data)}`];
    case 132:
      return [head, `Fragment ID: ${p.fragmentId}`, `Fragment number: ${p.number}${p.flags & 1 ? ' (last)' : ''}`, `Fragment data: ${p.data.length} bytes`];
  }
}

function idText(idType: number, d: Uint8Array): string {
  const v4 = (b: Uint8Array) => Array.from(b).join('.');
  const v6 = (b: Uint8Array) => Buffer.from(b).toString('hex').replace(/(.{4})(?!$)/g, '$1:');
  switch (nameOf(IdType, idType)) {
    case 'IPV4_ADDR':
      return d.length === 4 ? v4(d) : hex(d);
    case 'IPV4_ADDR_SUBNET':
      return d.length === 8 ? `${v4(d.subarray(0, 4))}/${v4(d.subarray(4))}` : hex(d);
    case 'IPV4_RANGE':
      return d.length === 8 ? `${v4(d.subarray(0, 4))}-${v4(d.subarray(4))}` : hex(d);
    case 'IPV6_ADDR':
      return d.length === 16 ? v6(d) : hex(d);
    case 'IPV6_ADDR_SUBNET':
      return d.length === 32 ? `${v6(d.subarray(0, 16))}/${v6(d.subarray(16))}` : hex(d);
    case 'FQDN':
    case 'USER_FQDN':
      return JSON.stringify(Buffer.from(d).toString('latin1'));
    default:
      return hex(d);
  }
}

/** One line for logs: exchange, message ID, flags and payload names, e.g. "QUICK_MODE mid 0x11223344 ENC [HASH, SA, NONCE, ID, ID]". */
export function summariseMessage(msg: IsakmpMessage): string {
  const h = msg.header;
  const flags = entriesOf(Flags).filter(([, bit]) => h.flags & bit).map(([n]) => ` ${n}`).join('');
  const body = msg.encrypted && msg.payloads.length === 0 ? `<${msg.encrypted.length} encrypted bytes>` : `[${msg.payloads.map((p) => nameOrNumber(PayloadType, p.type)).join(', ')}]`;
  return `${nameOrNumber(ExchangeType, h.exchange)} mid 0x${h.messageId.toString(16).padStart(8, '0')}${flags} ${body}`;
}
