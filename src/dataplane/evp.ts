// libcrypto EVP through koffi: one cipher context per SA and direction, keyed once and only re-IV'd
// per packet, and HMAC contexts that keep their key schedule. This avoids the cost that dominates
// node:crypto for small packets (a fresh cipher object and OSSL_PARAM lookups per packet).
import { createRequire } from 'node:module';
import type { AeadCtx, CipherCtx, CryptoProvider, MacCtx } from './provider.js';

type Fn = (...args: unknown[]) => unknown;
interface Lib {
  cipherCtxNew: Fn;
  cipherCtxFree: Fn;
  cipherFetch: Fn;
  cipherInit: Fn;
  cipherUpdate: Fn;
  cipherFinal: Fn;
  cipherCtrl: Fn;
  setPadding: Fn;
  hmacNew: Fn;
  hmacFree: Fn;
  hmacInit: Fn;
  hmacUpdate: Fn;
  hmacFinal: Fn;
  errClear: Fn;
  digest: Record<string, Fn>;
}

const EVP_CTRL_AEAD_GET_TAG = 0x10;
const EVP_CTRL_AEAD_SET_TAG = 0x11;

let lib: Lib | undefined;
let loadError: string | undefined;

function load(): Lib | undefined {
  if (lib || loadError) return lib;
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as { load(p: string): { func(d: string): Fn } };
    const l = koffi.load('libcrypto.so.3');
    lib = {
      cipherCtxNew: l.func('void *EVP_CIPHER_CTX_new()'),
      cipherCtxFree: l.func('void EVP_CIPHER_CTX_free(void *ctx)'),
      cipherFetch: l.func('void *EVP_CIPHER_fetch(void *libctx, const char *name, const char *props)'),
      cipherInit: l.func('int EVP_CipherInit_ex(void *ctx, void *cipher, void *impl, const uint8_t *key, const uint8_t *iv, int enc)'),
      cipherUpdate: l.func('int EVP_CipherUpdate(void *ctx, uint8_t *out, int *outl, const uint8_t *in, int inl)'),
      cipherFinal: l.func('int EVP_CipherFinal_ex(void *ctx, uint8_t *out, int *outl)'),
      cipherCtrl: l.func('int EVP_CIPHER_CTX_ctrl(void *ctx, int type, int arg, uint8_t *ptr)'),
      setPadding: l.func('int EVP_CIPHER_CTX_set_padding(void *ctx, int pad)'),
      hmacNew: l.func('void *HMAC_CTX_new()'),
      hmacFree: l.func('void HMAC_CTX_free(void *ctx)'),
      hmacInit: l.func('int HMAC_Init_ex(void *ctx, const uint8_t *key, int len, void *md, void *impl)'),
      hmacUpdate: l.func('int HMAC_Update(void *ctx, const uint8_t *data, size_t len)'),
      hmacFinal: l.func('int HMAC_Final(void *ctx, uint8_t *md, unsigned int *len)'),
      errClear: l.func('void ERR_clear_error()'),
      digest: {
        md5: l.func('void *EVP_md5()'),
        sha1: l.func('void *EVP_sha1()'),
        sha256: l.func('void *EVP_sha256()'),
        sha384: l.func('void *EVP_sha384()'),
        sha512: l.func('void *EVP_sha512()'),
      },
    };
  } catch (e) {
    loadError = e instanceof Error ? e.message : String(e);
  }
  return lib;
}

const fetched = new Map<string, unknown>();
function fetchCipher(L: Lib, name: string): unknown {
  let c = fetched.get(name);
  if (!c) {
    c = L.cipherFetch(null, name, null);
    if (!c) throw new Error(`libcrypto has no cipher ${name}`);
    fetched.set(name, c);
  }
  return c;
}

// A finalizer frees contexts of SAs that were dropped without free() (e.g. on process teardown paths).
// It holds only the raw pointer, so a dropped context object can be collected.
const registry = new FinalizationRegistry<{ L: Lib; ptr: unknown; hmac: boolean }>((c) => (c.hmac ? c.L.hmacFree(c.ptr) : c.L.cipherCtxFree(c.ptr)));

const empty = new Uint8Array(0);
const sub = (b: Uint8Array, off: number, len: number): Uint8Array => (off === 0 && len === b.length ? b : b.subarray(off, off + len));
// Out-parameters shared by all contexts: calls are synchronous, so one set per thread suffices and an
// SA carries no buffers of its own.
const OUTL = new Int32Array(1);
const TAG = new Uint8Array(16);
const DIGEST = new Uint8Array(64);
const DLEN = new Uint32Array(1);

/** An OpenSSL context pointer with explicit and finalizer-driven release. */
class Native {
  protected ptr: unknown;
  constructor(
    protected readonly L: Lib,
    ptr: unknown,
    hmac: boolean,
  ) {
    this.ptr = ptr;
    registry.register(this, { L, ptr, hmac }, this);
  }
  protected release(f: (p: unknown) => unknown): void {
    if (this.ptr === null) return;
    f(this.ptr);
    this.ptr = null;
    registry.unregister(this);
  }
}

