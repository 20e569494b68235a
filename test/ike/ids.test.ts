// ID payloads from configured addresses: the hand-written dotted-quad parser must accept exactly what
// net.isIPv4 accepts and give the same bytes; subnets and names come out as RFC 2407 4.6.2 lays them out.
import assert from 'node:assert/strict';
import net from 'node:net';
import fc from 'fast-check';
import { addrBytes, flat, idFromSpec, idText } from '../../src/ike/ids.js';
import { IdType } from '../../src/isakmp/numbers.js';

const reference = (s: string): number[] | undefined => (net.isIPv4(s) ? s.split('.').map(Number) : undefined);

describe('ike/ids: addresses and ID payloads', () => {
  it('dotted quads: the same verdict and bytes as net.isIPv4 for near-miss and random text', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.constantFrom('', '00', '01', '007', '255', '256', '1000', 'a', '-1', ' 1', '1 '));
    const quadish = fc.array(part, { minLength: 1, maxLength: 6 }).map((p) => p.join('.'));
    const noise = fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', 'x', ' '), maxLength: 18 });
    fc.assert(
      fc.property(fc.oneof(quadish, noise), (s) => {
        const got = addrBytes(s);
        const want = reference(s);
        assert.deepEqual(got === undefined ? undefined : [...got], want, JSON.stringify(s));
      }),
      { numRuns: 3000, seed: 2407 },
    );
  });

  it('edge quads', () => {
    for (const [s, want] of [['0.0.0.0', [0, 0, 0, 0]], ['255.255.255.255', [255, 255, 255, 255]], ['192.0.2.1', [192, 0, 2, 1]]] as const) {
      assert.deepEqual([...addrBytes(s)!], want);
    }
    for (const s of ['192.0.2', '192.0.2.1.5', '192.0.2.04', '192..2.1', '.192.0.2', '192.0.2.1.', '256.0.2.1', '192.0.2.1 ', '']) assert.equal(addrBytes(s), undefined, s);
  });

  it('IPv6 text still goes through the IPv6 parser', () => {
    assert.equal(Buffer.from(addrBytes('2001:db8::1')!).toString('hex'), '20010db8000000000000000000000001');
    assert.equal(addrBytes('2001:db8::g'), undefined);
  });

  it('ID payloads from specs: address, subnet (network then mask), name; with protocol and port', () => {
    const a = idFromSpec({ type: 'IPV4_ADDR', address: '198.51.100.7' })!;
    assert.deepEqual([a.idType, a.protocol, a.port, [...a.data]], [IdType.IPV4_ADDR, 0, 0, [198, 51, 100, 7]]);
    const s = idFromSpec({ type: 'IPV4_ADDR_SUBNET', network: '192.0.2.0', netmask: '255.255.255.0', protocol: 17, port: 500 })!;
    assert.deepEqual([s.idType, s.protocol, s.port, [...s.data]], [IdType.IPV4_ADDR_SUBNET, 17, 500, [192, 0, 2, 0, 255, 255, 255, 0]]);
    assert.equal(idText(s), '192.0.2.0/24:17/500');
    const f = idFromSpec({ type: 'FQDN', name: 'gw.example' })!;
    assert.equal(Buffer.from(f.data).toString('utf8'), 'gw.example');
    assert.equal(idFromSpec({ type: 'IPV4_ADDR_SUBNET', network: '192.0.2.0', netmask: 'ffff::' }), undefined);
  });

  it('flat keeps the text', () => {
    for (const t of ['', 'a', 'fqdn/gw.example', 'ufqdn/ü@example', '192.0.2.0/24 <-> 198.51.100.0/24']) assert.equal(flat(`${t}${''}`), t);
  });
});
