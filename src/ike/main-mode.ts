// Main Mode (identity protection, RFC 2409 5) with pre-shared keys, both roles.
// Steps follow MAIN_MODE in scripts.ts: SA / SA / KE,NONCE / KE,NONCE / ID,HASH / ID,HASH.
import type { CertAuth, PeerConfig, Phase1Policy } from './config.js';
import { derivePhase1, KEY_LOG_LEVEL, phase1Cipher } from '../crypto/index.js';
import { dhCreate } from './crypto-adapter.js';
import type { IkeEngine } from './engine.js';
import { idBody, idForAddress, idFromSpec, idText, sameId, type IdPayload } from './ids.js';
import { bodyOf, buildMessage, encodeChain, type Header } from './message.js';
import { sendUnprotectedNotify } from './informational.js';
import { checkNatD, natDetected, natDPayloads, natTVendorIds, pickNatT, vendorIdFor } from './nat-t.js';
import { dpdVendorId, peerAnnouncesDpd } from './dpd.js';
import { acceptPhase1Reply, choosePhase1, phase1Proposal } from './proposals.js';
import { newIsakmpSa, newXmit, type IsakmpSa } from './sa.js';
import { MAIN_MODE } from './scripts.js';
import { openFirstMessage, passPhase1Gate, type Phase1Gate } from './phase1-gate.js';
import { endpointKey, refuse, type Endpoint, type Refusal } from './types.js';
import { findPayloads, type Payload, type PayloadOf } from '../isakmp/index.js';
import { PayloadType, NotifyType, ProtocolId, ExchangeType, IkeAuthMethod, Doi, Situation } from '../isakmp/numbers.js';

export const NONCE_LEN = 20;

export function send(e: IkeEngine, sa: IsakmpSa, payloads: Payload[], encrypt: boolean, awaitReply: boolean): void {
  const exchange = sa.exchange === 'aggressive' ? ExchangeType.AGGRESSIVE : ExchangeType.ID_PROT;
  const m = buildMessage({ icookie: sa.icookie, rcookie: sa.rcookie, exchange, messageId: 0 }, payloads, encrypt ? sa.keys : undefined, e.keepPlain);
  e.sendTracked(sa.xmit, { from: sa.local, to: sa.remote, data: m.data, ...(m.plain ? { plain: m.plain } : {}) }, awaitReply);
}

export function mainModeInitiate(e: IkeEngine, peer: PeerConfig, pending: string[]): IsakmpSa {
  const remote = peer.address!;
  const sa: IsakmpSa = newIsakmpSa({
    serial: e.newSerial(), icookie: e.random(8), rcookie: Buffer.alloc(8), initiator: true, peer, exchange: 'main',
    local: e.localFor(remote, peer), remote, state: 'SA', step: 1, offered: peer.transforms,
    xmit: newXmit(e.now), createdAt: e.now, pending: [...pending],
  });
  e.sas.set(sa.icookieHex, sa);
  const proposal = phase1Proposal(peer.transforms);
  // SAi_b: the SA payload body exactly as we send it.
  sa.saiB = encodeChain([{ type: PayloadType.SA, doi: Doi.IPSEC, situation: Situation.IDENTITY_ONLY, proposals: [proposal] }]).subarray(4);
  e.log('exchange', 10, `starting Main Mode with ${peer.name} ${endpointKey(remote)}`);
  send(e, sa, [
    { type: PayloadType.SA, doi: Doi.IPSEC, situation: Situation.IDENTITY_ONLY, proposals: [proposal] },
    ...(e.natTPort ? natTVendorIds() : []),
    dpdVendorId(),
  ], false, true);
  return sa;
}

export function peerFor(e: IkeEngine, from: Endpoint): PeerConfig | undefined {
  const byAddr = e.config.phase1ByAddress[from.address];
  if (byAddr) return e.peerByName(byAddr);
  for (const p of e.config.peers) if (p.address?.address === from.address) return p;
  return e.config.defaultPeer ? e.peerByName(e.config.defaultPeer) : undefined;
}

export function one<T extends number>(ps: Payload[], type: T): PayloadOf<T> {
  return findPayloads(ps, type)[0]!;
}

const MAIN_GATE: Phase1Gate = {
  exchange: 'main',
  script: MAIN_MODE,
  afterEstablished: 'main-mode-after-established',
  learnsResponderCookie: (sa) => sa.step === 1,
  decryptHint: (sa) => (sa.step >= 4 ? 'decryption failed: pre-shared key mismatch?' : undefined),
};

