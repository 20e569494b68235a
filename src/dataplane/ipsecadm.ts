// ipsecadm(8) manual keying: the command-line grammar as OpenBSD documented it, parsed into a typed
// command, and its execution against the data plane. Shared by the `ipsecadm` client (to report
// syntax errors before connecting) and by the control-socket handler (which re-validates).
import type { AuthAlg, EncAlg, FlowType, SaParams, SaProto } from './api.js';
import { isUnspecified, parseAddr, parsePrefix, formatPrefix } from './addr.js';
import { checkAlgs } from './algorithms.js';

export type IpsecadmCommand =
  | {
      op: 'new';
      proto: SaProto;
      spi: number;
      src: string;
      dst: string;
      enc?: string;
      key?: string;
      auth?: string;
      authkey?: string;
      forcetunnel?: boolean;
      proxy?: string;
      /** Extensions: anti-replay window (manual SAs have none by default), ESN, ESP-in-UDP ports. */
      replay?: number;
      esn?: boolean;
      udpencap?: { sport: number; dport: number };
    }
  | { op: 'group'; dst: string; spi: number; proto: SaProto; dst2: string; spi2: number; proto2: SaProto }
  | { op: 'delspi'; dst: string; spi: number; proto: SaProto }
  | {
      op: 'flow';
      delete?: boolean;
      direction: 'in' | 'out';
      type: FlowType;
      dst?: string;
      src?: string;
      proto: SaProto;
      addr: { src: string; dst: string };
      transport?: number;
      sport?: number;
      dport?: number;
    }
  | { op: 'flush'; esp?: boolean; ah?: boolean; other?: boolean }
  | { op: 'show' };

export const USAGE = `usage: ipsecadm [-s socket] command modifiers ...
  new esp  -spi SPI -src ADDR -dst ADDR [-forcetunnel] [-proxy ADDR]
           -enc 3des|aes|aes-ctr|aes-gcm|aes-gcm-8|aes-gcm-12|aes-gmac|null -key HEX
           [-auth md5|sha1|sha2-256|sha2-384|sha2-512 -authkey HEX] [-replay N] [-esn] [-udpencap PORT[:PORT]]
  new ah   -spi SPI -src ADDR -dst ADDR -auth ALG -key HEX [-forcetunnel] [-replay N] [-esn]
  group    -dst ADDR -spi SPI -proto esp|ah -dst2 ADDR -spi2 SPI -proto2 esp|ah
  delspi   -dst ADDR -spi SPI -proto esp|ah
  flow     -addr SRCNET SRCMASK DSTNET DSTMASK | -addr SRC/LEN DST/LEN  [-dst PEER] [-proto esp|ah]
           [-transport PROTO] [-sport PORT] [-dport PORT] [-in|-out]
           [-require|-acquire|-use|-dontacq|-bypass|-permit|-deny] [-delete]
  flush    [-esp] [-ah] [-oldesp] [-oldah] [-ip4] [-ipcomp]
  show     list SAs and flows`;

const ENC_NAMES: Record<string, EncAlg | ((keyLen: number) => EncAlg)> = {
  '3des': '3des-cbc',
  aes: 'aes-cbc',
  'aes-cbc': 'aes-cbc',
  'aes-ctr': 'aes-ctr',
  'aes-gcm': 'aes-gcm-16',
  'aes-gcm-16': 'aes-gcm-16',
  'aes-gcm-12': 'aes-gcm-12',
  'aes-gcm-8': 'aes-gcm-8',
  'aes-gmac': 'aes-gmac',
  null: 'null',
};
const AUTH_NAMES: Record<string, AuthAlg> = {
  md5: 'hmac-md5-96',
  sha1: 'hmac-sha1-96',
  'sha2-256': 'hmac-sha2-256-128',
  sha256: 'hmac-sha2-256-128',
  'sha2-384': 'hmac-sha2-384-192',
  sha384: 'hmac-sha2-384-192',
  'sha2-512': 'hmac-sha2-512-256',
  sha512: 'hmac-sha2-512-256',
};
const UNSUPPORTED_ENC = new Set(['des', 'blf', 'cast', 'skipjack']);
const FLOW_TYPES: FlowType[] = ['require', 'acquire', 'use', 'dontacq', 'bypass', 'permit', 'deny'];
const PROTO_NAMES: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmp6: 58, ipv6icmp: 58, sctp: 132 };
const SERVICES: Record<string, number> = { ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, https: 443, isakmp: 500, 'ipsec-nat-t': 4500 };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseSpi(s: string | undefined, what = '-spi'): number | string {
  if (s === undefined) return `${what} is required`;
  const t = s.replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,8}$/i.test(t)) return `${what}: not a hexadecimal SPI: ${s}`;
  const v = parseInt(t, 16);
  if (v < 0x100) return `${what}: SPIs 0-0xff are reserved`;
  return v;
}

