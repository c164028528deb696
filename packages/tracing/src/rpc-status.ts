// gRPC status codes (as the gRPC specification numbers them), spelled out so this package needs no
// gRPC library: the RPC spans are also used by transports other than grpc-js.
const OK = 0;
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;
const UNIMPLEMENTED = 12;
const INTERNAL = 13;
const UNAVAILABLE = 14;
const DATA_LOSS = 15;

/**
 * Codes that mark a server span as failed. The OpenTelemetry RPC conventions count only the
 * server's own faults: a caller's bad argument or missing credentials is a correct answer.
 */
const SERVER_FAULTS: ReadonlySet<number> = new Set([
  UNKNOWN,
  DEADLINE_EXCEEDED,
  UNIMPLEMENTED,
  INTERNAL,
  UNAVAILABLE,
  DATA_LOSS,
]);

/** Whether a call that ended with `code` failed, as seen from its side of the call. */
export function isRpcFailure(code: number, side: 'client' | 'server'): boolean {
  return side === 'client' ? code !== OK : SERVER_FAULTS.has(code);
}
