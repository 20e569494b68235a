// Built-in defaults loaded on every (re)load after the file (isakmpd conf.c conf_load_defaults). They are
// marked as defaults, so any value from the file wins tag by tag. Two of them read the file first:
// the lifetimes take [General]:Default-phase-N-lifetime and [Default-phase-1] takes Default-phase-1-ID.
import { LIFE_MAIN_MODE, LIFE_QUICK_MODE } from './autogen.js';

export const DEFAULT_CONFIG_FILE = '/etc/isakmpd/isakmpd.conf';
export const DEFAULT_PHASE1_TRANSFORMS = '3DES-SHA-RSA_SIG';
export const DEFAULT_PHASE2_SUITES_FALLBACK = 'QM-ESP-3DES-SHA-PFS-SUITE';
export const DEFAULT_PHASE1_LIFETIME = '3600,60:86400';
export const DEFAULT_PHASE2_LIFETIME = '1200,60:86400';

/** Values with no tag at all in isakmpd's defaults but a fixed fallback in code (read by other modules). */
export const CODE_FALLBACKS = {
  checkInterval: 60,
  natTKeepalive: 20,
  dpdCheckInterval: 0,
  replayWindow: 16,
  port: 500,
  natTPort: 4500,
  transport: 'udp',
  retransmitsWithoutTag: 10,
} as const;

export type DefaultRow = readonly [section: string, tag: string, value: string];

/** `lookup` answers from the file being loaded (first value wins, as conf_get_trans_str does). */
export function builtinDefaults(lookup: (section: string, tag: string) => string | undefined): DefaultRow[] {
  const rows: DefaultRow[] = [
    ['General', 'Retransmits', '3'],
    ['General', 'Exchange-max-time', '120'],
    ['General', 'Use-Keynote', 'yes'],
    ['General', 'Policy-file', '/etc/isakmpd/isakmpd.policy'],
    ['General', 'Pubkey-directory', '/etc/isakmpd/pubkeys/'],
    ['X509-certificates', 'CA-directory', '/etc/isakmpd/ca/'],
    ['X509-certificates', 'Cert-directory', '/etc/isakmpd/certs/'],
    ['X509-certificates', 'Private-key', '/etc/isakmpd/private/local.key'],
    ['X509-certificates', 'Private-key-directory', '/etc/isakmpd/private/'],
    ['X509-certificates', 'CRL-directory', '/etc/isakmpd/crls/'],
    ['KeyNote', 'Credential-directory', '/etc/isakmpd/keynote/'],
    ['General', 'Delete-SAs', 'yes'],
    [LIFE_MAIN_MODE, 'LIFE_TYPE', 'SECONDS'],
    [LIFE_MAIN_MODE, 'LIFE_DURATION', lookup('General', 'Default-phase-1-lifetime') ?? DEFAULT_PHASE1_LIFETIME],
    [LIFE_QUICK_MODE, 'LIFE_TYPE', 'SECONDS'],
    [LIFE_QUICK_MODE, 'LIFE_DURATION', lookup('General', 'Default-phase-2-lifetime') ?? DEFAULT_PHASE2_LIFETIME],
    ['Default-phase-1-configuration', 'EXCHANGE_TYPE', 'ID_PROT'],
    ['Default-phase-1-configuration', 'Transforms', DEFAULT_PHASE1_TRANSFORMS],
    ['Phase 1', 'Default', 'Default-phase-1'],
    ['Default-phase-1', 'Phase', '1'],
    ['Default-phase-1', 'Configuration', 'Default-phase-1-configuration'],
  ];
  const id = lookup('General', 'Default-phase-1-ID');
  if (id !== undefined) rows.push(['Default-phase-1', 'ID', id]);
  return rows;
}
