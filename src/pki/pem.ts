// PEM or DER: isakmpd's directories hold PEM files, but DER files are common too. A file may hold
// several PEM blocks (a chain, a key and its certificate); each comes back with its label.

export interface DerBlock {
  /** the PEM label ("CERTIFICATE", "X509 CRL", "PRIVATE KEY", ...) or "DER" for a binary file */
  label: string;
  der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/;

export type SplitResult = { ok: true; blocks: DerBlock[] } | { ok: false; reason: string };

/** Split file contents into DER blocks. Text without any PEM block, or a malformed block, is an error. */
export function splitPemOrDer(data: Uint8Array): SplitResult {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length === 0) return { ok: false, reason: 'empty file' };
  // DER always starts with a SEQUENCE tag; PEM is text.
  if (buf[0] === 0x30) return { ok: true, blocks: [{ label: 'DER', der: buf }] };
  const text = buf.toString('latin1');
  const blocks: DerBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const label = m[1]!;
    let body = m[2]!;
    // RFC 1421 headers (Proc-Type, DEK-Info) mark an encrypted key, which we cannot use without a passphrase.
    if (/^\s*Proc-Type:/m.test(body)) return { ok: false, reason: `${label} block is encrypted (passphrase-protected keys are not supported)` };
    body = body.trim();
    if (!BASE64_BODY.test(body)) return { ok: false, reason: `${label} block is not valid base64` };
    const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
    if (der.length === 0) return { ok: false, reason: `${label} block is empty` };
    blocks.push({ label, der });
  }
  if (blocks.length === 0) {
    return { ok: false, reason: text.includes('-----BEGIN') ? 'PEM block without a matching END line' : 'neither PEM nor DER' };
  }
  return { ok: true, blocks };
}

/** DER to PEM text with the given label. */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}