/** Entry for every ID_PROT datagram; `sa` is the SA its initiator cookie names, if any. */
export function mainModeReceive(e: IkeEngine, sa: IsakmpSa | undefined, h: Header, datagram: Uint8Array, from: Endpoint, to: Endpoint): void {
  if (!sa) {
    if (!h.rspi.every((b) => b === 0)) {
      e.drop('invalid_cookie');
      return;
    }
    responderStart(e, h, datagram, from, to);
    return;
  }
  const opened = passPhase1Gate(e, MAIN_GATE, sa, h, datagram);
  if (!opened) return;
  // An authenticated (encrypted) message may come from a new NAT mapping or the NAT-T port: answer there.
  if (opened.encrypted) e.followPeer(sa, from, to);
  const r = (sa.initiator ? initiatorStep : responderStep)(e, sa, opened.payloads, from, to);
  if (r) {
    e.failPhase1(sa, `${r.reason} (${r.notify})`, r);
    return;
  }
  e.remember(sa.xmit, datagram);
}

function responderStart(e: IkeEngine, h: Header, datagram: Uint8Array, from: Endpoint, to: Endpoint): void {
  if (!e.mayOpenHalfOpen(from)) return;
  if (h.flags & 1) {
    e.drop('encrypted-first-message');
    return;
  }
  const payloads = openFirstMessage(e, MAIN_MODE, h, datagram);
  if (!payloads) return;
  const peer = peerFor(e, from);
  if (!peer) {
    e.drop('no-peer-config');
    e.log('negotiation', 10, `no [Phase 1] section for ${from.address}, ignoring Main Mode`);
    return;
  }
  const sa: IsakmpSa = newIsakmpSa({
    serial: e.newSerial(), icookie: Buffer.from(h.ispi), rcookie: e.random(8), initiator: false, peer, exchange: 'main',
    local: to, remote: from, state: 'SA', step: 2, offered: peer.transforms,
    xmit: newXmit(e.now), createdAt: e.now, pending: [],
  });
  const sap = one(payloads, PayloadType.SA);
  let r: Refusal | undefined;
  const choice = sap.doi !== Doi.IPSEC || sap.situation !== Situation.IDENTITY_ONLY ? undefined : choosePhase1(sap.proposals, peer.transforms, authMethodsFor(e, peer));
  if (sap.doi !== Doi.IPSEC) r = refuse('DOI_NOT_SUPPORTED', `DOI ${sap.doi}`);
  else if (sap.situation !== Situation.IDENTITY_ONLY) r = refuse('SITUATION_NOT_SUPPORTED', `situation ${sap.situation}`);
  else if (!choice) r = refuse('NO_PROPOSAL_CHOSEN', `no acceptable transform among ${sap.proposals.reduce((n, p) => n + p.transforms.length, 0)} offered by ${peer.name}`);
  if (r || !choice) {
    e.stats.failures++;
    e.drop(r!.notify.toLowerCase());
    e.log('negotiation', 0, `Main Mode from ${endpointKey(from)} refused: ${r!.reason}`, 'failed');
    sendUnprotectedNotify(e, sa, r!.notify);
    return;
  }
  sa.transform = choice.chosen;
  sa.saiB = Buffer.from(bodyOf(sap));
  const natT = e.natTPort ? pickNatT(payloads) : undefined;
  if (natT) sa.natT = natT;
  sa.dpd = { peerSupports: peerAnnouncesDpd(payloads), seq: 0, tries: 0 };
  e.sas.set(sa.icookieHex, sa);
  e.openedHalfOpen(sa);
  e.remember(sa.xmit, datagram);
  e.log('exchange', 10, `Main Mode from ${peer.name} ${endpointKey(from)}: transform chosen`);
  const prop = sap.proposals.find((p) => p.transforms.includes(choice.transform))!;
  send(e, sa, [{
    type: PayloadType.SA, doi: Doi.IPSEC, situation: Situation.IDENTITY_ONLY,
    proposals: [{ number: prop.number, protocol: ProtocolId.ISAKMP, spi: new Uint8Array(0), transforms: [choice.transform] }],
  }, ...(sa.natT ? [vendorIdFor(sa.natT)] : []), dpdVendorId()], false, true);
}

