import { performance } from 'node:perf_hooks';
import { status as Status } from '@grpc/grpc-js';
import type { ErrorCode } from '@tessera/errors';
import type { Level, Logger } from 'pino';
import type { CallContext } from '../call-context.js';
import type { Interceptor } from '../interceptor.js';
import { RpcStatusError, statusCodeOf } from '../rpc-status-error.js';

// Codes that mean the server, not the caller, is at fault.
const SERVER_FAULTS: ReadonlySet<Status> = new Set([
  Status.UNKNOWN,
  Status.INTERNAL,
  Status.DATA_LOSS,
  Status.UNIMPLEMENTED,
]);

/**
 * One structured line per call: `{ rpc, requestId, code, duration_ms, peer, reason? }` at
 * debug when it succeeded (or the client went away), warn for failures the caller caused or
 * can retry, error for internal ones. Metadata values are never logged: they carry
 * credentials.
 */
export function callLogging(root: Logger): Interceptor {
  return async (request, ctx, next) => {
    const started = performance.now();
    try {
      const response = await next(request, ctx);
      writeLine(root, ctx, Status.OK, undefined, started);
      return response;
    } catch (error) {
      const reason = error instanceof RpcStatusError ? error.reason : undefined;
      writeLine(root, ctx, statusCodeOf(error), reason, started);
      throw error;
    }
  };
}

function writeLine(
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
