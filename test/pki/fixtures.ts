// Loading the test PKI made by scripts/make-test-certs.sh.
import { spawnSync } from 'node:child_process';
import { parseCertificate, type PkiCertificate } from '../../src/pki/index.js';
import { parseCrl, type PkiCrl } from '../../src/pki/crl.js';
import { fixturePath, readFixture } from '../helpers/paths.js';
import { splitPemOrDer } from '../../src/pki/pem.js';

export const pkiFile = (name: string): string => fixturePath('pki', name);
export const pkiBytes = (name: string): Buffer => readFixture('pki', name);

export function derOf(name: string): Buffer {
  const s = splitPemOrDer(pkiBytes(name));
  if (!s.ok) throw new Error(`${name}: ${s.reason}`);
  return s.blocks[0]!.der;
}

export function cert(name: string): PkiCertificate {
  const r = parseCertificate(derOf(name.includes('.') ? name : `${name}.crt`), name);
  if (!r.ok) throw new Error(`${name}: ${r.error.reason}`);
  return r.value;
}

export function crl(name: string): PkiCrl {
  const r = parseCrl(derOf(name), name);
  if (!r.ok) throw new Error(`${name}: ${r.error.reason}`);
  return r.value;
}

/** Run the openssl command line (an independent implementation used as an oracle). */
export function openssl(args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync('openssl', args, { input, maxBuffer: 1 << 20, timeout: 20000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

export const IN_2030 = new Date('2030-06-01T00:00:00Z');
