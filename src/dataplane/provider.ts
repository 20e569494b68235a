// Per-SA cryptographic primitives behind one small interface, so the ESP/AH transforms do not care
// whether libcrypto (EVP through koffi, contexts reused) or node:crypto (fresh object per packet) runs
// underneath. All operations work in place on caller buffers.
import crypto from 'node:crypto';

export interface CipherCtx {
  /** Encrypts or decrypts buf[off, off+len) in place; len is a multiple of the block size for CBC. */
  run(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void;
  free(): void;
}

export interface AeadCtx {
  /** AES-GCM: encrypt buf[off, off+len) in place, write the tag at tag[tagOff, tagOff+tagLen). */
  seal(nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): void;
  /** Decrypts in place when the tag verifies; returns false (buffer contents unspecified) otherwise. */
  open(nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): boolean;
  free(): void;
}

export interface MacCtx {
  /** HMAC over buf[off, off+len) followed by `extra` (may be null); first outLen bytes to out[outOff..]. */
  mac(buf: Uint8Array, off: number, len: number, extra: Uint8Array | null, out: Uint8Array, outOff: number): void;
  free(): void;
}

/**
 * `untracked`: the caller frees the context itself, or through a finalizer of its own that covers many
 * contexts (the SAD's); the provider then registers no finalizer per context. Default: tracked.
 */
export interface CryptoProvider {
  readonly name: 'libcrypto' | 'node:crypto';
  cipher(opensslName: string, key: Uint8Array, encrypt: boolean, untracked?: boolean): CipherCtx;
  aead(opensslName: string, key: Uint8Array, encrypt: boolean, tagLen: number, untracked?: boolean): AeadCtx;
  mac(hash: string, key: Uint8Array, outLen: number, untracked?: boolean): MacCtx;
}

const view = (b: Uint8Array, off: number, len: number): Uint8Array => b.subarray(off, off + len);

/** The fallback: a fresh node:crypto object per packet (about 6-7 us each; see bench). */
export const nodeProvider: CryptoProvider = {
  name: 'node:crypto',
  cipher(name, key, encrypt) {
    const k = Buffer.from(key);
    return {
      run(iv, buf, off, len) {
        if (len === 0) return;
        const c = encrypt ? crypto.createCipheriv(name, k, iv) : crypto.createDecipheriv(name, k, iv);
        c.setAutoPadding(false);
        const a = c.update(view(buf, off, len));
        const b = c.final();
        buf.set(a, off);
        if (b.length) buf.set(b, off + a.length);
      },
      free() {},
    };
  },
  aead(name, key, _encrypt, tagLen) {
    const k = Buffer.from(key);
    return {
      seal(nonce, aad, aadLen, buf, off, len, tag, tagOff) {
        const c = crypto.createCipheriv(name as crypto.CipherGCMTypes, k, nonce, { authTagLength: tagLen });
        c.setAAD(view(aad, 0, aadLen));
        if (len) buf.set(c.update(view(buf, off, len)), off);
        c.final();
        tag.set(c.getAuthTag(), tagOff);
      },
      open(nonce, aad, aadLen, buf, off, len, tag, tagOff) {
        const d = crypto.createDecipheriv(name as crypto.CipherGCMTypes, k, nonce, { authTagLength: tagLen });
        d.setAAD(view(aad, 0, aadLen));
        d.setAuthTag(view(tag, tagOff, tagLen));
        const p = len ? d.update(view(buf, off, len)) : null;
        try {
          d.final();
        } catch {
          return false;
        }
        if (p) buf.set(p, off);
        return true;
      },
      free() {},
    };
  },
  mac(hash, key, outLen) {
    const k = Buffer.from(key);
    return {
      mac(buf, off, len, extra, out, outOff) {
        const h = crypto.createHmac(hash, k);
        h.update(view(buf, off, len));
        if (extra) h.update(extra);
        out.set(h.digest().subarray(0, outLen), outOff);
      },
      free() {},
    };
  },
};
