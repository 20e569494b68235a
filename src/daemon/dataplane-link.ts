// Carries the engine's SA installs into the data plane (PF_KEY-shaped API): two SAs per negotiated pair
// and, unless acquire-only (-a), the inbound and outbound flows for the selectors.
import type { AuthAlg, EncAlg, KeyEngineApi, SaParams, SaRef, Selector } from '../dataplane/api.js';
import type { IpsecSaSpec, SaChange } from '../ike/types.js';

const AUTH: Record<Exclude<IpsecSaSpec['integ'], 'none'>, AuthAlg> = {
  'hmac-md5': 'hmac-md5-96', 'hmac-sha1': 'hmac-sha1-96', 'hmac-sha2-256': 'hmac-sha2-256-128',
  'hmac-sha2-384': 'hmac-sha2-384-192', 'hmac-sha2-512': 'hmac-sha2-512-256',
};
// The engine names ESP ciphers as the data plane does (RFC 2407 transform names, GCM with its ICV length).
const ENC: Record<IpsecSaSpec['encr'], EncAlg> = {
  'aes-cbc': 'aes-cbc', '3des-cbc': '3des-cbc', null: 'null', 'aes-ctr': 'aes-ctr', 'aes-gcm-8': 'aes-gcm-8',
  'aes-gcm-12': 'aes-gcm-12', 'aes-gcm-16': 'aes-gcm-16', 'aes-gmac': 'aes-gmac',
};

/**
 * Lifetimes for the data plane: the seconds the engine also keeps (a safety net should an engine timer be
 * late) and the negotiated kilobytes as bytes, soft at 90 % so the engine renegotiates before the end.
 */
export function lifetimes(s: IpsecSaSpec): Pick<SaParams, 'soft' | 'hard'> {
  const bytes = s.lifeKilobytes ? s.lifeKilobytes * 1024 : undefined;
  return {
    hard: { seconds: s.lifeSeconds, ...(bytes ? { bytes } : {}) },
    ...(bytes ? { soft: { bytes: Math.floor(bytes * 0.9) } } : {}),
  };
}

/** "192.0.2.0/24" or "192.0.2.0/24:17/500" as the engine prints selectors. */
export function selectorPart(s: string): { net: string; proto?: number; port?: number } {
  const m = /^(.*?\/\d+)(?::(\d+)\/(\d+))?$/.exec(s);
  if (!m) return { net: s };
  return { net: m[1]!, ...(m[2] ? { proto: Number(m[2]) } : {}), ...(m[3] && m[3] !== '0' ? { port: Number(m[3]) } : {}) };
}

interface Installed {
  inbound: SaRef;
  outbound: SaRef;
  ahIn?: SaRef;
  ahOut?: SaRef;
  flows: number[];
}

export class DataplaneLink {
  private readonly installed = new Map<string, Installed>();

  constructor(private readonly dp: KeyEngineApi, private readonly flows: boolean, private readonly log: (msg: string) => void) {}

  apply(c: SaChange): void {
    if (c.kind === 'add') this.add(c.sa);
    else this.remove(c.id);
  }

  private add(s: IpsecSaSpec): void {
    // ESP in UDP (NAT-T): the outer UDP ports as each SA's packets travel.
    const u = s.udpEncap;
    const life = lifetimes(s);
    const one = (proto: 'esp' | 'ah', dir: 'in' | 'out', keys: IpsecSaSpec['inbound'], integ: IpsecSaSpec['integ']): ReturnType<KeyEngineApi['addSa']> => {
      const [src, dst] = dir === 'in' ? [s.remote.address, s.local.address] : [s.local.address, s.remote.address];
      // In an AH+ESP bundle only the inner SA (ESP) tunnels; AH then covers the one outer header in transport
      // mode (transport adjacency, RFC 2401 4.5): IP | AH | ESP | inner IP, not two nested tunnels.
      const mode = proto === 'ah' && s.protocol === 'esp' ? 'transport' : s.mode;
      return this.dp.addSa({
        proto, mode, spi: keys.spi, src, dst, label: s.connection, ...life, ...(s.esn ? { esn: true } : {}),
        ...(proto === 'esp' ? { enc: { alg: ENC[s.encr], key: keys.encKey } } : {}),
        ...(integ !== 'none' ? { auth: { alg: AUTH[integ], key: keys.authKey } } : {}),
        ...(u && proto === 'esp' ? { encap: { type: 'udp' as const, ...(dir === 'in' ? { sport: u.remotePort, dport: u.localPort } : { sport: u.localPort, dport: u.remotePort }) } } : {}),
      });
    };
    const refs: SaRef[] = [];
    const undo = (why: string): void => {
      this.log(`data plane refused SA ${s.id}: ${why}`);
      for (const r of refs) this.dp.deleteSa(r);
    };
    const inb = one(s.protocol, 'in', s.inbound, s.integ);
    if (!inb.ok) return undo(inb.error);
    refs.push(inb.value);
    const out = one(s.protocol, 'out', s.outbound, s.integ);
    if (!out.ok) return undo(out.error);
    refs.push(out.value);
    let ahIn: SaRef | undefined;
    let ahOut: SaRef | undefined;
    if (s.ah) {
      const ai = one('ah', 'in', s.ah.inbound, s.ah.integ);
      if (!ai.ok) return undo(ai.error);
      refs.push((ahIn = ai.value));
      const ao = one('ah', 'out', s.ah.outbound, s.ah.integ);
      if (!ao.ok) return undo(ao.error);
      refs.push((ahOut = ao.value));
    }
    const rec: Installed = { inbound: inb.value, outbound: out.value, ...(ahIn && ahOut ? { ahIn, ahOut } : {}), flows: [] };
    if (this.flows) {
      const l = selectorPart(s.localSelector);
      const r = selectorPart(s.remoteSelector);
      const sel = (src: typeof l, dst: typeof l): Selector => ({
        src: src.net, dst: dst.net, ...(l.proto ? { proto: l.proto } : {}),
        ...(src.port ? { sport: src.port } : {}), ...(dst.port ? { dport: dst.port } : {}),
      });
      // The newest SA for a selector pair takes the flow over (duplicate or rekeyed SAs), as isakmpd does.
      // Inbound, any ESP SA from the peer will do, so packets on an older SA of the same pair (rekey
      // overlap, duplicate negotiations) are still accepted.
      const flow = (selector: Selector, direction: 'in' | 'out', ref: SaRef): ReturnType<KeyEngineApi['addFlow']> => {
        this.dp.deleteFlow({ selector, direction });
        return this.dp.addFlow({
          selector, direction, type: 'require', peer: s.remote.address, saProto: s.protocol,
          // innermost first: ESP, then AH around it
          ...(direction === 'out' ? { bundle: ahOut ? [ref, ahOut] : [ref] } : {}),
        });
      };
      const fo = flow(sel(l, r), 'out', out.value);
      const fi = flow(sel(r, l), 'in', inb.value);
      for (const f of [fo, fi]) {
        if (f.ok) rec.flows.push(f.value);
        else this.log(`data plane refused a flow for ${s.id}: ${f.error}`);
      }
    }
    this.installed.set(s.id, rec);
  }

  private remove(id: string): void {
    const rec = this.installed.get(id);
    if (!rec) return;
    this.installed.delete(id);
    for (const f of rec.flows) this.dp.deleteFlow(f);
    this.dp.deleteSa(rec.inbound);
    this.dp.deleteSa(rec.outbound);
    if (rec.ahIn) this.dp.deleteSa(rec.ahIn);
    if (rec.ahOut) this.dp.deleteSa(rec.ahOut);
  }
}
