// Vendor ID payload contents: the ones oakley sends and reacts to (NAT-T, DPD, XAUTH, Unity,
// fragmentation), and a recogniser that names the peer's implementation for the logs.
// MD5-derived IDs are computed from their defining strings at load time, so each one can be
// traced to its source text.
import { createHash } from 'node:crypto';

const md5 = (s: string): Uint8Array => new Uint8Array(createHash('md5').update(s, 'latin1').digest());
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
};

export type NatTVersion = 'rfc3947' | 'draft-00' | 'draft-01' | 'draft-02' | 'draft-02n' | 'draft-03';

/** The vendor IDs oakley knows by role. */
export const VENDOR_IDS = Object.freeze({
  /** RFC 3947 section 3.1 */
  NAT_T_RFC3947: md5('RFC 3947'),
  NAT_T_DRAFT_00: md5('draft-ietf-ipsec-nat-t-ike-00'),
  NAT_T_DRAFT_01: md5('draft-ietf-ipsec-nat-t-ike-01'),
  /** with the trailing newline, as isakmpd, racoon and others send it */
  NAT_T_DRAFT_02N: md5('draft-ietf-ipsec-nat-t-ike-02\n'),
  NAT_T_DRAFT_02: md5('draft-ietf-ipsec-nat-t-ike-02'),
  NAT_T_DRAFT_03: md5('draft-ietf-ipsec-nat-t-ike-03'),
  /** RFC 3706 section 5.2: a fixed 16-byte value ending in version 1.0 */
  DPD: hex('afcad71368a1f1c96b8696fc77570100'),
  /** draft-ietf-ipsra-isakmp-xauth-06: first 8 bytes of the MD5 of the draft's file name */
  XAUTH: md5('draft-ietf-ipsra-isakmp-xauth-06.txt').slice(0, 8),
  /** Cisco Unity: MD5("CISCO-UNITY") with the last two bytes replaced by version 1.0 */
  CISCO_UNITY: concat(md5('CISCO-UNITY').slice(0, 14), Uint8Array.of(1, 0)),
  /** IKE fragmentation (Cisco style), MD5("FRAGMENTATION"); peers append 4 capability bytes */
  FRAGMENTATION: md5('FRAGMENTATION'),
  OPENBSD: md5('OpenBSD-6.3'),
  STRONGSWAN: md5('strongSwan'),
  KAME_RACOON: md5('KAME/racoon'),
  /** Windows: MD5("MS NT5 ISAKMPOAKLEY") followed by a 4-byte version */
  MS_NT5: md5('MS NT5 ISAKMPOAKLEY'),
  HEARTBEAT: md5('draft-ietf-ipsec-heartbeats-00.txt'),
});

const NAT_T_BY_HEX = new Map<string, NatTVersion>([
  [toHex(VENDOR_IDS.NAT_T_RFC3947), 'rfc3947'],
  [toHex(VENDOR_IDS.NAT_T_DRAFT_00), 'draft-00'],
  [toHex(VENDOR_IDS.NAT_T_DRAFT_01), 'draft-01'],
  [toHex(VENDOR_IDS.NAT_T_DRAFT_02), 'draft-02'],
  [toHex(VENDOR_IDS.NAT_T_DRAFT_02N), 'draft-02n'],
  [toHex(VENDOR_IDS.NAT_T_DRAFT_03), 'draft-03'],
]);

/** The NAT-T variant a vendor ID announces, if it is one. */
export function natTVersion(vid: Uint8Array): NatTVersion | undefined {
  return vid.length === 16 ? NAT_T_BY_HEX.get(toHex(vid)) : undefined;
}

export type VendorKind = 'nat-t' | 'dpd' | 'xauth' | 'unity' | 'fragmentation' | 'heartbeat' | 'implementation';

export interface VendorMatch {
  kind: VendorKind;
  /** a readable name for logs, e.g. "strongSwan 5.9.8", "RFC 3947 NAT-T", "Windows (MS NT5 ISAKMPOAKLEY) v9" */
  name: string;
  natT?: NatTVersion;
}

