// Dead Peer Detection (RFC 3706): we announce it with its vendor ID, answer R-U-THERE with R-U-THERE-ACK,
// and, when DPD-check-interval is set and the peer announced DPD too, ask an idle peer whether it is still
// there: up to 5 tries 5 s apart (isakmpd DPD_RETRANS_MAX / DPD_RETRANS_WAIT), then its SAs go.
import { VENDOR_IDS } from '../isakmp/vendor.js';
import type { IkeEngine } from './engine.js';
import { sendProtected } from './informational.js';
import type { IsakmpSa } from './sa.js';
import type { Payload } from '../isakmp/index.js';
import { u32 } from './ids.js';
import { PayloadType, NotifyType, ProtocolId, Doi } from '../isakmp/numbers.js';

export const DPD_RETRY_MS = 5000;
export const DPD_MAX_TRIES = 5;

export const dpdVendorId = (): Payload => ({ type: PayloadType.VENDOR, data: Buffer.from(VENDOR_IDS.DPD) });

export function peerAnnouncesDpd(ps: Payload[]): boolean {
  return ps.some((p) => p.type === PayloadType.VENDOR && Buffer.from(VENDOR_IDS.DPD).equals((p as { data: Uint8Array }).data));
}

function notify(e: IkeEngine, sa: IsakmpSa, type: number, seq: number): void {
  sendProtected(e, sa, [{ type: PayloadType.NOTIFY, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, spi: Buffer.concat([sa.icookie, sa.rcookie]), notifyType: type, data: u32(seq) }]);
}

/** A protected R-U-THERE or R-U-THERE-ACK; true when the notify was one of them. */
export function dpdNotify(e: IkeEngine, sa: IsakmpSa, n: { notifyType: number; data: Uint8Array }): boolean {
  if (n.notifyType !== NotifyType.R_U_THERE && n.notifyType !== NotifyType.R_U_THERE_ACK) return false;
  if (n.data.length !== 4) {
    e.drop('dpd-malformed');
    return true;
  }
  const seq = Buffer.from(n.data).readUInt32BE(0);
  if (n.notifyType === NotifyType.R_U_THERE) {
    notify(e, sa, NotifyType.R_U_THERE_ACK, seq);
    e.log('message', 20, `R-U-THERE ${seq} from ${sa.peer.name} answered`);
  } else if (sa.dpd?.outstanding === seq) {
    delete sa.dpd.outstanding;
    sa.dpd.tries = 0;
  }
  return true;
}

/** Timer work for one established SA; returns when it next needs attention. */
export function dpdTick(e: IkeEngine, sa: IsakmpSa): number | undefined {
  const interval = (e.config.dpdIntervalSec ?? 0) * 1000;
  if (!interval || !sa.dpd?.peerSupports) return undefined;
  const d = sa.dpd;
  if (d.outstanding === undefined) {
    const due = (sa.lastHeardAt ?? sa.establishedAt ?? e.now) + interval;
    if (due > e.now) return due;
    d.seq = (d.seq + 1) >>> 0;
    d.outstanding = d.seq;
    d.tries = 1;
    d.sentAt = e.now;
    notify(e, sa, NotifyType.R_U_THERE, d.seq);
    return e.now + DPD_RETRY_MS;
  }
  const next = (d.sentAt ?? e.now) + DPD_RETRY_MS;
  if (next > e.now) return next;
  if (d.tries >= DPD_MAX_TRIES) {
    e.peerDead(sa);
    return undefined;
  }
  d.tries++;
  d.sentAt = e.now;
  notify(e, sa, NotifyType.R_U_THERE, d.outstanding);
  return e.now + DPD_RETRY_MS;
}
