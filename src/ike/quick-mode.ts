// Quick Mode (RFC 2409 5.5): HASH(1),SA,Ni[,KE][,IDci,IDcr] / HASH(2),SA,Nr[,KE][,IDci,IDcr] / HASH(3),
// ESP proposals, with and without PFS, both roles. Keys come out as SA installs for the data plane.
import type { ConnectionConfig } from './config.js';
import { KEY_LOG_LEVEL } from '../crypto/index.js';
import { dhCreate } from './crypto-adapter.js';
import type { IkeEngine } from './engine.js';
import { hex32, keepOnlyReply } from './engine.js';
import { addrBytes, addrText, flat, idForAddress, idFromSpec, idText, sameId, u32, type IdPayload } from './ids.js';
import { sendProtectedNotify } from './informational.js';
import { buildMessage, encodeChain, openMessage, rawOf, type Header } from './message.js';
import { acceptPhase2Reply, choosePhase2, keySizes, lifeAttrs, phase2Proposals, protoOf, readLife, type Phase2Choice } from './proposals.js';
import { decodeAttributes, encodeAttributes } from '../isakmp/payloads.js';
import { Reader, Writer } from '../isakmp/reader.js';
import { newIpsecSa, newQuick, newXmit, useMessageId, type IsakmpSa, type QuickExchange } from './sa.js';
import { natDetected } from './nat-t.js';
import { QUICK_MODE, checkStep } from './scripts.js';
import { refuse, type Endpoint, type IpsecSaSpec, type Refusal, type SaKeys } from './types.js';
import type { IpsecTransform } from './config.js';
import { findPayloads, type IdPayload as IdP, type NatOaPayload, type Payload } from '../isakmp/index.js';
import { PayloadType, ProtocolId, ExchangeType, Doi, Situation, NotifyType, IdType } from '../isakmp/numbers.js';

const NONCE_LEN = 20;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** A Quick Mode's key in IkeEngine.quick: its ISAKMP SA's initiator cookie and its message ID. */
export const qkey = (sa: IsakmpSa, mid: number): string => flat(`${sa.icookieHex}:${mid}`);


function sendQm(e: IkeEngine, q: QuickExchange, hashValue: (rest: Buffer) => Buffer, rest: Payload[], awaitReply: boolean): void {
  const sa = q.isakmp;
  const hashP: Payload = { type: PayloadType.HASH, data: hashValue(encodeChain(rest)) };
  const m = buildMessage({ icookie: sa.icookie, rcookie: sa.rcookie, exchange: ExchangeType.QUICK_MODE, messageId: q.messageId }, [hashP, ...rest], sa.keys, e.keepPlain);
  e.sendTracked(q.xmit, { from: sa.local, to: sa.remote, data: m.data, ...(m.plain ? { plain: m.plain } : {}) }, awaitReply);
  e.countIkeBytes(sa, m.data.length);
}

export function quickInitiate(e: IkeEngine, sa: IsakmpSa, conn: ConnectionConfig): void {
  const mid = e.newMessageId(sa);
  const q = newQuick({ messageId: mid, isakmp: sa, initiator: true, connection: conn, state: 'SENT1', spiIn: e.allocSpi(), xmit: newXmit(e.now) });
  const group = conn.suites.flatMap((s) => s.transforms).find((t) => t.pfsGroup)?.pfsGroup;
  if (group) {
    const dh = dhCreate(group, (n) => e.random(n));
    if (!dh) {
      e.log('exchange', 0, `connection ${conn.name}: PFS group ${group} not available`, 'failed');
      return;
    }
    q.dh = dh;
  }
  q.ni = e.random(NONCE_LEN);
  // AH next to ESP in a suite (a bundle) needs its own SPI; an AH-only suite uses spiIn.
  const bundles = conn.suites.some((s) => s.transforms.some((t) => protoOf(t) === 'ah') && s.transforms.some((t) => protoOf(t) === 'esp'));
  if (bundles) q.spiInAh = e.allocSpi();
  q.proposals = phase2Proposals(conn.suites, { esp: q.spiIn, ah: q.spiInAh ?? q.spiIn }, natDetected(sa) ? sa.natT : undefined);
  if (conn.localId || conn.remoteId) {
    q.idci = (conn.localId && idFromSpec(conn.localId)) || idForAddress(sa.local.address);
    q.idcr = (conn.remoteId && idFromSpec(conn.remoteId)) || idForAddress(sa.remote.address);
  }
  e.quick.set(qkey(sa, mid), q);
  const rest: Payload[] = [
    { type: PayloadType.SA, doi: Doi.IPSEC, situation: Situation.IDENTITY_ONLY, proposals: q.proposals },
    { type: PayloadType.NONCE, data: q.ni },
  ];
  if (q.dh) rest.push({ type: PayloadType.KEY_EXCH, data: Buffer.from(q.dh.publicValue) });
  if (q.idci && q.idcr) rest.push(q.idci, q.idcr);
  rest.push(...natOaPayloads(sa, conn.suites.some((x) => x.transforms.some((t) => t.mode === 'transport'))));
  e.log('exchange', 10, `starting Quick Mode ${conn.name} with ${sa.peer.name}, message ID 0x${hex32(mid)}`);
  // HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [| KE] [| IDci | IDcr])
  sendQm(e, q, (r) => Buffer.from(sa.keys!.quickHash1(mid, r)), rest, true);
}

