// Quick Mode (RFC 2409 5.5): HASH(1),SA,Ni[,KE][,IDci,IDcr] / HASH(2),SA,Nr[,KE][,IDci,IDcr] / HASH(3),
// ESP proposals, with and without PFS, both roles. Keys come out as SA installs for the data plane.
import type { ConnectionConfig } from './config.js';
import { KEY_LOG_LEVEL } from '../crypto/index.js';
import { dhCreate } from './crypto-adapter.js';
import type { IkeEngine } from './engine.js';
import { hex32 } from './engine.js';
import { idForAddress, idFromSpec, idText, sameId, type IdPayload } from './ids.js';
import { sendProtectedNotify } from './informational.js';
import { buildMessage, openMessage } from './message.js';
import { DOI_IPSEC, Exchange, Payload, Proto, SIT_IDENTITY_ONLY } from './numbers.js';
import { acceptPhase2Reply, choosePhase2, espKeyBytes, INTEG_KEY_BYTES, phase2Proposals } from './proposals.js';
import { newXmit, type IsakmpSa, type QuickExchange } from './sa.js';
import { natDetected } from './nat-t.js';
import { QUICK_MODE, checkStep } from './scripts.js';
import { refuse, type Endpoint, type IpsecSaSpec, type Refusal } from './types.js';
import { encodePayloads, payloadsOf, u32, type DecodedPayload, type Header, type PayloadBody } from './wire.js';

const NONCE_LEN = 20;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const qkey = (sa: IsakmpSa, mid: number): string => `${sa.icookie.toString('hex')}:${mid}`;

type Bytes = { type: number; data: Buffer };
type SaP = Extract<PayloadBody, { situation: number }>;

function sendQm(e: IkeEngine, q: QuickExchange, hashValue: (rest: Buffer) => Buffer, rest: PayloadBody[], awaitReply: boolean): void {
  const sa = q.isakmp;
  const restBytes = rest.length ? encodePayloads(rest).bytes : Buffer.alloc(0);
  const hashP: PayloadBody = { type: Payload.HASH, data: hashValue(restBytes) };
  const chain = rest.length ? Buffer.concat([encodePayloads([hashP, rest[0]!]).each[0]!, restBytes]) : encodePayloads([hashP]).bytes;
  const m = buildMessage({ icookie: sa.icookie, rcookie: sa.rcookie, exchange: Exchange.QUICK, messageId: q.messageId }, Payload.HASH, chain, sa.keys);
  e.sendTracked(q.xmit, { from: sa.local, to: sa.remote, data: m.data, plain: m.plain }, awaitReply);
}

