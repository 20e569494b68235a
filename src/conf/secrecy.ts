// isakmpd refuses a configuration file that others could read or write, or that belongs to someone else
// (util.c check_file_secrecy_fd): it holds pre-shared keys. Tests and demos can relax this with the
// environment variable OAKLEY_INSECURE_CONFIG=1 or the `insecure` load option.
import fs from 'node:fs';
import type { Diagnostic } from './diagnostics.js';

export const INSECURE_ENV = 'OAKLEY_INSECURE_CONFIG';

export const secrecyRelaxed = (opt?: boolean): boolean => opt === true || process.env[INSECURE_ENV] === '1';

/** A diagnostic when the file fails the check, or null when it passes. */
export function checkFileSecrecy(st: fs.Stats, file: string, uid = process.getuid?.() ?? 0): Diagnostic | null {
  if (st.uid !== 0 && st.uid !== uid) {
    return {
      severity: 'error', file, line: 0, code: 'file-owner',
      message: `the file is owned by uid ${st.uid}, not by root or the daemon's user (uid ${uid})`,
      hint: `chown ${uid === 0 ? 'root' : uid} ${file}  (or set ${INSECURE_ENV}=1 for tests)`,
    };
  }
  const open = st.mode & 0o077;
  if (open !== 0) {
    return {
      severity: 'error', file, line: 0, code: 'file-permissions',
      message: `permissions ${(st.mode & 0o777).toString(8).padStart(4, '0')} let group or others access the file, and it may hold pre-shared keys`,
      hint: `chmod 600 ${file}  (or set ${INSECURE_ENV}=1 for tests)`,
    };
  }
  return null;
}