function parseProto(s: string | undefined, what: string): SaProto | string {
  const v = (s ?? 'esp').toLowerCase();
  if (v === 'esp' || v === 'ah') return v;
  if (v === 'ip4') return `${what}: IP-in-IP SAs are not supported`;
  return `${what}: unknown protocol ${s}`;
}

function parsePort(s: string, what: string): number | string {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n >= 0 && n <= 65535 ? n : `${what}: port out of range: ${s}`;
  }
  return SERVICES[s.toLowerCase()] ?? `${what}: unknown service ${s}`;
}

/** Parses ipsecadm's argv (after the global -s option). */
export function parseIpsecadm(argv: string[]): Parsed<IpsecadmCommand> {
  const fail = (error: string): Parsed<IpsecadmCommand> => ({ ok: false, error });
  let args = [...argv];
  let cmd = 'new';
  let sub = 'esp';
  if (args.length && !args[0]!.startsWith('-')) {
    cmd = args.shift()!.toLowerCase();
    if (cmd === 'new' || cmd === 'old') {
      if (!args.length || args[0]!.startsWith('-')) return fail(`${cmd}: expected esp or ah`);
      sub = args.shift()!.toLowerCase();
    }
  }
  // Collect modifiers: flags and options with one value (-addr takes 2 or 4).
  const flags = new Set<string>();
  const opts = new Map<string, string>();
  let addr: string[] | undefined;
  const withValue = new Set(['src', 'dst', 'proxy', 'spi', 'enc', 'auth', 'key', 'authkey', 'proto', 'dst2', 'spi2', 'proto2', 'transport', 'sport', 'dport', 'replay', 'udpencap', 'keyfile', 'authkeyfile', 'srcid', 'dstid', 'srcid_type', 'dstid_type', 'cpi', 'comp']);
  while (args.length) {
    const a = args.shift()!;
    if (!a.startsWith('-')) return fail(`unexpected argument ${a}`);
    const name = a.slice(1).toLowerCase();
    if (name === 'addr') {
      const vals: string[] = [];
      while (args.length && !args[0]!.startsWith('-') && vals.length < 4) vals.push(args.shift()!);
      if (vals.length !== 2 && vals.length !== 4) return fail('-addr takes SRC/LEN DST/LEN or SRCNET SRCMASK DSTNET DSTMASK');
      addr = vals;
    } else if (withValue.has(name)) {
      if (!args.length) return fail(`${a} needs a value`);
      opts.set(name, args.shift()!);
    } else flags.add(name);
  }
  args = [];
  for (const f of ['keyfile', 'authkeyfile', 'srcid', 'dstid', 'srcid_type', 'dstid_type'])
    if (opts.has(f)) return fail(`-${f} is not supported; give keys in hexadecimal with -key/-authkey`);

  switch (cmd) {
    case 'old':
      return fail('old esp/ah (RFC 1827/1826 transforms) are not supported');
    case 'ip4':
    case 'ipcomp':
      return fail(`${cmd} associations are not supported`);
    case 'new': {
      if (sub !== 'esp' && sub !== 'ah') return fail(`new: expected esp or ah, got ${sub}`);
      const spi = parseSpi(opts.get('spi'));
      if (typeof spi === 'string') return fail(spi);
      const src = opts.get('src');
      const dst = opts.get('dst');
      if (!src || !parseAddr(src)) return fail('-src: an IP address is required');
      if (!dst || !parseAddr(dst)) return fail('-dst: an IP address is required');
      const c: IpsecadmCommand = { op: 'new', proto: sub, spi, src, dst };
      if (flags.has('forcetunnel')) c.forcetunnel = true;
      if (opts.has('proxy')) c.proxy = opts.get('proxy')!;
      for (const k of ['enc', 'key', 'auth', 'authkey'] as const) if (opts.has(k)) c[k] = opts.get(k)!;
      if (opts.has('replay')) {
        const n = Number(opts.get('replay'));
        if (!Number.isInteger(n) || n < 0 || n > 4096) return fail('-replay: window size 0-4096');
        c.replay = n;
      }
      if (flags.has('esn')) c.esn = true;
      if (opts.has('udpencap')) {
        const [s, d] = opts.get('udpencap')!.split(':');
        const sp = parsePort(s!, '-udpencap');
        const dp = parsePort(d ?? s!, '-udpencap');
        if (typeof sp === 'string') return fail(sp);
        if (typeof dp === 'string') return fail(dp);
        c.udpencap = { sport: sp, dport: dp };
      }
      for (const f of flags) if (!['forcetunnel', 'esn'].includes(f)) return fail(`new ${sub}: unknown modifier -${f}`);
      const check = toSaParams(c);
      return typeof check === 'string' ? fail(check) : { ok: true, value: c };
    }
    case 'group': {
      const spi = parseSpi(opts.get('spi'));
      const spi2 = parseSpi(opts.get('spi2'), '-spi2');
      if (typeof spi === 'string') return fail(spi);
      if (typeof spi2 === 'string') return fail(spi2);
      const proto = parseProto(opts.get('proto'), '-proto');
      const proto2 = parseProto(opts.get('proto2'), '-proto2');
      if (proto !== 'esp' && proto !== 'ah') return fail(proto);
      if (proto2 !== 'esp' && proto2 !== 'ah') return fail(proto2);
      const dst = opts.get('dst');
      const dst2 = opts.get('dst2');
      if (!dst || !parseAddr(dst) || !dst2 || !parseAddr(dst2)) return fail('group: -dst and -dst2 addresses are required');
      return { ok: true, value: { op: 'group', dst, spi, proto, dst2, spi2, proto2 } };
    }
    case 'delspi': {
      const spi = parseSpi(opts.get('spi'));
      if (typeof spi === 'string') return fail(spi);
      const proto = parseProto(opts.get('proto'), '-proto');
      if (proto !== 'esp' && proto !== 'ah') return fail(proto);
      const dst = opts.get('dst');
      if (!dst || !parseAddr(dst)) return fail('delspi: -dst address is required');
      return { ok: true, value: { op: 'delspi', dst, spi, proto } };
    }
    case 'flow': {
      if (!addr) return fail('flow: -addr is required');
      const nets = addr.length === 4 ? [`${addr[0]}/${addr[1]}`, `${addr[2]}/${addr[3]}`] : addr;
      const sp = parsePrefix(nets[0]!);
      const dp = parsePrefix(nets[1]!);
      if (!sp) return fail(`flow: bad source network ${nets[0]}`);
      if (!dp) return fail(`flow: bad destination network ${nets[1]}`);
      if (sp.addr.length !== dp.addr.length) return fail('flow: -addr networks must be of one address family');
      const types = FLOW_TYPES.filter((t) => flags.has(t));
      if (types.length > 1) return fail(`flow: only one of -${types.join(', -')}`);
      if (flags.has('in') && flags.has('out')) return fail('flow: -in or -out, not both');
      const proto = parseProto(opts.get('proto'), '-proto');
      if (proto !== 'esp' && proto !== 'ah') return fail(proto);
      const c: IpsecadmCommand = {
        op: 'flow',
        direction: flags.has('in') ? 'in' : 'out',
        type: types[0] ?? 'require',
        proto,
        addr: { src: formatPrefix(sp), dst: formatPrefix(dp) },
      };
      if (flags.has('delete')) c.delete = true;
      for (const f of flags) if (!['in', 'out', 'delete', ...FLOW_TYPES].includes(f)) return fail(`flow: unknown modifier -${f}`);
      const dst = opts.get('dst');
      if (dst !== undefined) {
        if (!parseAddr(dst)) return fail(`flow: bad -dst ${dst}`);
        c.dst = dst;
      }
      const src = opts.get('src');
      if (src !== undefined) {
        if (!parseAddr(src)) return fail(`flow: bad -src ${src}`);
        c.src = src;
      }
      const t = opts.get('transport');
      if (t !== undefined) {
        const n = /^\d+$/.test(t) ? Number(t) : PROTO_NAMES[t.toLowerCase()];
        if (n === undefined || n > 255) return fail(`flow: unknown -transport ${t}`);
        c.transport = n;
      }
      for (const k of ['sport', 'dport'] as const) {
        const v = opts.get(k);
        if (v === undefined) continue;
        const n = parsePort(v, `-${k}`);
        if (typeof n === 'string') return fail(n);
        c[k] = n;
      }
      if ((c.sport || c.dport) && c.transport !== 6 && c.transport !== 17 && c.transport !== 132)
        return fail('flow: -sport/-dport need -transport tcp, udp or sctp');
      return { ok: true, value: c };
    }
    case 'flush': {
      for (const f of flags) if (!['esp', 'ah', 'oldesp', 'oldah', 'ip4', 'ipcomp'].includes(f)) return fail(`flush: unknown modifier -${f}`);
      const c: IpsecadmCommand = { op: 'flush' };
      if (flags.has('esp')) c.esp = true;
      if (flags.has('ah')) c.ah = true;
      if (flags.has('oldesp') || flags.has('oldah') || flags.has('ip4') || flags.has('ipcomp')) c.other = true;
      return { ok: true, value: c };
    }
    case 'show':
      return { ok: true, value: { op: 'show' } };
    default:
      return fail(`unknown command ${cmd}`);
  }
}

