import { performance } from 'node:perf_hooks';
import { status as Status } from '@grpc/grpc-js';
import type { ErrorCode } from '@tessera/errors';
import type { Level, Logger } from 'pino';
import type { CallContext } from '../call-context.js';

// Codes that mean the server, not the caller, is at fault.
const SERVER_FAULTS: ReadonlySet<Status> = new Set([
  Status.UNKNOWN,
  Status.INTERNAL,
  Status.DATA_LOSS,
  Status.UNIMPLEMENTED,
]);

/**
 * Writes the one structured line of a finished call: `{ rpc, requestId, code, duration_ms,
 * peer, reason? }` at debug when it succeeded (or the client went away), warn for failures the
 * caller caused or can retry, error for internal ones. Metadata values are never logged: they
 * carry credentials. `started` is the call's start on `performance.now()`.
 */
export function logCallEnd(
  root: Logger,
  ctx: CallContext,
  code: Status,
  reason: ErrorCode | undefined,
  started: number,
): void {
  const level = levelFor(code, reason);
  // Asked of the root logger, so a call that logs nothing never makes its child logger.
  if (!root.isLevelEnabled(level)) return;
  const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
  ctx.log[level](
    { code: Status[code], duration_ms: durationMs, peer: ctx.peer, ...(reason ? { reason } : {}) },
    'rpc finished',
  );
}

function levelFor(code: Status, reason: ErrorCode | undefined): Level {
  if (code === Status.OK || code === Status.CANCELLED) return 'debug';
  // Streams ended because this server is stopping are expected, not a client's failure.
  if (reason === 'SHUTTING_DOWN') return 'info';
  if (reason === 'INTERNAL' || SERVER_FAULTS.has(code)) return 'error';
  return 'warn';
}
