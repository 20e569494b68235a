// oakley <-> strongSwan 5.9.8 (root): negotiations that must fail, and fail cleanly on both sides: a wrong
// pre-shared key, no common Phase 1 proposal (each side as responder), an Aggressive Mode identity the
// responder does not expect, and a Phase 2 teardown that leaves the ISAKMP SA in place.
import assert from 'node:assert/strict';
import { Lab, labSuiteHooks, strongswanLabUnavailable, type SitePair } from './lab/index.js';
import { Oakley, PSK, charonConn, oakleyConf, spiHex } from './oakley-peer.js';
import { establish, type SwanRow } from './strongswan-run.js';

const BASE_IKE = 'aes128-sha1-modp2048';
const BASE_ESP = 'aes128-sha1-modp2048';

describe('interop: oakley <-> strongSwan, refusals and partial teardown (root)', function () {
  const skip = labSuiteHooks(strongswanLabUnavailable);
  let lab: Lab;
  let pair: SitePair;
  let n = 0;
  before(async function () {
    if (skip) return;
    lab = await Lab.create({ prefix: 'oiN' });
    pair = await lab.sitePair();
  });

  /** charon (left) and oakley (right), started and loaded; the caller drives the exchange. */
  async function peers(o: {
    role: 'initiator' | 'responder';
    exchange?: 'ID_PROT' | 'AGGRESSIVE';
    transforms?: string[];
    ike?: string;
    charonPsk?: string;
    charonIds?: { local: string; remote: string };
    oakleyIds?: { local: string; remote: string };
  }): Promise<{ c: ReturnType<Lab['charon']>; ok: Oakley; stop: () => Promise<void> }> {
    const tag = `neg${n++}`;
    const aggressive = o.exchange === 'AGGRESSIVE';
    const c = lab.charon(pair.left.ns, `c-${tag}`, { keyLog: false, aggressivePsk: aggressive });
    const ok = new Oakley(
      lab,
      pair.right,
      `o-${tag}`,
      oakleyConf({
        local: pair.right.outer,
        remote: pair.left.outer,
        role: o.role,
        exchange: o.exchange,
        transforms: o.transforms ?? ['AES-128-SHA-GRP14'],
        suites: ['QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'],
        localNet: pair.right.subnet,
        remoteNet: pair.left.subnet,
        psk: PSK,
        localId: o.oakleyIds ? { type: 'FQDN', name: o.oakleyIds.local } : undefined,
        remoteId: o.oakleyIds ? { type: 'FQDN', name: o.oakleyIds.remote } : undefined,
      }),
    );
    const stop = async (): Promise<void> => {
      await ok.stop();
      await c.stop();
    };
    try {
      await c.start();
      await c.load(
        charonConn(pair.left, pair.right, {
          aggressive,
          ike: o.ike ?? BASE_IKE,
          esp: BASE_ESP,
          psk: o.charonPsk,
          localId: o.charonIds?.local,
          remoteId: o.charonIds?.remote,
          gw: { keyingtries: 1 },
        }),
      );
      await ok.start();
    } catch (err) {
      await stop();
      throw err;
    }
    return { c, ok, stop };
  }

  it('a wrong pre-shared key: Main Mode fails on both sides, no SA anywhere', async function () {
    const { c, ok, stop } = await peers({ role: 'responder', charonPsk: 'not-the-key-0123456789' });
    try {
      const r = await c.initiate('net', { check: false, timeoutS: 5 });
      assert.notEqual(r.code, 0);
      // oakley cannot decrypt (or verify) charon's Main Mode message 5 and drops the exchange
      await ok.waitLog(/phase 1 with peer \S+ failed: .*(pre-shared key|decrypt|hash)/i);
      const st = await ok.showSaCli();
      assert.equal(st.isakmp.filter((s) => s.state === 'ESTABLISHED').length, 0);
      assert.equal(st.ipsec.length, 0);
      assert.ok((await c.listSas()).every((sa) => sa.state !== 'ESTABLISHED'));
    } finally {
      await stop();
    }
  });

  it('no common Phase 1 proposal, oakley responder: charon receives NO-PROPOSAL-CHOSEN', async function () {
    const { c, ok, stop } = await peers({ role: 'responder', ike: 'aes256-sha512-modp4096' });
    try {
      const r = await c.initiate('net', { check: false, timeoutS: 5 });
      assert.notEqual(r.code, 0);
      await c.waitLog(/received NO_PROPOSAL_CHOSEN error notify/);
      const st = await ok.showSaCli();
      assert.deepEqual([st.isakmp.length, st.ipsec.length], [0, 0]);
    } finally {
      await stop();
    }
  });

  it('no common Phase 1 proposal, oakley initiator: charon refuses with NO-PROPOSAL-CHOSEN and oakley reports it', async function () {
    const { c, ok, stop } = await peers({ role: 'initiator', transforms: ['AES-256-SHA2-512-GRP16'] });
    try {
      await c.waitLog(/no IKE proposal found|no proposal found/);
      await ok.waitLog(/NO_PROPOSAL_CHOSEN|NO-PROPOSAL-CHOSEN/);
      const st = await ok.showSaCli();
      assert.equal(st.isakmp.filter((s) => s.state === 'ESTABLISHED').length, 0);
      assert.equal(st.ipsec.length, 0);
      assert.ok((await c.listSas()).every((sa) => sa.state !== 'ESTABLISHED'));
    } finally {
      await stop();
    }
  });

  it('Aggressive Mode with an identity oakley does not expect: refused, no SA', async function () {
    const { c, ok, stop } = await peers({
      role: 'responder',
      exchange: 'AGGRESSIVE',
      charonIds: { local: 'intruder.oakley.test', remote: 'oakley.oakley.test' },
      oakleyIds: { local: 'oakley.oakley.test', remote: 'charon.oakley.test' },
    });
    try {
      const r = await c.initiate('net', { check: false, timeoutS: 5 });
      assert.notEqual(r.code, 0);
      // refused at the first message (before any HASH_R leaves oakley), and said so in the log
      await ok.waitLog(/INVALID.ID|intruder\.oakley\.test/);
      assert.doesNotMatch(c.readLog(), /parsed AGGRESSIVE response 0 \[ [^\]]*HASH/, 'oakley answered Aggressive Mode message 1 from an unexpected identity');
      assert.doesNotMatch(c.readLog(), /IKE_SA gw\[\d+\] established/);
      const st = await ok.showSaCli();
      assert.equal(st.isakmp.filter((s) => s.state === 'ESTABLISHED').length, 0);
      assert.equal(st.ipsec.length, 0);
      assert.ok((await c.listSas()).every((sa) => sa.state !== 'ESTABLISHED'));
    } finally {
      await stop();
    }
  });

  it('isakmpctl teardown of the connection deletes the IPsec SA only: charon keeps the IKE SA', async function () {
    const row: SwanRow = {
      name: 'teardown-phase2',
      exchange: 'main',
      oakley: 'responder',
      ids: 'ipv4',
      ike: BASE_IKE,
      esp: BASE_ESP,
      transforms: ['AES-128-SHA-GRP14'],
      suites: ['QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'],
      expect: {
        encr: 'aes-128-cbc', hash: 'sha1', group: 14,
        swanIke: { encr: 'AES_CBC', keysize: '128', integ: 'HMAC_SHA1_96', dh: 'MODP_2048' },
        swanEsp: { encr: 'AES_CBC', integ: 'HMAC_SHA1_96' },
        pfsGroup: 14,
      },
    };
    const r = await establish(lab, pair, row);
    try {
      const t = await r.o.ctl(['teardown', 'net']);
      assert.equal(t.code, 0, t.stderr + t.stdout);
      await r.c.waitLog(new RegExp(`received DELETE for ESP CHILD_SA with SPI ${spiHex(r.p2.spiIn)}`));
      const sas = await r.c.listSas();
      assert.equal(sas.length, 1);
      assert.equal(sas[0]!.state, 'ESTABLISHED');
      assert.equal(sas[0]!.children.length, 0);
      const st = await r.o.waitState('IPsec SA gone, ISAKMP SA kept', (s) => (s.ipsec.length === 0 && s.isakmp.length === 1 ? s : undefined));
      assert.equal(st.isakmp[0]!.icookie.toLowerCase(), sas[0]!.initiatorSpi.toLowerCase());
    } finally {
      await r.stop();
    }
  });
});
