// Every decoding failure is an IsakmpError: it names the notify type the daemon would answer with,
// a reason for the log, and the byte offset (from the start of the buffer given to the decoder)
// where the problem was seen. Nothing else escapes a decoder.
import { NotifyType, notifyRef, type NotifyRef } from './numbers.js';

export class IsakmpError extends Error {
  readonly notify: NotifyRef;
  readonly reason: string;
  readonly offset: number;

  constructor(notify: number, reason: string, offset: number) {
    const ref = notifyRef(notify);
    super(`${ref.name}: ${reason} (at offset ${offset})`);
    this.name = 'IsakmpError';
    this.notify = ref;
    this.reason = reason;
    this.offset = offset;
  }
}

export function isIsakmpError(e: unknown): e is IsakmpError {
  return e instanceof IsakmpError;
}

/** Result form for callers that prefer values to exceptions. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: IsakmpError };

/** Run a decoder; a stray runtime error (a bug) still comes out as PAYLOAD_MALFORMED, never as a crash. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof IsakmpError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new IsakmpError(NotifyType.PAYLOAD_MALFORMED, `internal decoder error: ${msg}`, 0);
  }
}

export function toResult<T>(fn: () => T): DecodeResult<T> {
  try {
    return { ok: true, value: guard(fn) };
  } catch (e) {
    return { ok: false, error: e as IsakmpError };
  }
}
