// Anti-replay window (RFC 4303 section 3.4.3 and Appendix A) with extended sequence numbers (RFC 4304).
// Sequence numbers are held as JS numbers: exact up to 2^53, far beyond any SA's lifetime.
// A window of up to 64 packets (the default) lives in two 32-bit integers of the object itself, so the
// common SA carries no bitmap array; larger windows get one.

const TWO32 = 0x1_0000_0000;

export class ReplayWindow {
  /** Highest authenticated sequence number (full 64-bit value when ESN). 0 = none yet. */
  top = 0;
  /** Window in packets; 0 = no replay checking (sequence numbers still tracked for ESN). */
  size: number;
  esn: boolean;
  /** Bits 0-31 and 32-63 of a window of at most 64, as signed 32-bit integers. */
  private w0 = 0;
  private w1 = 0;
  /** The bitmap of a window larger than 64, else null. */
  private big: Uint32Array | null;

  constructor(size: number, esn: boolean) {
    this.size = size;
    this.esn = esn;
    this.big = null;
    this.resetWindow(size, esn);
  }

  /** Starts afresh with a new size (an SA rekeyed in place). */
  protected resetWindow(size: number, esn: boolean): void {
    let n = 32;
    while (n < Math.max(size, 32)) n *= 2;
    this.top = 0;
    this.size = size;
    this.esn = esn;
    this.w0 = 0;
    this.w1 = 0;
    this.big = n > 64 ? new Uint32Array(n / 32) : null;
  }

  /** Bit index mask: the bitmap covers a power of two of at least 32 sequence numbers. */
  private get mask(): number {
    return this.big ? this.big.length * 32 - 1 : this.size > 32 ? 63 : 31;
  }

  /** Window used for inferring the ESN high half; a replay-free SA still needs one. */
  private get w(): number {
    return this.size > 0 ? this.size : 64;
  }

  /** The full sequence number for a received low half (RFC 4303 A2.2). -1 when it cannot be valid. */
  infer(seqLow: number): number {
    if (!this.esn) return seqLow;
    const w = this.w;
    const tl = this.top % TWO32;
    const th = Math.floor(this.top / TWO32);
    let seqh: number;
    if (tl >= w - 1) seqh = seqLow >= tl - w + 1 ? th : th + 1;
    else seqh = seqLow >= (tl - w + 1 + TWO32) % TWO32 ? th - 1 : th;
    if (seqh < 0) return -1;
    return seqh * TWO32 + seqLow;
  }

  /**
   * Pre-ICV check: returns the full sequence number to authenticate with, or -1 for a replay (or a
   * packet left of the window). Does not change state: call accept() once the ICV verified.
   */
  check(seqLow: number): number {
    const seq = this.infer(seqLow);
    if (seq < 0) return -1;
    if (this.size === 0) return seq;
    if (seq === 0) return -1; // sequence numbers start at 1
    if (seq > this.top) return seq;
    if (this.top - seq >= this.size) return -1;
    return this.isSet(seq & this.mask) ? -1 : seq;
  }

  accept(seq: number): void {
    if (seq > this.top) {
      const diff = seq - this.top;
      const mask = this.mask;
      if (diff > mask) this.clearAll();
      else for (let s = this.top + 1; s <= seq; s++) this.clearBit(s & mask);
      this.top = seq;
    }
    this.setBit(seq & this.mask);
  }

  private isSet(i: number): boolean {
    const b = this.big;
    if (b) return (b[i >>> 5]! & (1 << (i & 31))) !== 0;
    return ((i & 32 ? this.w1 : this.w0) & (1 << (i & 31))) !== 0;
  }

  private setBit(i: number): void {
    const b = this.big;
    if (b) b[i >>> 5]! |= 1 << (i & 31);
    else if (i & 32) this.w1 |= 1 << (i & 31);
    else this.w0 |= 1 << (i & 31);
  }

  private clearBit(i: number): void {
    const b = this.big;
    if (b) b[i >>> 5]! &= ~(1 << (i & 31));
    else if (i & 32) this.w1 &= ~(1 << (i & 31));
    else this.w0 &= ~(1 << (i & 31));
  }

  private clearAll(): void {
    if (this.big) this.big.fill(0);
    this.w0 = 0;
    this.w1 = 0;
  }
}
