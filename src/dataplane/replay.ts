// Anti-replay window (RFC 4303 section 3.4.3 and Appendix A) with extended sequence numbers (RFC 4304).
// Sequence numbers are held as JS numbers: exact up to 2^53, far beyond any SA's lifetime.

const TWO32 = 0x1_0000_0000;

export class ReplayWindow {
  /** Highest authenticated sequence number (full 64-bit value when ESN). 0 = none yet. */
  top = 0;
  private readonly bits: Uint32Array;
  private readonly mask: number;

  /** size: window in packets; 0 = no replay checking (sequence numbers still tracked for ESN). */
  constructor(
    readonly size: number,
    readonly esn: boolean,
  ) {
    let n = 32;
    while (n < Math.max(size, 32)) n *= 2;
    this.bits = new Uint32Array(n / 32);
    this.mask = n - 1;
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
    const i = seq & this.mask;
    return this.bits[i >>> 5]! & (1 << (i & 31)) ? -1 : seq;
  }

  accept(seq: number): void {
    if (seq > this.top) {
      const diff = seq - this.top;
      if (diff > this.mask) this.bits.fill(0);
      else for (let s = this.top + 1; s <= seq; s++) this.clearBit(s);
      this.top = seq;
    }
    const i = seq & this.mask;
    this.bits[i >>> 5]! |= 1 << (i & 31);
  }

  private clearBit(s: number): void {
    const i = s & this.mask;
    this.bits[i >>> 5]! &= ~(1 << (i & 31));
  }
}