export function quickReceive(e: IkeEngine, sa: IsakmpSa, h: Header, datagram: Uint8Array, from: Endpoint, to: Endpoint): void {
  if (sa.state !== 'ESTABLISHED') {
    e.drop('quick-before-phase1');
    return;
  }
  if (h.messageId === 0 || !(h.flags & 1)) {
    e.drop(h.messageId === 0 ? 'invalid_message_id' : 'invalid_flags');
    return;
  }
  let q = e.quick.get(qkey(sa, h.messageId));
  if (q && e.isDuplicate(q.xmit, datagram)) return;
  const fresh = !q;
  if (!q) {
    if (sa.usedMessageIds.includes(h.messageId)) {
      e.drop('invalid_message_id');
      return;
    }
    q = newQuick({ messageId: h.messageId, isakmp: sa, initiator: false, state: 'SENT1', spiIn: 0, xmit: newXmit(e.now) });
  }
  const opened = openMessage(h, datagram, sa.keys);
  if ('notify' in opened) {
    e.drop(opened.notify.toLowerCase());
    return;
  }
  const stepIndex = fresh ? 0 : q.initiator && q.state === 'SENT1' ? 1 : !q.initiator && q.state === 'SENT2' ? 2 : -1;
  const step = QUICK_MODE[stepIndex];
  if (!step) {
    e.drop('unexpected-message');
    return;
  }
  const bad = checkStep(step, opened.payloads.map((p) => p.type), true);
  if (bad || opened.payloads[0]!.type !== PayloadType.HASH) {
    e.drop(bad ? bad.notify.toLowerCase() : 'hash-not-first');
    return;
  }
  const hashGot = Buffer.from((opened.payloads[0] as { data: Uint8Array }).data);
  const followIfOk = (): void => e.followPeer(sa, from, to, datagram.length);
  const restRaw = Buffer.concat(opened.payloads.slice(1).map(rawOf));
  const ps = opened.payloads;
  let r: Refusal | undefined;
  if (stepIndex === 0) r = responder1(e, sa, q, ps, hashGot, restRaw);
  else if (stepIndex === 1) r = initiator2(e, sa, q, ps, hashGot, restRaw);
  else r = responder3(e, sa, q, hashGot);
  if (r) {
    e.drop(r.notify.toLowerCase());
    if (r.reply === 'notify') {
      const spi = stepIndex === 0 ? (findPayloads(ps, PayloadType.SA)[0]?.proposals[0]?.spi ?? new Uint8Array(0)) : u32(q.spiIn);
      sendProtectedNotify(e, sa, r.notify, spi, ProtocolId.IPSEC_ESP);
    }
    e.stats.failures++;
    e.log('exchange', 0, `quick mode with ${sa.peer.name} failed: ${r.reason} (${r.notify})`, 'failed');
    if (!fresh) {
      e.quick.delete(qkey(sa, q.messageId));
      if (q.spiIn) e.releaseSpi(q.spiIn);
      if (q.spiInAh) e.releaseSpi(q.spiInAh);
    }
    sa.keys!.forgetIv(q.messageId);
    return;
  }
  followIfOk();
  e.remember(q.xmit, datagram);
}