function hexKey(s: string | undefined, what: string): Uint8Array | string {
  if (s === undefined) return `${what} is required`;
  const t = s.replace(/^0x/i, '');
  if (!/^([0-9a-f]{2})+$/i.test(t)) return `${what}: not hexadecimal key material`;
  return Uint8Array.from(Buffer.from(t, 'hex'));
}

/** Maps a `new` command to SA parameters, or explains why it cannot. */
export function toSaParams(c: Extract<IpsecadmCommand, { op: 'new' }>): SaParams | string {
  const tunnel = !!c.forcetunnel || (c.proxy !== undefined && !isUnspecified(parseAddr(c.proxy) ?? new Uint8Array(1)));
  const p: SaParams = {
    spi: c.spi,
    proto: c.proto,
    src: c.src,
    dst: c.dst,
    mode: tunnel ? 'tunnel' : 'transport',
    // Manual SAs have no replay protection unless asked for, as RFC 4303 3.3.3 permits.
    replayWindow: c.replay ?? 0,
    label: 'manual',
  };
  if (c.esn) p.esn = true;
  if (c.udpencap) p.encap = { type: 'udp', ...c.udpencap };
  if (c.proto === 'ah') {
    if (c.enc) return 'new ah: -enc does not apply to AH';
    const alg = AUTH_NAMES[(c.auth ?? '').toLowerCase()];
    if (!alg) return c.auth ? `-auth: unsupported algorithm ${c.auth}` : 'new ah: -auth is required';
    const key = hexKey(c.key ?? c.authkey, '-key');
    if (typeof key === 'string') return key;
    p.auth = { alg, key };
    return checkAlgs('ah', undefined, p.auth) ?? p;
  }
  const encName = (c.enc ?? '').toLowerCase();
  if (!encName) return 'new esp: -enc is required';
  if (UNSUPPORTED_ENC.has(encName)) return `-enc ${encName} is not supported (use 3des or aes)`;
  const e = ENC_NAMES[encName];
  if (!e) return `-enc: unknown algorithm ${c.enc}`;
  const alg = typeof e === 'function' ? e(0) : e;
  const key = alg === 'null' ? new Uint8Array(0) : hexKey(c.key, '-key');
  if (typeof key === 'string') return key;
  p.enc = { alg, key };
  if (c.auth) {
    const a = AUTH_NAMES[c.auth.toLowerCase()];
    if (!a) return `-auth: unsupported algorithm ${c.auth}`;
    const ak = hexKey(c.authkey, '-authkey');
    if (typeof ak === 'string') return ak;
    p.auth = { alg: a, key: ak };
  }
  return checkAlgs('esp', p.enc, p.auth) ?? p;
}
