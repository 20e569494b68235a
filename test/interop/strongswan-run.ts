// One oakley <-> strongSwan negotiation on an existing site pair, described as data, with the checks
// every scenario shares: both peers report the same SA (cookies, SPIs, selectors, algorithms).
import assert from 'node:assert/strict';
import type { Charon, IkeSaInfo, Lab, SitePair } from './lab/index.js';
import { Oakley, PSK, charonConn, charonUp, oakleyConf, spiHex, type OakleyConfSpec, type OakleyIpsecSa, type OakleyIsakmpSa, type OakleyOptions } from './oakley-peer.js';

export interface SwanRow {
  name: string;
  exchange: 'main' | 'aggressive';
  /** Who starts Phase 1 and Quick Mode. */
  oakley: 'initiator' | 'responder';
  ids: 'ipv4' | 'fqdn' | 'ufqdn';
  /** strongSwan proposal strings. */
  ike: string;
  esp: string;
  /** oakley transform and suite names. */
  transforms: string[];
  suites: string[];
  /** Extra isakmpd.conf sections (hand-written suites, protocols and transforms). */
  sections?: Record<string, Record<string, string>>;
  /** What both must agree on. */
  expect: {
    encr: string; // oakley's name, e.g. aes-128-cbc
    hash: string; // oakley's name, e.g. sha1
    group: number; // phase 1 group number
    swanIke: { encr: string; keysize?: string; integ: string; dh: string };
    swanEsp: { encr: string; integ: string };
    pfsGroup: number | null; // Quick Mode PFS group or none
  };
}

export const FQDN = { charon: 'charon.oakley.test', oakley: 'oakley.oakley.test' };
export const UFQDN = { charon: 'charon@oakley.test', oakley: 'oakley@oakley.test' };

export interface Running {
  c: Charon;
  o: Oakley;
  swan: IkeSaInfo;
  p1: OakleyIsakmpSa;
  p2: OakleyIpsecSa;
  stop: () => Promise<void>;
}

let seq = 0;

/**
 * Starts charon on the left site and oakley on the right one, lets the initiator negotiate and waits until
 * both report Phase 1 and Quick Mode done. The caller stops both with `stop()`.
 */
export async function establish(
  lab: Lab,
  pair: SitePair,
  row: SwanRow,
  opts: { oakley?: OakleyOptions; swanConn?: Parameters<typeof charonConn>[2]; oakleySpec?: Partial<OakleyConfSpec>; charon?: Parameters<Lab['charon']>[2]; reuseCharon?: Charon } = {},
): Promise<Running> {
  const { left: cs, right: os } = pair;
  const tag = `${row.name}-${seq++}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  const names = row.ids === 'fqdn' ? FQDN : row.ids === 'ufqdn' ? UFQDN : undefined;
  const idType = row.ids === 'ufqdn' ? ('USER_FQDN' as const) : ('FQDN' as const);
  const c = opts.reuseCharon ?? lab.charon(cs.ns, `c-${tag}`, { aggressivePsk: row.exchange === 'aggressive', keyLog: false, ...(opts.charon ?? {}) });
  const o = new Oakley(
    lab,
    os,
    `o-${tag}`,
    oakleyConf({
      local: os.outer,
      remote: cs.outer,
      role: row.oakley,
      exchange: row.exchange === 'main' ? 'ID_PROT' : 'AGGRESSIVE',
      transforms: row.transforms,
      suites: row.suites,
      localNet: os.subnet,
      remoteNet: cs.subnet,
      psk: PSK,
      localId: names ? { type: idType, name: names.oakley } : undefined,
      remoteId: names ? { type: idType, name: names.charon } : undefined,
      sections: row.sections,
      ...(opts.oakleySpec ?? {}),
    }),
    opts.oakley ?? {},
  );
  const stop = async (): Promise<void> => {
    await o.stop();
    await c.stop();
  };
  try {
    await c.start();
    await c.load(
      charonConn(cs, os, {
        aggressive: row.exchange === 'aggressive',
        ike: row.ike,
        esp: row.esp,
        localId: names?.charon,
        remoteId: names?.oakley,
        ...(opts.swanConn ?? {}),
      }),
    );
    await o.start();
    if (row.oakley === 'responder') {
      const r = await c.initiate('net', { check: false, timeoutS: 20 });
      assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout.slice(-1500)}\n--- oakley log ---\n${o.readLog().slice(-1500)}`);
    }
    const swan = await charonUp(c);
    const { p1, p2 } = await o.waitEstablished();
    return { c, o, swan, p1, p2, stop };
  } catch (err) {
    const detail = `\n--- oakley log ---\n${o.readLog().slice(-2500)}\n--- charon log ---\n${c
      .readLog()
      .split('\n')
      .filter((l) => /IKE\]|ENC\]|CFG\]/.test(l) && !/vici/.test(l))
      .slice(-30)
      .join('\n')}`;
    await stop();
    if (err instanceof Error) err.message += detail;
    throw err;
  }
}