export function keyExchange(e: IkeEngine, sa: IsakmpSa, peerKe: Buffer): Refusal | undefined {
  const t = sa.transform!;
  sa.dh ??= dhCreate(t.group, (n) => e.random(n));
  if (!sa.dh) return refuse('NO_PROPOSAL_CHOSEN', `group ${t.group} not available`);
  const gxy = sa.dh.computeShared(peerKe);
  if (!gxy.ok) return refuse(gxy.error.notify, gxy.error.reason);
  const cipher = phase1Cipher(t.encr, t.keyLength);
  if (!cipher.ok) return refuse(cipher.error.notify, cipher.error.reason);
  if (sa.initiator) sa.gxr = peerKe;
  else sa.gxi = peerKe;
  // Plain Uint8Array copies: the keys object keeps some inputs (`.slice()` of a Buffer is a view, which
  // would pin a whole 8 KiB pool slab for as long as the ISAKMP SA lives).
  const u = (b: Uint8Array): Uint8Array => new Uint8Array(b);
  const keys = derivePhase1({
    hash: t.hash, cipher: cipher.value, auth: t.auth === IkeAuthMethod.RSA_SIG ? 'signature' : 'psk',
    ...(sa.peer.psk && t.auth !== IkeAuthMethod.RSA_SIG ? { psk: sa.peer.psk } : {}), gxy: u(gxy.value), gxi: u(sa.gxi!), gxr: u(sa.gxr!),
    ckyI: u(sa.icookie), ckyR: u(sa.rcookie), niB: u(sa.ni!), nrB: u(sa.nr!),
  });
  if (!keys.ok) return refuse(keys.error.notify, keys.error.reason);
  sa.keys = keys.value;
  sa.dh.dispose();
  if (e.logs('crypto', KEY_LOG_LEVEL)) e.log('crypto', KEY_LOG_LEVEL, `phase 1 keys ${JSON.stringify(sa.keys.exportForLog(KEY_LOG_LEVEL))}`);
  return undefined;
}

/** KE and nonce of a phase 1 message; the KE length is checked with the group when it is used. */
export function checkKeNonce(ps: Payload[]): { ke: Buffer; nonce: Buffer } | Refusal {
  const ke = Buffer.from(one(ps, PayloadType.KEY_EXCH).data);
  const nonce = Buffer.from(one(ps, PayloadType.NONCE).data);
  if (nonce.length < 8 || nonce.length > 256) return refuse('PAYLOAD_MALFORMED', `nonce of ${nonce.length} bytes`);
  return { ke, nonce };
}

export function ownId(sa: IsakmpSa): IdPayload {
  return (sa.peer.id && idFromSpec(sa.peer.id)) || idForAddress(sa.local.address);
}

/** The ID the peer must present: Remote-ID if configured, else its address when the peer section names one. */
export function checkPeerId(sa: IsakmpSa, got: IdPayload): Refusal | undefined {
  const want = sa.peer.remoteId ? idFromSpec(sa.peer.remoteId) : sa.peer.address ? idForAddress(sa.remote.address) : undefined;
  if (want && !sameId(got, want)) return refuse('INVALID_ID_INFORMATION', `peer ID ${idText(got)} is not the expected ${idText(want)}`);
  return undefined;
}

export function authPayloads(sa: IsakmpSa, forInitiator: boolean, certAuth?: CertAuth): Payload[] | Refusal {
  const id = ownId(sa);
  const h = Buffer.from(forInitiator ? sa.keys!.hashI(sa.saiB!, idBody(id)) : sa.keys!.hashR(sa.saiB!, idBody(id)));
  if (forInitiator) sa.idI = idText(id);
  else sa.idR = idText(id);
  if (sa.transform?.auth !== IkeAuthMethod.RSA_SIG) return [id, { type: PayloadType.HASH, data: h }];
  // RSA_SIG: our certificate(s), then the hash signed with our key (RFC 2409 5.1).
  const sig = certAuth?.sign(h, id);
  if (!sig) return refuse('AUTHENTICATION_FAILED', `no private key and certificate for our ID ${idText(id)}`);
  const certs: Payload[] = (certAuth?.certificates(id) ?? []).map((c) => ({ type: PayloadType.CERT, encoding: c.encoding, data: c.data }));
  return [id, ...certs, { type: PayloadType.SIG, data: Buffer.from(sig) }];
}

