// The IKEv1 key schedule (RFC 2409). This is the only module that turns secrets into keys: SKEYID and its
// three children, the Phase 1 encryption key (appendix B), the CBC IV chains, the authentication hashes of
// Main/Aggressive Mode, Quick Mode and Informational exchanges, KEYMAT for IPsec SAs and the NAT-D hash.
// Each step sits beside the formula it implements. The engine holds a Phase1Keys object; its secrets stay in
// private fields and leave only through exportForLog() at the key logging level.
//
// Notation (RFC 2409 section 3.2): prf is HMAC of the negotiated hash, "|" is concatenation, Ni_b / Nr_b are
// nonce payload bodies, g^xi / g^xr the KE payload bodies, g^xy the shared secret, CKY-I / CKY-R the cookies.
import { concat, toHex, u16be, u32be, wipe } from './bytes.js';
import { fail, ok, type CryptoResult } from './errors.js';
import { digest, hashRow, hmac, type HashRow } from './hashes.js';
import { decryptBody, encryptBody, type Phase1CipherSpec } from './phase1-ciphers.js';
import { splitKeymat, type ChildSaKeys, type ChildSaLayout } from './ipsec-transforms.js';

/** How Phase 1 authenticates; it decides the SKEYID formula (RFC 2409 section 5). */
export type Phase1Auth = 'psk' | 'signature' | 'pubkey-encryption';

const ZERO = new Uint8Array([0]);
const ONE = new Uint8Array([1]);
const TWO = new Uint8Array([2]);

// ---------------------------------------------------------------------------------------------------------
// The formulas, as pure functions over bytes. Phase1Keys below composes them; tests check them one by one
// against published vectors.

