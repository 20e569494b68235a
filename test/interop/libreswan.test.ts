// oakley <-> Libreswan 4.10 (root, package unpacked by scripts/interop-deps.sh): Main Mode and Aggressive
// Mode Phase 1 with pre-shared keys, and Main Mode with RSA signatures and certificates, oakley as
// initiator and as responder; Delete propagation both ways.
//
// Only Phase 1 is asserted. pluto installs every IPsec SA into the kernel (XFRM) and the kernel here has no
// ESP/AH in XFRM ("Protocol not supported"), so Quick Mode cannot complete inside pluto, whoever starts
// it; there is no userspace data plane in Libreswan to fall back on (strongSwan has kernel-libipsec).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, labSuiteHooks, libreswanLabUnavailable, run, waitFor, type SitePair } from './lab/index.js';
import { fixturePath } from '../helpers/paths.js';
import { Oakley, PSK, oakleyConf } from './oakley-peer.js';

interface PlutoRow {
  name: string;
  exchange: 'main' | 'aggressive';
  oakley: 'initiator' | 'responder';
}

const ROWS: PlutoRow[] = [
  { name: 'mm-oakley-responder', exchange: 'main', oakley: 'responder' },
  { name: 'mm-oakley-initiator', exchange: 'main', oakley: 'initiator' },
  { name: 'am-oakley-responder', exchange: 'aggressive', oakley: 'responder' },
  { name: 'am-oakley-initiator', exchange: 'aggressive', oakley: 'initiator' },
];

const IDS = { pluto: 'pluto.oakley.test', oakley: 'oakley.oakley.test' };

