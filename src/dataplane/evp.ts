// libcrypto EVP through koffi: one cipher context per SA and direction, keyed once and only re-IV'd
// per packet, and HMAC that keeps its keyed inner and outer hash states (low-level hash functions on
// pooled state slots; an HMAC_CTX where those are not exported). This avoids the cost that dominates
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
  /** Low-level hash functions over caller-owned state, when this libcrypto still exports them. */
  hashes: Partial<Record<string, HashFns>>;
}

/** One hash's functions on a state struct the caller allocates (MD5_CTX, SHA_CTX, ...). */
interface HashFns {
  init: Fn;
  update: Fn;
  final: Fn;
  /** Bytes of the state struct, rounded up; an upper bound is enough (it is copied whole). */
  stateLen: number;
  digestLen: number;
  blockLen: number;
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
      hashes: {},
    };
    // Struct sizes on LP64: MD5_CTX 92, SHA_CTX 96, SHA256_CTX 112, SHA512_CTX 216 bytes.
    const lowLevel: [string, string, string, number, number, number][] = [
      ['md5', 'MD5', 'MD5', 96, 16, 64],
      ['sha1', 'SHA1', 'SHA1', 96, 20, 64],
      ['sha256', 'SHA256', 'SHA256', 112, 32, 64],
      ['sha384', 'SHA384', 'SHA384', 216, 48, 128],
      ['sha512', 'SHA512', 'SHA512', 216, 64, 128],
    ];
    for (const [name, fn, , stateLen, digestLen, blockLen] of lowLevel) {
      try {
        lib.hashes[name] = {
          init: l.func(`int ${fn}_Init(uint8_t *c)`),
          update: l.func(`int ${fn}_Update(uint8_t *c, const uint8_t *data, size_t len)`),
          final: l.func(`int ${fn}_Final(uint8_t *md, uint8_t *c)`),
          stateLen,
          digestLen,
          blockLen,
        };
      } catch {
        // Not exported by this build: HMAC for this hash uses an HMAC_CTX.
      }
    }
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

// A finalizer frees contexts that were dropped without free() (e.g. a whole data plane left to the
// collector). The held value is the raw pointer alone, and one registry per kind says how to free it,
// so a registration adds no object of its own.
const cipherRegistry = new FinalizationRegistry<unknown>((ptr) => lib?.cipherCtxFree(ptr));
const hmacRegistry = new FinalizationRegistry<unknown>((ptr) => lib?.hmacFree(ptr));

const empty = new Uint8Array(0);
const sub = (b: Uint8Array, off: number, len: number): Uint8Array => (off === 0 && len === b.length ? b : b.subarray(off, off + len));
// Out-parameters shared by all contexts: calls are synchronous, so one set per thread suffices and an
// SA carries no buffers of its own.
const OUTL = new Int32Array(1);
const TAG = new Uint8Array(16);
const DIGEST = new Uint8Array(64);
const DLEN = new Uint32Array(1);

function newCipherCtx(L: Lib, name: string, key: Uint8Array, encrypt: boolean): unknown {
  const ctx = L.cipherCtxNew();
  if (!ctx) throw new Error(`EVP_CIPHER_CTX_new(${name}) failed`);
  if (L.cipherInit(ctx, fetchCipher(L, name), null, key, null, encrypt ? 1 : 0) !== 1) {
    L.cipherCtxFree(ctx);
    throw new Error(`EVP_CipherInit_ex(${name}) failed`);
  }
  return ctx;
}

/**
 * An EVP_CIPHER_CTX keyed once. Contexts an SAD frees itself are untracked; others are freed by the
 * finalizer if dropped without free().
 */
abstract class EvpCipherHandle {
  protected ptr: unknown;
  constructor(L: Lib, name: string, key: Uint8Array, encrypt: boolean, untracked: boolean) {
    this.ptr = newCipherCtx(L, name, key, encrypt);
    if (!untracked) cipherRegistry.register(this, this.ptr, this);
  }
  free(): void {
    if (this.ptr === null) return;
    lib!.cipherCtxFree(this.ptr);
    this.ptr = null;
    cipherRegistry.unregister(this);
  }
}

// The context classes reach libcrypto through the module's `lib`, set before any of them exists.
class EvpCipher extends EvpCipherHandle implements CipherCtx {
  constructor(L: Lib, name: string, key: Uint8Array, encrypt: boolean, untracked: boolean) {
    super(L, name, key, encrypt, untracked);
    L.setPadding(this.ptr, 0);
  }
  run(iv: Uint8Array, buf: Uint8Array, off: number, len: number): void {
    if (len === 0) return;
    const L = lib!;
    L.cipherInit(this.ptr, null, null, null, iv, -1);
    const v = sub(buf, off, len);
    if (L.cipherUpdate(this.ptr, v, OUTL, v, len) !== 1) throw new Error('EVP_CipherUpdate failed');
  }
}