const pfsOf = (c: Phase2Choice): number | undefined => c.parts.find((p) => p.chosen.pfsGroup)?.chosen.pfsGroup;
const primary = (c: Phase2Choice): Phase2Choice['parts'][number] => c.parts.find((p) => p.protocol === 'esp') ?? c.parts[0]!;

/** Lifetimes a RESPONDER-LIFETIME notify for this protocol states (malformed data states nothing). */
function responderLifetime(ps: Payload[], protocol: number): { seconds?: number; kilobytes?: number } {
  for (const n of findPayloads(ps, PayloadType.NOTIFY)) {
    if (n.notifyType !== NotifyType.RESPONDER_LIFETIME || n.protocol !== protocol) continue;
    try {
      return readLife(decodeAttributes(new Reader(n.data, 0, n.data.length, 0), 'RESPONDER-LIFETIME'));
    } catch {
      return {};
    }
  }
  return {};
}

/**
 * NAT-OA payloads (RFC 3947 5.2; one in the drafts): in transport mode through a NAT each side states the
 * original addresses, initiator's first, so the receiver can fix TCP/UDP checksums.
 */
function natOaPayloads(sa: IsakmpSa, transport: boolean): Payload[] {
  if (!transport || !natDetected(sa) || !sa.natT) return [];
  const oa = (address: string): Payload => {
    const b = addrBytes(address)!;
    return { type: sa.natT === 'rfc' ? PayloadType.NAT_OA : PayloadType.NAT_OA_DRAFT, idType: b.length === 4 ? IdType.IPV4_ADDR : IdType.IPV6_ADDR, data: b };
  };
  const [i, r] = sa.initiator ? [sa.local.address, sa.remote.address] : [sa.remote.address, sa.local.address];
  if (sa.natT === 'draft') return [oa(sa.local.address)];
  return [oa(i), oa(r)];
}

/** The NAT-OA addresses a message states; a malformed one is PAYLOAD_MALFORMED. */
function readNatOa(ps: Payload[]): { initiator?: string; responder?: string } | Refusal | undefined {
  const oas = ps.filter((p): p is NatOaPayload => p.type === PayloadType.NAT_OA || p.type === PayloadType.NAT_OA_DRAFT);
  if (oas.length === 0) return undefined;
  if (oas.length > 2) return refuse('PAYLOAD_MALFORMED', `${oas.length} NAT-OA payloads`);
  const text: string[] = [];
  for (const p of oas) {
    const ok = (p.idType === IdType.IPV4_ADDR && p.data.length === 4) || (p.idType === IdType.IPV6_ADDR && p.data.length === 16);
    if (!ok) return refuse('PAYLOAD_MALFORMED', `NAT-OA of ID type ${p.idType} with ${p.data.length} bytes`);
    text.push(addrText(p.data));
  }
  return { initiator: text[0]!, ...(text[1] ? { responder: text[1] } : {}) };
}

function natOaSpec(oa: { initiator?: string; responder?: string }, weInitiated: boolean): { local?: string; remote?: string } {
  const remote = weInitiated ? (oa.responder ?? oa.initiator) : oa.initiator;
  const local = weInitiated ? (oa.responder ? oa.initiator : undefined) : oa.responder;
  return { ...(local ? { local } : {}), ...(remote ? { remote } : {}) };
}

function hashOk(want: Buffer, got: Buffer): Refusal | undefined {
  return want.equals(got) ? undefined : refuse('INVALID_HASH_INFORMATION', 'Quick Mode HASH mismatch');
}

/** Both ID payloads or none; a pair must name the selectors. */
function readIds(ps: Payload[]): { idci?: IdPayload; idcr?: IdPayload } | Refusal {
  const ids = findPayloads(ps, PayloadType.ID);
  if (ids.length === 0) return {};
  if (ids.length !== 2) return refuse('INVALID_ID_INFORMATION', `${ids.length} ID payloads (need 0 or 2)`);
  const strip = (p: IdP): IdPayload => ({ type: PayloadType.ID, idType: p.idType, protocol: p.protocol, port: p.port, data: p.data });
  return { idci: strip(ids[0]!), idcr: strip(ids[1]!) };
}

