// Control-socket requests for the data plane. The daemon's control server routes
//   {"cmd":"ipsecadm","args":<IpsecadmCommand>}   or   {"cmd":"ipsecadm","argv":["flow","-addr",...]}
// here, and {"cmd":"show","what":"sa"|"flows"} can use showDataplane(). Replies are one JSON object:
//   {"ok":true,"text":"...","result":{...}}   or   {"ok":false,"error":"..."}
import type { KeyEngineApi } from './api.js';
import { parseIpsecadm, toSaParams, type IpsecadmCommand } from './ipsecadm.js';
import { formatFlows, formatSas, formatStats } from './show.js';

export interface IpsecadmRequest {
  cmd: 'ipsecadm';
  args?: unknown;
  argv?: unknown;
}

export type ControlReply = { ok: true; text: string; result?: unknown } | { ok: false; error: string };

/**
 * Executes one ipsecadm request. The request came over a socket: everything is re-validated by
 * re-parsing it into ipsecadm's grammar, so a hand-written JSON request gets the same checks.
 */
export function handleIpsecadmRequest(dp: KeyEngineApi, request: unknown): ControlReply {
  const cmd = decode(request);
  if (typeof cmd === 'string') return { ok: false, error: cmd };
  return execute(dp, cmd);
}

function decode(request: unknown): IpsecadmCommand | string {
  if (!request || typeof request !== 'object') return 'request must be a JSON object';
  const r = request as IpsecadmRequest;
  if (r.cmd !== 'ipsecadm') return 'not an ipsecadm request';
  if (Array.isArray(r.argv)) {
    if (!r.argv.every((a) => typeof a === 'string')) return 'argv must be strings';
    const p = parseIpsecadm(r.argv as string[]);
    return p.ok ? p.value : p.error;
  }
  if (r.args && typeof r.args === 'object') {
    const argv = commandToArgv(r.args as IpsecadmCommand);
    if (typeof argv === 'string') return argv;
    const p = parseIpsecadm(argv);
    return p.ok ? p.value : p.error;
  }
  return 'ipsecadm request needs "args" or "argv"';
}

/** The inverse of parseIpsecadm, so structured requests pass through the one validating parser. */
export function commandToArgv(c: IpsecadmCommand): string[] | string {
  const s = (v: unknown): string => String(v);
  const spi = (v: unknown): string => (typeof v === 'number' ? v.toString(16) : s(v));
  switch (c?.op) {
    case 'new': {
      const a = ['new', s(c.proto), '-spi', spi(c.spi), '-src', s(c.src), '-dst', s(c.dst)];
      if (c.forcetunnel) a.push('-forcetunnel');
      if (c.proxy !== undefined) a.push('-proxy', s(c.proxy));
      for (const k of ['enc', 'key', 'auth', 'authkey'] as const) if (c[k] !== undefined) a.push(`-${k}`, s(c[k]));
      if (c.replay !== undefined) a.push('-replay', s(c.replay));
      if (c.esn) a.push('-esn');
      if (c.udpencap) a.push('-udpencap', `${s(c.udpencap.sport)}:${s(c.udpencap.dport)}`);
      return a;
    }
    case 'group':
      return ['group', '-dst', s(c.dst), '-spi', spi(c.spi), '-proto', s(c.proto), '-dst2', s(c.dst2), '-spi2', spi(c.spi2), '-proto2', s(c.proto2)];
    case 'delspi':
      return ['delspi', '-dst', s(c.dst), '-spi', spi(c.spi), '-proto', s(c.proto)];
    case 'flow': {
      if (!c.addr || typeof c.addr !== 'object') return 'flow needs addr {src, dst}';
      const a = ['flow', '-addr', s(c.addr.src), s(c.addr.dst), `-${s(c.direction ?? 'out')}`, `-${s(c.type ?? 'require')}`, '-proto', s(c.proto ?? 'esp')];
      if (c.delete) a.push('-delete');
      if (c.dst !== undefined) a.push('-dst', s(c.dst));
      if (c.src !== undefined) a.push('-src', s(c.src));
      if (c.transport !== undefined) a.push('-transport', s(c.transport));
      if (c.sport !== undefined) a.push('-sport', s(c.sport));
      if (c.dport !== undefined) a.push('-dport', s(c.dport));
      return a;
    }
    case 'flush': {
      const a = ['flush'];
      if (c.esp) a.push('-esp');
      if (c.ah) a.push('-ah');
      return a;
    }
    case 'show':
      return ['show'];
    default:
      return 'unknown ipsecadm op';
  }
}

function execute(dp: KeyEngineApi, c: IpsecadmCommand): ControlReply {
  switch (c.op) {
    case 'new': {
      const p = toSaParams(c);
      if (typeof p === 'string') return { ok: false, error: p };
      const r = dp.addSa(p);
      return r.ok ? { ok: true, text: `added ${c.proto} SA spi 0x${c.spi.toString(16)} to ${c.dst}`, result: r.value } : { ok: false, error: r.error };
    }
    case 'group': {
      const r = dp.groupSa({ dst: c.dst, spi: c.spi, proto: c.proto }, { dst: c.dst2, spi: c.spi2, proto: c.proto2 });
      return r.ok ? { ok: true, text: 'grouped' } : { ok: false, error: r.error };
    }
    case 'delspi': {
      const r = dp.deleteSa({ dst: c.dst, spi: c.spi, proto: c.proto });
      return r.ok ? { ok: true, text: `deleted ${c.proto} SA spi 0x${c.spi.toString(16)}` } : { ok: false, error: r.error };
    }
    case 'flow': {
      const selector = {
        src: c.addr.src,
        dst: c.addr.dst,
        ...(c.transport !== undefined ? { proto: c.transport } : {}),
        ...(c.sport !== undefined ? { sport: c.sport } : {}),
        ...(c.dport !== undefined ? { dport: c.dport } : {}),
      };
      if (c.delete) {
        const r = dp.deleteFlow({ selector, direction: c.direction });
        return r.ok ? { ok: true, text: 'flow deleted' } : { ok: false, error: r.error };
      }
      const r = dp.addFlow({ selector, direction: c.direction, type: c.type, saProto: c.proto, ...(c.dst !== undefined ? { peer: c.dst } : {}) });
      return r.ok ? { ok: true, text: `flow ${r.value} added`, result: { id: r.value } } : { ok: false, error: r.error };
    }
    case 'flush': {
      const r = c.esp || c.ah ? dp.flush({ ...(c.esp ? { esp: true } : {}), ...(c.ah ? { ah: true } : {}) }) : c.other ? { sas: 0, flows: 0 } : dp.flush();
      return { ok: true, text: `flushed ${r.sas} SAs and ${r.flows} flows`, result: r };
    }
    case 'show':
      return showDataplane(dp, 'all');
  }
}

/** `show sa`, `show flows` or both, as text plus JSON (keys never included). */
export function showDataplane(dp: KeyEngineApi, what: 'sa' | 'flows' | 'all'): ControlReply {
  const sas = dp.listSas();
  const flows = dp.listFlows();
  const stats = dp.stats();
  const json = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))) as unknown;
  const parts: string[] = [];
  if (what !== 'flows') parts.push(formatSas(sas));
  if (what !== 'sa') parts.push(formatFlows(flows));
  parts.push(formatStats(stats));
  return {
    ok: true,
    text: parts.join('\n'),
    result: json({ ...(what !== 'flows' ? { sas } : {}), ...(what !== 'sa' ? { flows } : {}), stats }),
  };
}
