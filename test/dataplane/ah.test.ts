// AH (RFC 4302): the ICV recomputed independently here with node:crypto from the RFC's rules
// (IPv4: TOS, flags/fragment offset, TTL and checksum zeroed; IPv6: traffic class, flow label and hop
// limit zeroed; the ICV field zeroed; ESN high half appended).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import type { SaParams, WireOut } from '../../src/dataplane/api.js';
import { ipPacket, providers, toHex, udpPacket } from './helpers.js';

function independentIcv(pkt: Uint8Array, v6: boolean, ahOff: number, icvLen: number, hash: string, key: Uint8Array, esnHi?: number): Buffer {
  const c = Buffer.from(pkt);
  if (!v6) {
    c[1] = 0;
    c[6] = 0;
    c[7] = 0;
    c[8] = 0;
    c[10] = 0;
    c[11] = 0;
  } else {
    c[0] = 0x60;
    c[1] = 0;
    c[2] = 0;
    c[3] = 0;
    c[7] = 0;
  }
  const ahLen = (c[ahOff + 1]! + 2) * 4;
  c.fill(0, ahOff + 12, ahOff + ahLen);
  const h = crypto.createHmac(hash, key).update(c);
  if (esnHi !== undefined) {
    const x = Buffer.alloc(4);
    x.writeUInt32BE(esnHi);
    h.update(x);
  }
  return h.digest().subarray(0, icvLen);
}

const cases = [
  { alg: 'hmac-sha1-96', hash: 'sha1', klen: 20, icv: 12 },
  { alg: 'hmac-md5-96', hash: 'md5', klen: 16, icv: 12 },
  { alg: 'hmac-sha2-256-128', hash: 'sha256', klen: 32, icv: 16 },
  { alg: 'hmac-sha2-384-192', hash: 'sha384', klen: 48, icv: 24 },
  { alg: 'hmac-sha2-512-256', hash: 'sha512', klen: 64, icv: 32 },
] as const;

for (const provider of providers()) {
  describe(`AH (${provider.name})`, () => {
    for (const c of cases) {
      for (const v6 of [false, true]) {
        for (const mode of ['transport', 'tunnel'] as const) {
          it(`${c.alg} ${mode} IPv${v6 ? 6 : 4}: ICV matches the RFC rules, mutable fields do not matter`, () => {
            const src = v6 ? '2001:db8::1' : '198.18.0.1';
            const dst = v6 ? '2001:db8::2' : '198.18.0.2';
            const key = crypto.randomBytes(c.klen);
            const sa: SaParams = { spi: 0x4242, proto: 'ah', src, dst, mode, auth: { alg: c.alg, key } };
            const a = new DataPlane({ provider });
            const b = new DataPlane({ provider });
            a.addSa(sa);
            b.addSa(sa);
            a.addFlow({ selector: { src, dst }, direction: 'out', type: 'require', saProto: 'ah' });
            const pkt = udpPacket(src, dst, 7, 9, crypto.randomBytes(33));
            const r = a.outbound(pkt);
            assert.equal(r.action, 'protect');
            const out = (r as { out: WireOut }).out.bytes;
            const hl = v6 ? 40 : 20;
            assert.equal(out[v6 ? 6 : 9], 51);
            const ahSize = (out[hl + 1]! + 2) * 4;
            assert.equal(ahSize % (v6 ? 8 : 4), 0, 'AH length alignment');
            assert.equal(Buffer.from(out).readUInt32BE(hl + 4), 0x4242);
            assert.equal(Buffer.from(out).readUInt32BE(hl + 8), 1);
            assert.equal(out[hl], mode === 'tunnel' ? (v6 ? 41 : 4) : 17);
            const icv = independentIcv(out, v6, hl, c.icv, c.hash, key);
            assert.equal(toHex(out.subarray(hl + 12, hl + 12 + c.icv)), toHex(icv));
            // Routers change TTL/hop limit and TOS on the way: still verifies.
            const moved = Uint8Array.from(out);
            if (v6) {
              moved[7] = 3;
              moved[1] = moved[1]! | 0x0f;
            } else {
              moved[8] = 3;
              moved[1] = 0x10;
              moved[10] ^= 0x55;
            }
            const got = b.inbound(moved);
            assert.equal(got.action, 'deliver', JSON.stringify(got));
            const inner = (got as { packet: Uint8Array }).packet;
            assert.equal(toHex(inner.subarray(hl)), toHex(pkt.subarray(hl)));
            // An immutable field changed: rejected.
            const forged = Uint8Array.from(out);
            forged[v6 ? 8 : 12] ^= 1; // source address
            forged[hl + 8 + 3] = 2; // fresh sequence number so the replay check passes
            assert.deepEqual(b.inbound(forged), { action: 'drop', reason: 'bad-icv' });
          });
        }
      }
    }

    it('ESN: the high half of the sequence number enters the ICV without appearing on the wire', () => {
      const src = '198.18.0.1';
      const dst = '198.18.0.2';
      const key = crypto.randomBytes(20);
      const sa: SaParams = { spi: 0x4243, proto: 'ah', src, dst, mode: 'transport', esn: true, auth: { alg: 'hmac-sha1-96', key } };
      const a = new DataPlane({ provider });
      a.addSa(sa);
      a.addFlow({ selector: { src, dst }, direction: 'out', type: 'require', saProto: 'ah' });
      a.setSequence({ dst, spi: 0x4243, proto: 'ah' }, 3 * 2 ** 32 + 9);
      const out = (a.outbound(ipPacket(src, dst, 6, crypto.randomBytes(20))) as { out: WireOut }).out.bytes;
      assert.equal(Buffer.from(out).readUInt32BE(28), 10);
      assert.equal(toHex(out.subarray(32, 44)), toHex(independentIcv(out, false, 20, 12, 'sha1', key, 3)));
    });

    it('IPv4 options: mutable options are zeroed as a whole, security options are covered', () => {
      // Header with a record-route option (mutable, type 7) and a NOP.
      const src = '198.18.0.1';
      const dst = '198.18.0.2';
      const base = ipPacket(src, dst, 17, crypto.randomBytes(16));
      const opt = Buffer.from([1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0]); // NOP, RR len 7 ptr 4, 4 bytes, EOL pad
      const pkt = Buffer.concat([base.subarray(0, 20), opt, base.subarray(20)]);
      pkt[0] = 0x48;
      pkt.writeUInt16BE(pkt.length, 2);
      const key = crypto.randomBytes(20);
      const sa: SaParams = { spi: 0x4244, proto: 'ah', src, dst, mode: 'transport', auth: { alg: 'hmac-sha1-96', key } };
      const a = new DataPlane({ provider });
      const b = new DataPlane({ provider });
      a.addSa(sa);
      b.addSa(sa);
      a.addFlow({ selector: { src, dst }, direction: 'out', type: 'require', saProto: 'ah' });
      const out = (a.outbound(pkt) as { out: WireOut }).out.bytes;
      const moved = Uint8Array.from(out);
      moved[20 + 4] = 0xc6; // a router recorded its address
      assert.equal(b.inbound(moved).action, 'deliver');
    });
  });
}