export function quickInitiate(e: IkeEngine, sa: IsakmpSa, conn: ConnectionConfig): void {
  const mid = e.newMessageId(sa);
  const q: QuickExchange = {
    messageId: mid, isakmp: sa, initiator: true, connection: conn, state: 'SENT1', spiIn: e.allocSpi(), xmit: newXmit(e.now),
  };
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
  q.proposals = phase2Proposals(conn.suites, q.spiIn, natDetected(sa) ? sa.natT : undefined);
  if (conn.localId || conn.remoteId) {
    q.idci = (conn.localId && idFromSpec(conn.localId)) || idForAddress(sa.local.address);
    q.idcr = (conn.remoteId && idFromSpec(conn.remoteId)) || idForAddress(sa.remote.address);
  }
  e.quick.set(qkey(sa, mid), q);
  const rest: PayloadBody[] = [
    { type: Payload.SA, doi: DOI_IPSEC, situation: SIT_IDENTITY_ONLY, proposals: q.proposals },
    { type: Payload.NONCE, data: q.ni },
  ];
  if (q.dh) rest.push({ type: Payload.KE, data: Buffer.from(q.dh.publicValue) });
  if (q.idci && q.idcr) rest.push(q.idci, q.idcr);
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
    if (sa.usedMessageIds.has(h.messageId)) {
      e.drop('invalid_message_id');
      return;
    }
    q = { messageId: h.messageId, isakmp: sa, initiator: false, state: 'SENT1', spiIn: 0, xmit: newXmit(e.now) };
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
  if (bad || opened.payloads[0]!.type !== Payload.HASH) {
    e.drop(bad ? bad.notify.toLowerCase() : 'hash-not-first');
    return;
  }
  const hashGot = (opened.payloads[0] as Bytes).data;
  const followIfOk = (): void => e.followPeer(sa, from, to);
  const restRaw = Buffer.concat(opened.payloads.slice(1).map((p) => p.raw));
  const ps = opened.payloads;
  let r: Refusal | undefined;
  if (stepIndex === 0) r = responder1(e, sa, q, ps, hashGot, restRaw);
  else if (stepIndex === 1) r = initiator2(e, sa, q, ps, hashGot, restRaw);
  else r = responder3(e, sa, q, hashGot);
  if (r) {
    e.drop(r.notify.toLowerCase());
    if (r.reply === 'notify') {
      const spi = stepIndex === 0 ? (payloadsOf<SaP>({ payloads: ps }, Payload.SA)[0]?.proposals[0]?.spi ?? Buffer.alloc(0)) : u32(q.spiIn);
      sendProtectedNotify(e, sa, r.notify, spi, Proto.ESP);
    }
    e.stats.failures++;
    e.log('exchange', 0, `quick mode with ${sa.peer.name} failed: ${r.reason} (${r.notify})`, 'failed');
    if (!fresh) {
      e.quick.delete(qkey(sa, q.messageId));
      if (q.spiIn) e.releaseSpi(q.spiIn);
    }
    sa.keys!.forgetIv(q.messageId);
    return;
  }
  followIfOk();
  e.remember(q.xmit, datagram);
}

function hashOk(want: Buffer, got: Buffer): Refusal | undefined {
  return want.equals(got) ? undefined : refuse('INVALID_HASH_INFORMATION', 'Quick Mode HASH mismatch');
}

/** Both ID payloads or none; a pair must name the selectors. */
function readIds(ps: DecodedPayload[]): { idci?: IdPayload; idcr?: IdPayload } | Refusal {
  const ids = payloadsOf<IdPayload>({ payloads: ps }, Payload.ID);
  if (ids.length === 0) return {};
  if (ids.length !== 2) return refuse('INVALID_ID_INFORMATION', `${ids.length} ID payloads (need 0 or 2)`);
  const strip = (p: IdPayload & DecodedPayload): IdPayload => ({ type: Payload.ID, idType: p.idType, protocol: p.protocol, port: p.port, data: p.data });
  return { idci: strip(ids[0]!), idcr: strip(ids[1]!) };
}

