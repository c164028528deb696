import { status as Status } from '@grpc/grpc-js';
import { isTesseraError } from '@tessera/errors';
import { readErrorDetails } from '@tessera/grpc-runtime';

/** A gRPC status code by its name (`UNAVAILABLE`), as grpc.io and every client library print it. */
export function statusName(code: number): string {
  return Status[code] ?? `status ${code}`;
}

/**
 * One line an operator can act on: a configuration problem with its key paths, a gRPC
 * failure with its status by name and tessera's reason, or the message of anything else.
 */
export function describeCliError(error: unknown): string {
  const rpc = readErrorDetails(error);
  if (rpc !== undefined) {
    const field = rpc.field ? ` (field ${rpc.field})` : '';
    const name = statusName(rpc.code);
    const head =
      rpc.reason === undefined || rpc.reason === name ? name : `${rpc.reason} (gRPC ${name})`;
    return `${head}: ${rpc.message}${field}`;
  }
  if (isTesseraError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
