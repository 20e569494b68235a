// Failures as values. Every failure a peer can cause names the ISAKMP notify type the engine may answer with
// (RFC 2408 section 3.14.1); exceptions are kept for programmer errors (unknown table row, wrong argument type).

export type CryptoNotify =
  | 'INVALID_KEY_INFORMATION' // a peer's KE value is out of range or not on the curve
  | 'PAYLOAD_MALFORMED' // ciphertext not a whole number of blocks
  | 'NO_PROPOSAL_CHOSEN' // algorithm not in the registry or not usable in this process
  | 'ATTRIBUTES_NOT_SUPPORTED' // key length not allowed for the algorithm
  | 'INVALID_HASH_INFORMATION'
  | 'AUTHENTICATION_FAILED';

export interface CryptoFailure {
  readonly notify: CryptoNotify;
  readonly reason: string;
}

export type CryptoResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CryptoFailure };

export const ok = <T>(value: T): CryptoResult<T> => ({ ok: true, value });
export const fail = <T = never>(notify: CryptoNotify, reason: string): CryptoResult<T> => ({ ok: false, error: { notify, reason } });

/** For callers (tests, tools) that treat a failure as fatal. */
export function unwrap<T>(r: CryptoResult<T>): T {
  if (r.ok) return r.value;
  throw new Error(`${r.error.notify}: ${r.error.reason}`);
}