export const formulas = {
  /**
   * RFC 2409 section 5:
   *   pre-shared keys:        SKEYID = prf(pre-shared-key, Ni_b | Nr_b)
   *   signatures:             SKEYID = prf(Ni_b | Nr_b, g^xy)
   *   public key encryption:  SKEYID = prf(hash(Ni_b | Nr_b), CKY-I | CKY-R)
   */
  skeyid(hash: HashRow, auth: Phase1Auth, a: { psk?: Uint8Array; niB: Uint8Array; nrB: Uint8Array; gxy: Uint8Array; ckyI: Uint8Array; ckyR: Uint8Array }): Uint8Array {
    switch (auth) {
      case 'psk':
        if (!a.psk) throw new TypeError('pre-shared key authentication without a key');
        return hmac(hash, a.psk, a.niB, a.nrB);
      case 'signature':
        return hmac(hash, concat(a.niB, a.nrB), a.gxy);
      case 'pubkey-encryption':
        return hmac(hash, digest(hash, a.niB, a.nrB), a.ckyI, a.ckyR);
    }
  },

  /** SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0) */
  skeyidD(hash: HashRow, skeyid: Uint8Array, gxy: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array): Uint8Array {
    return hmac(hash, skeyid, gxy, ckyI, ckyR, ZERO);
  },

  /** SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1) */
  skeyidA(hash: HashRow, skeyid: Uint8Array, skeyidD: Uint8Array, gxy: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array): Uint8Array {
    return hmac(hash, skeyid, skeyidD, gxy, ckyI, ckyR, ONE);
  },

  /** SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2) */
  skeyidE(hash: HashRow, skeyid: Uint8Array, skeyidA: Uint8Array, gxy: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array): Uint8Array {
    return hmac(hash, skeyid, skeyidA, gxy, ckyI, ckyR, TWO);
  },

  /**
   * The Phase 1 encryption key (RFC 2409 section 5.3 and appendix B): the first `length` bytes of SKEYID_e
   * when it is long enough, otherwise of
   *   Ka = K1 | K2 | K3 | ...   with   K1 = prf(SKEYID_e, 0),  K2 = prf(SKEYID_e, K1),  K3 = prf(SKEYID_e, K2) ...
   * where 0 is a single zero octet.
   */
  encryptionKey(hash: HashRow, skeyidE: Uint8Array, length: number): Uint8Array {
    if (skeyidE.length >= length) return skeyidE.slice(0, length);
    const blocks: Uint8Array[] = [];
    let k = hmac(hash, skeyidE, ZERO);
    let have = 0;
    for (;;) {
      blocks.push(k);
      have += k.length;
      if (have >= length) break;
      k = hmac(hash, skeyidE, k);
    }
    return concat(...blocks).slice(0, length);
  },

  /**
   * KEYMAT (RFC 2409 section 5.5), for one SA, expanded to `length` bytes:
   *   KEYMAT = K1 | K2 | K3 | ...  with
   *   K1 = prf(SKEYID_d, [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
   *   K2 = prf(SKEYID_d, K1 | [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b)
   *   K3 = prf(SKEYID_d, K2 | [ g(qm)^xy | ] protocol | SPI | Ni_b | Nr_b) ...
   * g(qm)^xy is present only with Quick Mode PFS. `seed` is everything after the optional previous block.
   */
  keymatExpand(hash: HashRow, skeyidD: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
    const blocks: Uint8Array[] = [];
    let k = hmac(hash, skeyidD, seed);
    let have = 0;
    for (;;) {
      blocks.push(k);
      have += k.length;
      if (have >= length) break;
      k = hmac(hash, skeyidD, k, seed);
    }
    return concat(...blocks).slice(0, length);
  },

  /** The KEYMAT seed: [ g(qm)^xy | ] protocol (1 octet) | SPI | Ni_b | Nr_b */
  keymatSeed(protocol: number, spi: Uint8Array, niB: Uint8Array, nrB: Uint8Array, gqmxy?: Uint8Array): Uint8Array {
    const parts = [new Uint8Array([protocol]), spi, niB, nrB];
    return concat(...(gqmxy ? [gqmxy, ...parts] : parts));
  },

  /** Phase 1 IV (RFC 2409 appendix B): IV = hash(g^xi | g^xr), truncated to the cipher's block size. */
  phase1Iv(hash: HashRow, gxi: Uint8Array, gxr: Uint8Array, blockSize: number): Uint8Array {
    return digest(hash, gxi, gxr).slice(0, blockSize);
  },

  /**
   * First IV of a Quick Mode or Informational exchange (RFC 2409 appendix B):
   * IV = hash(last Phase 1 CBC output block | M-ID), truncated to the block size; M-ID as 4 octets.
   */
  phase2Iv(hash: HashRow, lastPhase1Iv: Uint8Array, messageId: number, blockSize: number): Uint8Array {
    return digest(hash, lastPhase1Iv, u32be(messageId)).slice(0, blockSize);
  },

  /** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)  (Main and Aggressive Mode) */
  hashI(hash: HashRow, skeyid: Uint8Array, gxi: Uint8Array, gxr: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array, saiB: Uint8Array, idiiB: Uint8Array): Uint8Array {
    return hmac(hash, skeyid, gxi, gxr, ckyI, ckyR, saiB, idiiB);
  },

  /** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) */
  hashR(hash: HashRow, skeyid: Uint8Array, gxi: Uint8Array, gxr: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array, saiB: Uint8Array, idirB: Uint8Array): Uint8Array {
    return hmac(hash, skeyid, gxr, gxi, ckyR, ckyI, saiB, idirB);
  },

  /** NAT-D (RFC 3947 section 3.2): HASH = hash(CKY-I | CKY-R | IP | Port), port as 2 octets. */
  natD(hash: HashRow, ckyI: Uint8Array, ckyR: Uint8Array, ip: Uint8Array, port: number): Uint8Array {
    return digest(hash, ckyI, ckyR, ip, u16be(port));
  },
};

/** NAT-D payload data for an address (4 or 16 bytes) and port; needs no secret, only the negotiated hash. */
export function natDetectionHash(hash: number | HashRow, ckyI: Uint8Array, ckyR: Uint8Array, ip: Uint8Array, port: number): Uint8Array {
  return formulas.natD(typeof hash === 'number' ? hashRow(hash) : hash, ckyI, ckyR, ip, port);
}