class EvpAead extends EvpCipherHandle implements AeadCtx {
  constructor(L: Lib, name: string, key: Uint8Array, encrypt: boolean, private readonly tagLen: number, untracked: boolean) {
    super(L, name, key, encrypt, untracked);
  }
  private start(nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number): void {
    const L = lib!;
    L.cipherInit(this.ptr, null, null, null, nonce, -1);
    if (aadLen) L.cipherUpdate(this.ptr, null, OUTL, sub(aad, 0, aadLen), aadLen);
    if (len) {
      const v = sub(buf, off, len);
      L.cipherUpdate(this.ptr, v, OUTL, v, len);
    }
  }
  seal(nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): void {
    this.start(nonce, aad, aadLen, buf, off, len);
    const L = lib!;
    L.cipherFinal(this.ptr, empty, OUTL);
    L.cipherCtrl(this.ptr, EVP_CTRL_AEAD_GET_TAG, this.tagLen, TAG);
    tag.set(TAG.subarray(0, this.tagLen), tagOff);
  }
  open(nonce: Uint8Array, aad: Uint8Array, aadLen: number, buf: Uint8Array, off: number, len: number, tag: Uint8Array, tagOff: number): boolean {
    this.start(nonce, aad, aadLen, buf, off, len);
    const L = lib!;
    TAG.set(tag.subarray(tagOff, tagOff + this.tagLen));
    L.cipherCtrl(this.ptr, EVP_CTRL_AEAD_SET_TAG, this.tagLen, TAG);
    if (L.cipherFinal(this.ptr, empty, OUTL) === 1) return true;
    // A forged packet must not leave an entry in this thread's OpenSSL error queue, where node:crypto
    // could later mistake it for its own.
    L.errClear();
    return false;
  }
}

class EvpMac implements MacCtx {
  private ptr: unknown;
  constructor(L: Lib, hash: string, key: Uint8Array, private readonly outLen: number, untracked: boolean) {
    const md = L.digest[hash]?.();
    if (!md) throw new Error(`libcrypto has no digest ${hash}`);
    const ctx = L.hmacNew();
    if (!ctx) throw new Error(`HMAC_CTX_new(${hash}) failed`);
    if (L.hmacInit(ctx, key, key.length, md, null) !== 1) {
      L.hmacFree(ctx);
      throw new Error(`HMAC_Init_ex(${hash}) failed`);
    }
    this.ptr = ctx;
    if (!untracked) hmacRegistry.register(this, ctx, this);
  }
  mac(buf: Uint8Array, off: number, len: number, extra: Uint8Array | null, out: Uint8Array, outOff: number): void {
    const L = lib!;
    L.hmacInit(this.ptr, null, 0, null, null); // same key, fresh state
    L.hmacUpdate(this.ptr, sub(buf, off, len), len);
    if (extra) L.hmacUpdate(this.ptr, extra, extra.length);
    L.hmacFinal(this.ptr, DIGEST, DLEN);
    out.set(DIGEST.subarray(0, this.outLen), outOff);
  }
  free(): void {
    if (this.ptr === null) return;
    lib!.hmacFree(this.ptr);
    this.ptr = null;
    hmacRegistry.unregister(this);
  }
}

/**
 * HMAC state storage: the hash states after the inner and outer padded key blocks, per SA, in slots of
 * large shared arrays (one pool per hash). Byte 0 of every chunk is a working state: a packet's MAC
 * copies the inner state there, hashes the data, then does the same with the outer state. An HMAC_CTX
 * costs about 760 bytes of native memory (three digest contexts); a slot costs two hash states.
 */