function responder1(e: IkeEngine, sa: IsakmpSa, q: QuickExchange, ps: Payload[], got: Buffer, restRaw: Buffer): Refusal | undefined {
  const bad = hashOk(Buffer.from(sa.keys!.quickHash1(q.messageId, restRaw)), got);
  if (bad) return { ...bad, reply: 'silent' };
  const saps = findPayloads(ps, PayloadType.SA);
  const sap = saps[0]!;
  if (sap.doi !== Doi.IPSEC) return refuse('DOI_NOT_SUPPORTED', `DOI ${sap.doi}`);
  const ids = readIds(ps);
  if ('notify' in ids) return ids;
  const oa = readNatOa(ps);
  if (oa && 'notify' in oa) return oa;
  if (oa) q.natOa = oa;
  q.ni = Buffer.from(findPayloads(ps, PayloadType.NONCE)[0]!.data);
  if (q.ni.length < 8 || q.ni.length > 256) return refuse('PAYLOAD_MALFORMED', `nonce of ${q.ni.length} bytes`);
  // The connection that covers these selectors: its suites decide, as isakmpd's Passive-connections do.
  const candidates = e.connectionsOfPeer(sa.peer.name);
  const conn = candidates.find((c) => {
    if (!ids.idci) return !c.localId && !c.remoteId;
    const rid = c.remoteId ? idFromSpec(c.remoteId) : idForAddress(sa.remote.address);
    const lid = c.localId ? idFromSpec(c.localId) : idForAddress(sa.local.address);
    return !!rid && !!lid && sameId(ids.idci!, rid) && sameId(ids.idcr!, lid);
  });
  if (!conn) {
    const what = ids.idci ? `${idText(ids.idci)} -> ${idText(ids.idcr!)}` : 'host-to-host';
    return refuse('INVALID_ID_INFORMATION', `no connection for ${what} with ${sa.peer.name}`);
  }
  const choice = choosePhase2(sap.proposals, conn.suites);
  if (!choice) return refuse('NO_PROPOSAL_CHOSEN', `no acceptable proposal for ${conn.name}`);
  const ke = findPayloads(ps, PayloadType.KEY_EXCH)[0];
  let gxy: Buffer | undefined;
  const pfsGroup = pfsOf(choice);
  if (pfsGroup) {
    if (!ke) return refuse('PAYLOAD_MALFORMED', 'PFS proposal without KE payload');
    q.dh = dhCreate(pfsGroup, (n) => e.random(n));
    if (!q.dh) return refuse('NO_PROPOSAL_CHOSEN', `PFS group ${pfsGroup} not available`);
    const s = q.dh.computeShared(ke.data);
    if (!s.ok) return refuse(s.error.notify, s.error.reason);
    gxy = Buffer.from(s.value);
  } else if (ke) return refuse('PAYLOAD_MALFORMED', 'KE payload without a PFS group');
  q.connection = conn;
  if (ids.idci) {
    q.idci = ids.idci;
    q.idcr = ids.idcr!;
  }
  if (e.config.policy) {
    const d = e.config.policy({
      peer: sa.peer.name, connection: conn.name,
      ...(sa.principals ? { principals: sa.principals, credentials: sa.credentials ?? [] } : sa.peer.psk ? { psk: sa.peer.psk } : {}),
      phase1: {
        exchange: 'main', group: sa.transform!.group, localAddress: sa.local.address, remoteAddress: sa.remote.address,
        remotePort: sa.remote.port, ...(sa.peerId ? { remoteId: sa.peerId } : {}),
      },
      initiator: false, pfs: pfsGroup !== undefined, transformId: primary(choice).transform.id,
      attributes: primary(choice).transform.attributes.filter((a) => typeof a.value === 'number') as { type: number; value: number }[],
      protocols: choice.parts.map((p) => ({
        protocol: p.protocol, transformId: p.transform.id,
        attributes: p.transform.attributes.filter((a) => typeof a.value === 'number') as { type: number; value: number }[],
      })),
      ...(q.idcr ? { localFilter: q.idcr } : {}), ...(q.idci ? { remoteFilter: q.idci } : {}),
    });
    if (!d.allow) return refuse('NO_PROPOSAL_CHOSEN', `policy refused: ${d.reason}`);
  }
  q.spiIn = e.allocSpi();
  if (choice.parts.length > 1) q.spiInAh = e.allocSpi();
  const ourSpi = (proto: 'esp' | 'ah'): number => (proto === 'ah' && q.spiInAh ? q.spiInAh : q.spiIn);
  q.parts = choice.parts.map((p) => ({ protocol: p.protocol, chosen: p.chosen, spiIn: ourSpi(p.protocol), peerSpi: p.peerSpi }));
  q.nr = e.random(NONCE_LEN);
  sa.keys!.confirmIv(q.messageId);
  useMessageId(sa, q.messageId);
  e.quick.set(qkey(sa, q.messageId), q);
  const rest: Payload[] = [
    {
      type: PayloadType.SA, doi: Doi.IPSEC, situation: Situation.IDENTITY_ONLY,
      proposals: choice.parts.map((p) => ({ number: choice.number, protocol: p.proposal.protocol, spi: u32(ourSpi(p.protocol)), transforms: [p.transform] })),
    },
    { type: PayloadType.NONCE, data: q.nr },
  ];
  // RESPONDER-LIFETIME (RFC 2407 4.6.3.1): our lifetime is shorter than the one offered, so say which.
  for (const p of choice.parts) {
    if (!p.shorterThanOffer) continue;
    const w = new Writer(32);
    encodeAttributes(w, lifeAttrs(p.chosen.lifeSeconds, p.chosen.lifeKilobytes));
    rest.push({
      type: PayloadType.NOTIFY, doi: Doi.IPSEC, protocol: p.proposal.protocol, spi: u32(ourSpi(p.protocol)),
      notifyType: NotifyType.RESPONDER_LIFETIME, data: w.finish(),
    });
    e.log('negotiation', 10, `RESPONDER-LIFETIME to ${sa.peer.name}: ${p.chosen.lifeSeconds} s${p.chosen.lifeKilobytes ? `, ${p.chosen.lifeKilobytes} KB` : ''}`);
  }
  if (q.dh) rest.push({ type: PayloadType.KEY_EXCH, data: Buffer.from(q.dh.publicValue) });
  if (q.idci && q.idcr) rest.push(q.idci, q.idcr);
  rest.push(...natOaPayloads(sa, choice.parts.some((p) => p.chosen.mode === 'transport')));
  if (gxy) q.gxy = gxy;
  q.state = 'SENT2';
  // HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr])
  sendQm(e, q, (r) => Buffer.from(sa.keys!.quickHash2(q.messageId, q.ni!, r)), rest, true);
  return undefined;
}

