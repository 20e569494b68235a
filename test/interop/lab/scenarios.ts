// The captured scenarios, as data: who talks to whom, with which proposals and identities, and what is
// done on the wire (ping through the tunnel, terminate for an Informational Delete).

export interface CaptureScenario {
  name: string;
  description: string;
  responder: 'charon' | 'pluto';
  exchange: 'main' | 'aggressive';
  ike: string; // strongSwan proposal syntax
  esp: string; // strongSwan ESP proposal (a DH group means PFS)
  /** Libreswan spelling of the same proposals (responder = pluto only). */
  plutoIke?: string;
  plutoEsp?: string;
  /** Identities: 'address' (ID_IPV4_ADDR) or FQDNs. */
  ids: 'address' | { initiator: string; responder: string };
  ping: boolean;
  terminate: boolean;
  /** swanctl dpd_delay on both peers; the capture then waits for an R-U-THERE / R-U-THERE-ACK pair. */
  dpdDelay?: string;
  /** Quick Mode is expected to fail (pluto cannot install SAs here). */
  phase1Only?: boolean;
  notes?: string[];
}

export const PSK = 'oakley-interop-psk-0123456789';

const FQDN = { initiator: 'initiator.oakley.test', responder: 'responder.oakley.test' };

const NATT_NOTE =
  "charon's kernel-libipsec forces UDP encapsulation: NAT-D payloads report a NAT, both peers float to port 4500 " +
  'after Main Mode message 4 and ESP travels in UDP (RFC 3948).';

