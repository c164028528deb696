import type { StatusObject } from '@grpc/grpc-js';
import { googleRpc, type googleRpcStatus } from '@tessera/contracts';

/**
 * How a stream multiplexer shapes the failures it hands to its caller. The multiplexer only
 * moves bytes; each caller has its own error type (the client's `TesseraClientError`, the
 * services' grpc-js-shaped status error), so it says how to build one.
 */
export interface MultiplexErrors<E> {
  /** A carried call the server answered with this status (code, message, ErrorInfo, …). */
  fromStatus(status: googleRpcStatus.Status): E;
  /** A failure raised on the client side: deadline, cancel, no stream, closed. */
  local(code: number, message: string): E;
  /** The server refused to open the stream (bad credentials, no MultiplexService). */
  refused(status: StatusObject): E;
}

/** tessera's reason in a status's ErrorInfo detail (`SHUTTING_DOWN`, …), if it has one. */
export function reasonOfStatus(status: googleRpcStatus.Status): string | undefined {
  for (const any of status.details) {
    if (!any.typeUrl.endsWith('/google.rpc.ErrorInfo')) continue;
    try {
      return googleRpc.ErrorInfo.decode(any.value).reason || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
