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
const registry = new FinalizationRegistry<() => void>((f) => f());

const empty = new Uint8Array(0);
const sub = (b: Uint8Array, off: number, len: number): Uint8Array => (off === 0 && len === b.length ? b : b.subarray(off, off + len));

function makeCipher(L: Lib, name: string, key: Uint8Array, encrypt: boolean): CipherCtx {
  const ctx = L.cipherCtxNew();
  if (!ctx || L.cipherInit(ctx, fetchCipher(L, name), null, key, null, encrypt ? 1 : 0) !== 1)
    throw new Error(`EVP_CipherInit_ex(${name}) failed`);
  L.setPadding(ctx, 0);
  const outl = new Int32Array(1);
  let freed = false;
  const free = () => {
    if (!freed) L.cipherCtxFree(ctx);
    freed = true;
  };
  const h = {
    run(iv: Uint8Array, buf: Uint8Array, off: number, len: number) {
      if (len === 0) return;
      L.cipherInit(ctx, null, null, null, iv, -1);
      const v = sub(buf, off, len);
      if (L.cipherUpdate(ctx, v, outl, v, len) !== 1) throw new Error('EVP_CipherUpdate failed');
    },
    free() {
      free();
      registry.unregister(h);
    },
  };
  registry.register(h, free, h);
  return h;
}

function makeAead(L: Lib, name: string, key: Uint8Array, encrypt: boolean, tagLen: number): AeadCtx {
  const ctx = L.cipherCtxNew();
  if (!ctx || L.cipherInit(ctx, fetchCipher(L, name), null, key, null, encrypt ? 1 : 0) !== 1)
    throw new Error(`EVP_CipherInit_ex(${name}) failed`);
  const outl = new Int32Array(1);
  const tagBuf = new Uint8Array(16);
  let freed = false;
  const free = () => {
    if (!freed) L.cipherCtxFree(ctx);
    freed = true;
  };
  const start = (nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number) => {
    L.cipherInit(ctx, null, null, null, nonce, -1);
    if (aadLen) L.cipherUpdate(ctx, null, outl, sub(aad, 0, aadLen), aadLen);
    if (len) {
      const v = sub(buf, off, len);
      L.cipherUpdate(ctx, v, outl, v, len);
    }
  };
  const h: AeadCtx = {
    seal(nonce, aad, aadLen, buf, off, len, tag, tagOff) {
      start(nonce, aad, aadLen, buf, off, len);
      L.cipherFinal(ctx, empty, outl);
      L.cipherCtrl(ctx, EVP_CTRL_AEAD_GET_TAG, tagLen, tagBuf);
      tag.set(tagBuf.subarray(0, tagLen), tagOff);
    },
    open(nonce, aad, aadLen, buf, off, len, tag, tagOff) {
      start(nonce, aad, aadLen, buf, off, len);
      tagBuf.set(tag.subarray(tagOff, tagOff + tagLen));
      L.cipherCtrl(ctx, EVP_CTRL_AEAD_SET_TAG, tagLen, tagBuf);
      if (L.cipherFinal(ctx, empty, outl) === 1) return true;
      // A forged packet must not leave an entry in this thread's OpenSSL error queue, where node:crypto
      // could later mistake it for its own.
      L.errClear();
      return false;
    },
    free() {
      free();
      registry.unregister(h);
    },
  };
  registry.register(h, free, h);
  return h;
}

function makeMac(L: Lib, hash: string, key: Uint8Array, outLen: number): MacCtx {
  const md = L.digest[hash]?.();
  if (!md) throw new Error(`libcrypto has no digest ${hash}`);
  const ctx = L.hmacNew();
  if (!ctx || L.hmacInit(ctx, key, key.length, md, null) !== 1) throw new Error(`HMAC_Init_ex(${hash}) failed`);
  const digest = new Uint8Array(64);
  const dlen = new Uint32Array(1);
  let freed = false;
  const free = () => {
    if (!freed) L.hmacFree(ctx);
    freed = true;
  };
  const h: MacCtx = {
    mac(buf, off, len, extra, out, outOff) {
      L.hmacInit(ctx, null, 0, null, null); // same key, fresh state
      L.hmacUpdate(ctx, sub(buf, off, len), len);
      if (extra) L.hmacUpdate(ctx, extra, extra.length);
      L.hmacFinal(ctx, digest, dlen);
      out.set(digest.subarray(0, outLen), outOff);
    },
    free() {
      free();
      registry.unregister(h);
    },
  };
  registry.register(h, free, h);
  return h;
}

/** The libcrypto provider, or undefined (with the reason in evpLoadError()) if it cannot load. */
export function evpProvider(): CryptoProvider | undefined {
  const L = load();
  if (!L) return undefined;
  return {
    name: 'libcrypto',
    cipher: (name, key, encrypt) => makeCipher(L, name, key, encrypt),
    aead: (name, key, encrypt, tagLen) => makeAead(L, name, key, encrypt, tagLen),
    mac: (hash, key, outLen) => makeMac(L, hash, key, outLen),
  };
}

export function evpLoadError(): string | undefined {
  load();
  return loadError;
}