describe('interop: oakley <-> Libreswan 4.10, Phase 1 (root)', function () {
  const skip = labSuiteHooks(libreswanLabUnavailable);
  let lab: Lab;
  let pair: SitePair;
  before(async function () {
    if (skip) return;
    lab = await Lab.create({ prefix: 'oiL' });
    pair = await lab.sitePair();
  });

  for (const row of ROWS) {
    it(`${row.name}: ${row.exchange} mode PSK aes128-sha1-modp2048, oakley ${row.oakley}`, async function () {
      const { left: ps, right: os } = pair;
      const aggressive = row.exchange === 'aggressive';
      const p = lab.pluto(ps.ns, `p-${row.name}`);
      const conn: Record<string, string> = {
        ikev2: 'no',
        authby: 'secret',
        left: ps.outer,
        leftsubnet: ps.subnet,
        right: os.outer,
        rightsubnet: os.subnet,
        ike: 'aes128-sha1;modp2048',
        phase2alg: 'aes128-sha1;modp2048',
        auto: 'add',
      };
      if (aggressive) Object.assign(conn, { aggressive: 'yes', leftid: `@${IDS.pluto}`, rightid: `@${IDS.oakley}` });
      p.configure({ gw: conn }, aggressive ? `@${IDS.pluto} @${IDS.oakley} : PSK "${PSK}"` : `${ps.outer} ${os.outer} : PSK "${PSK}"`);
      const o = new Oakley(
        lab,
        os,
        `o-pluto-${row.name}`,
        oakleyConf({
          local: os.outer,
          remote: ps.outer,
          role: row.oakley,
          exchange: aggressive ? 'AGGRESSIVE' : 'ID_PROT',
          transforms: ['AES-128-SHA-GRP14'],
          suites: ['QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'],
          localNet: os.subnet,
          remoteNet: ps.subnet,
          psk: PSK,
          localId: aggressive ? { type: 'FQDN', name: IDS.oakley } : undefined,
          remoteId: aggressive ? { type: 'FQDN', name: IDS.pluto } : undefined,
        }),
      );
      try {
        await p.start();
        await o.start();
        if (row.oakley === 'responder') await p.initiate('gw', { asynchronous: true });
        // pluto: Phase 1 done in the expected role and exchange
        const want =
          row.exchange === 'main'
            ? row.oakley === 'responder' ? /STATE_MAIN_I4/ : /STATE_MAIN_R3/
            : row.oakley === 'responder' ? /STATE_AGGR_I2/ : /STATE_AGGR_R2/;
        const st = await p.waitState('gw', want);
        await p.waitLog(/IKE SA established \{auth=PRESHARED_KEY cipher=AES_CBC_128 integ=HMAC_SHA1 group=MODP2048\}/);
        // oakley: the same Phase 1
        const sa = await o.waitState('ISAKMP SA established', (s) => s.isakmp.find((x) => x.state === 'ESTABLISHED'));
        const cli = await o.showSaCli();
        assert.equal(cli.isakmp.filter((x) => x.state === 'ESTABLISHED').length, 1);
        assert.equal(sa.role, row.oakley);
        assert.equal(sa.exchange, row.exchange);
        assert.equal(sa.encr, 'aes-128-cbc');
        assert.equal(sa.hash, 'sha1');
        assert.equal(sa.group, 14);
        // no NAT between the namespaces and pluto does not force encapsulation: both stay on port 500
        assert.equal(sa.local, `${os.outer}:500`);
        assert.equal(sa.remote, `${ps.outer}:500`);
        const [ours, theirs] = row.oakley === 'initiator' ? [sa.idI, sa.idR] : [sa.idR, sa.idI];
        if (aggressive) {
          assert.match(String(ours), /oakley\.oakley\.test/);
          assert.match(String(theirs), /pluto\.oakley\.test/);
        } else {
          assert.match(String(theirs), new RegExp(`^${ps.outer.replace(/\./g, '\\.')}(/32)?$`));
        }
        // pluto's state line names the ISAKMP SA it holds with us
        assert.match(st.line, /"gw"/);
      } finally {
        await o.stop();
        await p.stop();
      }
    });
  }

  for (const from of ['pluto', 'oakley'] as const) {
    it(`Delete propagation with pluto: teardown on ${from} removes the ISAKMP SA on the other side`, async function () {
      const { left: ps, right: os } = pair;
      const p = lab.pluto(ps.ns, `p-delete-${from}`);
      p.configure(
        {
          gw: {
            ikev2: 'no', authby: 'secret', left: ps.outer, leftsubnet: ps.subnet, right: os.outer, rightsubnet: os.subnet,
            ike: 'aes128-sha1;modp2048', phase2alg: 'aes128-sha1;modp2048', auto: 'add',
          },
        },
        `${ps.outer} ${os.outer} : PSK "${PSK}"`,
      );
      const o = new Oakley(lab, os, `o-pluto-delete-${from}`, oakleyConf({
        local: os.outer, remote: ps.outer, role: 'responder', transforms: ['AES-128-SHA-GRP14'], suites: ['QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'],
        localNet: os.subnet, remoteNet: ps.subnet, psk: PSK,
      }));
      try {
        await p.start();
        await o.start();
        await p.initiate('gw', { asynchronous: true });
        const first = await p.waitState('gw', /STATE_MAIN_I4/);
        await o.waitState('ISAKMP SA established', (s) => s.isakmp.find((x) => x.state === 'ESTABLISHED'));
        if (from === 'pluto') {
          // --terminate sends an Informational Delete for the ISAKMP SA
          await p.whack(['--name', 'gw', '--terminate'], { check: false });
          await o.waitState('ISAKMP SA gone', (s) => s.isakmp.length === 0);
          await o.waitLog(/deleted the ISAKMP SA/);
        } else {
          const t = await o.ctl(['teardown', ps.outer]);
          assert.equal(t.code, 0, t.stderr + t.stdout);
          await p.waitLog(/received Delete SA payload: (self-)?delet(ing|e) ISAKMP State/i);
          // that state goes (pluto then starts a new one: the connection was initiated, so it must stay up)
          await waitFor(async () => !(await p.states()).some((st) => st.serial === first.serial), { what: `pluto state #${first.serial} gone`, timeoutMs: 10_000 });
        }
      } finally {
        await o.stop();
        await p.stop();
      }
    });
  }

  for (const role of ['responder', 'initiator'] as const) {
    it(`Main Mode RSA_SIG with certificates (test/fixtures/pki), oakley ${role}`, async function () {
      const { left: ps, right: os } = pair;
      const p = lab.pluto(ps.ns, `p-rsa-${role}`);
      p.configure(
        {
          gw: {
            ikev2: 'no', authby: 'rsasig', left: ps.outer, leftsubnet: ps.subnet, leftcert: 'west', leftid: '@west.example.test',
            right: os.outer, rightsubnet: os.subnet, rightid: '@east.example.test', rightca: '%same',
            ike: 'aes128-sha2_256;modp2048', phase2alg: 'aes128-sha1;modp2048', auto: 'add',
          },
        },
        ': RSA "west"',
      );
      // pluto's NSS database: the root CA (trusted) and west's certificate with its key
      fs.mkdirSync(p.nssDir, { recursive: true });
      await run('certutil', ['-N', '-d', `sql:${p.nssDir}`, '--empty-password']);
      await run('certutil', ['-A', '-d', `sql:${p.nssDir}`, '-n', 'root', '-t', 'CT,,', '-i', fixturePath('pki', 'root.crt')]);
      const p12 = path.join(lab.dir, `west-${role}.p12`);
      await run('openssl', ['pkcs12', '-export', '-in', fixturePath('pki', 'west.crt'), '-inkey', fixturePath('pki', 'west.key'), '-name', 'west', '-out', p12, '-passout', 'pass:lab']);
      await run('pk12util', ['-i', p12, '-d', `sql:${p.nssDir}`, '-W', 'lab']);
      const dir = path.join(lab.dir, `rsa-${role}-pki`);
      for (const d of ['ca', 'certs', 'crls']) fs.mkdirSync(path.join(dir, d), { recursive: true });
      fs.copyFileSync(fixturePath('pki', 'root.crt'), path.join(dir, 'ca', 'root.crt'));
      fs.copyFileSync(fixturePath('pki', 'east.crt'), path.join(dir, 'certs', 'east.crt'));
      fs.copyFileSync(fixturePath('pki', 'east.key'), path.join(dir, 'east.key'));
      fs.chmodSync(path.join(dir, 'east.key'), 0o600);
      const o = new Oakley(lab, os, `o-pluto-rsa-${role}`, oakleyConf({
        local: os.outer, remote: ps.outer, role, transforms: ['AES-128-SHA2-256-GRP14-RSA_SIG'], suites: ['QM-ESP-AES-128-SHA-PFS-GRP14-SUITE'],
        localNet: os.subnet, remoteNet: ps.subnet,
        localId: { type: 'FQDN', name: 'east.example.test' }, remoteId: { type: 'FQDN', name: 'west.example.test' },
        sections: {
          'X509-certificates': { 'CA-directory': `${dir}/ca/`, 'Cert-directory': `${dir}/certs/`, 'CRL-directory': `${dir}/crls/`, 'Private-key': `${dir}/east.key` },
        },
      }));
      try {
        await p.start();
        await o.start();
        if (role === 'responder') await p.initiate('gw', { asynchronous: true });
        await p.waitState('gw', role === 'responder' ? /STATE_MAIN_I4/ : /STATE_MAIN_R3/);
        await p.waitLog(/IKE SA established \{auth=RSA_SIG cipher=AES_CBC_128 integ=HMAC_SHA2_256 group=MODP2048\}/);
        await p.waitLog(/authenticated peer .*RSA.* signature using peer certificate '@east\.example\.test' issued by CA .*Oakley Test Root CA/);
        const sa = await o.waitState('ISAKMP SA established', (s) => s.isakmp.find((x) => x.state === 'ESTABLISHED'));
        assert.equal(sa.role, role);
        assert.equal(sa.hash, 'sha256');
        const theirs = role === 'initiator' ? sa.idR : sa.idI;
        assert.match(String(theirs), /west\.example\.test/);
      } finally {
        await o.stop();
        await p.stop();
      }
    });
  }
});