// ---------------------------------------------------------------------------------------------------------
// Phase1Keys: what the engine holds for one ISAKMP SA.

export interface Phase1Inputs {
  /** HASH_ALGORITHM value, or a row from hashes.ts */
  readonly hash: number | HashRow;
  /** negotiated cipher, from phase1Cipher() */
  readonly cipher: Phase1CipherSpec;
  readonly auth: Phase1Auth;
  /** the pre-shared key, for auth 'psk' */
  readonly psk?: Uint8Array;
  /** g^xy (DhKeyPair.computeShared) */
  readonly gxy: Uint8Array;
  /** KE payload bodies of initiator and responder */
  readonly gxi: Uint8Array;
  readonly gxr: Uint8Array;
  readonly ckyI: Uint8Array;
  readonly ckyR: Uint8Array;
  /** nonce payload bodies */
  readonly niB: Uint8Array;
  readonly nrB: Uint8Array;
}

/** Inputs of one SA's KEYMAT. The SPI is the one chosen by the SA's receiver (its inbound SPI). */
export interface KeymatInputs {
  /** protocol ID: 2 AH, 3 ESP, 4 IPCOMP */
  readonly protocol: number;
  readonly spi: Uint8Array;
  readonly niB: Uint8Array;
  readonly nrB: Uint8Array;
  /** g(qm)^xy when Quick Mode used PFS */
  readonly gqmxy?: Uint8Array;
}

/** Level at which exportForLog includes secrets (isakmpd's highest debug level). */
export const KEY_LOG_LEVEL = 99;

/** How many Phase 2 IV chains are kept (strongSwan keeps 3 by default; a few more costs nothing). */
const MAX_IV_CHAINS = 16;

interface IvChain {
  current: Uint8Array;
  pending?: Uint8Array;
}

/** What only Phase 1 authentication needs (HASH_I, HASH_R) and the key log; dropped by endPhase1(). */
interface AuthMaterial {
  readonly skeyid: Uint8Array;
  readonly skeyidE: Uint8Array;
  readonly gxi: Uint8Array;
  readonly gxr: Uint8Array;
  readonly initialIv: Uint8Array;
}

/**
 * The keys of one ISAKMP SA. An established SA lives for hours and a gateway holds thousands, so what it
 * keeps for its whole life sits in one allocation:
 *
 *   SKEYID_d | SKEYID_a | encryption key | CKY-I | CKY-R | Phase 1 IV (last CBC block of message ID 0)
 *
 * SKEYID, SKEYID_e, g^xi and g^xr are needed only until Phase 1 is authenticated; endPhase1() wipes and drops
 * them. Phase 2 IV chains exist only while their exchange runs.
 */
export class Phase1Keys {
  readonly hash: HashRow;
  readonly cipher: Phase1CipherSpec;
  readonly auth: Phase1Auth;
  readonly #k: Uint8Array;
  #authMaterial?: AuthMaterial;
  /** A deferred decrypt's next Phase 1 IV (see decrypt). */
  #pending0?: Uint8Array;
  /** Phase 2 chains by message ID; absent when no Quick Mode or Informational exchange is running. */
  #ivs?: Map<number, IvChain>;

