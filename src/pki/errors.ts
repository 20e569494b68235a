// Failures of the X.509 layer are values: a stable code for tests and logs, a sentence for the
// operator, the file it came from (when it came from a file) and the ISAKMP notify the engine
// answers with when the failure concerns a peer's certificate or signature.

export type PkiNotify =
  | 'INVALID_CERT_ENCODING'
  | 'INVALID_CERTIFICATE'
  | 'CERT_TYPE_UNSUPPORTED'
  | 'INVALID_CERT_AUTHORITY'
  | 'INVALID_ID_INFORMATION'
  | 'AUTHENTICATION_FAILED'
  | 'INVALID_SIGNATURE'
  | 'CERTIFICATE_UNAVAILABLE';

export type PkiErrorCode =
  | 'unreadable-file'
  | 'bad-encoding'
  | 'bad-certificate'
  | 'bad-crl'
  | 'bad-key'
  | 'unsupported-key'
  | 'no-issuer'
  | 'untrusted-root'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'issuer-not-ca'
  | 'issuer-key-usage'
  | 'leaf-key-usage'
  | 'path-length'
  | 'revoked'
  | 'crl-missing'
  | 'crl-expired'
  | 'chain-too-long'
  | 'self-signed'
  | 'id-mismatch'
  | 'bad-id'
  | 'no-certificate'
  | 'no-private-key';

export interface PkiProblem {
  code: PkiErrorCode;
  reason: string;
  /** the file the problem was found in, when it came from a file */
  file?: string;
  notify?: PkiNotify;
}

export type PkiResult<T> = { ok: true; value: T } | { ok: false; error: PkiProblem };

export const ok = <T>(value: T): PkiResult<T> => ({ ok: true, value });
export const fail = <T = never>(code: PkiErrorCode, reason: string, extra: Partial<PkiProblem> = {}): PkiResult<T> => ({
  ok: false,
  error: { code, reason, ...extra },
});

/** The message of anything thrown by a parser, for a reason sentence. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** "file: reason" as an operator reads it in a log. */
export const formatProblem = (p: PkiProblem): string => (p.file ? `${p.file}: ${p.reason}` : p.reason);