export const SCENARIOS: CaptureScenario[] = [
  {
    name: 'mm-psk-aes128-sha1-modp2048-pfs',
    description:
      'strongSwan <-> strongSwan: Main Mode PSK aes128-sha1-modp2048, Quick Mode ESP aes128-sha1 with PFS modp2048, ' +
      'ping through the tunnel (ESP-in-UDP), then swanctl --terminate (Informational Delete for ESP and ISAKMP SA)',
    responder: 'charon',
    exchange: 'main',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1-modp2048',
    ids: 'address',
    ping: true,
    terminate: true,
    notes: [NATT_NOTE],
  },
  {
    name: 'mm-psk-aes128-sha1-modp2048-nopfs',
    description: 'strongSwan <-> strongSwan: Main Mode PSK aes128-sha1-modp2048, Quick Mode ESP aes128-sha1 without PFS, ping, delete',
    responder: 'charon',
    exchange: 'main',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1',
    ids: 'address',
    ping: true,
    terminate: true,
    notes: [NATT_NOTE],
  },
  {
    name: 'mm-psk-3des-sha1-modp1024-pfs',
    description: 'strongSwan <-> strongSwan: Main Mode PSK 3des-sha1-modp1024 (Ka extended per RFC 2409 appendix B), Quick Mode ESP 3des-sha1 with PFS modp1024, ping, delete',
    responder: 'charon',
    exchange: 'main',
    ike: '3des-sha1-modp1024',
    esp: '3des-sha1-modp1024',
    ids: 'address',
    ping: true,
    terminate: true,
    notes: [NATT_NOTE],
  },
  {
    name: 'mm-psk-aes256-sha1-modp1536-pfs',
    description: 'strongSwan <-> strongSwan: Main Mode PSK aes256-sha1-modp1536 (32-byte Ka from a 20-byte SKEYID_e: appendix B), Quick Mode ESP aes256-sha1 with PFS modp1536, ping, delete',
    responder: 'charon',
    exchange: 'main',
    ike: 'aes256-sha1-modp1536',
    esp: 'aes256-sha1-modp1536',
    ids: 'address',
    ping: true,
    terminate: true,
    notes: [NATT_NOTE],
  },
  {
    name: 'mm-psk-aes256-sha256-ecp256-pfs',
    description: 'strongSwan <-> strongSwan: Main Mode PSK aes256-sha256-ecp256 (Ka extended per appendix B), Quick Mode ESP aes256-sha256 with PFS ecp256, ping, delete',
    responder: 'charon',
    exchange: 'main',
    ike: 'aes256-sha256-ecp256',
    esp: 'aes256-sha256-ecp256',
    ids: 'address',
    ping: true,
    terminate: true,
    notes: [NATT_NOTE],
  },
  {
    name: 'am-psk-fqdn-aes128-sha1-modp2048',
    description: 'strongSwan <-> strongSwan: Aggressive Mode PSK with FQDN IDs, aes128-sha1-modp2048, Quick Mode with PFS, ping, delete',
    responder: 'charon',
    exchange: 'aggressive',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1-modp2048',
    ids: FQDN,
    ping: true,
    terminate: true,
    notes: [NATT_NOTE, 'The responder sets charon.i_dont_care_about_security_and_use_aggressive_mode_psk = yes.'],
  },
  {
    name: 'mm-psk-dpd-aes128-sha1-modp2048',
    description:
      'strongSwan <-> strongSwan: Main Mode PSK aes128-sha1-modp2048, Quick Mode with PFS, then an idle tunnel with ' +
      'dpd_delay = 1s: Informational exchanges carrying R-U-THERE (36136) and R-U-THERE-ACK (36137) notifies (RFC 3706), then delete',
    responder: 'charon',
    exchange: 'main',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1-modp2048',
    ids: 'address',
    ping: false,
    terminate: true,
    dpdDelay: '1s',
    notes: [NATT_NOTE, 'Both peers send the DPD vendor ID; the DPD sequence number is the notify data (4 bytes).'],
  },
  {
    name: 'natt-esp-in-udp-aes128-sha1-modp2048',
    description:
      'strongSwan <-> strongSwan: NAT-T float to UDP 4500 (forced by kernel-libipsec), Main Mode PSK, Quick Mode negotiating ' +
      'UDP-encapsulated tunnel mode, ten pings through the tunnel as ESP-in-UDP, no delete',
    responder: 'charon',
    exchange: 'main',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1-modp2048',
    ids: 'address',
    ping: true,
    terminate: false,
    notes: [NATT_NOTE],
  },
  {
    name: 'libreswan-mm-psk-aes128-sha1-modp2048',
    description: 'strongSwan initiator -> Libreswan 4.10 responder: Main Mode PSK aes128-sha1-modp2048; Quick Mode then fails inside pluto',
    responder: 'pluto',
    exchange: 'main',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1-modp2048',
    plutoIke: 'aes128-sha1;modp2048',
    plutoEsp: 'aes128-sha1;modp2048',
    ids: 'address',
    ping: false,
    terminate: false,
    phase1Only: true,
    notes: [
      NATT_NOTE,
      'pluto cannot install the IPsec SA (the kernel here has no XFRM ESP), so Quick Mode does not complete: the capture shows what happens.',
      'Only the strongSwan (initiator) side logs key material.',
    ],
  },
  {
    name: 'libreswan-am-psk-fqdn-aes128-sha1-modp2048',
    description: 'strongSwan initiator -> Libreswan 4.10 responder: Aggressive Mode PSK with FQDN IDs, aes128-sha1-modp2048; Quick Mode then fails inside pluto',
    responder: 'pluto',
    exchange: 'aggressive',
    ike: 'aes128-sha1-modp2048',
    esp: 'aes128-sha1-modp2048',
    plutoIke: 'aes128-sha1;modp2048',
    plutoEsp: 'aes128-sha1;modp2048',
    ids: FQDN,
    ping: false,
    terminate: false,
    phase1Only: true,
    notes: [
      NATT_NOTE,
      'pluto cannot install the IPsec SA (the kernel here has no XFRM ESP), so Quick Mode does not complete: the capture shows what happens.',
      'Only the strongSwan (initiator) side logs key material.',
    ],
  },
];
