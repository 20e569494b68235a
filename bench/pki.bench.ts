// X.509 costs of one RSA_SIG Main Mode, each beside the OpenSSL primitive that bounds it, measured in
// the same run: signing HASH_I/R against a bare RSA private operation, verifying the peer's SIG
// against a bare public operation, chain validation against the certificate signature checks it is
// made of, and the per-exchange parsing of the peer's CERT payload.
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createPkiStores, identityFromText, matchIdentity, parseCertificate, parsePrivateKey, signHash, validateChain, verifyHash } from '../src/pki/index.js';
import { parseCrl } from '../src/pki/crl.js';
import { parseUncached } from '../src/pki/certificate.js';
import { splitPemOrDer } from '../src/pki/pem.js';
import { readFixture } from '../test/helpers/paths.js';
import { rate } from './rate.js';


const der = (name: string): Buffer => {
  const s = splitPemOrDer(readFixture('pki', name));
  if (!s.ok) throw new Error(s.reason);
  return s.blocks[0]!.der;
};
const cert = (name: string) => {
  const r = parseCertificate(der(name));
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};
const fmt = (n: number): string => n.toFixed(0).padStart(8);

export async function bench(): Promise<void> {
  const keyR = parsePrivateKey(readFixture('pki', 'east.key'));
  if (!keyR.ok) throw new Error(keyR.error.reason);
  const key = keyR.value;
  const east = cert('east.crt');
  const hash = crypto.createHash('sha256').update('bench').digest();
  const sig = signHash(key, hash);
  const ms = 600;

  const sign = rate(ms, () => void signHash(key, hash));
  const rawSign = rate(ms, () => void crypto.privateEncrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, hash));
  console.log(`signHash (RSA-2048)         ${fmt(sign)} /s   limit: bare RSA private op ${fmt(rawSign)} /s`);

  const verify = rate(ms, () => void verifyHash(east, hash, sig));
  const rawVerify = rate(ms, () => void crypto.publicDecrypt({ key: east.publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, sig));
  console.log(`verifyHash                  ${fmt(verify)} /s   limit: bare RSA public op  ${fmt(rawVerify)} /s`);

  const rootCrl = parseCrl(der('root.crl.pem'));
  const intCrl = parseCrl(der('intermediate.crl.pem'));
  if (!rootCrl.ok || !intCrl.ok) throw new Error('CRL fixtures');
  // Only the root is trusted; the peer sends the intermediate, so the whole chain and both CRLs are checked.
  const stores = createPkiStores({ cas: [cert('root.crt')], crls: [rootCrl.value, intCrl.value] });
  const rw = cert('roadwarrior.crt');
  const now = new Date('2030-01-01T00:00:00Z');
  const intermediates = [cert('intermediate.crt')];
  const chain = rate(ms, () => {
    const r = validateChain(rw, stores, { now, intermediates });
    if (!r.ok || r.value.chain.length !== 3) throw new Error('chain');
  });
  // The work a 3-certificate chain with two CRLs cannot avoid: 2 certificate signatures + 2 CRL signatures.
  const inter = cert('intermediate.crt');
  const root = cert('root.crt');
  const floor = rate(ms, () => {
    rw.x509.verify(inter.publicKey);
    inter.x509.verify(root.publicKey);
    crypto.verify('sha256', rootCrl.value.tbs, root.publicKey, rootCrl.value.signature);
    crypto.verify('sha256', intCrl.value.tbs, inter.publicKey, intCrl.value.signature);
  });
  console.log(`validateChain (3 certs+2 CRLs) ${fmt(chain)} /s   limit: its 4 signature checks ${fmt(floor)} /s`);

  const eastDer = der('east.der');
  const parse = rate(ms, () => void parseUncached(eastDer));
  const cached = rate(ms / 2, () => void parseCertificate(eastDer));
  const x509Only = rate(ms, () => void new crypto.X509Certificate(eastDer));
  console.log(`parseCertificate (first time) ${fmt(parse)} /s   limit: node X509Certificate alone ${fmt(x509Only)} /s`);
  console.log(`parseCertificate (seen before) ${fmt(cached)} /s   (peers resend the same certificate each handshake)`);

  const id = identityFromText('FQDN', 'east.example.test');
  if (!id.ok) throw new Error('id');
  const match = rate(ms / 2, () => void matchIdentity(id.value, east));
  console.log(`matchIdentity (FQDN)        ${fmt(match)} /s   (per Main Mode: 1; against verifyHash ${fmt(verify)} /s)`);
}