function initiator2(e: IkeEngine, sa: IsakmpSa, q: QuickExchange, ps: Payload[], got: Buffer, restRaw: Buffer): Refusal | undefined {
  const bad = hashOk(Buffer.from(sa.keys!.quickHash2(q.messageId, q.ni!, restRaw)), got);
  if (bad) return { ...bad, reply: 'silent' };
  const sap = findPayloads(ps, PayloadType.SA)[0]!;
  const choice = acceptPhase2Reply(sap.proposals, q.connection!.suites);
  if (!choice) return refuse('NO_PROPOSAL_CHOSEN', 'responder chose a transform we did not offer');
  const ids = readIds(ps);
  if ('notify' in ids) return ids;
  if (q.idci && (!ids.idci || !sameId(ids.idci, q.idci) || !sameId(ids.idcr!, q.idcr!))) {
    return refuse('INVALID_ID_INFORMATION', 'responder changed the Quick Mode IDs');
  }
  const oa = readNatOa(ps);
  if (oa && 'notify' in oa) return oa;
  if (oa) q.natOa = oa;
  q.nr = Buffer.from(findPayloads(ps, PayloadType.NONCE)[0]!.data);
  if (q.nr.length < 8 || q.nr.length > 256) return refuse('PAYLOAD_MALFORMED', `nonce of ${q.nr.length} bytes`);
  const ke = findPayloads(ps, PayloadType.KEY_EXCH)[0];
  let gxy: Buffer | undefined;
  const pfsGroup = pfsOf(choice);
  if (pfsGroup) {
    if (!ke || !q.dh || q.dh.group.id !== pfsGroup) return refuse('PAYLOAD_MALFORMED', 'PFS reply without a matching KE');
    const s = q.dh.computeShared(ke.data);
    if (!s.ok) return refuse(s.error.notify, s.error.reason);
    gxy = Buffer.from(s.value);
  } else if (ke) return refuse('PAYLOAD_MALFORMED', 'KE payload without a PFS group');
  const ourSpi = (proto: 'esp' | 'ah'): number => (proto === 'ah' && q.spiInAh ? q.spiInAh : q.spiIn);
  q.parts = choice.parts.map((p) => {
    // A RESPONDER-LIFETIME for this SA shortens what we keep (never lengthens it).
    const life = responderLifetime(ps, p.proposal.protocol);
    const chosen = { ...p.chosen };
    if (life.seconds && life.seconds < chosen.lifeSeconds) chosen.lifeSeconds = life.seconds;
    if (life.kilobytes && (!chosen.lifeKilobytes || life.kilobytes < chosen.lifeKilobytes)) chosen.lifeKilobytes = life.kilobytes;
    return { protocol: p.protocol, chosen, spiIn: ourSpi(p.protocol), peerSpi: p.peerSpi };
  });
  sa.keys!.confirmIv(q.messageId);
  // HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
  q.state = 'DONE';
  q.keepUntil = e.now + e.config.exchangeMaxTimeSec * 1000;
  sendQm(e, q, () => Buffer.from(sa.keys!.quickHash3(q.messageId, q.ni!, q.nr!)), [], false);
  sa.keys!.forgetIv(q.messageId);
  finish(e, sa, q, gxy);
  done(q);
  return undefined;
}

