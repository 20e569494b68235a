// isakmpctl decode [-j] [--keys FILE] CAPTURE
// Prints every ISAKMP message of a pcap/pcapng capture (UDP 500, and 4500 after the non-ESP marker)
// as a tree, or with -j as one JSON object per line. With --keys (Wireshark's
// ikev1_decryption_table format) encrypted messages are decrypted and decoded too.
import fs from 'node:fs';
import { describeMessage } from '../../isakmp/describe.js';
import { IsakmpError, hex, toJson } from '../../isakmp/index.js';
import { decodeCapture, parseKeyTable, type CaptureEntry } from '../../util/pcap-ike.js';

const USAGE = 'usage: isakmpctl decode [-j] [--keys FILE] CAPTURE';

export async function run(argv: string[]): Promise<number> {
  let json = false;
  let keysFile: string | undefined;
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-j' || a === '--json') json = true;
    else if (a === '--keys' || a === '-k') {
      keysFile = argv[++i];
      if (!keysFile) return usage('--keys needs a file');
    } else if (a.startsWith('--keys=')) keysFile = a.slice(7);
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith('-') && a !== '-') return usage(`unknown option ${a}`);
    else if (file) return usage('one capture file only');
    else file = a;
  }
  if (!file) return usage('no capture file given');
  let keys = new Map<string, Uint8Array>();
  if (keysFile) {
    try {
      keys = parseKeyTable(fs.readFileSync(keysFile, 'utf8'));
    } catch (e) {
      console.error(`isakmpctl decode: ${keysFile}: ${(e as Error).message}`);
      return 1;
    }
  }
  let entries: CaptureEntry[];
  try {
    entries = decodeCapture(fs.readFileSync(file === '-' ? 0 : file), keys);
  } catch (e) {
    console.error(`isakmpctl decode: ${file}: ${(e as Error).message}`);
    return 1;
  }
  for (const e of entries) console.log(json ? JSON.stringify(entryJson(e)) : entryText(e));
  return 0;
}

function usage(msg: string): number {
  console.error(`isakmpctl decode: ${msg}\n${USAGE}`);
  return 2;
}

export function entryJson(e: CaptureEntry): Record<string, unknown> {
  const base = { frame: e.frame, src: e.src, sport: e.sport, dst: e.dst, dport: e.dport };
  switch (e.kind) {
    case 'esp':
      return { ...base, esp: { spi: e.spi, seq: e.seq } };
    case 'keepalive':
      return { ...base, keepalive: true };
    case 'error':
      return { ...base, error: errorJson(e.error) };
    case 'ike': {
      const h = e.message.header;
      return {
        ...base,
        ispi: hex(h.ispi),
        rspi: hex(h.rspi),
        version: `${h.major}.${h.minor}`,
        exchange: h.exchange,
        flags: h.flags,
        messageId: h.messageId,
        length: h.length,
        encrypted: e.message.encrypted !== undefined,
        ...(e.decrypted ? { decrypted: true } : {}),
        ...(e.decryptError ? { decryptError: e.decryptError } : {}),
        ...(e.reassembledFrom ? { reassembledFrom: e.reassembledFrom } : {}),
        payloads: e.message.payloads.map(toJson),
      };
    }
  }
}

function errorJson(err: IsakmpError | Error): Record<string, unknown> {
  if (err instanceof IsakmpError) return { notify: err.notify.name, notifyType: err.notify.number, reason: err.reason, offset: err.offset };
  return { reason: err.message };
}

export function entryText(e: CaptureEntry): string {
  const head = `Frame ${e.frame}: ${e.src}:${e.sport} -> ${e.dst}:${e.dport}`;
  switch (e.kind) {
    case 'esp':
      return `${head}\n    ESP SPI 0x${e.spi.toString(16).padStart(8, '0')} sequence ${e.seq}\n`;
    case 'keepalive':
      return `${head}\n    NAT-keepalive\n`;
    case 'error': {
      const err = e.error;
      const why = err instanceof IsakmpError ? `${err.notify.name}: ${err.reason} (offset ${err.offset})` : err.message;
      return `${head}\n    Malformed ISAKMP message: ${why}\n`;
    }
    case 'ike': {
      const lines = describeMessage(e.message, { decrypted: e.decrypted === true });
      if (e.decryptError) lines.push(`Not decrypted: ${e.decryptError}`);
      if (e.reassembledFrom) lines.unshift(`Reassembled from IKE fragments in frames ${e.reassembledFrom.join(', ')}`);
      return `${head}\nInternet Security Association and Key Management Protocol\n${lines.map((l) => `    ${l}`).join('\n')}\n`;
    }
  }
}
