/**
 * One error class for everything tessera throws on purpose. Each failure has a stable string
 * `code` from a closed set (the names of `tessera.common.v1.ErrorReason` without their prefix)
 * so callers branch on codes, never on message text. The gRPC runtime maps codes to statuses
 * in one table; anything that is not a TesseraError is an internal error whose details are
 * logged and never sent.
 */

/** Every reason a tessera operation can fail with. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'TENANT_ID_REQUIRED',
  'TENANT_NOT_FOUND',
  'APPLICATION_NOT_FOUND',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'KEY_NOT_FOUND',
  'REFRESH_TOKEN_INVALID',
  'TOKEN_INVALID',
  'USER_NOT_FOUND',
  'IDENTITY_PROVIDER_NOT_FOUND',
  'UNAVAILABLE',
  'ALREADY_EXISTS',
  'LIMIT_EXCEEDED',
  'INTERNAL',
  'DEADLINE_EXCEEDED',
  'SHUTTING_DOWN',
  'UNIMPLEMENTED',
  'REFRESH_TOKEN_NOT_FOUND',
  'SESSION_FORK_LIMIT',
  'REVOCATION_LIMIT_REACHED',
  'IN_FLIGHT_LIMIT',
] as const;

/** A failure code: the `reason` of the google.rpc.ErrorInfo sent with the status. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Extra, non-secret facts about a failure; sent to the caller as ErrorInfo metadata. */
export type ErrorMetadata = Readonly<Record<string, string>>;

/** Options of a TesseraError. */
export interface TesseraErrorOptions {
  /** The request field at fault, as a path (`claim_sets[2].claims[0].value_type`). */
  readonly field?: string;
  /** Non-secret details for the caller (never token values, keys or credentials). */
  readonly metadata?: ErrorMetadata;
  /** The underlying error, kept for logs only. */
  readonly cause?: unknown;
}

/** An expected failure with a stable code and a message safe to show the caller. */
export class TesseraError extends Error {
  override readonly name = 'TesseraError';
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly metadata: ErrorMetadata;

  constructor(code: ErrorCode, message: string, options: TesseraErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.metadata = options.metadata ?? {};
  }
}

/** A request field failed validation. */
export function invalidArgument(field: string, message: string, metadata?: ErrorMetadata) {
  return new TesseraError('INVALID_ARGUMENT', message, {
    field,
    ...(metadata ? { metadata } : {}),
  });
}

/** True for a TesseraError, optionally of one code. */
export function isTesseraError(error: unknown, code?: ErrorCode): error is TesseraError {
  return error instanceof TesseraError && (code === undefined || error.code === code);
}

/** True when `value` is one of the known error codes. */
export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}
