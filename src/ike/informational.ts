// Informational exchanges (RFC 2409 5.7): Delete and Notify, protected by HASH(1) = prf(SKEYID_a, M-ID | N/D)
// once an ISAKMP SA exists; before that only unprotected notifies, which can end a failing phase 1.
import type { IkeEngine } from './engine.js';
import { hex32 } from './engine.js';
import { buildMessage, encodeChain, notifyName, openMessage, rawOf, type Header } from './message.js';
import { u32 } from './ids.js';
import { dpdNotify } from './dpd.js';
import type { IpsecSa, IsakmpSa } from './sa.js';
import { endpointKey, type Endpoint, type NotifyName } from './types.js';
import type { Payload, SaPayload, NotifyPayload, DeletePayload } from '../isakmp/index.js';
import { PayloadType, NotifyType, ProtocolId, ExchangeType, Doi } from '../isakmp/numbers.js';

type N = NotifyPayload;
type D = DeletePayload;

/** Sends a notify without protection: used while no keys are agreed (or the peer cannot have them). */
export function sendUnprotectedNotify(e: IkeEngine, sa: IsakmpSa, notify: NotifyName): void {
  const spi = Buffer.concat([sa.icookie, sa.rcookie]);
  const n: Payload = { type: PayloadType.NOTIFY, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, spi, notifyType: NotifyType[notify], data: new Uint8Array(0) };
  const m = buildMessage({ icookie: sa.icookie, rcookie: sa.rcookie, exchange: ExchangeType.INFO, messageId: 0 }, [n]);
  e.emit({ from: sa.local, to: sa.remote, data: m.data, ...(m.plain ? { plain: m.plain } : {}) });
  e.log('message', 10, `sent unprotected notify ${notify} to ${endpointKey(sa.remote)}`);
}

/** Sends N and/or D payloads in a new protected Informational exchange. */
export function sendProtected(e: IkeEngine, sa: IsakmpSa, payloads: Payload[]): void {
  const mid = e.newMessageId(sa);
  const rest = encodeChain(payloads);
  // HASH(1) = prf(SKEYID_a, M-ID | N/D)
  const h = Buffer.from(sa.keys!.informationalHash(mid, rest));
  const m = buildMessage({ icookie: sa.icookie, rcookie: sa.rcookie, exchange: ExchangeType.INFO, messageId: mid }, [{ type: PayloadType.HASH, data: h }, ...payloads], sa.keys, e.keepPlain);
  sa.keys!.forgetIv(mid);
  e.emit({ from: sa.local, to: sa.remote, data: m.data, ...(m.plain ? { plain: m.plain } : {}) });
  e.countIkeBytes(sa, m.data.length);
}

export function sendProtectedNotify(e: IkeEngine, sa: IsakmpSa, notify: NotifyName, spi: Uint8Array, protocol: number): void {
  sendProtected(e, sa, [{ type: PayloadType.NOTIFY, doi: Doi.IPSEC, protocol, spi, notifyType: NotifyType[notify], data: new Uint8Array(0) }]);
  e.log('message', 10, `sent protected notify ${notify} to ${sa.peer.name}`);
}

export function sendDeleteIpsec(e: IkeEngine, sa: IsakmpSa, list: IpsecSa[]): void {
  if (list.length === 0) return;
  // One Delete payload per protocol, each naming our inbound SPIs (RFC 2408 3.15).
  const esp = list.filter((s) => s.spec.protocol === 'esp').map((s) => s.spec.inbound.spi);
  const ah = [...list.filter((s) => s.spec.protocol === 'ah').map((s) => s.spec.inbound.spi), ...list.flatMap((s) => (s.spec.ah ? [s.spec.ah.inbound.spi] : []))];
  const ds: Payload[] = [];
  if (esp.length) ds.push({ type: PayloadType.DELETE, doi: Doi.IPSEC, protocol: ProtocolId.IPSEC_ESP, spiSize: 4, spis: esp.map(u32) });
  if (ah.length) ds.push({ type: PayloadType.DELETE, doi: Doi.IPSEC, protocol: ProtocolId.IPSEC_AH, spiSize: 4, spis: ah.map(u32) });
  sendProtected(e, sa, ds);
  e.log('message', 10, `sent DELETE for SPI ${[...esp, ...ah].map((x) => '0x' + hex32(x)).join(', ')} to ${sa.peer.name}`);
}

export function sendDeleteIsakmp(e: IkeEngine, sa: IsakmpSa): void {
  sendProtected(e, sa, [{ type: PayloadType.DELETE, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [Buffer.concat([sa.icookie, sa.rcookie])] }]);
  e.log('message', 10, `sent DELETE for ISAKMP SA to ${sa.peer.name}`);
}