/** CERT_REQ payloads for messages 3 and 4 when certificates authenticate. */
export function certRequestPayloads(sa: IsakmpSa, certAuth?: CertAuth): Payload[] {
  if (sa.transform?.auth !== IkeAuthMethod.RSA_SIG || !certAuth) return [];
  return certAuth.certRequests().map((c) => ({ type: PayloadType.CERT_REQ, encoding: c.encoding, data: c.data }));
}

/** Authentication methods this peer can use with us. */
export function authMethodsFor(e: IkeEngine, peer: PeerConfig): Set<number> {
  const s = new Set<number>();
  if (peer.psk) s.add(IkeAuthMethod.PRE_SHARED);
  if (e.config.certAuth) s.add(IkeAuthMethod.RSA_SIG);
  return s;
}

export function verifyAuth(
  sa: IsakmpSa, ps: Payload[], fromInitiator: boolean, idFromEarlier?: IdPayload, certAuth?: CertAuth, phase1Policy?: Phase1Policy,
): Refusal | undefined {
  const id = idFromEarlier ?? one(ps, PayloadType.ID);
  // IDii_b / IDir_b: the ID payload body as the peer sent it.
  const idB = bodyOf(id);
  const want = Buffer.from(fromInitiator ? sa.keys!.hashI(sa.saiB!, idB) : sa.keys!.hashR(sa.saiB!, idB));
  if (sa.transform?.auth === IkeAuthMethod.RSA_SIG) {
    const sigP = findPayloads(ps, PayloadType.SIG)[0];
    if (!sigP || !certAuth) return refuse('AUTHENTICATION_FAILED', 'RSA_SIG negotiated but no signature (or no certificates configured)');
    const certs = findPayloads(ps, PayloadType.CERT)
      .filter((c) => c.data.length > 0).map((c) => ({ encoding: c.encoding, data: c.data }));
    const expected = sa.peer.remoteId ? idFromSpec(sa.peer.remoteId) : undefined;
    const v = certAuth.verify({ certs, id, hash: want, signature: sigP.data, ...(expected ? { expectedId: expected } : {}) });
    if (!v.ok) return refuse(v.notify, v.reason);
    sa.principals = v.principals;
    sa.credentials = v.credentials;
    sa.peerCert = v.subject;
  } else {
    const hashP = findPayloads(ps, PayloadType.HASH)[0];
    if (!hashP) return refuse('AUTHENTICATION_FAILED', 'a signature where a pre-shared key hash was expected');
    const bad = checkPeerId(sa, id);
    if (bad) return bad;
    if (!want.equals(hashP.data)) return refuse('INVALID_HASH_INFORMATION', `HASH_${fromInitiator ? 'I' : 'R'} mismatch (pre-shared key mismatch?)`);
  }
  if (fromInitiator) sa.idI = idText(id);
  else sa.idR = idText(id);
  sa.peerId = id; // kept compactly by the record (see IsakmpSaRecord)
  return phase1PolicyCheck(sa, phase1Policy);
}

/** The optional Phase 1 policy (`[General] Phase1-policy=yes`): the authenticated peer must also be allowed. */
function phase1PolicyCheck(sa: IsakmpSa, policy: Phase1Policy | undefined): Refusal | undefined {
  if (!policy) return undefined;
  const d = policy({
    peer: sa.peer.name, exchange: sa.exchange, group: sa.transform!.group, localAddress: sa.local.address, remoteAddress: sa.remote.address,
    remoteId: sa.peerId!, initiator: sa.initiator,
    ...(sa.principals ? { principals: sa.principals, credentials: sa.credentials ?? [] } : sa.peer.psk ? { psk: sa.peer.psk } : {}),
  });
  return d.allow ? undefined : refuse('AUTHENTICATION_FAILED', `phase 1 policy refused ${sa.peer.name}: ${d.reason}`);
}

