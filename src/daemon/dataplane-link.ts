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

/**
 * What one negotiated SA pair put into the data plane, as plain numbers and the engine's own address
 * strings: one small object per tunnel (SA references are rebuilt when the pair is removed).
 * SPI 0 and flow id 0 mean none.
 */
class Installed {
  ahIn = 0;
  ahOut = 0;
  flowOut = 0;
  flowIn = 0;
  constructor(
    readonly proto: 'esp' | 'ah',
    readonly local: string,
    readonly remote: string,
    readonly inSpi: number,
    readonly outSpi: number,
  ) {}
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
        proto, mode, spi: keys.spi, src, dst, direction: dir, label: s.connection, ...life, ...(s.esn ? { esn: true } : {}),
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
    const rec = new Installed(s.protocol, s.local.address, s.remote.address, inb.value.spi, out.value.spi);
    if (ahIn && ahOut) {
      rec.ahIn = ahIn.spi;
      rec.ahOut = ahOut.spi;
    }
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
      if (fo.ok) rec.flowOut = fo.value;
      else this.log(`data plane refused a flow for ${s.id}: ${fo.error}`);
      if (fi.ok) rec.flowIn = fi.value;
      else this.log(`data plane refused a flow for ${s.id}: ${fi.error}`);
    }
    this.installed.set(s.id, rec);
  }

  private remove(id: string): void {
    const rec = this.installed.get(id);
    if (!rec) return;
    this.installed.delete(id);
    if (rec.flowOut) this.dp.deleteFlow(rec.flowOut);
    if (rec.flowIn) this.dp.deleteFlow(rec.flowIn);
    this.dp.deleteSa({ dst: rec.local, spi: rec.inSpi, proto: rec.proto });
    this.dp.deleteSa({ dst: rec.remote, spi: rec.outSpi, proto: rec.proto });
    if (rec.ahIn) this.dp.deleteSa({ dst: rec.local, spi: rec.ahIn, proto: 'ah' });
    if (rec.ahOut) this.dp.deleteSa({ dst: rec.remote, spi: rec.ahOut, proto: 'ah' });
  }
}
