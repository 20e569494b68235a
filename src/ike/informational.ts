// Informational exchanges (RFC 2409 5.7): Delete and Notify, protected by HASH(1) = prf(SKEYID_a, M-ID | N/D)
// once an ISAKMP SA exists; before that only unprotected notifies, which can end a failing phase 1.
import type { IkeEngine } from './engine.js';
import { hex32 } from './engine.js';
import { buildMessage, openMessage } from './message.js';
import { dpdNotify } from './dpd.js';
import { DOI_IPSEC, Exchange, Notify, notifyName, Payload, Proto, type NotifyName } from './numbers.js';
import type { IpsecSa, IsakmpSa } from './sa.js';
import { endpointKey, type Endpoint } from './types.js';
import { encodePayloads, u32, type DecodedPayload, type Header, type PayloadBody } from './wire.js';

type N = Extract<PayloadBody, { notifyType: number }>;
type D = Extract<PayloadBody, { spis: Buffer[] }>;

/** Sends a notify without protection: used while no keys are agreed (or the peer cannot have them). */
export function sendUnprotectedNotify(e: IkeEngine, sa: IsakmpSa, notify: NotifyName): void {
  const spi = Buffer.concat([sa.icookie, sa.rcookie]);
  const { bytes } = encodePayloads([{ type: Payload.N, doi: DOI_IPSEC, protocol: Proto.ISAKMP, spi, notifyType: Notify[notify], data: Buffer.alloc(0) }]);
  const m = buildMessage({ icookie: sa.icookie, rcookie: sa.rcookie, exchange: Exchange.INFO, messageId: 0 }, Payload.N, bytes);
  e.emit({ from: sa.local, to: sa.remote, data: m.data, plain: m.plain });
  e.log('message', 10, `sent unprotected notify ${notify} to ${endpointKey(sa.remote)}`);
}

/** Sends N and/or D payloads in a new protected Informational exchange. */
export function sendProtected(e: IkeEngine, sa: IsakmpSa, payloads: PayloadBody[]): void {
  const mid = e.newMessageId(sa);
  const rest = encodePayloads(payloads).bytes;
  // HASH(1) = prf(SKEYID_a, M-ID | N/D)
  const h = Buffer.from(sa.keys!.informationalHash(mid, rest));
  const chain = Buffer.concat([encodePayloads([{ type: Payload.HASH, data: h }, payloads[0]!]).each[0]!, rest]);
  const m = buildMessage({ icookie: sa.icookie, rcookie: sa.rcookie, exchange: Exchange.INFO, messageId: mid }, Payload.HASH, chain, sa.keys);
  sa.keys!.forgetIv(mid);
  e.emit({ from: sa.local, to: sa.remote, data: m.data, plain: m.plain });
}

export function sendProtectedNotify(e: IkeEngine, sa: IsakmpSa, notify: NotifyName, spi: Buffer, protocol: number): void {
  sendProtected(e, sa, [{ type: Payload.N, doi: DOI_IPSEC, protocol, spi, notifyType: Notify[notify], data: Buffer.alloc(0) }]);
  e.log('message', 10, `sent protected notify ${notify} to ${sa.peer.name}`);
}

export function sendDeleteIpsec(e: IkeEngine, sa: IsakmpSa, list: IpsecSa[]): void {
  if (list.length === 0) return;
  const spis = list.map((s) => u32(s.spec.inbound.spi));
  sendProtected(e, sa, [{ type: Payload.D, doi: DOI_IPSEC, protocol: Proto.ESP, spiSize: 4, spis }]);
  e.log('message', 10, `sent DELETE for ESP SPI ${list.map((s) => '0x' + hex32(s.spec.inbound.spi)).join(', ')} to ${sa.peer.name}`);
}

export function sendDeleteIsakmp(e: IkeEngine, sa: IsakmpSa): void {
  sendProtected(e, sa, [{ type: Payload.D, doi: DOI_IPSEC, protocol: Proto.ISAKMP, spiSize: 16, spis: [Buffer.concat([sa.icookie, sa.rcookie])] }]);
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
      if (p.type !== Payload.N) continue;
      const n = p as N & DecodedPayload;
      e.log('message', 0, `unprotected notify ${notifyName(n.notifyType)} from ${endpointKey(sa.remote)}`);
      // An error notify can only end a phase 1 still in progress; an established SA ignores it (unauthenticated).
      if (n.notifyType < 16384 && sa.state !== 'ESTABLISHED') {
        e.failPhase1(sa, `peer refused with ${notifyName(n.notifyType)}`);
        return;
      }
    }
    if (opened.payloads.some((p) => p.type === Payload.D)) e.drop('unprotected-delete');
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
  if (!first || first.type !== Payload.HASH || rest.length === 0) {
    e.drop('info-without-hash');
    return;
  }
  const want = Buffer.from(sa.keys.informationalHash(h.messageId, Buffer.concat(rest.map((p) => p.raw))));
  if (!want.equals((first as { data: Buffer }).data)) {
    e.drop('invalid_hash_information');
    e.log('message', 0, `informational from ${sa.peer.name} with a bad HASH dropped`);
    return;
  }
  e.followPeer(sa, from, to);
  for (const p of rest) {
    if (p.type === Payload.D) handleDelete(e, sa, p as D);
    else if (p.type === Payload.N) handleNotify(e, sa, p as N);
  }
}

function handleDelete(e: IkeEngine, sa: IsakmpSa, d: D): void {
  if (d.protocol === Proto.ISAKMP) {
    for (const spi of d.spis) {
      if (spi.length === 16 && spi.subarray(0, 8).equals(sa.icookie) && spi.subarray(8).equals(sa.rcookie)) {
        e.log('sa', 0, `peer ${sa.peer.name} deleted the ISAKMP SA`, 'deleted');
        e.removeIsakmp(sa);
      }
    }
    return;
  }
  if (d.protocol !== Proto.ESP || d.spiSize !== 4) {
    e.drop('delete-unknown-protocol');
    return;
  }
  for (const spi of d.spis) {
    const v = spi.readUInt32BE(0);
    // The peer names its inbound SPI, which is our outbound one.
    const s = [...e.ipsec.values()].find((x) => x.spec.outbound.spi === v && x.spec.remote.address === sa.remote.address);
    if (s) e.removeIpsec(s, `deleted by peer ${sa.peer.name}`);
    else e.log('sa', 20, `peer deleted unknown ESP SPI 0x${hex32(v)}`);
  }
}

function handleNotify(e: IkeEngine, sa: IsakmpSa, n: N): void {
  if (dpdNotify(e, sa, n)) return;
  e.log('message', 0, `protected notify ${notifyName(n.notifyType)} from ${sa.peer.name}`);
  if (n.notifyType >= 16384) return;
  // An error about a Quick Mode we started: the SPI names the proposal (our inbound SPI).
  const spi = n.spi.length === 4 ? n.spi.readUInt32BE(0) : undefined;
  for (const [k, q] of e.quick) {
    if (q.isakmp !== sa || !q.initiator || q.state !== 'SENT1') continue;
    if (spi !== undefined && q.spiIn !== spi) continue;
    e.quick.delete(k);
    e.releaseSpi(q.spiIn);
    e.stats.failures++;
    e.log('exchange', 0, `quick mode ${q.connection?.name ?? ''} with ${sa.peer.name} refused by peer: ${notifyName(n.notifyType)}`, 'failed');
    return;
  }
}
