// Parser for `swanctl --raw` output: vici messages printed as `name {key=value sec {..} list [a b]}`.

export type ViciValue = string | string[] | ViciSection;
export interface ViciSection {
  [key: string]: ViciValue;
}

function tokenize(text: string): string[] {
  return text.match(/[{}[\]]|[^\s{}[\]]+/g) ?? [];
}

/**
 * Parses every top-level message in the output (one per line, e.g. one `list-sa event {...}` per IKE SA).
 * Returns the bodies in order.
 */
export function parseViciRaw(text: string): ViciSection[] {
  const messages: ViciSection[] = [];
  for (const line of text.split('\n')) {
    const t = tokenize(line);
    const open = t.indexOf('{');
    if (open < 0) continue;
    let pos = open + 1;
    const section = (): ViciSection => {
      const out: ViciSection = {};
      while (pos < t.length && t[pos] !== '}') {
        const tok = t[pos++]!;
        const eq = tok.indexOf('=');
        if (eq > 0 && eq === tok.length - 1 && t[pos] === '[') {
          pos++;
          const list: string[] = [];
          while (pos < t.length && t[pos] !== ']') list.push(t[pos++]!);
          pos++;
          out[tok.slice(0, eq)] = list;
        } else if (eq > 0) {
          out[tok.slice(0, eq)] = tok.slice(eq + 1);
        } else if (t[pos] === '{') {
          pos++;
          out[tok] = section();
        } else if (t[pos] === '[') {
          pos++;
          const list: string[] = [];
          while (pos < t.length && t[pos] !== ']') list.push(t[pos++]!);
          pos++;
          out[tok] = list;
        } else {
          throw new Error(`unexpected token ${tok} in vici output: ${line}`);
        }
      }
      pos++;
      return out;
    };
    messages.push(section());
  }
  return messages;
}

export interface ChildSaInfo {
  name: string;
  state: string;
  protocol: string;
  spiIn: string;
  spiOut: string;
  encap: boolean;
  encrAlg?: string;
  integAlg?: string;
  dhGroup?: string;
  localTs: string[];
  remoteTs: string[];
  packetsIn: number;
  packetsOut: number;
}

export interface IkeSaInfo {
  name: string;
  uniqueId: string;
  version: string;
  state: string;
  localHost: string;
  remoteHost: string;
  localPort: string;
  remotePort: string;
  initiatorSpi: string;
  responderSpi: string;
  initiator: boolean;
  natAny: boolean;
  encrAlg?: string;
  encrKeysize?: string;
  integAlg?: string;
  prfAlg?: string;
  dhGroup?: string;
  children: ChildSaInfo[];
  raw: ViciSection;
}

const str = (v: ViciValue | undefined): string => (typeof v === 'string' ? v : '');
const list = (v: ViciValue | undefined): string[] => (Array.isArray(v) ? v : []);
const opt = (v: ViciValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** Turns `swanctl --list-sas --raw` output into typed records. */
export function parseListSas(text: string): IkeSaInfo[] {
  const out: IkeSaInfo[] = [];
  for (const msg of parseViciRaw(text)) {
    for (const [name, body] of Object.entries(msg)) {
      if (typeof body !== 'object' || Array.isArray(body)) continue;
      const children: ChildSaInfo[] = [];
      const cs = body['child-sas'];
      if (cs && typeof cs === 'object' && !Array.isArray(cs)) {
        for (const c of Object.values(cs)) {
          if (typeof c !== 'object' || Array.isArray(c)) continue;
          children.push({
            name: str(c['name']),
            state: str(c['state']),
            protocol: str(c['protocol']),
            spiIn: str(c['spi-in']),
            spiOut: str(c['spi-out']),
            encap: str(c['encap']) === 'yes',
            encrAlg: opt(c['encr-alg']),
            integAlg: opt(c['integ-alg']),
            dhGroup: opt(c['dh-group']),
            localTs: list(c['local-ts']),
            remoteTs: list(c['remote-ts']),
            packetsIn: Number(str(c['packets-in']) || 0),
            packetsOut: Number(str(c['packets-out']) || 0),
          });
        }
      }
      out.push({
        name,
        uniqueId: str(body['uniqueid']),
        version: str(body['version']),
        state: str(body['state']),
        localHost: str(body['local-host']),
        remoteHost: str(body['remote-host']),
        localPort: str(body['local-port']),
        remotePort: str(body['remote-port']),
        initiatorSpi: str(body['initiator-spi']),
        responderSpi: str(body['responder-spi']),
        initiator: str(body['initiator']) === 'yes',
        natAny: str(body['nat-any']) === 'yes',
        encrAlg: opt(body['encr-alg']),
        encrKeysize: opt(body['encr-keysize']),
        integAlg: opt(body['integ-alg']),
        prfAlg: opt(body['prf-alg']),
        dhGroup: opt(body['dh-group']),
        children,
        raw: body,
      });
    }
  }
  return out;
}
