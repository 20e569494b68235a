// Vendor IDs computed at load time against the literal values in RFC 3947, RFC 3706 and the
// values peers are known to send; port-4500 demultiplexing per RFC 3948.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { VENDOR_IDS, addNonEspMarker, classifyUdp4500, describeVendorId, natTVersion, recogniseVendorId } from '../../src/isakmp/index.js';
import { h, hx } from './helpers.js';

describe('isakmp vendor IDs', () => {
  it('NAT-T IDs match the published hashes', () => {
    assert.equal(hx(VENDOR_IDS.NAT_T_RFC3947), '4a131c81070358455c5728f20e95452f'); // RFC 3947 3.1
    assert.equal(hx(VENDOR_IDS.NAT_T_DRAFT_02N), '90cb80913ebb696e086381b5ec427b1f');
    assert.equal(hx(VENDOR_IDS.NAT_T_DRAFT_02), 'cd60464335df21f87cfdb2fc68b6a448');
    assert.equal(hx(VENDOR_IDS.NAT_T_DRAFT_03), '7d9419a65310ca6f2c179d9215529d56');
  });
  it('DPD, XAUTH, Unity, fragmentation and strongSwan IDs', () => {
    assert.equal(hx(VENDOR_IDS.DPD), 'afcad71368a1f1c96b8696fc77570100'); // RFC 3706 5.2
    assert.equal(hx(VENDOR_IDS.XAUTH), '09002689dfd6b712');
    assert.equal(hx(VENDOR_IDS.CISCO_UNITY), '12f5f28c457168a9702d9fe274cc0100');
    assert.equal(hx(VENDOR_IDS.FRAGMENTATION), '4048b7d56ebce88525e7de7f00d6c2d3');
    assert.equal(hx(VENDOR_IDS.STRONGSWAN), '882fe56d6fd20dbc2251613b2ebe5beb');
    assert.equal(hx(VENDOR_IDS.MS_NT5), '1e2b516905991c7d7c96fcbfb587e461');
  });
  it('recognises capabilities and peers', () => {
    assert.equal(natTVersion(h('4a131c81070358455c5728f20e95452f')), 'rfc3947');
    assert.equal(natTVersion(h('90cb80913ebb696e086381b5ec427b1f')), 'draft-02n');
    assert.equal(recogniseVendorId(h('afcad71368a1f1c96b8696fc77570100'))?.kind, 'dpd');
    assert.equal(recogniseVendorId(h('4048b7d56ebce88525e7de7f00d6c2d380000000'))?.kind, 'fragmentation');
    assert.equal(recogniseVendorId(h('1e2b516905991c7d7c96fcbfb587e46100000009'))?.name, 'Windows (MS NT5 ISAKMPOAKLEY) v9');
    assert.equal(recogniseVendorId(h('12f5f28c457168a9702d9fe274cc0100'))?.kind, 'unity');
    // strongSwan sends MD5("strongSwan <version>") when send_vendor_id is on
    assert.equal(recogniseVendorId(new Uint8Array(createHash('md5').update('strongSwan 5.9.8').digest()))?.name, 'strongSwan 5.9.8');
    assert.match(recogniseVendorId(new TextEncoder().encode('OEqwertyuiop'))?.name ?? '', /Libreswan/);
    assert.equal(recogniseVendorId(h('00112233')), undefined);
    assert.equal(describeVendorId(h('00112233')), '00112233');
  });
});

describe('UDP 4500 demultiplexing (RFC 3948)', () => {
  it('non-ESP marker means IKE, stripped', () => {
    const c = classifyUdp4500(h('00000000 0102'));
    assert.equal(c.kind, 'ike');
    if (c.kind === 'ike') assert.equal(hx(c.ike), '0102');
    assert.equal(hx(addNonEspMarker(h('0102'))), '000000000102');
  });
  it('a non-zero SPI means ESP with SPI and sequence number', () => {
    const c = classifyUdp4500(h('c2000002 00000007 aabbccdd'));
    assert.deepEqual(c.kind === 'esp' ? [c.spi, c.seq] : [], [0xc2000002, 7]);
  });
  it('a single 0xff is a NAT keepalive; short junk is invalid', () => {
    assert.equal(classifyUdp4500(h('ff')).kind, 'keepalive');
    assert.equal(classifyUdp4500(h('0000')).kind, 'invalid');
    assert.equal(classifyUdp4500(h('c2000002 00')).kind, 'invalid');
  });
});
