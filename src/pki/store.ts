// The stores isakmpd builds from [X509-certificates]: trusted CAs (CA-directory), other certificates
// including our own (Cert-directory), CRLs (CRL-directory), the default private key (Private-key) and
// keys named after the local ID (Private-key-directory). Loading never throws: a file that cannot be
// read or does not decode becomes a problem naming the file, and the rest still loads.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseCertificate, type PkiCertificate } from './certificate.js';
import { parseCrl, type PkiCrl } from './crl.js';
import { messageOf, type PkiProblem } from './errors.js';
import { parsePrivateKey } from './keys.js';
import { splitPemOrDer } from './pem.js';

export interface PkiStoreOptions {
  caDir?: string;
  certDir?: string;
  crlDir?: string;
  /** [X509-certificates] Private-key */
  privateKey?: string;
  /** [X509-certificates] Private-key-directory: files named after our ID */
  privateKeyDir?: string;
  /** [X509-certificates] Accept-self-signed */
  acceptSelfSigned?: boolean;
}

export interface PkiStores {
  cas: PkiCertificate[];
  certs: PkiCertificate[];
  crls: PkiCrl[];
  privateKey?: crypto.KeyObject;
  /** keys from Private-key-directory by file name (the local ID as text) */
  privateKeysById: Map<string, crypto.KeyObject>;
  acceptSelfSigned: boolean;
  /** every file that could not be used, with the reason */
  problems: PkiProblem[];
}

export function emptyStores(): PkiStores {
  return { cas: [], certs: [], crls: [], privateKeysById: new Map(), acceptSelfSigned: false, problems: [] };
}

/** In-memory stores (for tests and for callers that got their certificates elsewhere). */
export function createPkiStores(init: Partial<Omit<PkiStores, 'problems'>> = {}): PkiStores {
  return { ...emptyStores(), ...init };
}

function readFile(file: string, problems: PkiProblem[]): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    problems.push({ code: 'unreadable-file', reason: `cannot read (${(e as NodeJS.ErrnoException).code ?? messageOf(e)})`, file });
    return undefined;
  }
}

/** Regular, non-hidden files of a directory, sorted by name so the load order is stable. */
function listDir(dir: string, problems: PkiProblem[]): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    problems.push({ code: 'unreadable-file', reason: `cannot read directory (${(e as NodeJS.ErrnoException).code ?? messageOf(e)})`, file: dir });
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.'))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => {
      try {
        return fs.statSync(f).isFile();
      } catch {
        return false;
      }
    });
}

/** Every certificate in a file (PEM may hold several); non-certificate PEM blocks are skipped. */
export function certificatesFromBytes(data: Uint8Array, source: string, problems: PkiProblem[]): PkiCertificate[] {
  const split = splitPemOrDer(data);
  if (!split.ok) {
    problems.push({ code: 'bad-encoding', reason: split.reason, file: source });
    return [];
  }
  const out: PkiCertificate[] = [];
  const blocks = split.blocks.filter((b) => b.label === 'DER' || b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
  if (blocks.length === 0) problems.push({ code: 'bad-certificate', reason: `no certificate in the file (found ${split.blocks.map((b) => b.label).join(', ')})`, file: source });
  for (const b of blocks) {
    const r = parseCertificate(b.der, source);
    if (r.ok) out.push(r.value);
    else problems.push(r.error);
  }
  return out;
}

export function crlsFromBytes(data: Uint8Array, source: string, problems: PkiProblem[]): PkiCrl[] {
  const split = splitPemOrDer(data);
  if (!split.ok) {
    problems.push({ code: 'bad-encoding', reason: split.reason, file: source });
    return [];
  }
  const out: PkiCrl[] = [];
  const blocks = split.blocks.filter((b) => b.label === 'DER' || b.label === 'X509 CRL');
  if (blocks.length === 0) problems.push({ code: 'bad-crl', reason: `no CRL in the file (found ${split.blocks.map((b) => b.label).join(', ')})`, file: source });
  for (const b of blocks) {
    const r = parseCrl(b.der, source);
    if (r.ok) out.push(r.value);
    else problems.push(r.error);
  }
  return out;
}

export function loadPkiStores(opts: PkiStoreOptions): PkiStores {
  const s = emptyStores();
  s.acceptSelfSigned = opts.acceptSelfSigned === true;
  const loadCerts = (dir: string | undefined, into: PkiCertificate[]): void => {
    if (!dir) return;
    for (const f of listDir(dir, s.problems)) {
      const data = readFile(f, s.problems);
      if (data) into.push(...certificatesFromBytes(data, f, s.problems));
    }
  };
  loadCerts(opts.caDir, s.cas);
  loadCerts(opts.certDir, s.certs);
  if (opts.crlDir) {
    for (const f of listDir(opts.crlDir, s.problems)) {
      const data = readFile(f, s.problems);
      if (data) s.crls.push(...crlsFromBytes(data, f, s.problems));
    }
  }
  if (opts.privateKey) {
    const data = readFile(opts.privateKey, s.problems);
    if (data) {
      const r = parsePrivateKey(data, opts.privateKey);
      if (r.ok) s.privateKey = r.value;
      else s.problems.push(r.error);
    }
  }
  if (opts.privateKeyDir) {
    for (const f of listDir(opts.privateKeyDir, s.problems)) {
      const data = readFile(f, s.problems);
      if (!data) continue;
      const r = parsePrivateKey(data, f);
      if (r.ok) s.privateKeysById.set(path.basename(f), r.value);
      else s.problems.push(r.error);
    }
  }
  return s;
}

/** Our private key for a local ID: Private-key-directory/<ID> first, then Private-key. */
export function privateKeyFor(stores: PkiStores, idText?: string): crypto.KeyObject | undefined {
  if (idText !== undefined) {
    const k = stores.privateKeysById.get(idText);
    if (k) return k;
  }
  return stores.privateKey;
}
