// Carries the engine's SA installs into the data plane (PF_KEY-shaped API): two SAs per negotiated pair
// and, unless acquire-only (-a), the inbound and outbound flows for the selectors.
import type { AuthAlg, EncAlg, KeyEngineApi, SaRef, Selector } from '../dataplane/api.js';
import type { IpsecSaSpec, SaChange } from '../ike/types.js';

const AUTH: Record<IpsecSaSpec['integ'], AuthAlg> = {
  'hmac-md5': 'hmac-md5-96', 'hmac-sha1': 'hmac-sha1-96', 'hmac-sha2-256': 'hmac-sha2-256-128',
  'hmac-sha2-384': 'hmac-sha2-384-192', 'hmac-sha2-512': 'hmac-sha2-512-256',
};
const ENC: Record<IpsecSaSpec['encr'], EncAlg> = { 'aes-cbc': 'aes-cbc', '3des-cbc': '3des-cbc', null: 'null' };

/** "192.0.2.0/24" or "192.0.2.0/24:17/500" as the engine prints selectors. */
export function selectorPart(s: string): { net: string; proto?: number; port?: number } {
  const m = /^(.*\/\d+)(?::(\d+)\/(\d+))?$/.exec(s);
  if (!m) return { net: s };
  return { net: m[1]!, ...(m[2] ? { proto: Number(m[2]) } : {}), ...(m[3] && m[3] !== '0' ? { port: Number(m[3]) } : {}) };
}

interface Installed {
  inbound: SaRef;
  outbound: SaRef;
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
    const common = { proto: 'esp' as const, mode: s.mode, enc: { alg: ENC[s.encr], key: s.inbound.encKey }, label: s.connection };
    // ESP in UDP (NAT-T): the outer UDP ports as each SA's packets travel.
    const u = s.udpEncap;
    const inb = this.dp.addSa({
      ...common, spi: s.inbound.spi, src: s.remote.address, dst: s.local.address,
      enc: { alg: ENC[s.encr], key: s.inbound.encKey }, auth: { alg: AUTH[s.integ], key: s.inbound.authKey },
      ...(u ? { encap: { type: 'udp' as const, sport: u.remotePort, dport: u.localPort } } : {}),
    });
    const out = this.dp.addSa({
      ...common, spi: s.outbound.spi, src: s.local.address, dst: s.remote.address,
      enc: { alg: ENC[s.encr], key: s.outbound.encKey }, auth: { alg: AUTH[s.integ], key: s.outbound.authKey },
      ...(u ? { encap: { type: 'udp' as const, sport: u.localPort, dport: u.remotePort } } : {}),
    });
    if (!inb.ok || !out.ok) {
      this.log(`data plane refused SA ${s.id}: ${!inb.ok ? inb.error : ''} ${!out.ok ? out.error : ''}`.trim());
      if (inb.ok) this.dp.deleteSa(inb.value);
      if (out.ok) this.dp.deleteSa(out.value);
      return;
    }
    const rec: Installed = { inbound: inb.value, outbound: out.value, flows: [] };
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
          selector, direction, type: 'require', peer: s.remote.address, saProto: 'esp', ...(direction === 'out' ? { bundle: [ref] } : {}),
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
  }
}
