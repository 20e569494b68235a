import assert from 'node:assert/strict';
import { SimNet, EAST, WEST, pairConfigs, added } from './sim.js';
import { choosePhase1, phase1Proposal, readPhase1Transform } from '../../src/ike/proposals.js';
import { IkeAuthMethod, IkeEncryption, IkeHash } from '../../src/isakmp/numbers.js';

describe('ike engine: proposals, transport mode and host-to-host', () => {
  it('host-to-host transport mode without ID payloads uses the outer addresses as selectors', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    for (const c of [cfg.east, cfg.west]) {
      const conn = c.connections[0]!;
      delete conn.localId;
      delete conn.remoteId;
      conn.suites[0]!.transforms[0]!.mode = 'transport';
    }
    const east = net.add('east', EAST, cfg.east, 'h2h-e');
    const west = net.add('west', WEST, cfg.west, 'h2h-w');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    const [e] = added(east);
    assert.equal(e!.sa.mode, 'transport');
    assert.equal(e!.sa.localSelector, '127.0.0.1/32');
    assert.equal(e!.sa.remoteSelector, '127.0.0.2/32');
    assert.equal(added(west)[0]!.sa.localSelector, '127.0.0.2/32');
  });

  it('the responder takes the first offered suite it supports (here the second proposal)', () => {
    const net = new SimNet();
    const cfg = pairConfigs();
    const t = cfg.east.connections[0]!.suites[0]!.transforms[0]!;
    cfg.east.connections[0]!.suites = [
      { name: 'QM-ESP-3DES-SHA2-256-SUITE', transforms: [{ ...t, encr: '3des-cbc', integ: 'hmac-sha2-256' }] },
      { name: 'QM-ESP-AES-256-SHA-SUITE', transforms: [{ ...t, keyLength: 256 }] },
    ];
    cfg.west.connections[0]!.suites = [{ name: 'aes256', transforms: [{ ...t, keyLength: 256 }] }];
    const east = net.add('east', EAST, cfg.east, 'p-e');
    const west = net.add('west', WEST, cfg.west, 'p-w');
    net.command(east, { type: 'connect', name: 'east-west' });
    net.run(60_000, () => added(east).length > 0 && added(west).length > 0);
    assert.equal(added(east)[0]!.sa.encr, 'aes-cbc');
    assert.equal(added(east)[0]!.sa.keyLength, 32);
    assert.equal(added(west)[0]!.sa.inbound.encKey.length, 32);
  });

  it('phase 1 choice follows the initiator order and takes the shorter lifetime', () => {
    const offer = phase1Proposal([
      { encr: IkeEncryption['3DES_CBC'], hash: IkeHash.MD5, auth: IkeAuthMethod.PRE_SHARED, group: 2, lifeSeconds: 3600 },
      { encr: IkeEncryption.AES_CBC, keyLength: 256, hash: IkeHash.SHA2_256, auth: IkeAuthMethod.PRE_SHARED, group: 14, lifeSeconds: 86400 },
      { encr: IkeEncryption.AES_CBC, keyLength: 128, hash: IkeHash.SHA, auth: IkeAuthMethod.PRE_SHARED, group: 14, lifeSeconds: 86400 },
    ]);
    const mine = [
      { encr: IkeEncryption.AES_CBC, keyLength: 128, hash: IkeHash.SHA, auth: IkeAuthMethod.PRE_SHARED, group: 14, lifeSeconds: 3600 },
      { encr: IkeEncryption.AES_CBC, keyLength: 256, hash: IkeHash.SHA2_256, auth: IkeAuthMethod.PRE_SHARED, group: 14, lifeSeconds: 28800 },
    ];
    const c = choosePhase1([offer], mine);
    assert.ok(c);
    assert.equal(c.transform.number, 2, "the initiator's order wins over ours");
    assert.equal(c.chosen.lifeSeconds, 28800);
    // a transform with an attribute we do not implement is passed over, not misread
    const odd = { ...offer.transforms[2]!, attributes: [...offer.transforms[2]!.attributes, { type: 13, value: 1 }] };
    assert.equal(readPhase1Transform(odd), undefined);
  });
});
