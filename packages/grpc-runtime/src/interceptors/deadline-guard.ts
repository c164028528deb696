import type { Clock } from '@tessera/clock';
import { TesseraError } from '@tessera/errors';
import type { Interceptor } from '../interceptor.js';

/**
 * Rejects a call whose deadline has already passed with DEADLINE_EXCEEDED before any work
 * starts: its caller has given up, so the answer would be thrown away. Expiry during the
 * call aborts `ctx.signal` (grpc-js fires it at the deadline).
 */
export function deadlineGuard(clock: Clock): Interceptor {
  return (request, ctx, next) =>
    ctx.deadline !== undefined && clock.now() >= ctx.deadline
      ? Promise.reject(
          new TesseraError('DEADLINE_EXCEEDED', 'deadline exceeded before the call started'),
        )
      : next(request, ctx);
}