  private constructor(inp: Phase1Inputs, hash: HashRow) {
    this.hash = hash;
    this.cipher = inp.cipher;
    this.auth = inp.auth;
    const { gxy, ckyI, ckyR } = inp;
    const skeyid = formulas.skeyid(hash, inp.auth, inp);
    const skeyidD = formulas.skeyidD(hash, skeyid, gxy, ckyI, ckyR);
    const skeyidA = formulas.skeyidA(hash, skeyid, skeyidD, gxy, ckyI, ckyR);
    const skeyidE = formulas.skeyidE(hash, skeyid, skeyidA, gxy, ckyI, ckyR);
    const encKey = formulas.encryptionKey(hash, skeyidE, inp.cipher.keyLength);
    const initialIv = formulas.phase1Iv(hash, inp.gxi, inp.gxr, inp.cipher.blockSize);
    const hl = hash.length;
    const kl = inp.cipher.keyLength;
    this.#k = new Uint8Array(2 * hl + kl + 16 + inp.cipher.blockSize);
    this.#k.set(skeyidD, 0);
    this.#k.set(skeyidA, hl);
    this.#k.set(encKey, 2 * hl);
    this.#k.set(ckyI, 2 * hl + kl);
    this.#k.set(ckyR, 2 * hl + kl + 8);
    this.#k.set(initialIv, 2 * hl + kl + 16);
    wipe(skeyidD);
    wipe(skeyidA);
    wipe(encKey);
    this.#authMaterial = { skeyid, skeyidE, gxi: inp.gxi.slice(), gxr: inp.gxr.slice(), initialIv };
  }

  /** Derives SKEYID, SKEYID_d/a/e, the encryption key and the Phase 1 IV once g^xy is known. */
  static derive(inp: Phase1Inputs): CryptoResult<Phase1Keys> {
    let hash: HashRow;
    try {
      hash = typeof inp.hash === 'number' ? hashRow(inp.hash) : inp.hash;
    } catch {
      return fail('NO_PROPOSAL_CHOSEN', `hash algorithm ${String(inp.hash)} is not supported`);
    }
    if (inp.auth === 'psk' && (!inp.psk || inp.psk.length === 0)) return fail('AUTHENTICATION_FAILED', 'no pre-shared key for this peer');
    if (inp.ckyI.length !== 8 || inp.ckyR.length !== 8) throw new RangeError('cookies are 8 bytes');
    return ok(new Phase1Keys(inp, hash));
  }

  /** Length of HASH payloads and PRF outputs. */
  get hashLength(): number {
    return this.hash.length;
  }