function responder3(e: IkeEngine, sa: IsakmpSa, q: QuickExchange, got: Buffer): Refusal | undefined {
  const bad = hashOk(Buffer.from(sa.keys!.quickHash3(q.messageId, q.ni!, q.nr!)), got);
  if (bad) return { ...bad, reply: 'silent' };
  sa.keys!.forgetIv(q.messageId);
  q.state = 'DONE';
  q.xmit.awaitingReply = false;
  q.keepUntil = e.now + e.config.exchangeMaxTimeSec * 1000;
  finish(e, sa, q, q.gxy);
  done(q);
  return undefined;
}

/** A finished Quick Mode is kept only to answer duplicates: its keying material and offer go. */
function done(q: QuickExchange): void {
  q.ni = q.nr = q.dh = q.gxy = q.proposals = q.idci = q.idcr = q.parts = q.natOa = undefined;
  keepOnlyReply(q.xmit);
}

/** "aes-128-cbc", "aes-256-gcm-16", "3des-cbc", "null" as logs and `show sa` print a cipher. */
export function encrName(encr: string, keyBits: number): string {
  return encr.startsWith('aes-') ? encr.replace(/^aes-/, `aes-${keyBits}-`) : encr;
}

/**
 * KEYMAT for both directions of every negotiated SA and the install effect. Each direction is keyed with
 * its receiver's SPI and its own protocol (RFC 2409 5.5); AH next to ESP is carried as `ah`.
 */
