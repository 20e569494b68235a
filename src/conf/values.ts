// Value readers with isakmpd's exact semantics: atoi for numbers, comma lists with blanks trimmed and empty
// fields skipped, sscanf("%d,%d:%d") for offer/accept numbers, and 0x-prefixed hex for pre-shared keys.

/** C atoi: optional blanks, optional sign, digits; anything else stops; no digits gives 0. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = Number.parseInt(m[1]!, 10);
  // int overflow is undefined in C; clamp so callers see a number they can reject.
  return Math.max(-2147483648, Math.min(2147483647, n));
}

/** Strictly a decimal integer (what a careful operator meant); used by validation to flag atoi surprises. */
export const isPlainInt = (s: string): boolean => /^[+-]?\d+$/.test(s.trim());

export interface ListResult {
  items: string[];
  /** Count of empty fields skipped (isakmpd logs "empty field, ignoring..." for each). */
  empty: number;
}

export function splitList(value: string): ListResult {
  const items: string[] = [];
  let empty = 0;
  for (const field of value.split(',')) {
    const f = field.trim();
    if (f === '') empty++;
    else items.push(f);
  }
  return { items, empty };
}

/** An offer/accept number: `X` (exactly X) or `X,Y:Z` (offer X, accept Y..Z). */
export interface OfferAccept {
  offer: number;
  min: number;
  max: number;
  /** True when the value was the three-number form. */
  range: boolean;
}

/** Parse a C integer the way scanf %d does: optional blanks, sign, digits. */
function scanInt(s: string, pos: number): { n: number; pos: number } | null {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s.slice(pos));
  if (!m) return null;
  return { n: atoi(m[1]!), pos: pos + m[0].length };
}

/**
 * sscanf(value, "%d,%d:%d"): one number means exact match, three mean a range; two numbers (or none) is the
 * "invalid number spec" case, returned as null.
 */
export function parseOfferAccept(value: string): OfferAccept | null {
  const a = scanInt(value, 0);
  if (!a) return null;
  if (value[a.pos] !== ',') return { offer: a.n, min: a.n, max: a.n, range: false };
  const b = scanInt(value, a.pos + 1);
  if (!b || value[b.pos] !== ':') return null;
  const c = scanInt(value, b.pos + 1);
  if (!c) return null;
  return { offer: a.n, min: b.n, max: c.n, range: true };
}

/** conf_match_num: does a received value match the configured offer/accept spec? */
export function matchOfferAccept(spec: OfferAccept, x: number): boolean {
  return spec.range ? spec.min <= x && x <= spec.max : x === spec.offer;
}

/**
 * Pre-shared key bytes as isakmpd derives them (ike_auth.c): a value starting with 0x or 0X is hex, read
 * right-aligned so an odd digit count gets a leading zero nibble; otherwise the text itself. Returns null for
 * a 0x value with a non-hex digit, which isakmpd rejects ("invalid hex key").
 */
export function decodePresharedKey(value: string): Uint8Array | null {
  if (/^0x/i.test(value)) {
    let hex = value.slice(2);
    if (!/^[0-9a-fA-F]*$/.test(hex)) return null;
    if (hex.length % 2) hex = '0' + hex;
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }
  return Uint8Array.from(Buffer.from(value, 'utf8'));
}