function initiatorStep(e: IkeEngine, sa: IsakmpSa, ps: Payload[], from: Endpoint, to: Endpoint): Refusal | undefined {
  switch (sa.step) {
    case 1: {
      const sap = one(ps, PayloadType.SA);
      const t = acceptPhase1Reply(sap.proposals, sa.offered ?? []);
      if (!t) return refuse('NO_PROPOSAL_CHOSEN', 'responder chose a transform we did not offer');
      sa.transform = t;
      const natT = e.natTPort ? pickNatT(ps) : undefined;
      if (natT) sa.natT = natT;
      sa.dpd = { peerSupports: peerAnnouncesDpd(ps), seq: 0, tries: 0 };
      sa.dh = dhCreate(t.group, (n) => e.random(n));
      if (!sa.dh) return refuse('NO_PROPOSAL_CHOSEN', `group ${t.group} not available`);
      sa.gxi = Buffer.from(sa.dh.publicValue);
      sa.ni = e.random(NONCE_LEN);
      sa.step = 3;
      send(e, sa, [
        { type: PayloadType.KEY_EXCH, data: sa.gxi }, { type: PayloadType.NONCE, data: sa.ni }, ...certRequestPayloads(sa, e.config.certAuth),
        ...(sa.natT ? natDPayloads(sa) : []),
      ], false, true);
      return undefined;
    }
    case 3: {
      const kn = checkKeNonce(ps);
      if ('notify' in kn) return kn;
      sa.nr = kn.nonce;
      const bad = keyExchange(e, sa, kn.ke);
      if (bad) return bad;
      if (sa.natT) checkNatD(e, sa, ps, from, to);
      if (natDetected(sa) && e.natTPort) {
        // RFC 3947 4: from here on both sides talk on the NAT-T port.
        sa.local = { address: sa.local.address, port: e.natTPort };
        sa.remote = { address: sa.remote.address, port: e.natTPort };
      }
      sa.step = 5;
      // First contact with this peer as far as we know: tell it to drop whatever it kept from before.
      const known = e.sasAt.some(sa.remote.address, (o) => o !== sa) || e.ipsecAt.some(sa.remote.address, () => true);
      const ic: Payload[] = known ? [] : [{
        type: PayloadType.NOTIFY, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, spi: Buffer.concat([sa.icookie, sa.rcookie]),
        notifyType: NotifyType.INITIAL_CONTACT, data: Buffer.alloc(0),
      }];
      const auth = authPayloads(sa, true, e.config.certAuth);
      if ('notify' in auth) return auth;
      send(e, sa, [...auth, ...ic], true, true);
      return undefined;
    }
    case 5: {
      const bad = verifyAuth(sa, ps, false, undefined, e.config.certAuth, e.config.phase1Policy);
      if (bad) return bad;
      sa.xmit.awaitingReply = false;
      sa.step = 6;
      e.phase1Done(sa);
      return undefined;
    }
  }
  return refuse('PAYLOAD_MALFORMED', `unexpected Main Mode step ${sa.step}`, 'silent');
}

function responderStep(e: IkeEngine, sa: IsakmpSa, ps: Payload[], from: Endpoint, to: Endpoint): Refusal | undefined {
  switch (sa.step) {
    case 2: {
      const kn = checkKeNonce(ps);
      if ('notify' in kn) return kn;
      sa.ni = kn.nonce;
      sa.dh = dhCreate(sa.transform!.group, (n) => e.random(n));
      if (!sa.dh) return refuse('NO_PROPOSAL_CHOSEN', `group ${sa.transform!.group} not available`);
      sa.gxr = Buffer.from(sa.dh.publicValue);
      sa.nr = e.random(NONCE_LEN);
      const bad = keyExchange(e, sa, kn.ke);
      if (bad) return bad;
      if (sa.natT) checkNatD(e, sa, ps, from, to);
      sa.step = 4;
      send(e, sa, [
        { type: PayloadType.KEY_EXCH, data: sa.gxr }, { type: PayloadType.NONCE, data: sa.nr }, ...certRequestPayloads(sa, e.config.certAuth),
        ...(sa.natT ? natDPayloads(sa) : []),
      ], false, true);
      return undefined;
    }
    case 4: {
      const bad = verifyAuth(sa, ps, true, undefined, e.config.certAuth, e.config.phase1Policy);
      if (bad) return bad;
      const auth = authPayloads(sa, false, e.config.certAuth);
      if ('notify' in auth) return auth;
      sa.step = 6;
      send(e, sa, auth, true, false);
      if (ps.some((p) => p.type === PayloadType.NOTIFY && (p as unknown as { notifyType: number }).notifyType === NotifyType.INITIAL_CONTACT)) e.initialContact(sa);
      e.phase1Done(sa);
      return undefined;
    }
  }
  return refuse('PAYLOAD_MALFORMED', `unexpected Main Mode step ${sa.step}`, 'silent');
}