function finish(e: IkeEngine, sa: IsakmpSa, q: QuickExchange, gxy: Buffer | undefined): void {
  const parts = q.parts!;
  const [ni, nr] = [q.ni!, q.nr!];
  const main = parts.find((p) => p.protocol === 'esp') ?? parts[0]!;
  const ah = main.protocol === 'esp' ? parts.find((p) => p.protocol === 'ah') : undefined;
  // Every key of this SA pair (and its AH pair) sits in one allocation that the data plane gets views of:
  // a small Buffer of its own costs about 200 bytes besides its contents.
  const wanted: { protocol: 'esp' | 'ah'; t: IpsecTransform; spi: number }[] = [
    { protocol: main.protocol, t: main.chosen, spi: main.spiIn }, { protocol: main.protocol, t: main.chosen, spi: main.peerSpi },
    ...(ah ? [{ protocol: 'ah' as const, t: ah.chosen, spi: ah.spiIn }, { protocol: 'ah' as const, t: ah.chosen, spi: ah.peerSpi }] : []),
  ];
  const sizes = wanted.map((w) => keySizes(w.t)!);
  const all = Buffer.alloc(sizes.reduce((n, z) => n + z.enc + z.auth, 0));
  let at = 0;
  const cut = wanted.map((w, i): SaKeys => {
    const sz = sizes[i]!;
    const proto = w.protocol === 'ah' ? ProtocolId.IPSEC_AH : ProtocolId.IPSEC_ESP;
    const k = sa.keys!.keymat({ protocol: proto, spi: u32(w.spi), niB: ni, nrB: nr, ...(gxy ? { gqmxy: gxy } : {}) }, sz.enc + sz.auth);
    all.set(k, at);
    k.fill(0);
    const keys = { spi: w.spi, encKey: all.subarray(at, at + sz.enc), authKey: all.subarray(at + sz.enc, at + sz.enc + sz.auth) };
    at += sz.enc + sz.auth;
    return keys;
  });
  const t = main.chosen;
  const lifeSeconds = Math.min(...parts.map((p) => p.chosen.lifeSeconds));
  const kbs = parts.map((p) => p.chosen.lifeKilobytes).filter((x): x is number => !!x);
  const local = q.initiator ? q.idci : q.idcr;
  const remote = q.initiator ? q.idcr : q.idci;
  const spec: IpsecSaSpec = {
    id: flat(`${sa.icookieHex}:${hex32(q.messageId)}`),
    connection: q.connection!.name,
    local: sa.local,
    remote: sa.remote,
    protocol: main.protocol,
    mode: t.mode,
    encr: main.protocol === 'ah' ? 'null' : t.encr,
    keyLength: keySizes(t)!.keyBits / 8,
    integ: t.integ,
    ...(t.pfsGroup ? { pfsGroup: t.pfsGroup } : {}),
    lifeSeconds,
    ...(kbs.length ? { lifeKilobytes: Math.min(...kbs) } : {}),
    ...(t.esn ? { esn: true } : {}),
    ...(t.udpEncap || natDetected(sa) ? { udpEncap: { localPort: sa.local.port, remotePort: sa.remote.port } } : {}),
    localSelector: local ? idText(local) : idText(idForAddress(sa.local.address)),
    remoteSelector: remote ? idText(remote) : idText(idForAddress(sa.remote.address)),
    inbound: cut[0]!,
    outbound: cut[1]!,
    // RFC 3947 sends NAT-OAi then NAT-OAr; the drafts only the sender's own address.
    ...(q.natOa ? { natOa: natOaSpec(q.natOa, q.initiator) } : {}),
    ...(ah ? { ah: { integ: ah.chosen.integ, inbound: cut[2]!, outbound: cut[3]! } } : {}),
  };
  const life = lifeSeconds * 1000;
  const soft = e.now + Math.floor(life * (0.85 + (e.random(2).readUInt16BE(0) / 0xffff) * 0.1));
  // The data plane gets the keys (the install below); the engine's record keeps only the SPIs.
  e.ipsec.set(spec.id, newIpsecSa(spec, { peer: sa.peer.name, isakmpSerial: sa.serial, createdAt: e.now, softAt: soft, hardAt: e.now + life }));
  e.install({ kind: 'add', sa: spec });
  e.stats.phase2Established++;
  if (e.logs('crypto', KEY_LOG_LEVEL)) e.log('crypto', KEY_LOG_LEVEL, `KEYMAT in 0x${hex32(spec.inbound.spi)} enc ${hex(spec.inbound.encKey)} auth ${hex(spec.inbound.authKey)}; out 0x${hex32(spec.outbound.spi)} enc ${hex(spec.outbound.encKey)} auth ${hex(spec.outbound.authKey)}`);
  if (e.logs('exchange', 0, 'phase2-done')) {
    const what = main.protocol === 'ah' ? `AH ${t.mode} ${t.integ}`
      : `${ah ? `AH ${ah.chosen.integ} + ` : ''}ESP ${t.mode} ${encrName(t.encr, spec.keyLength * 8)}${t.integ !== 'none' ? ` ${t.integ}` : ''}`;
    e.log(
      'exchange', 0,
      `phase 2 done (${q.initiator ? 'initiator' : 'responder'}): connection ${spec.connection} peer ${sa.peer.name} ` +
        `${spec.localSelector} <-> ${spec.remoteSelector} ${what}` +
        `${t.pfsGroup ? ` pfs group ${t.pfsGroup}` : ''} spi in 0x${hex32(spec.inbound.spi)} out 0x${hex32(spec.outbound.spi)}` +
        `${ah ? ` (AH in 0x${hex32(ah.spiIn)} out 0x${hex32(ah.peerSpi)})` : ''}`,
      'phase2-done',
    );
  }
}
