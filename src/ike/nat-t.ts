// NAT traversal in phase 1 (RFC 3947, and the draft variants isakmpd also speaks): vendor IDs announce
// support, NAT-D payloads in the KE/NONCE messages reveal address rewriting, and when a NAT is found the
// initiator moves to the NAT-T port from the fifth message on. The non-ESP marker is the transport's job.
import { randomBytes } from 'node:crypto';
import { natDetectionHash } from '../crypto/index.js';
import { VENDOR_IDS, natTVersion } from '../isakmp/vendor.js';
import type { IkeEngine } from './engine.js';
import { addrBytes } from './ids.js';
import type { IsakmpSa } from './sa.js';
import { endpointKey, type Endpoint } from './types.js';
import type { Payload } from '../isakmp/index.js';
import { PayloadType } from '../isakmp/numbers.js';

export type NatTVariant = 'rfc' | 'draft';

/** Sent in the first message, as isakmpd does: RFC 3947 and the drafts (02 with its newline, 03). */
export function natTVendorIds(): Payload[] {
  return [VENDOR_IDS.NAT_T_RFC3947, VENDOR_IDS.NAT_T_DRAFT_03, VENDOR_IDS.NAT_T_DRAFT_02N].map((v) => ({ type: PayloadType.VENDOR, data: Buffer.from(v) }));
}

export const vendorIdFor = (v: NatTVariant): Payload => ({
  type: PayloadType.VENDOR, data: Buffer.from(v === 'rfc' ? VENDOR_IDS.NAT_T_RFC3947 : VENDOR_IDS.NAT_T_DRAFT_02N),
});

/** The variant both can use: the RFC when the peer announces it, else a draft it announces. */
export function pickNatT(ps: Payload[]): NatTVariant | undefined {
  const versions = ps.filter((p) => p.type === PayloadType.VENDOR).map((p) => natTVersion(Buffer.from((p as { data: Uint8Array }).data)));
  if (versions.includes('rfc3947')) return 'rfc';
  if (versions.some((v) => v === 'draft-02' || v === 'draft-02n' || v === 'draft-03')) return 'draft';
  return undefined;
}

function natD(sa: IsakmpSa, ep: Endpoint): Buffer {
  return Buffer.from(natDetectionHash(sa.transform!.hash, sa.icookie, sa.rcookie, addrBytes(ep.address) ?? Buffer.alloc(4), ep.port));
}

/**
 * Two NAT-D payloads: the peer's address as we send to it, then ours as we send from it. With
 * Force-encapsulation the second hashes nothing (random bytes of the hash's length): the peer then
 * sees us behind a NAT and both sides move ESP into UDP (RFC 3947 gives no other way to ask for it).
 */
export function natDPayloads(sa: IsakmpSa): Payload[] {
  const type = sa.natT === 'rfc' ? PayloadType.NAT_D : PayloadType.NAT_D_DRAFT;
  const own = natD(sa, sa.local);
  return [{ type, data: natD(sa, sa.remote) }, { type, data: sa.peer.forceEncapsulation ? randomBytes(own.length) : own }];
}

/**
 * Compares the peer's NAT-D payloads with what we see: the first must hash our address and port as it
 * arrived (else we are behind a NAT), one of the others the peer's source as we saw it (else it is).
 */
export function checkNatD(e: IkeEngine, sa: IsakmpSa, ps: Payload[], from: Endpoint, to: Endpoint): void {
  const type = sa.natT === 'rfc' ? PayloadType.NAT_D : PayloadType.NAT_D_DRAFT;
  const got = ps.filter((p) => p.type === type).map((p) => Buffer.from((p as { data: Uint8Array }).data));
  if (got.length < 2) return;
  sa.natLocal = !got[0]!.equals(natD(sa, to));
  sa.natRemote = !got.slice(1).some((g) => g.equals(natD(sa, from)));
  // Forced: we act as the side behind the NAT our NAT-D payload claimed (initiator floats to 4500, keepalives).
  if (sa.peer.forceEncapsulation && !sa.natLocal) {
    sa.natLocal = true;
    e.log('exchange', 0, `NAT-T forced with ${sa.peer.name} (Force-encapsulation): using UDP encapsulation`);
    return;
  }
  if (sa.natLocal || sa.natRemote) {
    e.log('exchange', 0, `NAT detected with ${sa.peer.name} (${sa.natLocal ? 'we are' : 'the peer is'} behind it; peer seen as ${endpointKey(from)}): using UDP encapsulation`);
  }
}

export const natDetected = (sa: IsakmpSa): boolean => !!(sa.natLocal || sa.natRemote);