function newCipherCtx(L: Lib, name: string, key: Uint8Array, encrypt: boolean): unknown {
  const ctx = L.cipherCtxNew();
  if (!ctx) throw new Error(`EVP_CIPHER_CTX_new(${name}) failed`);
  if (L.cipherInit(ctx, fetchCipher(L, name), null, key, null, encrypt ? 1 : 0) !== 1) {
    L.cipherCtxFree(ctx);
    throw new Error(`EVP_CipherInit_ex(${name}) failed`);
  }
  return ctx;
}

class EvpCipher extends Native implements CipherCtx {
  constructor(L: Lib, name: string, key: Uint8Array, encrypt: boolean) {
    super(L, newCipherCtx(L, name, key, encrypt), false);
    L.setPadding(this.ptr, 0);
  }
  run(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    if (len === 0) return;
    const L = this.L;
    L.cipherInit(this.ptr, null, null, null, iv, -1);
    const v = sub(buf, off, len);
    if (L.cipherUpdate(this.ptr, v, OUTL, v, len) !== 1) throw new Error('EVP_CipherUpdate failed');
  }
  free(): void {
    this.release(this.L.cipherCtxFree);
  }
}

class EvpAead extends Native implements AeadCtx {
  constructor(L: Lib, name: string, key: Uint8Array, encrypt: boolean, private readonly tagLen: number) {
    super(L, newCipherCtx(L, name, key, encrypt), false);
  }
  private start(nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number): void {
    const L = this.L;
    L.cipherInit(this.ptr, null, null, null, nonce, -1);
    if (aadLen) L.cipherUpdate(this.ptr, null, OUTL, sub(aad, 0, aadLen), aadLen);
    if (len) {
      const v = sub(buf, off, len);
      L.cipherUpdate(this.ptr, v, OUTL, v, len);
    }
  }
  seal(nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): void {
    this.start(nonce, aad, aadLen, buf, off, len);
    this.L.cipherFinal(this.ptr, empty, OUTL);
    this.L.cipherCtrl(this.ptr, EVP_CTRL_AEAD_GET_TAG, this.tagLen, TAG);
    tag.set(TAG.subarray(0, this.tagLen), tagOff);
  }
  open(nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): boolean {
    this.start(nonce, aad, aadLen, buf, off, len);
    TAG.set(tag.subarray(tagOff, tagOff + this.tagLen));
    this.L.cipherCtrl(this.ptr, EVP_CTRL_AEAD_SET_TAG, this.tagLen, TAG);
    if (this.L.cipherFinal(this.ptr, empty, OUTL) === 1) return true;
    // A forged packet must not leave an entry in this thread's OpenSSL error queue, where node:crypto
    // could later mistake it for its own.
    this.L.errClear();
    return false;
  }
  free(): void {
    this.release(this.L.cipherCtxFree);
  }
}

class EvpMac extends Native implements MacCtx {
  constructor(L: Lib, hash: string, key: Uint8Array, private readonly outLen: number) {
    const md = L.digest[hash]?.();
    if (!md) throw new Error(`libcrypto has no digest ${hash}`);
    const ctx = L.hmacNew();
    if (!ctx) throw new Error(`HMAC_CTX_new(${hash}) failed`);
    if (L.hmacInit(ctx, key, key.length, md, null) !== 1) {
      L.hmacFree(ctx);
      throw new Error(`HMAC_Init_ex(${hash}) failed`);
    }
    super(L, ctx, true);
  }
  mac(buf: Uint8Array, off: number, len: number, extra: Uint8Array | null, out: Uint8Array, outOff: number): void {
    const L = this.L;
    L.hmacInit(this.ptr, null, 0, null, null); // same key, fresh state
    L.hmacUpdate(this.ptr, sub(buf, off, len), len);
    if (extra) L.hmacUpdate(this.ptr, extra, extra.length);
    L.hmacFinal(this.ptr, DIGEST, DLEN);
    out.set(DIGEST.subarray(0, this.outLen), outOff);
  }
  free(): void {
    this.release(this.L.hmacFree);
  }
}

/** The libcrypto provider, or undefined (with the reason in evpLoadError()) if it cannot load. */
export function evpProvider(): CryptoProvider | undefined {
  const L = load();
  if (!L) return undefined;
  return {
    name: 'libcrypto',
    cipher: (name, key, encrypt) => new EvpCipher(L, name, key, encrypt),
    aead: (name, key, encrypt, tagLen) => new EvpAead(L, name, key, encrypt, tagLen),
    mac: (hash, key, outLen) => new EvpMac(L, hash, key, outLen),
  };
}

export function evpLoadError(): string | undefined {
  load();
  return loadError;
}