/** Both peers describe the same Phase 1 and Quick Mode SA, as the row expects. */
export async function assertAgreement(r: Running, pair: SitePair, row: SwanRow): Promise<void> {
  const { swan, o } = r;
  const e = row.expect;
  // charon's view
  assert.equal(swan.version, '1');
  assert.equal(swan.state, 'ESTABLISHED');
  assert.equal(swan.initiator, row.oakley === 'responder', 'charon initiator flag');
  assert.equal(swan.encrAlg, e.swanIke.encr);
  if (e.swanIke.keysize) assert.equal(swan.encrKeysize, e.swanIke.keysize);
  assert.equal(swan.integAlg, e.swanIke.integ);
  assert.equal(swan.dhGroup, e.swanIke.dh);
  const child = swan.children.find((ch) => ch.name === 'net')!;
  assert.equal(child.state, 'INSTALLED');
  assert.equal(child.protocol, 'ESP');
  assert.equal(child.encrAlg, e.swanEsp.encr);
  assert.equal(child.integAlg ?? '', e.swanEsp.integ);
  assert.deepEqual(child.localTs, [pair.left.subnet]);
  assert.deepEqual(child.remoteTs, [pair.right.subnet]);
  // Quick Mode must not overtake the last Phase 1 message (charon would drop it and wait for a retransmit)
  assert.doesNotMatch(r.c.readLog(), /ignoring QUICK_MODE request while phase 1 is incomplete/, 'Quick Mode message 1 arrived before Phase 1 was complete');
  // oakley's view, through the operator CLI
  const st = await o.showSaCli();
  const p1 = st.isakmp.filter((s) => s.state === 'ESTABLISHED');
  assert.equal(p1.length, 1, `one ISAKMP SA on oakley: ${JSON.stringify(st.isakmp)}`);
  const sa = p1[0]!;
  assert.equal(sa.exchange, row.exchange);
  assert.equal(sa.role, row.oakley);
  assert.equal(sa.encr, e.encr);
  assert.equal(sa.hash, e.hash);
  assert.equal(sa.group, e.group);
  // same cookies on both sides
  assert.equal(sa.icookie.toLowerCase(), swan.initiatorSpi.toLowerCase(), 'initiator cookie');
  assert.equal(sa.rcookie.toLowerCase(), swan.responderSpi.toLowerCase(), 'responder cookie');
  // identities
  const [ourId, theirId] = row.oakley === 'initiator' ? [sa.idI, sa.idR] : [sa.idR, sa.idI];
  if (row.ids !== 'ipv4') {
    const names = row.ids === 'fqdn' ? FQDN : UFQDN;
    assert.match(String(ourId), new RegExp(names.oakley.replace(/\./g, '\\.')));
    assert.match(String(theirId), new RegExp(names.charon.replace(/\./g, '\\.')));
  } else {
    assert.match(String(ourId), new RegExp(`^${pair.right.outer.replace(/\./g, '\\.')}(/32)?$`));
    assert.match(String(theirId), new RegExp(`^${pair.left.outer.replace(/\./g, '\\.')}(/32)?$`));
  }
  // the Quick Mode SA pair: our inbound SPI is charon's outbound and the other way round
  const ipsec = st.ipsec.filter((s) => s.connection === 'net');
  assert.equal(ipsec.length, 1, `one IPsec SA on oakley: ${JSON.stringify(st.ipsec)}`);
  const q = ipsec[0]!;
  assert.equal(spiHex(q.spiIn), spiHex(child.spiOut), 'oakley inbound SPI = charon outbound SPI');
  assert.equal(spiHex(q.spiOut), spiHex(child.spiIn), 'oakley outbound SPI = charon inbound SPI');
  assert.equal(q.localSelector, pair.right.subnet);
  assert.equal(q.remoteSelector, pair.left.subnet);
  assert.equal(q.pfsGroup ?? null, e.pfsGroup);
  if (e.pfsGroup === null) assert.equal(child.dhGroup, undefined, 'charon: no PFS group on the CHILD_SA');
}