const FIXED: Array<[Uint8Array, VendorMatch]> = [
  [VENDOR_IDS.DPD, { kind: 'dpd', name: 'Dead Peer Detection v1.0' }],
  [VENDOR_IDS.XAUTH, { kind: 'xauth', name: 'XAUTH' }],
  [VENDOR_IDS.CISCO_UNITY, { kind: 'unity', name: 'Cisco Unity 1.0' }],
  [VENDOR_IDS.OPENBSD, { kind: 'implementation', name: 'OpenBSD-6.3 (isakmpd)' }],
  [VENDOR_IDS.STRONGSWAN, { kind: 'implementation', name: 'strongSwan' }],
  [VENDOR_IDS.KAME_RACOON, { kind: 'implementation', name: 'KAME/racoon' }],
  [VENDOR_IDS.HEARTBEAT, { kind: 'heartbeat', name: 'Heartbeat Notify' }],
];
const FIXED_BY_HEX = new Map(FIXED.map(([v, m]) => [toHex(v), m]));

// strongSwan sends MD5("strongSwan <version>"); the versions are computed once, on first use.
let strongswanVersions: Map<string, string> | undefined;
function strongswanVersion(h: string): string | undefined {
  if (!strongswanVersions) {
    strongswanVersions = new Map();
    for (let major = 4; major <= 6; major++)
      for (let minor = 0; minor <= 9; minor++)
        for (let patch = 0; patch <= 15; patch++) {
          for (const v of [`${major}.${minor}.${patch}`, ...(patch === 0 ? [`${major}.${minor}`] : [])])
            strongswanVersions.set(toHex(md5(`strongSwan ${v}`)), v);
        }
  }
  return strongswanVersions.get(h);
}

function printable(b: Uint8Array): boolean {
  return b.length > 0 && b.every((c) => c >= 0x20 && c < 0x7f);
}

/** Recognise a vendor ID: the capabilities oakley cares about and well-known implementations. */
export function recogniseVendorId(vid: Uint8Array): VendorMatch | undefined {
  const h = toHex(vid);
  const natT = natTVersion(vid);
  if (natT) return { kind: 'nat-t', name: natT === 'rfc3947' ? 'RFC 3947 NAT-T' : `NAT-T ${natT}`, natT };
  const fixed = FIXED_BY_HEX.get(h);
  if (fixed) return { ...fixed };
  if (startsWith(vid, VENDOR_IDS.FRAGMENTATION)) {
    const caps = vid.length > 16 ? ` (${h.slice(32)})` : '';
    return { kind: 'fragmentation', name: `IKE fragmentation${caps}` };
  }
  if (startsWith(vid, VENDOR_IDS.MS_NT5) && vid.length === 20) {
    const v = ((vid[16]! << 24) | (vid[17]! << 16) | (vid[18]! << 8) | vid[19]!) >>> 0;
    return { kind: 'implementation', name: `Windows (MS NT5 ISAKMPOAKLEY) v${v}` };
  }
  if (startsWith(vid, VENDOR_IDS.CISCO_UNITY.slice(0, 14)) && vid.length === 16)
    return { kind: 'unity', name: `Cisco Unity ${vid[14]}.${vid[15]}` };
  if (vid.length === 16) {
    const sv = strongswanVersion(h);
    if (sv) return { kind: 'implementation', name: `strongSwan ${sv}` };
  }
  // Libreswan and Openswan send "OE" followed by printable text (a version fingerprint).
  if (vid.length >= 4 && vid[0] === 0x4f && vid[1] === 0x45 && printable(vid))
    return { kind: 'implementation', name: `Libreswan/Openswan (${Buffer.from(vid).toString('latin1')})` };
  return undefined;
}

/** A one-line description for logs: the recognised name or the hex. */
export function describeVendorId(vid: Uint8Array): string {
  return recogniseVendorId(vid)?.name ?? (printable(vid) ? JSON.stringify(Buffer.from(vid).toString('latin1')) : toHex(vid));
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function startsWith(a: Uint8Array, prefix: Uint8Array): boolean {
  return a.length >= prefix.length && prefix.every((x, i) => a[i] === x);
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