const SLOTS_PER_CHUNK = 128;
class StatePool {
  private readonly chunks: Uint8Array[] = [];
  private readonly free: number[] = [];
  /** Bytes of one slot: two states. The working state sits before slot 0. */
  readonly slotLen: number;
  constructor(readonly h: HashFns) {
    this.slotLen = 2 * h.stateLen;
  }
  /** A free slot id (chunk * SLOTS_PER_CHUNK + index). */
  take(): number {
    const id = this.free.pop();
    if (id !== undefined) return id;
    const c = this.chunks.length;
    this.chunks.push(new Uint8Array(this.h.stateLen + SLOTS_PER_CHUNK * this.slotLen));
    for (let i = SLOTS_PER_CHUNK - 1; i > 0; i--) this.free.push(c * SLOTS_PER_CHUNK + i);
    return c * SLOTS_PER_CHUNK;
  }
  chunk(id: number): Uint8Array {
    return this.chunks[Math.floor(id / SLOTS_PER_CHUNK)]!;
  }
  offset(id: number): number {
    return this.h.stateLen + (id % SLOTS_PER_CHUNK) * this.slotLen;
  }
  inUse(): number {
    return this.chunks.length * SLOTS_PER_CHUNK - this.free.length;
  }
  release(id: number): void {
    const o = this.offset(id);
    this.chunk(id).fill(0, o, o + this.slotLen); // key-derived state does not outlive the SA
    this.free.push(id);
  }
}
const pools = new Map<string, StatePool>();

/** HMAC state slots held by live contexts, all hashes together (for leak checks). */
export function hmacSlotsInUse(): number {
  let n = 0;
  for (const p of pools.values()) n += p.inUse();
  return n;
}
const slotRegistry = new FinalizationRegistry<{ pool: StatePool; id: number }>((x) => x.pool.release(x.id));
const PAD = new Uint8Array(128);

class HashHmac implements MacCtx {
  private id: number;
  private readonly chunk: Uint8Array;
  private readonly off: number;
  constructor(
    private readonly pool: StatePool,
    key: Uint8Array,
    private readonly outLen: number,
    untracked: boolean,
  ) {
    const h = pool.h;
    let k = key;
    if (k.length > h.blockLen) k = digestOnce(h, k);
    this.id = pool.take();
    this.chunk = pool.chunk(this.id);
    this.off = pool.offset(this.id);
    // State after the inner (key ^ 0x36) and outer (key ^ 0x5c) blocks, RFC 2104.
    for (const [pad, at] of [[0x36, this.off], [0x5c, this.off + h.stateLen]] as const) {
      PAD.fill(pad, 0, h.blockLen);
      for (let i = 0; i < k.length; i++) PAD[i] = k[i]! ^ pad;
      h.init(this.chunk);
      h.update(this.chunk, PAD, h.blockLen);
      this.chunk.copyWithin(at, 0, h.stateLen);
    }
    PAD.fill(0);
    this.chunk.fill(0, 0, h.stateLen);
    if (!untracked) slotRegistry.register(this, { pool, id: this.id }, this);
  }
  mac(buf: Uint8Array, off: number, len: number, extra: Uint8Array | null, out: Uint8Array, outOff: number): void {
    const h = this.pool.h;
    const c = this.chunk;
    const n = h.stateLen;
    c.copyWithin(0, this.off, this.off + n);
    h.update(c, sub(buf, off, len), len);
    if (extra) h.update(c, extra, extra.length);
    h.final(DIGEST, c);
    c.copyWithin(0, this.off + n, this.off + 2 * n);
    h.update(c, DIGEST, h.digestLen);
    h.final(DIGEST, c);
    out.set(DIGEST.subarray(0, this.outLen), outOff);
  }
  free(): void {
    if (this.id < 0) return;
    this.pool.release(this.id);
    this.id = -1;
    slotRegistry.unregister(this);
  }
}

/** H(key) for an HMAC key longer than the block (RFC 2104 2), with the same low-level functions. */
function digestOnce(h: HashFns, key: Uint8Array): Uint8Array {
  const st = new Uint8Array(h.stateLen);
  const md = new Uint8Array(h.digestLen);
  h.init(st);
  h.update(st, key, key.length);
  h.final(md, st);
  return md;
}

function newMac(L: Lib, hash: string, key: Uint8Array, outLen: number, untracked: boolean): MacCtx {
  const h = L.hashes[hash];
  if (!h) return new EvpMac(L, hash, key, outLen, untracked);
  let pool = pools.get(hash);
  if (!pool) pools.set(hash, (pool = new StatePool(h)));
  return new HashHmac(pool, key, outLen, untracked);
}

/** The libcrypto provider, or undefined (with the reason in evpLoadError()) if it cannot load. */
export function evpProvider(): CryptoProvider | undefined {
  const L = load();
  if (!L) return undefined;
  return {
    name: 'libcrypto',
    cipher: (name, key, encrypt, untracked) => new EvpCipher(L, name, key, encrypt, !!untracked),
    aead: (name, key, encrypt, tagLen, untracked) => new EvpAead(L, name, key, encrypt, tagLen, !!untracked),
    mac: (hash, key, outLen, untracked) => newMac(L, hash, key, outLen, !!untracked),
  };
}

export function evpLoadError(): string | undefined {
  load();
  return loadError;
}