  // Views into #k (short-lived; the bytes stay in the one allocation).
  #skeyidD(): Uint8Array {
    return this.#k.subarray(0, this.hash.length);
  }
  #skeyidA(): Uint8Array {
    return this.#k.subarray(this.hash.length, 2 * this.hash.length);
  }
  #encKey(): Uint8Array {
    const o = 2 * this.hash.length;
    return this.#k.subarray(o, o + this.cipher.keyLength);
  }
  #cky(which: 0 | 1): Uint8Array {
    const o = 2 * this.hash.length + this.cipher.keyLength + which * 8;
    return this.#k.subarray(o, o + 8);
  }
  #iv0(): Uint8Array {
    const o = 2 * this.hash.length + this.cipher.keyLength + 16;
    return this.#k.subarray(o, o + this.cipher.blockSize);
  }

  // --- Phase 1 authentication ------------------------------------------------------------------------

  /** Whether HASH_I and HASH_R can still be computed (false after endPhase1). */
  get authenticating(): boolean {
    return this.#authMaterial !== undefined;
  }

  /**
   * Phase 1 is authenticated: SKEYID, SKEYID_e, g^xi, g^xr and the initial IV are wiped and dropped. What
   * stays is what Quick Mode, Informational exchanges and their IVs use.
   */
  endPhase1(): void {
    const m = this.#authMaterial;
    if (!m) return;
    for (const b of [m.skeyid, m.skeyidE, m.gxi, m.gxr, m.initialIv]) wipe(b);
    this.#authMaterial = undefined;
  }

  #phase1(): AuthMaterial {
    if (!this.#authMaterial) throw new Error('Phase 1 authentication material was already dropped (endPhase1)');
    return this.#authMaterial;
  }

  /** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b); also what signature auth signs. */
  hashI(saiB: Uint8Array, idiiB: Uint8Array): Uint8Array {
    const m = this.#phase1();
    return formulas.hashI(this.hash, m.skeyid, m.gxi, m.gxr, this.#cky(0), this.#cky(1), saiB, idiiB);
  }

  /** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) */
  hashR(saiB: Uint8Array, idirB: Uint8Array): Uint8Array {
    const m = this.#phase1();
    return formulas.hashR(this.hash, m.skeyid, m.gxi, m.gxr, this.#cky(0), this.#cky(1), saiB, idirB);
  }

  // --- Quick Mode and Informational hashes (RFC 2409 sections 5.5 and 5.7) ---------------------------

  /** HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [ | KE ] [ | IDci | IDcr ]); `rest` is the message after HASH. */
  quickHash1(messageId: number, rest: Uint8Array): Uint8Array {
    return hmac(this.hash, this.#skeyidA(), u32be(messageId), rest);
  }

  /** HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [ | KE ] [ | IDci | IDcr ]) */
  quickHash2(messageId: number, niB: Uint8Array, rest: Uint8Array): Uint8Array {
    return hmac(this.hash, this.#skeyidA(), u32be(messageId), niB, rest);
  }

  /** HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b) */
  quickHash3(messageId: number, niB: Uint8Array, nrB: Uint8Array): Uint8Array {
    return hmac(this.hash, this.#skeyidA(), ZERO, u32be(messageId), niB, nrB);
  }

  /** Informational HASH(1) = prf(SKEYID_a, M-ID | N/D); `payloads` is the message after HASH. */
  informationalHash(messageId: number, payloads: Uint8Array): Uint8Array {
    return hmac(this.hash, this.#skeyidA(), u32be(messageId), payloads);
  }

  // --- KEYMAT -----------------------------------------------------------------------------------------

  /** KEYMAT of one SA, `length` bytes (RFC 2409 section 5.5, see formulas.keymatExpand). */
  keymat(k: KeymatInputs, length: number): Uint8Array {
    const seed = formulas.keymatSeed(k.protocol, k.spi, k.niB, k.nrB, k.gqmxy);
    return formulas.keymatExpand(this.hash, this.#skeyidD(), seed, length);
  }

  /**
   * The keys of one SA, cut as the layout says (encryption key | salt | integrity key). Both peers compute the
   * same keys for a given SPI: use the SPI the receiving side of the SA chose (ours for inbound, the peer's
   * for outbound).
   */
  childSaKeys(layout: ChildSaLayout, k: KeymatInputs): ChildSaKeys {
    return splitKeymat(layout, this.keymat(k, layout.keymatBytes));
  }

  // --- CBC and the IV chains (RFC 2409 appendix B) ------------------------------------------------------
  //
  // Message ID 0 is the Phase 1 chain: it starts at hash(g^xi | g^xr) and each encrypted Phase 1 message's
  // last ciphertext block becomes the next IV. Every other message ID starts its own chain at
  // hash(last Phase 1 IV | M-ID) the first time it is used, then chains the same way.

  /** The IV the next message with this ID is encrypted or decrypted with. */
  ivFor(messageId: number): Uint8Array {
    return (messageId >>> 0 === 0 ? this.#iv0() : this.#chain(messageId).current).slice();
  }

  /** Encrypts an ISAKMP body for message ID `messageId` and advances that chain. */
  encrypt(messageId: number, body: Uint8Array): Uint8Array {
    const bs = this.cipher.blockSize;
    if (messageId >>> 0 === 0) {
      const iv = this.#iv0();
      const ct = encryptBody(this.cipher, this.#encKey(), iv, body);
      iv.set(ct.subarray(ct.length - bs));
      this.#pending0 = undefined;
      return ct;
    }
    const chain = this.#chain(messageId);
    const ct = encryptBody(this.cipher, this.#encKey(), chain.current, body);
    chain.current = new Uint8Array(ct.subarray(ct.length - bs));
    chain.pending = undefined;
    return ct;
  }

  /**
   * Decrypts an ISAKMP body. The chain advances to the last ciphertext block at once, unless `defer` is set:
   * then it advances only on confirmIv(messageId), so a message that fails authentication afterwards does not
   * break the chain for the genuine one.
   */
  decrypt(messageId: number, ciphertext: Uint8Array, opts: { defer?: boolean } = {}): CryptoResult<Uint8Array> {
    const bs = this.cipher.blockSize;
    const phase1 = messageId >>> 0 === 0;
    const chain = phase1 ? undefined : this.#chain(messageId);
    const r = decryptBody(this.cipher, this.#encKey(), chain ? chain.current : this.#iv0(), ciphertext);
    if (!r.ok) return r;
    const next = new Uint8Array(ciphertext.subarray(ciphertext.length - bs));
    if (!chain) {
      if (opts.defer) this.#pending0 = next;
      else {
        this.#iv0().set(next);
        this.#pending0 = undefined;
      }
    } else if (opts.defer) chain.pending = next;
    else {
      chain.current = next;
      chain.pending = undefined;
    }
    return r;
  }

  /** Makes a deferred decrypt's IV current. */
  confirmIv(messageId: number): void {
    if (messageId >>> 0 === 0) {
      if (this.#pending0) this.#iv0().set(this.#pending0);
      this.#pending0 = undefined;
      return;
    }
    const chain = this.#ivs?.get(messageId >>> 0);
    if (chain?.pending) {
      chain.current = chain.pending;
      chain.pending = undefined;
    }
  }

  /** Drops the chain of a finished Quick Mode or Informational exchange. */
  forgetIv(messageId: number): void {
    if (messageId >>> 0 === 0 || !this.#ivs) return;
    this.#ivs.delete(messageId >>> 0);
    if (this.#ivs.size === 0) this.#ivs = undefined;
  }

  /** How many Phase 2 IV chains are open (exchanges under way). */
  get openIvChains(): number {
    return this.#ivs?.size ?? 0;
  }

  #chain(messageId: number): IvChain {
    const id = messageId >>> 0;
    this.#ivs ??= new Map();
    let chain = this.#ivs.get(id);
    if (!chain) {
      chain = { current: formulas.phase2Iv(this.hash, this.#iv0(), id, this.cipher.blockSize) };
      if (this.#ivs.size >= MAX_IV_CHAINS) {
        const oldest = this.#ivs.keys().next();
        if (!oldest.done) this.#ivs.delete(oldest.value);
      }
      this.#ivs.set(id, chain);
    }
    return chain;
  }

  /** Zeroes the keys; the object must not be used afterwards. */
  dispose(): void {
    wipe(this.#k);
    const m = this.#authMaterial;
    if (m) for (const b of [m.skeyid, m.skeyidE, m.gxi, m.gxr, m.initialIv]) wipe(b);
    this.#pending0 = undefined;
    this.#ivs = undefined;
  }

  // --- logging -------------------------------------------------------------------------------------------

  /**
   * What may be logged at a debug level: algorithms always; the keys (hex) only at KEY_LOG_LEVEL, for
   * debugging interop and for decrypting captures (tshark's IKEv1 table wants CKY-I and the encryption key).
   * SKEYID, SKEYID_e and the initial IV are there only until endPhase1().
   */
  exportForLog(level: number): Record<string, string | number> {
    const out: Record<string, string | number> = {
      hash: this.hash.name,
      prf: `HMAC_${this.hash.name}`,
      cipher: this.cipher.row.name,
      keyBits: this.cipher.keyBits,
      auth: this.auth,
      ckyI: toHex(this.#cky(0)),
      ckyR: toHex(this.#cky(1)),
    };
    if (level >= KEY_LOG_LEVEL) {
      const m = this.#authMaterial;
      if (m) out.skeyid = toHex(m.skeyid);
      out.skeyidD = toHex(this.#skeyidD());
      out.skeyidA = toHex(this.#skeyidA());
      if (m) out.skeyidE = toHex(m.skeyidE);
      out.encryptionKey = toHex(this.#encKey());
      if (m) out.initialIv = toHex(m.initialIv);
    }
    return out;
  }
}

/** Derives the Phase 1 keys; see Phase1Keys.derive. */
export function derivePhase1(inp: Phase1Inputs): CryptoResult<Phase1Keys> {
  return Phase1Keys.derive(inp);
}