export function infoReceive(e: IkeEngine, sa: IsakmpSa, h: Header, datagram: Uint8Array, from: Endpoint, to: Endpoint): void {
  const encrypted = (h.flags & 1) !== 0;
  if (!encrypted) {
    const opened = openMessage(h, datagram);
    if ('notify' in opened) {
      e.drop(opened.notify.toLowerCase());
      return;
    }
    for (const p of opened.payloads) {
      if (p.type !== PayloadType.NOTIFY) continue;
      const n = p as N & Payload;
      e.log('message', 0, `unprotected notify ${notifyName(n.notifyType)} from ${endpointKey(sa.remote)}`);
      // An error notify can only end a phase 1 still in progress; an established SA ignores it (unauthenticated).
      if (n.notifyType < 16384 && sa.state !== 'ESTABLISHED') {
        e.failPhase1(sa, `peer refused with ${notifyName(n.notifyType)}`);
        return;
      }
    }
    if (opened.payloads.some((p) => p.type === PayloadType.DELETE)) e.drop('unprotected-delete');
    return;
  }
  if (sa.state !== 'ESTABLISHED' || !sa.keys) {
    e.drop('info-before-phase1');
    return;
  }
  if (h.messageId === 0) {
    e.drop('invalid_message_id');
    return;
  }
  const opened = openMessage(h, datagram, sa.keys);
  sa.keys.forgetIv(h.messageId);
  if ('notify' in opened) {
    e.drop(opened.notify.toLowerCase());
    return;
  }
  const [first, ...rest] = opened.payloads;
  if (!first || first.type !== PayloadType.HASH || rest.length === 0) {
    e.drop('info-without-hash');
    return;
  }
  const want = Buffer.from(sa.keys.informationalHash(h.messageId, Buffer.concat(rest.map(rawOf))));
  if (!want.equals(first.data)) {
    e.drop('invalid_hash_information');
    e.log('message', 0, `informational from ${sa.peer.name} with a bad HASH dropped`);
    return;
  }
  e.followPeer(sa, from, to, datagram.length);
  for (const p of rest) {
    if (p.type === PayloadType.DELETE) handleDelete(e, sa, p as D);
    else if (p.type === PayloadType.NOTIFY) handleNotify(e, sa, p as N);
  }
}

function handleDelete(e: IkeEngine, sa: IsakmpSa, d: D): void {
  if (d.protocol === ProtocolId.ISAKMP) {
    for (const spi of d.spis) {
      if (spi.length === 16 && sa.icookie.equals(spi.subarray(0, 8)) && sa.rcookie.equals(spi.subarray(8))) {
        e.log('sa', 0, `peer ${sa.peer.name} deleted the ISAKMP SA`, 'deleted');
        e.removeIsakmp(sa);
      }
    }
    return;
  }
  if ((d.protocol !== ProtocolId.IPSEC_ESP && d.protocol !== ProtocolId.IPSEC_AH) || d.spiSize !== 4) {
    e.drop('delete-unknown-protocol');
    return;
  }
  for (const spi of d.spis) {
    const v = Buffer.from(spi).readUInt32BE(0);
    // The peer names its inbound SPI, which is our outbound one.
    const ah = d.protocol === ProtocolId.IPSEC_AH;
    let s: IpsecSa | undefined;
    e.ipsecAt.some(sa.remote.address, (x) => {
      const p = x.spec;
      const hit = ah ? (p.protocol === 'ah' && p.outbound.spi === v) || p.ah?.outbound.spi === v : p.protocol === 'esp' && p.outbound.spi === v;
      if (hit) s = x;
      return hit;
    });
    if (s) e.removeIpsec(s, `deleted by peer ${sa.peer.name}`);
    else e.log('sa', 20, `peer deleted unknown ${ah ? 'AH' : 'ESP'} SPI 0x${hex32(v)}`);
  }
}

function handleNotify(e: IkeEngine, sa: IsakmpSa, n: N): void {
  if (dpdNotify(e, sa, n)) return;
  e.log('message', 0, `protected notify ${notifyName(n.notifyType)} from ${sa.peer.name}`);
  if (n.notifyType >= 16384) return;
  // An error about a Quick Mode we started: the SPI names the proposal (our inbound SPI).
  const spi = n.spi.length === 4 ? Buffer.from(n.spi).readUInt32BE(0) : undefined;
  for (const [k, q] of e.quick) {
    if (q.isakmp !== sa || !q.initiator || q.state !== 'SENT1') continue;
    if (spi !== undefined && q.spiIn !== spi && q.spiInAh !== spi) continue;
    e.quick.delete(k);
    e.releaseSpi(q.spiIn);
    if (q.spiInAh) e.releaseSpi(q.spiInAh);
    e.stats.failures++;
    e.log('exchange', 0, `quick mode ${q.connection?.name ?? ''} with ${sa.peer.name} refused by peer: ${notifyName(n.notifyType)}`, 'failed');
    return;
  }
}
