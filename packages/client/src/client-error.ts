import { status } from '@grpc/grpc-js';

/** The names of gRPC status codes, as `status` numbers them. */
export type StatusName = keyof typeof status;

const NAMES = new Map<number, StatusName>(
  (Object.entries(status) as [StatusName, number][]).map(([name, code]) => [code, name]),
);

/** The name of a gRPC status code (`UNAVAILABLE`), `UNKNOWN` for a number gRPC does not define. */
export function statusName(code: number): StatusName {
  return NAMES.get(code) ?? 'UNKNOWN';
}

/**
 * A call that did not succeed: its gRPC status by name and number, and tessera's reason
 * (`TENANT_ID_REQUIRED`, `REFRESH_TOKEN_INVALID`, … from the `tessera-error-reason` trailer)
 * when the server sent one. An invalid token is not an error: `validate` answers
 * `valid: false` with a reason.
 */
export class TesseraClientError extends Error {
  override readonly name = 'TesseraClientError';
  /** The status by name, e.g. `PERMISSION_DENIED`. */
  readonly code: StatusName;
  readonly grpcCode: number;
  /** tessera's error reason, when the server sent one. */
  readonly reason: string | undefined;
  /** The gRPC path of the call. */
  readonly method: string;

  constructor(fields: {
    grpcCode: number;
    message: string;
    method: string;
    reason?: string | undefined;
    cause?: unknown;
  }) {
    super(`${fields.method}: ${statusName(fields.grpcCode)}: ${fields.message}`, {
      cause: fields.cause,
    });
    this.grpcCode = fields.grpcCode;
    this.code = statusName(fields.grpcCode);
    this.reason = fields.reason || undefined;
    this.method = fields.method;
  }
}
