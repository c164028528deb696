import { isTesseraError } from '@tessera/errors';
import { readErrorDetails } from '@tessera/grpc-runtime';

/**
 * One line an operator can act on: a configuration problem with its key paths, a gRPC
 * failure with its status and reason, or the message of anything else.
 */
export function describeCliError(error: unknown): string {
  const rpc = readErrorDetails(error);
  if (rpc !== undefined) {
    const field = rpc.field ? ` (field ${rpc.field})` : '';
    return `${rpc.reason ?? `gRPC status ${rpc.code}`}: ${rpc.message}${field}`;
  }
  if (isTesseraError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