function responder1(e: IkeEngine, sa: IsakmpSa, q: QuickExchange, ps: DecodedPayload[], got: Buffer, restRaw: Buffer): Refusal | undefined {
  const bad = hashOk(Buffer.from(sa.keys!.quickHash1(q.messageId, restRaw)), got);
  if (bad) return { ...bad, reply: 'silent' };
  const saps = payloadsOf<SaP>({ payloads: ps }, Payload.SA);
  const sap = saps[0]!;
  if (sap.doi !== DOI_IPSEC) return refuse('DOI_NOT_SUPPORTED', `DOI ${sap.doi}`);
  const ids = readIds(ps);
  if ('notify' in ids) return ids;
  q.ni = (payloadsOf<Bytes>({ payloads: ps }, Payload.NONCE)[0]!).data;
  if (q.ni.length < 8 || q.ni.length > 256) return refuse('PAYLOAD_MALFORMED', `nonce of ${q.ni.length} bytes`);
  // The connection that covers these selectors: its suites decide, as isakmpd's Passive-connections do.
  const candidates = e.config.connections.filter((c) => c.peer.toLowerCase() === sa.peer.name.toLowerCase());
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
  if (!choice) return refuse('NO_PROPOSAL_CHOSEN', `no acceptable ESP proposal for ${conn.name}`);
  const ke = payloadsOf<Bytes>({ payloads: ps }, Payload.KE)[0];
  let gxy: Buffer | undefined;
  if (choice.chosen.pfsGroup) {
    if (!ke) return refuse('PAYLOAD_MALFORMED', 'PFS proposal without KE payload');
    q.dh = dhCreate(choice.chosen.pfsGroup, (n) => e.random(n));
    if (!q.dh) return refuse('NO_PROPOSAL_CHOSEN', `PFS group ${choice.chosen.pfsGroup} not available`);
    const s = q.dh.computeShared(ke.data);
    if (!s.ok) return refuse(s.error.notify, s.error.reason);
    gxy = Buffer.from(s.value);
  } else if (ke) return refuse('PAYLOAD_MALFORMED', 'KE payload without a PFS group');
  q.connection = conn;
  q.chosen = choice.chosen;
  q.peerSpi = choice.peerSpi;
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
      initiator: false, pfs: choice.chosen.pfsGroup !== undefined, transformId: choice.transform.id,
      attributes: choice.transform.attrs.filter((a) => typeof a.value === 'number') as { type: number; value: number }[],
      ...(q.idcr ? { localFilter: q.idcr } : {}), ...(q.idci ? { remoteFilter: q.idci } : {}),
    });
    if (!d.allow) return refuse('NO_PROPOSAL_CHOSEN', `policy refused: ${d.reason}`);
  }
  q.spiIn = e.allocSpi();
  q.nr = e.random(NONCE_LEN);
  sa.keys!.confirmIv(q.messageId);
  sa.usedMessageIds.add(q.messageId);
  e.quick.set(qkey(sa, q.messageId), q);
  const rest: PayloadBody[] = [
    {
      type: Payload.SA, doi: DOI_IPSEC, situation: SIT_IDENTITY_ONLY,
      proposals: [{ num: choice.proposal.num, protocol: Proto.ESP, spi: u32(q.spiIn), transforms: [choice.transform] }],
    },
    { type: Payload.NONCE, data: q.nr },
  ];
  if (q.dh) rest.push({ type: Payload.KE, data: Buffer.from(q.dh.publicValue) });
  if (q.idci && q.idcr) rest.push(q.idci, q.idcr);
  if (gxy) q.gxy = gxy;
  q.state = 'SENT2';
  // HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr])
  sendQm(e, q, (r) => Buffer.from(sa.keys!.quickHash2(q.messageId, q.ni!, r)), rest, true);
  return undefined;
}

function initiator2(e: IkeEngine, sa: IsakmpSa, q: QuickExchange, ps: DecodedPayload[], got: Buffer, restRaw: Buffer): Refusal | undefined {
  const bad = hashOk(Buffer.from(sa.keys!.quickHash2(q.messageId, q.ni!, restRaw)), got);
  if (bad) return { ...bad, reply: 'silent' };
  const sap = payloadsOf<SaP>({ payloads: ps }, Payload.SA)[0]!;
  const choice = acceptPhase2Reply(sap.proposals, q.connection!.suites);
  if (!choice) return refuse('NO_PROPOSAL_CHOSEN', 'responder chose an ESP transform we did not offer');
  const ids = readIds(ps);
  if ('notify' in ids) return ids;
  if (q.idci && (!ids.idci || !sameId(ids.idci, q.idci) || !sameId(ids.idcr!, q.idcr!))) {
    return refuse('INVALID_ID_INFORMATION', 'responder changed the Quick Mode IDs');
  }
  q.nr = (payloadsOf<Bytes>({ payloads: ps }, Payload.NONCE)[0]!).data;
  if (q.nr.length < 8 || q.nr.length > 256) return refuse('PAYLOAD_MALFORMED', `nonce of ${q.nr.length} bytes`);
  const ke = payloadsOf<Bytes>({ payloads: ps }, Payload.KE)[0];
  let gxy: Buffer | undefined;
  if (choice.chosen.pfsGroup) {
    if (!ke || !q.dh || q.dh.group.id !== choice.chosen.pfsGroup) return refuse('PAYLOAD_MALFORMED', 'PFS reply without a matching KE');
    const s = q.dh.computeShared(ke.data);
    if (!s.ok) return refuse(s.error.notify, s.error.reason);
    gxy = Buffer.from(s.value);
  } else if (ke) return refuse('PAYLOAD_MALFORMED', 'KE payload without a PFS group');
  q.chosen = choice.chosen;
  q.peerSpi = choice.peerSpi;
  sa.keys!.confirmIv(q.messageId);
  // HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
  q.state = 'DONE';
  q.keepUntil = e.now + e.config.exchangeMaxTimeSec * 1000;
  sendQm(e, q, () => Buffer.from(sa.keys!.quickHash3(q.messageId, q.ni!, q.nr!)), [], false);
  sa.keys!.forgetIv(q.messageId);
  finish(e, sa, q, gxy);
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
  return undefined;
}

