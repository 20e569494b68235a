// NAT traversal in phase 1 (RFC 3947, and the draft variants isakmpd also speaks): vendor IDs announce
// support, NAT-D payloads in the KE/NONCE messages reveal address rewriting, and when a NAT is found the
// initiator moves to the NAT-T port from the fifth message on. The non-ESP marker is the transport's job.
import { natDetectionHash } from '../crypto/index.js';
import { VENDOR_IDS, natTVersion } from '../isakmp/vendor.js';
import type { IkeEngine } from './engine.js';
import { addrBytes } from './ids.js';
import { Payload } from './numbers.js';
import type { IsakmpSa } from './sa.js';
import { endpointKey, type Endpoint } from './types.js';
import type { DecodedPayload, PayloadBody } from './wire.js';

export type NatTVariant = 'rfc' | 'draft';

/** Sent in the first message, as isakmpd does: RFC 3947 and the drafts (02 with its newline, 03). */
export function natTVendorIds(): PayloadBody[] {
  return [VENDOR_IDS.NAT_T_RFC3947, VENDOR_IDS.NAT_T_DRAFT_03, VENDOR_IDS.NAT_T_DRAFT_02N].map((v) => ({ type: Payload.VID, data: Buffer.from(v) }));
}

export const vendorIdFor = (v: NatTVariant): PayloadBody => ({
  type: Payload.VID, data: Buffer.from(v === 'rfc' ? VENDOR_IDS.NAT_T_RFC3947 : VENDOR_IDS.NAT_T_DRAFT_02N),
});

/** The variant both can use: the RFC when the peer announces it, else a draft it announces. */
export function pickNatT(ps: DecodedPayload[]): NatTVariant | undefined {
  const versions = ps.filter((p) => p.type === Payload.VID).map((p) => natTVersion((p as unknown as { data: Buffer }).data));
  if (versions.includes('rfc3947')) return 'rfc';
  if (versions.some((v) => v === 'draft-02' || v === 'draft-02n' || v === 'draft-03')) return 'draft';
  return undefined;
}

function natD(sa: IsakmpSa, ep: Endpoint): Buffer {
  return Buffer.from(natDetectionHash(sa.transform!.hash, sa.icookie, sa.rcookie, addrBytes(ep.address) ?? Buffer.alloc(4), ep.port));
}

/** Two NAT-D payloads: the peer's address as we send to it, then ours as we send from it. */
export function natDPayloads(sa: IsakmpSa): PayloadBody[] {
  const type = sa.natT === 'rfc' ? Payload.NAT_D : Payload.NAT_D_DRAFT;
  return [{ type, data: natD(sa, sa.remote) }, { type, data: natD(sa, sa.local) }];
}

/**
 * Compares the peer's NAT-D payloads with what we see: the first must hash our address and port as it
 * arrived (else we are behind a NAT), one of the others the peer's source as we saw it (else it is).
 */
export function checkNatD(e: IkeEngine, sa: IsakmpSa, ps: DecodedPayload[], from: Endpoint, to: Endpoint): void {
  const type = sa.natT === 'rfc' ? Payload.NAT_D : Payload.NAT_D_DRAFT;
  const got = ps.filter((p) => p.type === type).map((p) => (p as unknown as { data: Buffer }).data);
  if (got.length < 2) return;
  sa.natLocal = !got[0]!.equals(natD(sa, to));
  sa.natRemote = !got.slice(1).some((g) => g.equals(natD(sa, from)));
  if (sa.natLocal || sa.natRemote) {
    e.log('exchange', 0, `NAT detected with ${sa.peer.name} (${sa.natLocal ? 'we are' : 'the peer is'} behind it; peer seen as ${endpointKey(from)}): using UDP encapsulation`);
  }
}

export const natDetected = (sa: IsakmpSa): boolean => !!(sa.natLocal || sa.natRemote);
