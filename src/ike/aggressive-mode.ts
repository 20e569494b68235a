// Aggressive Mode with pre-shared keys (RFC 2409 5.4), both roles:
//   SA, KE, Ni, IDii  /  SA, KE, Nr, IDir, HASH_R  /  HASH_I
// The third message goes unencrypted as the RFC writes it; an encrypted one (as some peers send) is
// accepted too. As responder the mode is offered only to peers configured for it (EXCHANGE_TYPE=AGGRESSIVE),
// since HASH_R in the clear lets an eavesdropper test guesses of the key offline.
import type { PeerConfig } from './config.js';
import { dhCreate } from './crypto-adapter.js';
import type { IkeEngine } from './engine.js';
import { idText } from './ids.js';
import { sendUnprotectedNotify } from './informational.js';
import {
  authPayloads, checkKeNonce, checkPeerId, keyExchange, NONCE_LEN, one, ownId, peerFor, send, verifyAuth,
} from './main-mode.js';
import { bodyOf, encodeChain, type Header } from './message.js';
import { checkNatD, natDetected, natDPayloads, natTVendorIds, pickNatT, vendorIdFor } from './nat-t.js';
import { dpdVendorId, peerAnnouncesDpd } from './dpd.js';
import { acceptPhase1Reply, choosePhase1, phase1Proposal } from './proposals.js';
import { newIsakmpSa, newXmit, type IsakmpSa } from './sa.js';
import { AGGRESSIVE_MODE } from './scripts.js';
import { openFirstMessage, passPhase1Gate, type Phase1Gate } from './phase1-gate.js';
import { endpointKey, refuse, type Endpoint, type Refusal } from './types.js';
import type { Payload } from '../isakmp/index.js';
import { PayloadType, ProtocolId, Doi, Situation } from '../isakmp/numbers.js';


export function aggressiveInitiate(e: IkeEngine, peer: PeerConfig, pending: string[]): IsakmpSa | undefined {
  // One KE goes with the offer, so every transform must use its group (isakmpd requires the same).
  const group = peer.transforms[0]?.group;
  const transforms = peer.transforms.filter((t) => t.group === group);
  const remote = peer.address!;
  const sa: IsakmpSa = newIsakmpSa({
    serial: e.newSerial(), icookie: e.random(8), rcookie: Buffer.alloc(8), initiator: true, exchange: 'aggressive', peer,
    local: e.localFor(remote, peer), remote, state: 'SA', step: 1, offered: transforms,
    xmit: newXmit(e.now), createdAt: e.now, pending: [...pending],
  });
  const dh = group === undefined ? undefined : dhCreate(group, (n) => e.random(n));
  if (!dh) {
    e.log('exchange', 0, `Aggressive Mode with ${peer.name}: no usable transform`, 'failed');
    return undefined;
  }
  sa.dh = dh;
  sa.gxi = Buffer.from(dh.publicValue);
  sa.ni = e.random(NONCE_LEN);
  e.sas.set(sa.icookieHex, sa);
  const proposal = phase1Proposal(transforms);
  sa.saiB = encodeChain([{ type: PayloadType.SA, doi: Doi.IPSEC, situation: Situation.IDENTITY_ONLY, proposals: [proposal] }]).subarray(4);
  const id = ownId(sa);
  sa.idI = idText(id);
  e.log('exchange', 10, `starting Aggressive Mode with ${peer.name} ${endpointKey(remote)}`);
  send(e, sa, [
    { type: PayloadType.SA, doi: Doi.IPSEC, situation: Situation.IDENTITY_ONLY, proposals: [proposal] },
    { type: PayloadType.KEY_EXCH, data: sa.gxi }, { type: PayloadType.NONCE, data: sa.ni }, id,
    ...(e.natTPort ? natTVendorIds() : []), dpdVendorId(),
  ], false, true);
  return sa;
}

const AGGRESSIVE_GATE: Phase1Gate = {
  exchange: 'aggressive',
  script: AGGRESSIVE_MODE,
  afterEstablished: 'aggressive-mode-after-established',
  learnsResponderCookie: () => true,
};

export function aggressiveReceive(e: IkeEngine, sa: IsakmpSa | undefined, h: Header, datagram: Uint8Array, from: Endpoint, to: Endpoint): void {
  if (!sa) {
    if (!h.rspi.every((b) => b === 0) || h.flags & 1) {
      e.drop('invalid_cookie');
      return;
    }
    responderStart(e, h, datagram, from, to);
    return;
  }
  const opened = passPhase1Gate(e, AGGRESSIVE_GATE, sa, h, datagram);
  if (!opened) return;
  const r = sa.initiator ? initiatorReply(e, sa, opened.payloads, from, to) : responderFinish(e, sa, opened.payloads, from, to);
  if (r) {
    e.failPhase1(sa, `${r.reason} (${r.notify})`, r);
    return;
  }
  e.remember(sa.xmit, datagram);
}

