import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fixturePath } from '../helpers/paths.js';
import { kill, randomPorts, showSa, startDaemon, tempDir, waitFor, type Daemon } from './harness.js';

/** A gateway that authenticates with its certificate from the test PKI (FQDN IDs, RSA_SIG). */
function x509Conf(dir: string, me: 'east' | 'west', peerPort: number, active: boolean): string {
  const other = me === 'east' ? 'west' : 'east';
  const nets = me === 'east' ? ['198.51.100.0', '192.0.2.0'] : ['192.0.2.0', '198.51.100.0'];
  return `[General]
Listen-on=		127.0.0.1
Exchange-max-time=	30

[X509-certificates]
CA-directory=		${dir}/ca/
Cert-directory=		${dir}/certs-${me}/
CRL-directory=		${dir}/crls/
Private-key=		${dir}/${me}.key

[Phase 1]
127.0.0.1=		peer

[Phase 2]
${active ? 'Connections' : 'Passive-connections'}=	tunnel

[peer]
Phase=			1
Address=		127.0.0.1
Port=			${peerPort}
Configuration=		mm
ID=			my-id
Remote-ID=		peer-id

[my-id]
ID-type=		FQDN
Name=			${me}.example.test

[peer-id]
ID-type=		FQDN
Name=			${other}.example.test

[mm]
EXCHANGE_TYPE=		ID_PROT
Transforms=		AES-128-SHA2-256-GRP14-RSA_SIG

[tunnel]
Phase=			2
ISAKMP-peer=		peer
Configuration=		qm
Local-ID=		net-local
Remote-ID=		net-remote

[qm]
EXCHANGE_TYPE=		QUICK_MODE
Suites=			QM-ESP-AES-128-SHA-PFS-GRP14-SUITE

[net-local]
ID-type=		IPV4_ADDR_SUBNET
Network=		${nets[0]}
Netmask=		255.255.255.0

[net-remote]
ID-type=		IPV4_ADDR_SUBNET
Network=		${nets[1]}
Netmask=		255.255.255.0
`;
}

describe('isakmpd with X.509 certificates (RSA_SIG) on 127.0.0.1', function () {
  this.timeout(60_000);
  const daemons: Daemon[] = [];
  const dir = tempDir();
  after(() => {
    for (const d of daemons) kill(d);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two gateways authenticate each other by certificate and bring the tunnel up', async () => {
    for (const d of ['ca', 'certs-east', 'certs-west', 'crls']) fs.mkdirSync(path.join(dir, d));
    fs.copyFileSync(fixturePath('pki', 'root.crt'), path.join(dir, 'ca', 'root.crt'));
    for (const me of ['east', 'west']) {
      fs.copyFileSync(fixturePath('pki', `${me}.crt`), path.join(dir, `certs-${me}`, `${me}.crt`));
      fs.copyFileSync(fixturePath('pki', `${me}.key`), path.join(dir, `${me}.key`));
      fs.chmodSync(path.join(dir, `${me}.key`), 0o600);
    }
    const [pe, pw] = randomPorts();
    const west = await startDaemon('west', dir, pw, x509Conf(dir, 'west', pe, false));
    daemons.push(west);
    const east = await startDaemon('east', dir, pe, x509Conf(dir, 'east', pw, true));
    daemons.push(east);
    const [e, w] = await waitFor(async () => {
      const a = await showSa(east);
      const b = await showSa(west);
      return a.ipsec.length && b.ipsec.length ? ([a, b] as const) : false;
    }, 20_000, 'tunnel up');
    assert.equal(e.ipsec[0]!.spiOut, w.ipsec[0]!.spiIn);
    assert.match(east.output(), /phase 1 done \(initiator\): .*fqdn\/east\.example\.test -> fqdn\/west\.example\.test/);
  });
});