/** KEYMAT for both directions and the install effect. Each direction is keyed with its receiver's SPI. */
function finish(e: IkeEngine, sa: IsakmpSa, q: QuickExchange, gxy: Buffer | undefined): void {
  const t = q.chosen!;
  const encBytes = espKeyBytes(t.encr, t.keyLength)!;
  const authBytes = INTEG_KEY_BYTES[t.integ];
  const [ni, nr] = [q.ni!, q.nr!];
  const keysFor = (spi: number): { spi: number; encKey: Buffer; authKey: Buffer } => {
    const k = Buffer.from(sa.keys!.keymat({ protocol: Proto.ESP, spi: u32(spi), niB: ni, nrB: nr, ...(gxy ? { gqmxy: gxy } : {}) }, encBytes + authBytes));
    return { spi, encKey: Buffer.from(k.subarray(0, encBytes)), authKey: Buffer.from(k.subarray(encBytes)) };
  };
  const local = q.initiator ? q.idci : q.idcr;
  const remote = q.initiator ? q.idcr : q.idci;
  const spec: IpsecSaSpec = {
    id: `${sa.icookie.toString('hex')}:${hex32(q.messageId)}`,
    connection: q.connection!.name,
    local: sa.local,
    remote: sa.remote,
    protocol: 'esp',
    mode: t.mode,
    encr: t.encr,
    keyLength: encBytes,
    integ: t.integ,
    ...(t.pfsGroup ? { pfsGroup: t.pfsGroup } : {}),
    lifeSeconds: t.lifeSeconds,
    ...(t.udpEncap || natDetected(sa) ? { udpEncap: { localPort: sa.local.port, remotePort: sa.remote.port } } : {}),
    localSelector: local ? idText(local) : idText(idForAddress(sa.local.address)),
    remoteSelector: remote ? idText(remote) : idText(idForAddress(sa.remote.address)),
    inbound: keysFor(q.spiIn),
    outbound: keysFor(q.peerSpi!),
  };
  const life = t.lifeSeconds * 1000;
  const soft = e.now + Math.floor(life * (0.85 + (e.random(2).readUInt16BE(0) / 0xffff) * 0.1));
  e.ipsec.set(spec.id, { spec, peer: sa.peer.name, isakmpSerial: sa.serial, createdAt: e.now, softAt: soft, hardAt: e.now + life });
  e.install({ kind: 'add', sa: spec });
  e.stats.phase2Established++;
  e.log('crypto', KEY_LOG_LEVEL, `KEYMAT in 0x${hex32(spec.inbound.spi)} enc ${hex(spec.inbound.encKey)} auth ${hex(spec.inbound.authKey)}; out 0x${hex32(spec.outbound.spi)} enc ${hex(spec.outbound.encKey)} auth ${hex(spec.outbound.authKey)}`);
  e.log(
    'exchange', 0,
    `phase 2 done (${q.initiator ? 'initiator' : 'responder'}): connection ${spec.connection} peer ${sa.peer.name} ` +
      `${spec.localSelector} <-> ${spec.remoteSelector} ESP ${t.mode} ${t.encr === 'aes-cbc' ? `aes-${encBytes * 8}-cbc` : t.encr} ${t.integ}` +
      `${t.pfsGroup ? ` pfs group ${t.pfsGroup}` : ''} spi in 0x${hex32(spec.inbound.spi)} out 0x${hex32(spec.outbound.spi)}`,
    'phase2-done',
  );
}