function responderStart(e: IkeEngine, h: Header, datagram: Uint8Array, from: Endpoint, to: Endpoint): void {
  if (!e.mayOpenHalfOpen(from)) return;
  const payloads = openFirstMessage(e, AGGRESSIVE_MODE, h, datagram);
  if (!payloads) return;
  const peer = peerFor(e, from);
  if (!peer) {
    e.drop('no-peer-config');
    return;
  }
  const sa: IsakmpSa = newIsakmpSa({
    serial: e.newSerial(), icookie: Buffer.from(h.ispi), rcookie: e.random(8), initiator: false, exchange: 'aggressive', peer,
    local: to, remote: from, state: 'SA', step: 2, offered: peer.transforms,
    xmit: newXmit(e.now), createdAt: e.now, pending: [],
  });
  const ps = payloads;
  const sap = one(ps, PayloadType.SA);
  let r: Refusal | undefined;
  const choice = peer.exchange === 'aggressive' && sap.doi === Doi.IPSEC ? choosePhase1(sap.proposals, peer.transforms) : undefined;
  if (peer.exchange !== 'aggressive') r = refuse('NO_PROPOSAL_CHOSEN', `Aggressive Mode is not configured for ${peer.name}`);
  else if (!choice) r = refuse('NO_PROPOSAL_CHOSEN', `no acceptable transform offered by ${peer.name}`);
  let result: Refusal | undefined = r;
  // The initiator's identity is in the clear in the first message: refuse an unexpected one right here
  // (isakmpd ike_phase_1_recv_ID), before any DH work and before a HASH_R that would let anyone try to
  // guess the pre-shared key offline.
  if (!result && choice) result = checkPeerId(sa, one(ps, PayloadType.ID));
  if (!result && choice) {
    sa.transform = choice.chosen;
    sa.saiB = Buffer.from(bodyOf(sap));
    const kn = checkKeNonce(ps);
    if ('notify' in kn) result = kn;
    else {
      sa.ni = kn.nonce;
      sa.dh = dhCreate(choice.chosen.group, (n) => e.random(n));
      if (!sa.dh) result = refuse('NO_PROPOSAL_CHOSEN', `group ${choice.chosen.group} not available`);
      else {
        sa.gxr = Buffer.from(sa.dh.publicValue);
        sa.nr = e.random(NONCE_LEN);
        result = keyExchange(e, sa, kn.ke);
      }
    }
  }
  if (!result) {
    const idi = one(ps, PayloadType.ID);
    sa.idI = idText(idi);
    sa.peerIdAm = idi;
    const natT = e.natTPort ? pickNatT(ps) : undefined;
    if (natT) sa.natT = natT;
    sa.dpd = { peerSupports: peerAnnouncesDpd(ps), seq: 0, tries: 0 };
  }
  if (result || !choice) {
    e.stats.failures++;
    e.drop(result!.notify.toLowerCase());
    e.log('negotiation', 0, `Aggressive Mode from ${endpointKey(from)} refused: ${result!.reason}`, 'failed');
    sendUnprotectedNotify(e, sa, result!.notify);
    return;
  }
  e.sas.set(sa.icookieHex, sa);
  e.openedHalfOpen(sa);
  e.remember(sa.xmit, datagram);
  const prop = sap.proposals.find((p) => p.transforms.includes(choice.transform))!;
  send(e, sa, [
    { type: PayloadType.SA, doi: Doi.IPSEC, situation: Situation.IDENTITY_ONLY, proposals: [{ number: prop.number, protocol: ProtocolId.ISAKMP, spi: new Uint8Array(0), transforms: [choice.transform] }] },
    { type: PayloadType.KEY_EXCH, data: sa.gxr! }, { type: PayloadType.NONCE, data: sa.nr! },
    ...(authPayloads(sa, false) as Payload[]),
    ...(sa.natT ? [vendorIdFor(sa.natT)] : []), dpdVendorId(),
    ...(sa.natT ? natDPayloads(sa) : []),
  ], false, true);
}

function initiatorReply(e: IkeEngine, sa: IsakmpSa, ps: Payload[], from: Endpoint, to: Endpoint): Refusal | undefined {
  const sap = one(ps, PayloadType.SA);
  const t = acceptPhase1Reply(sap.proposals, sa.offered ?? []);
  if (!t) return refuse('NO_PROPOSAL_CHOSEN', 'responder chose a transform we did not offer');
  sa.transform = t;
  const kn = checkKeNonce(ps);
  if ('notify' in kn) return kn;
  sa.nr = kn.nonce;
  const bad = keyExchange(e, sa, kn.ke);
  if (bad) return bad;
  const authBad = verifyAuth(sa, ps, false, undefined, undefined, e.config.phase1Policy);
  if (authBad) return authBad;
  const natT = e.natTPort ? pickNatT(ps) : undefined;
  if (natT) sa.natT = natT;
  sa.dpd = { peerSupports: peerAnnouncesDpd(ps), seq: 0, tries: 0 };
  if (sa.natT) checkNatD(e, sa, ps, from, to);
  if (natDetected(sa) && e.natTPort) {
    // RFC 3947 4: the third message already goes to the NAT-T port.
    sa.local = { address: sa.local.address, port: e.natTPort };
    sa.remote = { address: sa.remote.address, port: e.natTPort };
  }
  // HASH_I (our ID went in the first message), and our NAT-D from the ports we now use.
  const hashI = (authPayloads(sa, true) as Payload[])[1]!;
  send(e, sa, [hashI, ...(sa.natT ? natDPayloads(sa) : [])], false, false);
  sa.step = 3;
  e.phase1Done(sa);
  return undefined;
}

function responderFinish(e: IkeEngine, sa: IsakmpSa, ps: Payload[], from: Endpoint, to: Endpoint): Refusal | undefined {
  const idi = sa.peerIdAm!;
  const bad = verifyAuth(sa, ps, true, idi, undefined, e.config.phase1Policy);
  delete sa.peerIdAm;
  if (bad) return bad;
  if (sa.natT) checkNatD(e, sa, ps, from, to);
  e.followPeer(sa, from, to);
  sa.xmit.awaitingReply = false;
  sa.step = 3;
  e.phase1Done(sa);
  return undefined;
}
