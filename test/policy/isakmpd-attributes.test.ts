import assert from 'node:assert/strict';
import { buildActionAttributes, buildPhase1Attributes, identityText, type QuickModeDecisionInput } from '../../src/policy/isakmpd/attributes.js';

const NOW = new Date(Date.UTC(2030, 0, 2, 3, 4, 5));

function base(over: Partial<QuickModeDecisionInput> = {}): QuickModeDecisionInput {
  return {
    phase1: { exchange: 'main', group: 14, localAddress: '198.18.0.1', remoteAddress: '198.18.1.2', remoteId: { type: 'IPV4_ADDR', address: '198.18.1.2' } },
    initiator: false,
    pfs: true,
    protocols: [{ protocol: 'esp', transformId: 'AES', keyLength: 256, authAlgorithm: 'HMAC_SHA2_256', encapsulation: 'TUNNEL', lifeSeconds: 1200, groupDesc: 14 }],
    localFilter: { type: 'IPV4_ADDR_SUBNET', address: '192.0.2.0', mask: '255.255.255.0' },
    remoteFilter: { type: 'IPV4_ADDR_SUBNET', address: '198.51.100.77', mask: 24, protocol: 6, port: 443 },
    now: NOW,
    ...over,
  };
}

describe('policy/isakmpd: action attributes', () => {
  it('computes the isakmpd names and formats for an ESP tunnel', () => {
    const a = buildActionAttributes(base());
    const want: Record<string, string> = {
      app_domain: 'IPsec policy', doi: 'ipsec', initiator: 'no', phase_1: 'main', phase1_group_desc: '14', pfs: 'yes',
      esp_present: 'yes', ah_present: 'no', comp_present: 'no', esp_enc_alg: 'aes', esp_auth_alg: 'hmac-sha2-256',
      esp_key_length: '256', esp_encapsulation: 'tunnel', esp_life_seconds: '1200', esp_life_kbytes: '', esp_group_desc: '14',
      esp_ecn: 'no', ah_ecn: 'no', ah_hash_alg: '', ah_auth_alg: '',
      local_filter_type: 'IPv4 subnet', local_filter: '192.000.002.000-192.000.002.255',
      local_filter_addr_lower: '192.000.002.000', local_filter_addr_upper: '192.000.002.255', local_filter_port: '0', local_filter_proto: '0',
      remote_filter_type: 'IPv4 subnet', remote_filter: '198.051.100.000-198.051.100.255', remote_filter_port: '443', remote_filter_proto: 'tcp',
      remote_id_type: 'IPv4 address', remote_id: '198.018.001.002', remote_id_addr_lower: '198.018.001.002', remote_id_addr_upper: '198.018.001.002',
      remote_id_port: '0', remote_id_proto: '0',
      remote_negotiation_address: '198.018.001.002', remote_ike_address: '198.018.001.002',
      local_negotiation_address: '198.018.000.001', local_ike_address: '198.018.000.001',
      GMTTimeOfDay: '20300102030405',
    };
    for (const [k, v] of Object.entries(want)) assert.equal(a[k], v, k);
  });

  it('AH: transform names ah_hash_alg, SHA2 transforms name ah_auth_alg, the attribute overrides', () => {
    const ah = (transformId: string, authAlgorithm?: string): Record<string, string> =>
      buildActionAttributes(base({ protocols: [{ protocol: 'ah', transformId, ...(authAlgorithm ? { authAlgorithm } : {}) }] }));
    assert.equal(ah('MD5').ah_hash_alg, 'md5');
    assert.equal(ah('SHA').ah_hash_alg, 'sha');
    assert.equal(ah('SHA2_256').ah_auth_alg, 'sha2-256');
    assert.equal(ah('SHA2_256').ah_hash_alg, '');
    assert.equal(ah('SHA', 'HMAC_SHA').ah_auth_alg, 'hmac-sha');
    assert.equal(ah('SHA2_512', 'HMAC_SHA2_512').ah_auth_alg, 'hmac-sha2-512');
    const a = ah('MD5');
    assert.equal(a.esp_present, 'no');
    assert.equal(a.ah_present, 'yes');
  });

  it('ESP transform names, including the AES family and null', () => {
    const enc = (t: string | number): string => buildActionAttributes(base({ protocols: [{ protocol: 'esp', transformId: t }] })).esp_enc_alg!;
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(enc), ['des-iv64', 'des', '3des', 'rc5', 'idea', 'cast', 'blowfish', '3idea', 'des-iv32', 'rc4', 'null']);
    assert.deepEqual(['AES', 'AES_CTR', 'AES_GCM_16', 'AES_GMAC'].map(enc), ['aes', 'aes', 'aes', 'aes']);
    assert.equal(enc('AES_CCM_8'), ''); // isakmpd has no name for it
  });

  it('encapsulation and the ECN fall-through quirk follow wire order', () => {
    const enc = (attributes: Array<{ type: number; value: number }>): Record<string, string> =>
      buildActionAttributes(base({ protocols: [{ protocol: 'esp', transformId: 3, attributes }] }));
    assert.equal(enc([{ type: 4, value: 2 }]).esp_encapsulation, 'transport');
    assert.equal(enc([{ type: 4, value: 3 }]).esp_encapsulation, 'udp-encap-tunnel');
    assert.equal(enc([{ type: 4, value: 61443 }]).esp_encapsulation, 'udp-encap-tunnel');
    assert.equal(enc([{ type: 4, value: 4 }]).esp_encapsulation, 'transport');
    const ecnAfter = enc([{ type: 4, value: 1 }, { type: 10, value: 0 }]);
    assert.equal(ecnAfter.esp_ecn, 'no');
    assert.equal(ecnAfter.esp_encapsulation, 'transport'); // the quirk: ECN 0 reads as "not tunnel"
    const ecnBefore = enc([{ type: 10, value: 1 }, { type: 4, value: 2 }]);
    assert.equal(ecnBefore.esp_ecn, 'yes');
    assert.equal(ecnBefore.esp_encapsulation, 'transport');
    // lifetimes: type selects seconds or kilobytes; a duration without a type counts as kilobytes
    const life = enc([{ type: 1, value: 1 }, { type: 2, value: 3600 }, { type: 1, value: 2 }, { type: 2, value: 4608000 }]);
    assert.equal(life.esp_life_seconds, '3600');
    assert.equal(life.esp_life_kbytes, '4608000');
  });

  it('IPCOMP attributes', () => {
    const a = buildActionAttributes(base({ protocols: [{ protocol: 'esp', transformId: 12 }, { protocol: 'ipcomp', transformId: 'DEFLATE', dictSize: 12, privateAlgorithm: 5, encapsulation: 1 }] }));
    assert.equal(a.comp_present, 'yes');
    assert.equal(a.comp_alg, 'deflate');
    assert.equal(a.comp_dict_size, '12');
    assert.equal(a.comp_private_alg, '5');
    assert.equal(a.comp_encapsulation, 'tunnel');
  });

  it('without client IDs the filters are the IKE endpoints, with empty port and protocol', () => {
    const d = base();
    delete d.localFilter;
    delete d.remoteFilter;
    const a = buildActionAttributes(d);
    assert.equal(a.remote_filter_type, 'IPv4 address');
    assert.equal(a.remote_filter, '198.018.001.002');
    assert.equal(a.remote_filter_port, '');
    assert.equal(a.local_filter, '198.018.000.001');
    assert.equal(a.local_filter_proto, '');
  });

  it('identity encodings: IPv6 (lower-case, zero-padded groups), ranges, names, DN, key IDs', () => {
    const v6 = identityText({ type: 'IPV6_ADDR_SUBNET', address: '2001:db8::1', mask: 64 });
    assert.equal(v6.type, 'IPv6 subnet');
    assert.equal(v6.lower, '2001:0db8:0000:0000:0000:0000:0000:0000');
    assert.equal(v6.upper, '2001:0db8:0000:0000:ffff:ffff:ffff:ffff');
    assert.equal(identityText({ type: 5, address: '::ffff:192.0.2.1' }).text, '0000:0000:0000:0000:0000:ffff:c000:0201');
    const r = identityText({ type: 'IPV4_RANGE', address: '203.0.113.10', end: '203.0.113.20', protocol: 17, port: 500 });
    assert.deepEqual([r.type, r.text, r.proto, r.port], ['IPv4 range', '203.000.113.010-203.000.113.020', 'udp', '500']);
    assert.equal(identityText({ type: 'FQDN', value: 'gw.example.org' }).text, 'gw.example.org');
    assert.equal(identityText({ type: 'USER_FQDN', value: 'ops@example.org' }).type, 'User FQDN');
    assert.equal(identityText({ type: 'DER_ASN1_GN', value: 'x' }).text, '');
    assert.equal(identityText({ type: 'KEY_ID', value: 'printable-id' }).text, 'printable-id');
    assert.equal(identityText({ type: 'KEY_ID', value: new Uint8Array([0xab, 0x01, 0x02]) }).text, 'ababab'); // isakmpd's loop quirk
    assert.equal(identityText({ type: 'IPV4_ADDR', address: '10.1.2.3', protocol: 97 }).proto, 'etherip');
  });

  it('a DER_ASN1_DN identity prints as a one-line DN', async () => {
    const { readFixture } = await import('../helpers/paths.js');
    const { parseCertificate } = await import('../../src/policy/keys.js');
    const c = parseCertificate(readFixture('policy', 'x509', 'peer.der'));
    assert.equal(c.subject, '/C=SE/O=Example Org/CN=gw-east.example.org');
    assert.equal(c.issuer, '/C=SE/O=Example Org/CN=Example CA');
    // non-ASCII bytes escaped as OpenSSL's X509_NAME_oneline does (its own output, see the fixture README)
    assert.equal(parseCertificate(readFixture('policy', 'x509', 'utf8-subject.der')).subject, '/C=SE/O=Sm\\xC3\\xB6rg\\xC3\\xA5s AB/CN=gw');
  });

  it('rejects malformed descriptions with a clear error', () => {
    assert.throws(() => buildActionAttributes(base({ protocols: [{ protocol: 'esp', transformId: 'NOPE' }] })), /unknown ESP transform 'NOPE'/);
    assert.throws(() => identityText({ type: 'IPV4_ADDR', address: '300.1.1.1' }), /bad IPv4 address/);
    assert.throws(() => identityText({ type: 'IPV4_ADDR_SUBNET' }), /needs a network address/);
  });

  it('phase 1 attributes carry phase = "1" and no protocol', () => {
    const a = buildPhase1Attributes({ exchange: 'aggressive', group: 2, localAddress: '127.0.0.1', remoteAddress: '127.0.0.2', remoteId: { type: 'FQDN', value: 'peer' }, initiator: false, now: NOW });
    assert.equal(a.phase, '1');
    assert.equal(a.phase_1, 'aggressive');
    assert.equal(a.esp_present, 'no');
    assert.equal(a.remote_id, 'peer');
    assert.equal(buildActionAttributes(base()).phase, undefined);
  });
});
