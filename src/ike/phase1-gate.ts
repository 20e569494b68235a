// What every Phase 1 message for an existing ISAKMP SA goes through before its exchange's handler runs,
// in Main and Aggressive Mode alike: the right exchange, not a duplicate, not after the end, the
// expected sender for this step, decrypted, and its payloads checked against the exchange's script.
import type { IkeEngine } from './engine.js';
import { openMessage, type Header } from './message.js';
import type { IsakmpSa } from './sa.js';
import { checkStep, type Script } from './scripts.js';
import type { Payload } from '../isakmp/index.js';

export interface Phase1Gate {
  exchange: IsakmpSa['exchange'];
  script: Script;
  /** Drop reason for a message of this exchange once the SA is established. */
  afterEstablished: string;
  /** Whether the initiator takes the responder cookie from this step's reply. */
  learnsResponderCookie(sa: IsakmpSa): boolean;
  /** Extra words for a decryption failure at this step (for example a likely key mismatch). */
  decryptHint?(sa: IsakmpSa): string | undefined;
}

/** The message's payloads when it may proceed; undefined when it was dropped (and counted). */
export function passPhase1Gate(e: IkeEngine, gate: Phase1Gate, sa: IsakmpSa, h: Header, datagram: Uint8Array): { payloads: Payload[]; encrypted: boolean } | undefined {
  if (sa.exchange !== gate.exchange) {
    e.drop('exchange-type-mismatch');
    return undefined;
  }
  if (e.isDuplicate(sa.xmit, datagram)) return undefined;
  if (sa.state === 'ESTABLISHED' || sa.state === 'DEAD') {
    e.drop(gate.afterEstablished);
    return undefined;
  }
  const step = gate.script[sa.step];
  if (!step || step.by !== (sa.initiator ? 'responder' : 'initiator')) {
    e.drop('unexpected-message');
    return undefined;
  }
  if (sa.initiator && gate.learnsResponderCookie(sa)) sa.rcookie = Buffer.from(h.rspi);
  const encrypted = (h.flags & 1) !== 0;
  const opened = openMessage(h, datagram, encrypted ? sa.keys : undefined);
  if ('notify' in opened) {
    const hint = gate.decryptHint?.(sa);
    e.drop(opened.notify.toLowerCase());
    e.failPhase1(sa, hint ? `${opened.reason} (${hint})` : opened.reason, hint ? { ...opened, reason: `${opened.reason} (${hint})` } : opened);
    return undefined;
  }
  const bad = checkStep(step, opened.payloads.map((p) => p.type), encrypted);
  if (bad) {
    e.drop(bad.notify.toLowerCase());
    e.failPhase1(sa, bad.reason, bad);
    return undefined;
  }
  // The phase 1 IV chain moves on only for a message we accept (before the step encrypts our reply).
  if (encrypted) sa.keys!.confirmIv(0);
  return { payloads: opened.payloads, encrypted };
}

/** The first message of a new exchange (no SA yet): unencrypted, checked against the script's first step. */
export function openFirstMessage(e: IkeEngine, script: Script, h: Header, datagram: Uint8Array): Payload[] | undefined {
  const opened = openMessage(h, datagram);
  if ('notify' in opened) {
    e.drop(opened.notify.toLowerCase());
    return undefined;
  }
  const bad = checkStep(script[0]!, opened.payloads.map((p) => p.type), false);
  if (bad) {
    e.drop(bad.notify.toLowerCase());
    return undefined;
  }
  return opened.payloads;
}
